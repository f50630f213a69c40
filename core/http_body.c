/*
 * http_body.c — bodies streamed from a file (see http_body.h): building one
 * from a JSON document or a file range, its SHA-256 in one streaming pass,
 * and the reader http.c's libcurl read callback pulls from (prefix, the
 * file's range read 48 KiB at a time and base64'd on the way, suffix).
 */
#include "http_body.h"

#include "digest.h"
#include "err.h"
#include "str.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MARK "\0hoist:body-file\0"
#define MARK_LEN (sizeof(MARK) - 1)
/* How the mark reads in compact JSON output (jansson escapes NUL as \u0000). */
#define MARK_JSON "\"\\u0000hoist:body-file\\u0000\""

json_t *http_body_mark(void)
{
	return json_stringn(MARK, MARK_LEN);
}

static unsigned long long b64_len(unsigned long long n)
{
	return (n + 2) / 3 * 4;
}

static void set_size(struct http_body *b)
{
	b->size = b->prefix_len + b->suffix_len + (b->base64 ? b64_len(b->length) : b->length);
}

static int file_size(const char *file, unsigned long long *size, struct herr *e)
{
	struct stat sb;

	if (stat(file, &sb) != 0)
		return herr_set(e, HOIST_USAGE, "cannot read %s: %s", file, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return herr_set(e, HOIST_USAGE, "cannot read %s: not a regular file", file);
	*size = (unsigned long long)sb.st_size;
	return HOIST_OK;
}

int http_body_json(struct http_body *b, const json_t *doc, const char *file, struct herr *e)
{
	char *text;
	const char *at;
	int rc;

	memset(b, 0, sizeof(*b));
	text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		return herr_set(e, HOIST_FAIL, "cannot encode the request body for %s", file);
	at = strstr(text, MARK_JSON);
	if (!at || strstr(at + 1, MARK_JSON)) {
		free(text);
		return herr_set(e, HOIST_FAIL, "request body for %s: the file's place must be "
				"marked exactly once (http_body_mark)", file);
	}
	if ((rc = file_size(file, &b->file_size, e)) != HOIST_OK) {
		free(text);
		return rc;
	}
	b->length = b->file_size;
	b->prefix_len = (size_t)(at - text) + 1;               /* up to the opening quote */
	b->prefix = xmalloc(b->prefix_len + 1);
	memcpy(b->prefix, text, b->prefix_len);
	b->prefix[b->prefix_len] = '\0';
	b->suffix = xstrdup(at + strlen(MARK_JSON) - 1);       /* from the closing quote */
	b->suffix_len = strlen(b->suffix);
	b->file = xstrdup(file);
	b->base64 = true;
	set_size(b);
	free(text);
	return HOIST_OK;
}

int http_body_file(struct http_body *b, const char *file, unsigned long long offset,
		   unsigned long long length, struct herr *e)
{
	unsigned long long have;
	int rc;

	memset(b, 0, sizeof(*b));
	if ((rc = file_size(file, &have, e)) != HOIST_OK)
		return rc;
	if (!length && offset <= have)
		length = have - offset;
	if (offset > have || length > have - offset)
		return herr_set(e, HOIST_USAGE, "%s is %llu bytes: shorter than the %llu bytes at "
				"offset %llu to send", file, have, length, offset);
	b->file_size = have;
	b->prefix = xstrdup("");
	b->suffix = xstrdup("");
	b->file = xstrdup(file);
	b->offset = offset;
	b->length = length;
	set_size(b);
	return HOIST_OK;
}

int http_body_sha256_known(struct http_body *b, const char *hex, struct herr *e)
{
	unsigned char sum[32];

	if (!b->file || b->base64 || b->prefix_len || b->suffix_len || b->offset ||
	    b->length != b->file_size)
		return herr_set(e, HOIST_FAIL, "internal: a known SHA-256 is for a whole file only");
	for (int i = 0; i < 32; i++) {
		unsigned int v;

		if (!isxdigit((unsigned char)hex[2 * i]) ||
		    !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1)
			return herr_set(e, HOIST_FAIL, "internal: '%s' is not a SHA-256", hex);
		sum[i] = (unsigned char)v;
	}
	if (hex[64])
		return herr_set(e, HOIST_FAIL, "internal: '%s' is not a SHA-256", hex);
	memcpy(b->sha256, sum, sizeof(sum));
	digest_hex(sum, sizeof(sum), b->sha256_hex, false);
	b->hashed = true;
	return HOIST_OK;
}

void http_body_free(struct http_body *b)
{
	free(b->prefix);
	free(b->suffix);
	free(b->file);
	memset(b, 0, sizeof(*b));
}

/* ---- reading --------------------------------------------------------------- */

static int changed(const struct http_body *b, struct herr *e)
{
	herr_set(e, HOIST_FAIL, "%s changed while it was being sent", b->file);
	herr_hint(e, "run the command again");
	return -1;
}

int http_body_open(struct http_body_reader *r, const struct http_body *b, struct herr *e)
{
	struct stat sb;
	FILE *f = NULL;

	memset(r, 0, sizeof(*r));
	r->b = b;
	if (!b->file)
		return HOIST_OK;
	f = fopen(b->file, "rb");
	if (!f || fstat(fileno(f), &sb) != 0 || fseeko(f, (off_t)b->offset, SEEK_SET) != 0) {
		herr_set(e, HOIST_FAIL, "cannot read %s: %s", b->file, strerror(errno));
		if (f)
			fclose(f);
		return HOIST_FAIL;
	}
	r->f = f;
	if ((unsigned long long)sb.st_size != b->file_size) {
		http_body_close(r);
		changed(b, e);
		return HOIST_FAIL;
	}
	return HOIST_OK;
}

void http_body_close(struct http_body_reader *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
}

/* Read exactly n bytes of the range (fewer only at its end); -1 on error. */
static long long read_range(struct http_body_reader *r, unsigned char *buf, size_t n,
			    struct herr *e)
{
	const struct http_body *b = r->b;
	size_t got = 0, k;

	if (n > b->length - r->in_done)
		n = (size_t)(b->length - r->in_done);
	while (got < n) {
		k = fread(buf + got, 1, n - got, r->f);
		if (k == 0) {
			if (ferror(r->f)) {
				herr_set(e, HOIST_FAIL, "cannot read %s: %s", b->file,
					 strerror(errno));
				return -1;
			}
			return changed(b, e);   /* shorter than when it was measured */
		}
		got += k;
	}
	r->in_done += got;
	return (long long)got;
}

/* The next encoded bytes of the file part into r->enc. */
static int refill(struct http_body_reader *r, struct herr *e)
{
	unsigned char raw[HTTP_BODY_CHUNK];
	long long n = read_range(r, raw, sizeof(raw), e);

	if (n < 0)
		return -1;
	r->enc_off = 0;
	r->enc_len = n ? (size_t)EVP_EncodeBlock(r->enc, raw, (int)n) : 0;
	return 0;
}

static size_t from_mem(const char *s, size_t len, unsigned long long at, char *out, size_t want)
{
	size_t n = len - (size_t)at;

	if (n > want)
		n = want;
	memcpy(out, s + at, n);
	return n;
}

long long http_body_read(struct http_body_reader *r, void *buf, size_t want, struct herr *e)
{
	const struct http_body *b = r->b;
	unsigned long long file_end = b->size - b->suffix_len;
	char *out = buf;
	size_t done = 0;

	while (done < want && r->pos < b->size) {
		size_t n;

		if (r->pos < b->prefix_len) {
			n = from_mem(b->prefix, b->prefix_len, r->pos, out + done, want - done);
		} else if (r->pos < file_end && !b->base64) {
			long long k = read_range(r, (unsigned char *)out + done, want - done, e);

			if (k <= 0)
				return k < 0 ? -1 : changed(b, e);
			n = (size_t)k;
		} else if (r->pos < file_end) {
			if (r->enc_off == r->enc_len && refill(r, e) < 0)
				return -1;
			if (r->enc_len == 0)
				return changed(b, e);
			n = r->enc_len - r->enc_off;
			if (n > want - done)
				n = want - done;
			memcpy(out + done, r->enc + r->enc_off, n);
			r->enc_off += n;
		} else {
			n = from_mem(b->suffix, b->suffix_len, r->pos - file_end, out + done,
				     want - done);
		}
		done += n;
		r->pos += n;
	}
	/* At the end of the range, the file must end there too if it is the whole file. */
	if (r->pos == b->size && b->file && r->in_done != b->length)
		return changed(b, e);
	return (long long)done;
}

int http_body_sha256(struct http_body *b, struct herr *e)
{
	struct http_body_reader *r;
	unsigned char *buf;
	EVP_MD_CTX *c;
	long long n;
	int rc;

	if (b->hashed)
		return HOIST_OK;
	r = xmalloc(sizeof(*r));
	if ((rc = http_body_open(r, b, e)) != HOIST_OK) {
		free(r);
		return rc;
	}
	buf = xmalloc(HTTP_BODY_CHUNK / 3 * 4);
	c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	while ((n = http_body_read(r, buf, HTTP_BODY_CHUNK / 3 * 4, e)) > 0)
		EVP_DigestUpdate(c, buf, (size_t)n);
	EVP_DigestFinal_ex(c, b->sha256, NULL);
	EVP_MD_CTX_free(c);
	http_body_close(r);
	free(buf);
	free(r);
	if (n < 0)
		return HOIST_FAIL;
	for (int i = 0; i < 32; i++)
		snprintf(b->sha256_hex + 2 * i, 3, "%02x", b->sha256[i]);
	b->hashed = true;
	return HOIST_OK;
}
