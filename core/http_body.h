/*
 * http_body.h — request bodies streamed from a file, never held in memory:
 *
 *     body = prefix + embed(file[offset, offset + length)) + suffix
 *
 * where embed is the bytes themselves or their base64.  Two shapes cover
 * every upload the clouds take:
 *
 *   - a JSON document with a file inside one string, base64'd (Lambda
 *     CreateFunction / UpdateFunctionCode {"Code": {"ZipFile": "…"}}, Alibaba
 *     FC {"code": {"zipFile": "…"}}, Tencent SCF {"Code": {"ZipFile": "…"}}):
 *     http_body_json();
 *   - a range of a file as is (S3 PutObject / UploadPart, OSS, COS):
 *     http_body_file().
 *
 * The length (Content-Length) is known up front from a stat; the SHA-256 of
 * the whole body, which SigV4, Alibaba ACS3 and Tencent TC3 all sign, comes
 * from one streaming pass over the file (http_body_sha256, computed once and
 * kept), or from the caller when it knows it (http_body_sha256_known).  http_do() sends the body through a libcurl read callback, reading
 * and encoding 48 KiB of the file at a time, so memory stays flat whatever
 * the file's size; every retry re-streams it from the start.  A file that
 * changes size between the hash and the send fails the request (HOIST_FAIL,
 * "… changed while it was being sent") instead of sending a body that does
 * not match its signature.
 *
 * How a provider uses it (UpdateFunctionCode, say):
 *
 *     json_t *doc = json_pack("{s:o, s:[s]}", "ZipFile", http_body_mark(),
 *                             "Architectures", "x86_64");
 *     struct http_body b;
 *     rc = http_body_json(&b, doc, zip_path, e);             // splits, stats
 *     if (!rc) rc = http_body_sha256(&b, e);                 // b.sha256_hex
 *     // sign with b.sha256_hex and Content-Length b.size, then:
 *     struct http_request rq = { .method = "PUT", .url = url, .stream = &b, … };
 *     rc = http_do(client, &rq, &rs, e);
 *     http_body_free(&b);
 *     json_decref(doc);
 *
 * A struct http_body owns its strings; it is read-only while a request uses
 * it (the per-attempt read state lives in http.c), so one body can be sent
 * by several requests in turn.
 */
#ifndef HOIST_HTTP_BODY_H
#define HOIST_HTTP_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct herr;

/* Bytes of the file read (and base64'd) per step: a multiple of 3. */
#define HTTP_BODY_CHUNK (48 * 1024)

struct http_body {
	char *prefix;                  /* sent before the file (may be empty) */
	size_t prefix_len;
	char *file;                    /* the file embedded */
	unsigned long long offset;     /* its range: [offset, offset + length) */
	unsigned long long length;
	bool base64;                   /* embed base64(range) rather than the bytes */
	char *suffix;                  /* sent after the file (may be empty) */
	size_t suffix_len;
	unsigned long long file_size;  /* the file's size when the body was made */
	unsigned long long size;       /* the whole body's length: Content-Length */
	bool hashed;                   /* sha256 below is set (http_body_sha256) */
	unsigned char sha256[32];      /* SHA-256 of the whole body… */
	char sha256_hex[65];           /* …and as lower-case hex */
};

/*
 * The placeholder to put in a JSON document where the file's base64 goes
 * (a new reference to a string no settings value can hold: it contains NUL).
 */
json_t *http_body_mark(void);

/*
 * Body = `doc` (compact JSON) with the one http_body_mark() string in it
 * replaced by the base64 of the whole of `file`.  HOIST_USAGE when the file
 * cannot be read (message names it), HOIST_FAIL when the mark is missing or
 * appears twice.
 */
int http_body_json(struct http_body *b, const json_t *doc, const char *file, struct herr *e);

/*
 * Body = bytes [offset, offset + length) of `file`, as they are; length 0
 * means "to the end of the file".  HOIST_USAGE when the file cannot be read
 * or is shorter than the range.
 */
int http_body_file(struct http_body *b, const char *file, unsigned long long offset,
		   unsigned long long length, struct herr *e);

/* Compute b->sha256 / b->sha256_hex in one streaming pass (once; later calls return at once). */
int http_body_sha256(struct http_body *b, struct herr *e);

/*
 * The body is the whole of a file whose SHA-256 (`hex`) the caller knows
 * already (hoist's package: hashed as it was written): take it, so
 * http_body_sha256 does not read the file again.  A file changed since is
 * still caught: by its size when sent, and by the service's own check of
 * the signed payload hash.  HOIST_FAIL (nothing set) when the body is not
 * exactly the file or `hex` is not 64 hex digits.
 */
int http_body_sha256_known(struct http_body *b, const char *hex, struct herr *e);

void http_body_free(struct http_body *b);

/*
 * Reading a body, one attempt at a time (http.c's read callback; also handy
 * for tests).  http_body_open positions at the start; http_body_read fills
 * up to `want` bytes of `buf` and returns how many (0 at the end), or -1 with
 * `e` set when the file cannot be read or has changed.
 */
struct http_body_reader {
	const struct http_body *b;
	void *f;                       /* FILE *, opened by http_body_open */
	unsigned long long pos;        /* bytes of the body handed out so far */
	unsigned long long in_done;    /* bytes of the range read from the file */
	unsigned char enc[HTTP_BODY_CHUNK / 3 * 4 + 1];   /* pending encoded bytes */
	size_t enc_off, enc_len;
};

int http_body_open(struct http_body_reader *r, const struct http_body *b, struct herr *e);
long long http_body_read(struct http_body_reader *r, void *buf, size_t want, struct herr *e);
void http_body_close(struct http_body_reader *r);

#endif
