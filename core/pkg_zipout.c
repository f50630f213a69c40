/*
 * pkg_zipout.c — where pkg_zip.c's archive is written: a libzip write
 * source over a temporary file beside the archive, renamed into place when
 * libzip commits (removed on rollback), as libzip's own file source does.
 *
 * Two differences make it cheaper.  Writes gather in one buffer (BUF) and
 * reach the file in large pwrite()s: libzip writes each entry as a local
 * header, the data, then seeks back to write the header again and forward
 * to the end — through stdio, several system calls per entry; here the
 * header of any entry smaller than the buffer is rewritten in memory.  And
 * the archive's SHA-256 is computed while it is written, so nobody reads
 * the archive back for it.
 *
 * The hash follows the bytes in file order, up to a fence: bytes before it
 * are final.  libzip tells where each entry starts (ZIP_SOURCE_TELL_WRITE)
 * before writing it and only ever goes back into the entry it is writing,
 * so the position told first after a rewrite ends (a forward seek) is a
 * fence.  Bytes already written to the file but not yet hashed (an entry
 * bigger than the buffer) are read back from it.  Should a write ever land
 * before what was hashed, the digest is dropped and pkg_zipout_sha256()
 * says so (the caller reads the file instead): the digest is never wrong,
 * only sometimes not known.
 */
#include "pkg.h"

#include "digest.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#define BUF (64u << 10)

struct pkg_zipout {
	char *path, *tmp;
	int fd;
	unsigned char *buf;
	size_t len;                     /* bytes in buf, file offset `at` on */
	unsigned long long at, pos, end;
	unsigned long long hashed;      /* [0, hashed) went into sha */
	struct digest_sha256 *sha;      /* NULL once a digest cannot be trusted */
	bool armed;                     /* the next TELL_WRITE is a fence */
	bool committed;
	zip_error_t err;
};

static int fail(struct pkg_zipout *o, int ze, int sys)
{
	zip_error_set(&o->err, ze, sys);
	return -1;
}

static void no_digest(struct pkg_zipout *o)
{
	digest_sha256_end(o->sha, NULL, NULL);
	o->sha = NULL;
}

static int pwrite_all(int fd, const unsigned char *p, size_t n, unsigned long long off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += (unsigned long long)w;
	}
	return 0;
}

static int flush(struct pkg_zipout *o)
{
	if (o->len && pwrite_all(o->fd, o->buf, o->len, o->at) != 0)
		return fail(o, ZIP_ER_WRITE, errno ? errno : EIO);
	o->at += o->len;
	o->len = 0;
	return 0;
}

/*
 * The buffer is full: write out what is hashed (final) and keep the rest —
 * the entry being written, whose header libzip will rewrite — unless that
 * is most of the buffer (an entry bigger than half of it is read back).
 */
static int flush_final(struct pkg_zipout *o)
{
	size_t keep;

	if (!o->sha || o->hashed <= o->at || o->hashed >= o->at + o->len ||
	    (keep = (size_t)(o->at + o->len - o->hashed)) > BUF / 2)
		return flush(o);
	if (pwrite_all(o->fd, o->buf, o->len - keep, o->at) != 0)
		return fail(o, ZIP_ER_WRITE, errno ? errno : EIO);
	memmove(o->buf, o->buf + (o->len - keep), keep);
	o->at = o->hashed;
	o->len = keep;
	return 0;
}

/* Hash [hashed, to): from the buffer where it holds the bytes, else read back. */
static int hash_upto(struct pkg_zipout *o, unsigned long long to)
{
	unsigned char tmp[65536];

	while (o->sha && o->hashed < to) {
		unsigned long long h = o->hashed, k;

		if (o->len && h >= o->at && h < o->at + o->len) {
			k = (to < o->at + o->len ? to : o->at + o->len) - h;
			digest_sha256_add(o->sha, o->buf + (h - o->at), (size_t)k);
		} else {
			unsigned long long lim = o->len && o->at > h && o->at < to ? o->at : to;
			ssize_t r;

			k = lim - h < sizeof(tmp) ? lim - h : sizeof(tmp);
			r = pread(o->fd, tmp, (size_t)k, (off_t)h);
			if (r < 0 && errno == EINTR)
				continue;
			if (r != (ssize_t)k) {
				no_digest(o);
				break;
			}
			digest_sha256_add(o->sha, tmp, (size_t)k);
		}
		o->hashed += k;
	}
	return 0;
}

static zip_int64_t put(struct pkg_zipout *o, const unsigned char *p, zip_uint64_t n)
{
	zip_uint64_t total = n;

	if (o->pos < o->hashed)
		no_digest(o);   /* rewriting bytes already hashed: not libzip's way, not trusted */
	while (n > 0) {
		size_t in, k;

		if (o->len && (o->pos < o->at || o->pos > o->at + o->len) && flush(o) < 0)
			return -1;
		if (!o->len)
			o->at = o->pos;
		in = (size_t)(o->pos - o->at);
		if (in == BUF) {
			if (flush_final(o) < 0)
				return -1;
			continue;
		}
		k = n < BUF - in ? (size_t)n : BUF - in;
		memcpy(o->buf + in, p, k);
		if (in + k > o->len)
			o->len = in + k;
		o->pos += k;
		p += k;
		n -= k;
	}
	if (o->pos > o->end)
		o->end = o->pos;
	return (zip_int64_t)total;
}

static int begin(struct pkg_zipout *o)
{
	unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)(size_t)o;

	for (int i = 0; i < 100; i++) {
		free(o->tmp);
		seed = seed * 1103515245u + 12345u;
		o->tmp = xasprintf("%s.%06x", o->path, (seed >> 8) & 0xffffff);
		/* 0666 less the umask, as libzip's own temporary file */
		o->fd = open(o->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (o->fd >= 0)
			break;
		if (errno != EEXIST)
			return fail(o, ZIP_ER_TMPOPEN, errno);
	}
	if (o->fd < 0)
		return fail(o, ZIP_ER_TMPOPEN, EEXIST);
	o->buf = xmalloc(BUF);
	o->len = 0;
	o->at = o->pos = o->end = o->hashed = 0;
	o->sha = digest_sha256_begin();
	o->armed = true;
	return 0;
}

static void drop_temp(struct pkg_zipout *o)
{
	if (o->fd >= 0) {
		close(o->fd);
		o->fd = -1;
		unlink(o->tmp);
	}
	free(o->buf);
	o->buf = NULL;
	no_digest(o);
}

static int commit(struct pkg_zipout *o)
{
	int fd = o->fd;

	if (flush(o) < 0)
		return -1;
	hash_upto(o, o->end);
	o->fd = -1;
	if (close(fd) != 0) {
		unlink(o->tmp);
		return fail(o, ZIP_ER_WRITE, errno);
	}
	if (rename(o->tmp, o->path) != 0) {
		unlink(o->tmp);
		return fail(o, ZIP_ER_RENAME, errno);
	}
	free(o->buf);
	o->buf = NULL;
	o->committed = true;
	return 0;
}

static zip_int64_t callback(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct pkg_zipout *o = ud;

	switch (cmd) {
	case ZIP_SOURCE_SUPPORTS:
		/* the reading commands are claimed (libzip asks for them) but never used: a new archive */
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
						      ZIP_SOURCE_CLOSE, ZIP_SOURCE_SEEK,
						      ZIP_SOURCE_TELL, ZIP_SOURCE_STAT,
						      ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
						      ZIP_SOURCE_BEGIN_WRITE, ZIP_SOURCE_WRITE,
						      ZIP_SOURCE_COMMIT_WRITE,
						      ZIP_SOURCE_ROLLBACK_WRITE, ZIP_SOURCE_SEEK_WRITE,
						      ZIP_SOURCE_TELL_WRITE, ZIP_SOURCE_REMOVE, -1);
	case ZIP_SOURCE_STAT:
		return fail(o, ZIP_ER_READ, ENOENT);   /* nothing there yet: a new archive */
	case ZIP_SOURCE_BEGIN_WRITE:
		return begin(o);
	case ZIP_SOURCE_WRITE:
		return put(o, data, len);
	case ZIP_SOURCE_TELL_WRITE:
		if (o->armed) {
			o->armed = false;
			hash_upto(o, o->pos);
		}
		return (zip_int64_t)o->pos;
	case ZIP_SOURCE_SEEK_WRITE: {
		zip_source_args_seek_t *a = ZIP_SOURCE_GET_ARGS(zip_source_args_seek_t, data, len,
								&o->err);
		long long to;

		if (!a)
			return -1;
		to = a->whence == SEEK_SET ? a->offset
		     : a->whence == SEEK_CUR ? (long long)o->pos + a->offset
		     : (long long)o->end + a->offset;
		if (a->whence != SEEK_SET && a->whence != SEEK_CUR && a->whence != SEEK_END)
			return fail(o, ZIP_ER_INVAL, 0);
		if (to < 0)
			return fail(o, ZIP_ER_INVAL, 0);
		if ((unsigned long long)to > o->pos)
			o->armed = true;   /* back at the end after a rewrite */
		o->pos = (unsigned long long)to;
		return 0;
	}
	case ZIP_SOURCE_COMMIT_WRITE:
		return commit(o);
	case ZIP_SOURCE_ROLLBACK_WRITE:
		drop_temp(o);
		return 0;
	case ZIP_SOURCE_REMOVE:
		if (unlink(o->path) != 0)
			return fail(o, ZIP_ER_REMOVE, errno);
		return 0;
	case ZIP_SOURCE_CLOSE:
	case ZIP_SOURCE_FREE:
		return 0;
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&o->err, data, len);
	default:
		return fail(o, ZIP_ER_OPNOTSUPP, 0);
	}
}

zip_t *pkg_zipout_open(const char *path, struct pkg_zipout **out, zip_error_t *ze)
{
	struct pkg_zipout *o = xcalloc(1, sizeof(*o));
	zip_source_t *src;
	zip_t *za;

	o->path = xstrdup(path);
	o->fd = -1;
	zip_error_init(&o->err);
	*out = o;
	if (!(src = zip_source_function_create(callback, o, ze)))
		return NULL;
	if (!(za = zip_open_from_source(src, ZIP_CREATE | ZIP_TRUNCATE, ze)))
		zip_source_free(src);
	return za;
}

bool pkg_zipout_sha256(struct pkg_zipout *o, char hex[65], char b64[45],
		       unsigned long long *size)
{
	if (!o || !o->committed || !o->sha || o->hashed != o->end)
		return false;
	digest_sha256_end(o->sha, hex, b64);
	o->sha = NULL;
	*size = o->end;
	return true;
}

void pkg_zipout_free(struct pkg_zipout *o)
{
	if (!o)
		return;
	drop_temp(o);
	zip_error_fini(&o->err);
	free(o->tmp);
	free(o->path);
	free(o);
}
