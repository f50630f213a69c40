/*
 * pkg_zipin.c — the package cache's zip opened for reading through a
 * buffered libzip source: the entries copied compressed from it (pkg_zip.c's
 * reuse) are read in archive order, so one pread() of BUF bytes serves the
 * local headers and data of many small entries; libzip's own file source
 * (stdio) made an lseek or two and a read for each header and each data
 * read, ~4 system calls an entry.
 */
#include "pkg.h"

#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#define BUF (64u << 10)

struct zipin {
	int fd;
	unsigned long long size, pos, at;   /* buf holds [at, at + len) of the file */
	size_t len;
	unsigned char *buf;
	zip_error_t err;
};

static zip_int64_t fail(struct zipin *z, int ze, int sys)
{
	zip_error_set(&z->err, ze, sys);
	return -1;
}

static zip_int64_t get(struct zipin *z, unsigned char *out, zip_uint64_t want)
{
	zip_uint64_t done = 0;

	while (done < want && z->pos < z->size) {
		ssize_t r;
		size_t k;

		if (z->pos >= z->at && z->pos < z->at + z->len) {
			k = (size_t)(z->at + z->len - z->pos);
			if (k > want - done)
				k = (size_t)(want - done);
			memcpy(out + done, z->buf + (z->pos - z->at), k);
			z->pos += k;
			done += k;
			continue;
		}
		if (want - done >= BUF) {   /* a big read goes straight to the caller */
			r = pread(z->fd, out + done, (size_t)(want - done), (off_t)z->pos);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return r < 0 ? fail(z, ZIP_ER_READ, errno) : (zip_int64_t)done;
			z->pos += (unsigned long long)r;
			done += (zip_uint64_t)r;
			continue;
		}
		r = pread(z->fd, z->buf, BUF, (off_t)z->pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(z, ZIP_ER_READ, errno);
		z->at = z->pos;
		z->len = (size_t)r;
		if (r == 0)
			break;
	}
	return (zip_int64_t)done;
}

static zip_int64_t callback(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct zipin *z = ud;

	switch (cmd) {
	case ZIP_SOURCE_SUPPORTS:
		return ZIP_SOURCE_SUPPORTS_SEEKABLE;
	case ZIP_SOURCE_OPEN:
		z->pos = 0;
		return 0;
	case ZIP_SOURCE_READ:
		return get(z, data, len);
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_SEEK: {
		zip_int64_t to = zip_source_seek_compute_offset(z->pos, z->size, data, len,
								 &z->err);

		if (to < 0)
			return -1;
		z->pos = (unsigned long long)to;
		return 0;
	}
	case ZIP_SOURCE_TELL:
		return (zip_int64_t)z->pos;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &z->err);

		if (!st)
			return -1;
		zip_stat_init(st);
		st->valid = ZIP_STAT_SIZE;
		st->size = z->size;
		return sizeof(*st);
	}
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&z->err, data, len);
	case ZIP_SOURCE_FREE:
		close(z->fd);
		free(z->buf);
		zip_error_fini(&z->err);
		free(z);
		return 0;
	default:
		return fail(z, ZIP_ER_OPNOTSUPP, 0);
	}
}

zip_t *pkg_zipin_open(const char *path)
{
	struct zipin *z;
	zip_source_t *src;
	zip_error_t ze;
	struct stat st;
	zip_t *za = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return NULL;
	}
	z = xcalloc(1, sizeof(*z));
	z->fd = fd;
	z->size = (unsigned long long)st.st_size;
	z->buf = xmalloc(BUF);
	zip_error_init(&z->err);
	zip_error_init(&ze);
	if (!(src = zip_source_function_create(callback, z, &ze))) {
		callback(z, NULL, 0, ZIP_SOURCE_FREE);
	} else if (!(za = zip_open_from_source(src, ZIP_RDONLY, &ze))) {
		zip_source_free(src);   /* frees z */
	}
	zip_error_fini(&ze);
	return za;
}
