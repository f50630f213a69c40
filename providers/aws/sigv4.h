/*
 * sigv4.h — AWS Signature Version 4 (header-based, AWS4-HMAC-SHA256).
 *
 * One function signs one request: it derives the canonical request, the
 * string to sign and the signature, and hands back the headers the request
 * must carry (Authorization, X-Amz-Date, and where needed
 * X-Amz-Content-SHA256 and X-Amz-Security-Token).  The clock is an input so
 * the published test vectors (SPEC §6, tests/unit/test_sigv4.c) pin it.
 *
 * Two flavours of canonical URI:
 *   - every service but S3: the wire path is normalised (dot segments and
 *     doubled slashes removed) and URI-encoded once more ("double encoding",
 *     since the wire path is already encoded once);
 *   - S3 (`s3 = true`): the wire path is used as sent (single encoding), and
 *     the payload hash travels in X-Amz-Content-SHA256, which is signed.
 *
 * The query string is taken as sent (callers build it with sigv4_uri_encode)
 * and its pairs are sorted by key, then value.
 */
#ifndef HOIST_SIGV4_H
#define HOIST_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

struct cloud_creds;

struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_req {
	const char *method;          /* "GET", "POST", … */
	const char *host;            /* Host header value: "host" or "host:port" */
	const char *path;            /* wire path as sent ("/", "/2015-03-31/functions/x") */
	const char *query;           /* wire query without "?", or NULL */
	const struct sigv4_header *headers;  /* extra headers to sign (content-type, range…) */
	size_t n_headers;
	const void *body;            /* body bytes (hashed unless payload_hash is set) */
	size_t body_len;
	const char *payload_hash;    /* hex SHA-256 or SIGV4_UNSIGNED_PAYLOAD; NULL: hash body */
	const char *region;          /* "us-east-1" */
	const char *service;         /* signing name: "lambda", "s3", "apigateway", "iam"… */
	time_t now;                  /* signing time (UTC epoch seconds) */
	bool s3;                     /* S3 rules (no normalisation, single encoding) */
};

struct sigv4_out {
	char amz_date[17];           /* X-Amz-Date: 20150830T123600Z */
	char payload_hash[65];       /* hex or UNSIGNED-PAYLOAD */
	bool send_payload_hash;      /* send X-Amz-Content-SHA256: payload_hash */
	char signature[65];          /* hex */
	char *authorization;         /* Authorization header value; allocated */
	char *canonical_request;     /* for -vv traces and tests; allocated */
	char *string_to_sign;        /* allocated */
};

/*
 * Sign `r` with `c`.  Returns 0, or -1 when the request is unusable (no
 * method/host/region/service or no credentials).  Free `out` with
 * sigv4_out_free.  The caller sends X-Amz-Date: out->amz_date,
 * X-Amz-Content-SHA256 when out->send_payload_hash, and
 * X-Amz-Security-Token when c->token is set.
 */
int sigv4_sign(const struct sigv4_req *r, const struct cloud_creds *c, struct sigv4_out *out);
void sigv4_out_free(struct sigv4_out *out);

/*
 * AWS URI encoding (RFC 3986 unreserved characters kept, everything else
 * %XX upper-case, space as %20); '/' kept when keep_slash.  Allocates.
 */
char *sigv4_uri_encode(const char *s, size_t len, bool keep_slash);

/* Lower-case hex SHA-256 of `data` into hex[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
