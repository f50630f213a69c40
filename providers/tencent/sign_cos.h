/*
 * sign_cos.h — the COS request signature (q-sign-algorithm=sha1), as
 * cos-nodejs-sdk-v5's getAuth computes it (the fake COS judges hoist's
 * uploads with that function; tests/unit/test_tc3.c pins vectors from it):
 *
 *   KeyTime      = "<start>;<end>"                    (epoch seconds)
 *   SignKey      = hex(HMAC-SHA1(SecretKey, KeyTime))
 *   HttpString   = lower(method) \n /<key> \n params \n headers \n
 *                  params/headers: lower(enc(name))=enc(value), sorted, '&'-joined;
 *                  the headers signed are host, content-type, content-length,
 *                  content-md5 … (getAuth's list) and every x-cos-* one
 *   StringToSign = "sha1" \n KeyTime \n hex(SHA1(HttpString)) \n
 *   Signature    = hex(HMAC-SHA1(SignKey, StringToSign))
 *   Authorization: q-sign-algorithm=sha1&q-ak=<id>&q-sign-time=<KeyTime>&
 *                  q-key-time=<KeyTime>&q-header-list=<names;>&
 *                  q-url-param-list=<names;>&q-signature=<hex>
 *
 * enc() is encodeURIComponent plus !'()* (RFC 3986 unreserved kept:
 * digest_pct_encode).  The
 * key in HttpString is the object key as is (not percent-encoded).
 */
#ifndef HOIST_TENCENT_SIGN_COS_H
#define HOIST_TENCENT_SIGN_COS_H

#include <stddef.h>
#include <time.h>

struct cos_pair {
	const char *name;
	const char *value;
};

struct cos_sign_req {
	const char *method;              /* "PUT", "GET", "HEAD", "DELETE" */
	const char *key;                 /* object key without the leading '/', "" for the bucket */
	const struct cos_pair *params;   /* query parameters (decoded) */
	size_t n_params;
	const struct cos_pair *headers;  /* headers sent; the signable ones are signed */
	size_t n_headers;
	time_t start, end;               /* KeyTime */
};

/* The Authorization header's value; allocated. */
char *cos_authorization(const struct cos_sign_req *r, const char *secret_id,
			const char *secret_key);

#endif
