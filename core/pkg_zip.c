/*
 * pkg_zip.c — the deterministic zip (libzip).
 *
 * Entries go in the order of the (sorted) list, each with the same DOS time
 * (1980-01-01 00:00:00), Unix attributes 0644 or 0755, no extra fields, and
 * a fixed compression (deflate level PKG_ZIP_LEVEL; formats that are already
 * compressed are stored).  Same list, same bytes → same archive.
 *
 * Contents are streamed: libzip pulls each entry in turn inside zip_close(),
 * writing through pkg_zipout.c to a temporary file beside `path` that is
 * renamed into place at the end, so a failed build leaves any previous
 * archive untouched; the archive's SHA-256 is taken on the way.  Small
 * files are deflated ahead by a thread pool (below) within a fixed memory
 * window (libdeflate up to LD_MAX, zlib above); big ones stream through
 * zip_source_file.  Entries the package
 * cache (pkg_cache.c) still has are copied compressed from its zip.  Memory
 * does not grow with the size of the project.
 */
#include "pkg.h"

#include "digest.h"
#include "err.h"
#include "interrupt.h"
#include "log.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zip.h>
#include <zlib.h>

#define PKG_ZIP_LEVEL 6   /* zlib: libzip's streaming and the pool's files above LD_MAX */
#define PKG_LD_LEVEL 7    /* libdeflate: the pool's files up to LD_MAX; 7, not 6: a zip no
                            * bigger than zlib 6 gave (6 was 0.2-0.5 % bigger on botocore) */
#define DOS_DATE_1980 0x0021  /* 1980-01-01 */
#define DOS_TIME_0 0x0000     /* 00:00:00 */

static const char *const stored_ext[] = {
	".gz", ".tgz", ".bz2", ".xz", ".zst", ".whl", ".jar", ".egg", ".png", ".jpg",
	".jpeg", ".gif", ".webp", ".woff", ".woff2", ".mp3", ".mp4", ".ogg",
};

static bool already_compressed(const char *arc)
{
	size_t n = strlen(arc), i, m;

	for (i = 0; i < sizeof(stored_ext) / sizeof(stored_ext[0]); i++) {
		m = strlen(stored_ext[i]);
		if (n > m && strcasecmp(arc + n - m, stored_ext[i]) == 0)
			return true;
	}
	return false;
}

static void on_progress(zip_t *za, double done, void *ud)
{
	(void)za;
	(void)ud;
	out_progress("Packaging", (unsigned long long)(done * 1000), 1000);
}

/* libzip asks between chunks: an interrupt stops the build (it removes its temporary file). */
static int on_cancel(zip_t *za, void *ud)
{
	(void)za;
	(void)ud;
	return intr_signal() != 0;
}

/* ---- compressing ahead, in threads ---- */

/*
 * libzip compresses in the thread that calls zip_close(), one entry after
 * the other.  To use every core, files up to PRE_MAX are read and deflated
 * ahead of time by a small pool of threads, in archive order, and handed to
 * libzip as sources that are already compressed (their stat reports
 * method, sizes and CRC, so libzip copies the bytes as they are).  A file
 * up to LD_MAX is read whole into the worker's buffer and compressed at
 * once by libdeflate (2-3 times faster than zlib at a similar ratio); a
 * bigger one is read in 64 KiB steps through zlib's deflate.  Which of the
 * two depends on the file's size only, so the same tree gives the same
 * bytes.  A job keeps only the compressed bytes; what the pool holds is
 * bounded by WINDOW; files above PRE_MAX go through zip_source_file and
 * libzip's own streaming compression.  Memory: each worker's compressor
 * (~0.65 MiB) is paid for by a smaller window (2 MiB, was 4 with zlib
 * alone), a bound of 256 KiB on the files read whole (512 KiB peaked at
 * 20.1 MiB on the 7,000-file bench tree), and zlib's state and big read
 * buffers given back as soon as their file is done: that tree's cold and
 * one-change builds peak at 19.7-19.9 MiB, within 0.3 MiB of the zlib-only
 * build's.
 */
#define PRE_MAX (4u << 20)
#define LD_MAX (256u << 10)
#define BUF_KEEP (64u << 10)
#define WINDOW (2u << 20)
#define MAX_THREADS 8

struct pool;

struct job {
	struct pool *pool;
	const struct pkg_entry *en;
	zip_t *from;                /* reused: copied compressed from entry `from_idx` of `from` */
	zip_uint64_t from_idx;
	zip_file_t *zf;
	enum { JOB_WAITING, JOB_WORKING, JOB_DONE } state;
	unsigned char *out;         /* raw deflate data, freed once libzip has copied it */
	size_t out_len, pos, charge;
	unsigned long long in_len;
	uint32_t crc;
	int err;                    /* errno of a failed read */
	zip_error_t zerr;
	bool released;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *jobs;
	size_t n, next, wanted;     /* next job to start; highest job libzip waits for */
	size_t inflight;            /* bytes held (charged) by started, unreleased jobs */
	bool stop;
	pthread_t th[MAX_THREADS];
	int nth;
};

static bool precompress(const struct job *j)
{
	const struct pkg_entry *en = j->en;

	return !j->from && en->src && en->size <= PRE_MAX && !already_compressed(en->arc);
}

/* What a worker keeps from one file to the next: libdeflate's compressor (set up on first use). */
struct worker_state {
	struct libdeflate_compressor *ld;
	unsigned char *buf;         /* the file being compressed by libdeflate, up to BUF_KEEP kept */
	size_t cap;
};

/*
 * Read and deflate one file above LD_MAX, 64 KiB at a time (no lock held),
 * through zlib: a stream of its own, ended with the file, so that its
 * ~300 KiB are not held beside the compressor for the rest of the build
 * (files this big are few).
 */
static void zlib_job(struct job *j)
{
	z_stream zs = { 0 }, *z = &zs;
	unsigned char in[65536];
	size_t cap = (size_t)(j->en->size / 4) + 1024;
	int fd = open(j->en->src, O_RDONLY | O_CLOEXEC), flush = Z_NO_FLUSH, zr = Z_OK;
	uLong crc = crc32(0L, Z_NULL, 0);
	ssize_t r;

	if (fd < 0) {
		j->err = errno;
		return;
	}
	if (deflateInit2(z, PKG_ZIP_LEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		j->err = ENOMEM;
		close(fd);
		return;
	}
	j->out = xmalloc(cap);
	while (flush != Z_FINISH) {
		r = read(fd, in, sizeof(in));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			j->err = errno;
			break;
		}
		j->in_len += (unsigned long long)r;
		crc = crc32(crc, in, (uInt)r);
		flush = r == 0 ? Z_FINISH : Z_NO_FLUSH;
		z->next_in = in;
		z->avail_in = (uInt)r;
		do {
			if (z->total_out == cap) {
				cap *= 2;
				j->out = xrealloc(j->out, cap);
			}
			z->next_out = j->out + z->total_out;
			z->avail_out = (uInt)(cap - z->total_out);
			zr = deflate(z, flush);
		} while (zr != Z_STREAM_ERROR &&
			 (z->avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END)));
	}
	close(fd);
	if (!j->err && zr != Z_STREAM_END)
		j->err = EIO;
	j->crc = (uint32_t)crc;
	j->out_len = z->total_out;
	deflateEnd(z);
}


/*
 * Read one file whole into the worker's buffer (grown as needed, kept for
 * the next file) and compress it with libdeflate in one call.
 */
static void ld_job(struct job *j, struct worker_state *w)
{
	int fd = open(j->en->src, O_RDONLY | O_CLOEXEC);
	size_t n = 0, bound;
	ssize_t r;

	if (fd < 0) {
		j->err = errno;
		return;
	}
	if (!w->ld && !(w->ld = libdeflate_alloc_compressor(PKG_LD_LEVEL))) {
		j->err = ENOMEM;
		close(fd);
		return;
	}
	for (;;) {
		if (n == w->cap) {
			w->cap = n < (size_t)j->en->size ? (size_t)j->en->size + 1 : n * 2 + 65536;
			w->buf = xrealloc(w->buf, w->cap);
		}
		r = read(fd, w->buf + n, w->cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			j->err = errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (j->err)
		return;
	j->in_len = n;
	j->crc = libdeflate_crc32(0, w->buf, n);
	bound = libdeflate_deflate_compress_bound(w->ld, n);
	j->out = xmalloc(bound);
	j->out_len = libdeflate_deflate_compress(w->ld, w->buf, n, j->out, bound);
	if (!j->out_len)
		j->err = EIO;
	else if (j->out_len < bound)
		j->out = xrealloc(j->out, j->out_len);
	if (w->cap > BUF_KEEP) {    /* a big file's buffer is not kept for the next one */
		free(w->buf);
		w->buf = NULL;
		w->cap = 0;
	}
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct worker_state w = { 0 };

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct job *j;

		while (p->next < p->n && !precompress(&p->jobs[p->next]))
			p->next++;
		if (p->next >= p->n)
			break;
		j = &p->jobs[p->next];
		/* at most: input-sized output + buffer (libdeflate: the whole file) */
		j->charge = (size_t)j->en->size + (j->en->size <= LD_MAX ? (size_t)j->en->size : 65536);
		/* stay inside the window unless libzip is already waiting for this one */
		if (p->inflight && p->inflight + j->charge > WINDOW && p->next > p->wanted) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		p->next++;
		j->state = JOB_WORKING;
		p->inflight += j->charge;
		pthread_mutex_unlock(&p->mu);
		if (j->en->size <= LD_MAX)
			ld_job(j, &w);
		else
			zlib_job(j);
		pthread_mutex_lock(&p->mu);
		p->inflight -= j->charge;
		j->charge = j->out_len;
		p->inflight += j->charge;
		j->state = JOB_DONE;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	libdeflate_free_compressor(w.ld);
	free(w.buf);
	return NULL;
}

static void wait_done(struct job *j)
{
	struct pool *p = j->pool;
	size_t idx = (size_t)(j - p->jobs);

	pthread_mutex_lock(&p->mu);
	if (idx > p->wanted || p->wanted == (size_t)-1)
		p->wanted = idx;
	pthread_cond_broadcast(&p->cv);
	while (j->state != JOB_DONE)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static void release(struct job *j)
{
	struct pool *p = j->pool;

	pthread_mutex_lock(&p->mu);
	if (!j->released && j->state == JOB_DONE) {
		free(j->out);
		j->out = NULL;
		p->inflight -= j->charge;
		j->charge = 0;
		j->released = true;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
}

static zip_int64_t job_source(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct job *j = ud;

	switch (cmd) {
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
						      ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
						      ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = data;

		if (len < sizeof(*st))
			return -1;
		wait_done(j);
		if (j->err) {
			zip_error_set(&j->zerr, ZIP_ER_READ, j->err);
			return -1;
		}
		zip_stat_init(st);
		st->valid = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC;
		st->size = j->in_len;
		st->comp_size = j->out_len;
		st->comp_method = ZIP_CM_DEFLATE;
		st->crc = j->crc;
		return sizeof(*st);
	}
	case ZIP_SOURCE_OPEN:
		wait_done(j);
		if (j->err || j->released) {
			zip_error_set(&j->zerr, ZIP_ER_READ, j->err ? j->err : EINVAL);
			return -1;
		}
		j->pos = 0;
		return 0;
	case ZIP_SOURCE_READ: {
		size_t n = j->out_len - j->pos;

		if (n > len)
			n = (size_t)len;
		memcpy(data, j->out + j->pos, n);
		j->pos += n;
		return (zip_int64_t)n;
	}
	case ZIP_SOURCE_CLOSE:
		release(j);
		return 0;
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&j->zerr, data, len);
	case ZIP_SOURCE_FREE:
		return 0;
	default:
		zip_error_set(&j->zerr, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

/*
 * An entry of the cached zip, handed over compressed: its stat reports the
 * method, sizes and CRC, so libzip copies the bytes as they are — the same
 * path the pool's entries take, hence the same archive as a cold build.
 */
static zip_int64_t reuse_source(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct job *j = ud;

	switch (cmd) {
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
						      ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
						      ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = data, have;

		if (len < sizeof(*st) || zip_stat_index(j->from, j->from_idx, 0, &have) != 0) {
			zip_error_set(&j->zerr, ZIP_ER_READ, EIO);
			return -1;
		}
		zip_stat_init(st);
		st->valid = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC;
		st->size = have.size;
		st->comp_size = have.comp_size;
		st->comp_method = have.comp_method;
		st->crc = j->crc = have.crc;
		return sizeof(*st);
	}
	case ZIP_SOURCE_OPEN:
		j->zf = zip_fopen_index(j->from, j->from_idx, ZIP_FL_COMPRESSED);
		if (!j->zf) {
			zip_error_set(&j->zerr, ZIP_ER_READ, EIO);
			return -1;
		}
		return 0;
	case ZIP_SOURCE_READ: {
		zip_int64_t n = zip_fread(j->zf, data, len);

		if (n < 0)
			zip_error_set(&j->zerr, ZIP_ER_READ, EIO);
		return n;
	}
	case ZIP_SOURCE_CLOSE:
		if (j->zf)
			zip_fclose(j->zf);
		j->zf = NULL;
		return 0;
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&j->zerr, data, len);
	case ZIP_SOURCE_FREE:
		return 0;
	default:
		zip_error_set(&j->zerr, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static void pool_start(struct pool *p, const struct pkg_list *l, const struct pkg_reuse *reuse)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i;

	memset(p, 0, sizeof(*p));
	/*
	 * Blocks of 64 KiB and more (a file read whole, its compressed bytes,
	 * zlib's buffers) are mapped on their own and unmapped when freed, so
	 * what a finished job held leaves the process at once instead of
	 * staying in a thread's heap.
	 */
	mallopt(M_MMAP_THRESHOLD, 64 << 10);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->n = l->n;
	p->wanted = (size_t)-1;
	p->jobs = xcalloc(l->n ? l->n : 1, sizeof(*p->jobs));
	for (i = 0; i < l->n; i++) {
		p->jobs[i].pool = p;
		p->jobs[i].en = &l->v[i];
		if (reuse && reuse->from && reuse->index[i] >= 0) {
			p->jobs[i].from = reuse->from;
			p->jobs[i].from_idx = (zip_uint64_t)reuse->index[i];
		}
		zip_error_init(&p->jobs[i].zerr);
	}
	p->wanted = 0;
	cpus = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : cpus;
	for (p->nth = 0; p->nth < cpus; p->nth++)
		if (pthread_create(&p->th[p->nth], NULL, worker, p) != 0)
			break;
}

static void pool_stop(struct pool *p)
{
	size_t i;
	int t;

	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (t = 0; t < p->nth; t++)
		pthread_join(p->th[t], NULL);
	for (i = 0; i < p->n; i++) {
		free(p->jobs[i].out);
		if (p->jobs[i].zf)
			zip_fclose(p->jobs[i].zf);
		zip_error_fini(&p->jobs[i].zerr);
	}
	free(p->jobs);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

/* The first failed read among the jobs, for a message that names the file. */
static const struct job *failed_job(const struct pool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->jobs[i].err)
			return &p->jobs[i];
	return NULL;
}

/* ---- the archive ---- */

static int add_entry(zip_t *za, struct job *j, struct herr *e)
{
	const struct pkg_entry *en = j->en;
	zip_source_t *src;
	zip_int64_t idx;
	bool store = already_compressed(en->arc);

	if (j->from)
		src = zip_source_function(za, reuse_source, j);
	else if (precompress(j))
		src = zip_source_function(za, job_source, j);
	else if (en->src)
		src = zip_source_file(za, en->src, 0, -1);
	else
		src = zip_source_buffer(za, en->data, en->size, 0);
	if (!src)
		return herr_set(e, HOIST_FAIL, "cannot add %s to the archive: %s",
				en->src ? en->src : en->arc, zip_strerror(za));
	idx = zip_file_add(za, en->arc, src, ZIP_FL_ENC_UTF_8);
	if (idx < 0) {
		zip_source_free(src);
		return herr_set(e, HOIST_FAIL, "cannot add %s to the archive: %s", en->arc,
				zip_strerror(za));
	}
	if (zip_set_file_compression(za, (zip_uint64_t)idx, store ? ZIP_CM_STORE : ZIP_CM_DEFLATE,
				     store ? 0 : PKG_ZIP_LEVEL) != 0 ||
	    zip_file_set_dostime(za, (zip_uint64_t)idx, DOS_TIME_0, DOS_DATE_1980, 0) != 0 ||
	    zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
					     (zip_uint32_t)(S_IFREG | en->mode) << 16) != 0)
		return herr_set(e, HOIST_FAIL, "cannot set attributes of %s: %s", en->arc,
				zip_strerror(za));
	return HOIST_OK;
}

/* Each entry's CRC-32 where known without reading the archive back, else -1. */
static void report_crcs(const struct pool *p, long long *crcs)
{
	for (size_t i = 0; crcs && i < p->n; i++) {
		const struct job *j = &p->jobs[i];

		if (j->from || precompress(j))
			crcs[i] = j->crc;
		else if (!j->en->src)
			crcs[i] = (long long)crc32(crc32(0L, Z_NULL, 0), j->en->data,
						   (uInt)j->en->size);
		else
			crcs[i] = -1;
	}
}

int pkg_write_zip(const char *path, const struct pkg_list *l, const struct pkg_reuse *reuse,
		  long long *crcs, char hex[65], char b64[45], unsigned long long *size,
		  struct herr *e)
{
	struct pool pool;
	const struct job *bad;
	struct pkg_zipout *out = NULL;
	zip_error_t ze;
	zip_t *za;
	int rc = HOIST_OK;
	size_t i;

	zip_error_init(&ze);
	za = pkg_zipout_open(path, &out, &ze);
	if (!za) {
		rc = herr_set(e, HOIST_FAIL, "cannot create %s: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		pkg_zipout_free(out);
		return rc;
	}
	zip_error_fini(&ze);
	pool_start(&pool, l, reuse);
	for (i = 0; i < l->n && !rc; i++)
		rc = add_entry(za, &pool.jobs[i], e);
	if (rc) {
		zip_discard(za);
		goto out;
	}
	zip_register_progress_callback_with_state(za, 0.01, on_progress, NULL, NULL);
	zip_register_cancel_callback_with_state(za, on_cancel, NULL, NULL);
	if (zip_close(za) != 0) {
		bad = failed_job(&pool);
		if (intr_check(e))
			rc = e->code;
		else if (bad)
			rc = herr_set(e, HOIST_USAGE, "cannot read %s: %s; nothing was packaged",
				      bad->en->src, strerror(bad->err));
		else
			rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", path, zip_strerror(za));
		zip_discard(za);
	}
	out_progress_end();
	if (!rc)
		report_crcs(&pool, crcs);
	/* hashed while written; else (never libzip's way so far) read back */
	if (!rc && !pkg_zipout_sha256(out, hex, b64, size))
		rc = digest_sha256_file(path, hex, b64, size, e);
out:
	pool_stop(&pool);
	pkg_zipout_free(out);
	return rc;
}
