/*
 * pkg_cache.c — incremental packaging: a stage's last zip and an index of
 * where each of its entries came from, so the next package copies the
 * compressed bytes of every unchanged file (pkg_zip.c's reuse) instead of
 * compressing it again, and a tree where nothing changed is known to give
 * the same zip — and the same SHA-256 — from a stat walk alone.
 *
 * Where: $XDG_CACHE_HOME/hoist (else ~/.cache/hoist)/<function>-<16 hex of
 * SHA-256 of the project directory>/ (the function name holds project and
 * stage), with package.zip and index; directories 0700, files 0600 (the zip
 * is the project's code).  The zip is a copy of its own (copy_file_range),
 * never a link to a build's output: its ctime changes with any change to
 * it, even one that puts the mtime back.
 *
 * The index, text, in archive order:
 *   hoist-pkgcache 2 <hoist version> zlib <version> libzip <version> libdeflate <version>
 *   zip <size> <mtime ns> <ctime ns> <inode> <sha256 hex> <sha256 base64> <entries>
 *   <mode octal> <size> <crc32 hex> f <mtime ns> <ctime ns> <inode> <device> <path>
 *   <mode octal> <size> <crc32 hex> g <sha256 hex of the content> <path>
 * (one line per entry: f for a file on disk, g for generated content — the
 * handler templates and settings — and the archive path %-escaped).
 *
 * Never trusted blindly.  The cache is ignored (and rebuilt by this build)
 * when its first line is not this hoist's, zlib's, libzip's and libdeflate's
 * (their bytes would differ from a cold build; libdeflate's version is the
 * one built against, as the library reports none at run time), when
 * package.zip's stat is not the one recorded, or when a line cannot be read.  An entry is copied only when its
 * path, mode, size and key match, when the file did not change at or after
 * the index was written (mtime and ctime older than the index: git's "racy"
 * rule, so a change within the clock's granularity is not missed), and when
 * the zip's own directory agrees on its name, size and CRC.
 *
 * `output` (hoist package only): the stat (device, inode, size, mtime, ctime)
 * of the file it last renamed into place and the SHA-256 it holds; the same
 * package again leaves a file with exactly that stat as it is, as it trusts
 * package.zip — anything written to, touched, replaced or renamed over since
 * has another ctime or inode.
 */
#include "pkg.h"

#include "digest.h"
#include "err.h"
#include "interrupt.h"
#include "log.h"
#include "path.h"
#include "stage.h"
#include "str.h"

#include <errno.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#define FORMAT 2   /* 1: zlib only, before libdeflate compressed small files */
#define ZIP_NAME "package.zip"
#define INDEX_NAME "index"

struct pkg_cache {
	char *zip;                 /* its package.zip */
	zip_t *za;                 /* opened when entries are copied from it */
	char hex[65], b64[45];
	unsigned long long size;
};

/* ---- where, and what made it ------------------------------------------------ */

char *pkg_cache_dir(const struct stage *st)
{
	char *base = path_cache_dir(), hex[65], *dir;

	digest_sha256_hex(st->project_dir, strlen(st->project_dir), hex);
	dir = xasprintf("%s/%s-%.16s", base, st->function_name, hex);
	free(base);
	return dir;
}

static char *first_line(void)
{
	return xasprintf("hoist-pkgcache %d %s zlib %s libzip %s libdeflate %s", FORMAT,
			 HOIST_VERSION, zlibVersion(), zip_libzip_version(),
			 LIBDEFLATE_VERSION_STRING);
}

static long long ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/*
 * The index has a line per entry, thousands of them: each is put together
 * here by hand and written at once (stdio's formatting and a locked fputc
 * per character cost a tenth of a warm package).
 */
static void add_num(struct sbuf *b, long long sv, unsigned long long v, unsigned base)
{
	char d[24];
	int n = (int)sizeof(d);

	if (sv < 0) {
		sbuf_addc(b, '-');
		v = 0ULL - (unsigned long long)sv;
	}
	do {
		d[--n] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	sbuf_add(b, d + n, sizeof(d) - (size_t)n);
}

#define ADD_U(b, v, base) add_num((b), 0, (unsigned long long)(v), (base))
#define ADD_S(b, v) add_num((b), (long long)(v), (unsigned long long)(v), 10)

/* How an entry is written in its line: f <stamp> for a file, g <sha256> for generated content. */
static void key_into(struct sbuf *b, const struct pkg_entry *en)
{
	char hex[65];

	if (!en->src) {
		digest_sha256_hex(en->data, (size_t)en->size, hex);
		sbuf_adds(b, "g ");
		sbuf_adds(b, hex);
		return;
	}
	sbuf_adds(b, "f ");
	ADD_S(b, en->stamp.mtime_ns);
	sbuf_addc(b, ' ');
	ADD_S(b, en->stamp.ctime_ns);
	sbuf_addc(b, ' ');
	ADD_U(b, en->stamp.ino, 10);
	sbuf_addc(b, ' ');
	ADD_U(b, en->stamp.dev, 10);
}

/* ---- archive paths in a line ------------------------------------------------ */

static void escape_into(struct sbuf *b, const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	const char *run = s;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x21 || c == '%' || c == 0x7f) {
			char esc[3] = { '%', hexd[c >> 4], hexd[c & 15] };

			sbuf_add(b, run, (size_t)(s - run));
			sbuf_add(b, esc, sizeof(esc));
			run = s + 1;
		}
	}
	sbuf_add(b, run, (size_t)(s - run));
}

/* Decode in place; false when malformed. */
static bool unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		unsigned v;

		if (*s != '%') {
			*w++ = *s;
			continue;
		}
		if (sscanf(s + 1, "%2X", &v) != 1 || !s[1] || !s[2])
			return false;
		*w++ = (char)v;
		s += 2;
	}
	*w = '\0';
	return true;
}

/* ---- reading -------------------------------------------------------------------- */

struct line {
	unsigned mode;
	unsigned long long size;
	unsigned long crc;
	bool generated;
	struct pkg_stamp stamp;    /* f */
	char sha[65];              /* g */
	char *arc;                 /* into the line buffer */
};

/* The next space-separated number of *p in `base`; false when there is none. */
static bool number(char **p, int base, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(*p, &end, base);
	if (end == *p || *end != ' ' || errno)
		return false;
	*p = end + 1;
	return true;
}

static bool parse_line(char *buf, struct line *ln)
{
	unsigned long long mode, crc, mt, ct;
	size_t n = strlen(buf);
	char *p = buf;

	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (!number(&p, 8, &mode) || !number(&p, 10, &ln->size) || !number(&p, 16, &crc) ||
	    (p[0] != 'f' && p[0] != 'g') || p[1] != ' ')
		return false;
	ln->mode = (unsigned)mode;
	ln->crc = (unsigned long)crc;
	ln->generated = p[0] == 'g';
	p += 2;
	if (ln->generated) {
		if (strlen(p) < 66 || p[64] != ' ')
			return false;
		memcpy(ln->sha, p, 64);
		ln->sha[64] = '\0';
		p += 65;
	} else if (!number(&p, 10, &mt) || !number(&p, 10, &ct) ||
		   !number(&p, 10, &ln->stamp.ino) || !number(&p, 10, &ln->stamp.dev)) {
		return false;
	} else {
		ln->stamp.mtime_ns = (long long)mt;
		ln->stamp.ctime_ns = (long long)ct;
	}
	ln->arc = p;
	return *p && unescape(ln->arc);
}

/* Is the entry what the line describes, and old enough to be sure of (not "racy")? */
static bool line_matches(const struct line *ln, const struct pkg_entry *en, long long limit)
{
	char hex[65];

	if (ln->mode != en->mode || ln->size != en->size || ln->generated != !en->src)
		return false;
	if (ln->generated) {
		digest_sha256_hex(en->data, (size_t)en->size, hex);
		return !strcmp(hex, ln->sha);
	}
	return ln->stamp.mtime_ns == en->stamp.mtime_ns && ln->stamp.ctime_ns == en->stamp.ctime_ns &&
	       ln->stamp.ino == en->stamp.ino && ln->stamp.dev == en->stamp.dev &&
	       en->stamp.mtime_ns < limit && en->stamp.ctime_ns < limit;
}

/* Read the two header lines; false (and why) when the cache is not usable. */
static bool read_header(FILE *f, struct pkg_cache *c, unsigned long long *count, char **buf,
			size_t *cap, const char **why)
{
	char *want = first_line();
	unsigned long long zsize, zino;
	long long zmtime, zctime;
	struct stat zst;
	bool ok = false;

	if (getline(buf, cap, f) < 0 || strncmp(*buf, want, strlen(want)) ||
	    (*buf)[strlen(want)] != '\n')
		*why = "made by another version of hoist, zlib, libzip or libdeflate";
	else if (getline(buf, cap, f) < 0 ||
		 sscanf(*buf, "zip %llu %lld %lld %llu %64s %44s %llu", &zsize, &zmtime, &zctime,
			&zino, c->hex, c->b64, count) != 7 || strlen(c->hex) != 64)
		*why = "its index is damaged";
	else if (stat(c->zip, &zst) != 0 || (unsigned long long)zst.st_size != zsize ||
		 ns(&zst.st_mtim) != zmtime || ns(&zst.st_ctim) != zctime ||
		 (unsigned long long)zst.st_ino != zino)
		*why = "its zip is missing or was changed";
	else
		ok = true;
	c->size = zsize;
	free(want);
	return ok;
}

/*
 * Walk the index lines and the list side by side (both in archive order):
 * idx[i] = the entry's number in the zip when it can be copied, crc[i] its
 * CRC per the index.  False when a line is damaged.
 */
static bool match_entries(FILE *f, unsigned long long count, long long stamp_limit,
			  const struct pkg_list *l, long long *idx, unsigned long *crc,
			  size_t *reused, char **buf, size_t *cap)
{
	size_t i = 0;

	*reused = 0;
	for (unsigned long long k = 0; k < count; k++) {
		struct line ln;
		int cmp = 1;

		if (getline(buf, cap, f) < 0 || !parse_line(*buf, &ln))
			return false;
		while (i < l->n && (cmp = strcmp(l->v[i].arc, ln.arc)) < 0)
			i++;
		if (i == l->n || cmp != 0)
			continue;
		if (line_matches(&ln, &l->v[i], stamp_limit)) {
			idx[i] = (long long)k;
			crc[i] = ln.crc;
			++*reused;
		}
		i++;
	}
	return getline(buf, cap, f) < 0;   /* nothing after the last entry */
}

/* The zip's own directory must agree with the index on every entry copied from it. */
static size_t check_zip(zip_t *za, const struct pkg_list *l, long long *idx,
			const unsigned long *crc)
{
	size_t bad = 0;

	for (size_t i = 0; i < l->n; i++) {
		zip_stat_t st;

		if (idx[i] < 0)
			continue;
		if (zip_stat_index(za, (zip_uint64_t)idx[i], 0, &st) != 0 || !st.name ||
		    strcmp(st.name, l->v[i].arc) || st.size != l->v[i].size || st.crc != crc[i]) {
			idx[i] = -1;
			bad++;
		}
	}
	return bad;
}

int pkg_cache_open(const char *dir, const struct pkg_list *l, struct pkg_cache **out,
		   struct pkg_reuse *reuse, bool *same, char hex[65], char b64[45],
		   unsigned long long *size)
{
	char *index = path_join(dir, INDEX_NAME), *buf = NULL;
	struct pkg_cache *c = xcalloc(1, sizeof(*c));
	long long *idx = xmalloc((l->n ? l->n : 1) * sizeof(*idx));
	unsigned long *crc = xmalloc((l->n ? l->n : 1) * sizeof(*crc));
	unsigned long long count = 0;
	const char *why = NULL;
	size_t cap = 0, reused = 0;
	struct stat ist;
	FILE *f = fopen(index, "r");

	*out = NULL;
	*same = false;
	reuse->from = NULL;
	reuse->index = idx;
	for (size_t i = 0; i < l->n; i++)
		idx[i] = -1;
	c->zip = path_join(dir, ZIP_NAME);
	if (!f || fstat(fileno(f), &ist) != 0)
		goto out;   /* no cache yet */
	if (!read_header(f, c, &count, &buf, &cap, &why))
		goto out;
	if (!match_entries(f, count, ns(&ist.st_mtim), l, idx, crc, &reused, &buf, &cap)) {
		why = "its index is damaged";
		goto out;
	}
	if (reused == l->n && count == l->n) {   /* the same zip: nothing to read */
		*same = true;
		memcpy(hex, c->hex, 65);
		memcpy(b64, c->b64, 45);
		*size = c->size;
	} else if (reused) {
		c->za = pkg_zipin_open(c->zip);
		if (!c->za || (unsigned long long)zip_get_num_entries(c->za, 0) != count) {
			why = "its zip cannot be read";
			goto out;
		}
		if (check_zip(c->za, l, idx, crc))
			out_info("package cache %s: some entries disagree with its zip; "
				 "compressing them afresh", dir);
		reuse->from = c->za;
	}
	out_info("package cache: %zu of %zu files unchanged%s", reused, l->n,
		 *same ? ", the same archive" : "");
	*out = c;
	c = NULL;
out:
	if (why)
		out_info("package cache %s not used: %s; building afresh", dir, why);
	if (c) {
		for (size_t i = 0; i < l->n; i++)
			idx[i] = -1;
		pkg_cache_close(c, NULL);
	}
	if (f)
		fclose(f);
	free(crc);
	free(buf);
	free(index);
	return HOIST_OK;
}

int pkg_cache_copy(const struct pkg_cache *c, const char *path, struct herr *e)
{
	return path_copy(c->zip, path, 0644, e);
}

/* ---- `hoist package`'s output ------------------------------------------------------ */

#define OUTPUT_NAME "output"

/* The line that says `st` is a copy of the zip with SHA-256 `hex` (allocated). */
static char *output_line(const struct stat *st, const char *hex)
{
	return xasprintf("hoist-output 1 %llu %llu %lld %lld %lld %s\n",
			 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
			 (long long)st->st_size, ns(&st->st_mtim), ns(&st->st_ctim), hex);
}

bool pkg_cache_output_is(const char *dir, const char *path, const char hex[65])
{
	char *record = path_join(dir, OUTPUT_NAME), *want = NULL, got[256];
	struct stat st;
	bool same = false;
	FILE *f;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (f = fopen(record, "r"))) {
		want = output_line(&st, hex);
		same = fgets(got, sizeof(got), f) && !strcmp(got, want);
		fclose(f);
	}
	free(want);
	free(record);
	return same;
}

void pkg_cache_mark_output(const char *dir, const char *path, const char hex[65])
{
	char *record = path_join(dir, OUTPUT_NAME), *line = NULL;
	struct herr e = { 0 };
	struct stat st;

	if (stat(path, &st) == 0) {
		line = output_line(&st, hex);
		if (path_write_scratch(record, line, strlen(line), &e))
			out_debug("package cache: %s", e.msg);
	}
	free(line);
	free(record);
}

void pkg_cache_close(struct pkg_cache *c, struct pkg_reuse *reuse)
{
	if (reuse) {
		free((void *)reuse->index);
		reuse->index = NULL;
		reuse->from = NULL;
	}
	if (!c)
		return;
	if (c->za)
		zip_discard(c->za);
	free(c->zip);
	free(c);
}

/* ---- writing ------------------------------------------------------------------------ */

/* <cache>/hoist/<stage dir>: the two of hoist's own are 0700. */
static int mkdir_private(const char *d, struct herr *e)
{
	char *parent = path_dir(d), *top = path_dir(parent);
	int rc = path_mkdirs(top, e);

	if (!rc && mkdir(parent, 0700) != 0 && errno != EEXIST)
		rc = herr_set(e, HOIST_FAIL, "cannot create %s: %s", parent, strerror(errno));
	if (!rc && mkdir(d, 0700) != 0 && errno != EEXIST)
		rc = herr_set(e, HOIST_FAIL, "cannot create %s: %s", d, strerror(errno));
	free(top);
	free(parent);
	return rc;
}

static int write_index(const char *path, const char *zip, const struct pkg_list *l,
		       const char hex[65], const long long *crcs, struct herr *e)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid()), *line1 = first_line();
	unsigned char md[64];
	char b64[45];
	zip_t *za = NULL;
	struct stat zst;
	FILE *f = NULL;
	struct sbuf line = { 0 };
	int err = 0, rc = HOIST_OK;

	for (size_t i = 0; i < l->n && !za; i++)   /* a CRC only the archive knows */
		if (crcs[i] < 0 && !(za = zip_open(zip, ZIP_RDONLY, &err)))
			break;
	if (stat(zip, &zst) != 0 || (za && (size_t)zip_get_num_entries(za, 0) != l->n) ||
	    (!za && err)) {
		rc = herr_set(e, HOIST_FAIL, "cannot read %s back", zip);
		goto out;
	}
	for (int i = 0; i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &md[i]);
	EVP_EncodeBlock((unsigned char *)b64, md, 32);
	intr_temp_add(tmp);
	if (!(f = fopen(tmp, "w"))) {
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fchmod(fileno(f), 0600);
	fprintf(f, "%s\nzip %llu %lld %lld %llu %s %s %zu\n", line1,
		(unsigned long long)zst.st_size, ns(&zst.st_mtim), ns(&zst.st_ctim),
		(unsigned long long)zst.st_ino, hex, b64, l->n);
	sbuf_init(&line);
	for (size_t i = 0; i < l->n; i++) {
		zip_stat_t st;

		st.crc = (zip_uint32_t)crcs[i];
		if (crcs[i] < 0 && (zip_stat_index(za, i, 0, &st) != 0 ||
				    strcmp(st.name, l->v[i].arc))) {
			rc = herr_set(e, HOIST_FAIL, "%s does not hold %s as entry %zu", zip,
				      l->v[i].arc, i);
			goto out;
		}
		sbuf_reset(&line);
		ADD_U(&line, l->v[i].mode, 8);   /* "%o %llu %lx <key> <arc>\n" */
		sbuf_addc(&line, ' ');
		ADD_U(&line, l->v[i].size, 10);
		sbuf_addc(&line, ' ');
		ADD_U(&line, st.crc, 16);
		sbuf_addc(&line, ' ');
		key_into(&line, &l->v[i]);
		sbuf_addc(&line, ' ');
		escape_into(&line, l->v[i].arc);
		sbuf_addc(&line, '\n');
		fwrite(line.s, 1, line.len, f);
	}
	if (fflush(f) != 0 || ferror(f))
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", tmp, strerror(errno));
	if (fclose(f) != 0 && !rc)
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", tmp, strerror(errno));
	f = NULL;
	if (!rc && rename(tmp, path) != 0)
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", path, strerror(errno));
out:
	sbuf_free(&line);
	if (f)
		fclose(f);
	if (rc)
		unlink(tmp);
	intr_temp_forget(tmp);
	if (za)
		zip_discard(za);
	free(line1);
	free(tmp);
	return rc;
}

void pkg_cache_store(const char *dir, const char *zip, const struct pkg_list *l,
		     const char hex[65], const long long *crcs)
{
	char *cz = path_join(dir, ZIP_NAME), *index = path_join(dir, INDEX_NAME);
	struct herr e = { 0 };

	/* the zip first: an index never describes a zip it was not written for */
	if (mkdir_private(dir, &e) || path_copy(zip, cz, 0600, &e) ||
	    write_index(index, cz, l, hex, crcs, &e)) {
		out_warn("could not update the package cache: %s", e.msg);
		unlink(index);
	}
	free(index);
	free(cz);
}
