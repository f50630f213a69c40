/*
 * digest.h — the hash, HMAC, hex and base64 primitives request signers
 * share (Alibaba ACS3/OSS4/SLS, Tencent TC3 and COS; any other cloud's signer
 * may use them), and the SHA-256 of a file (a package's code hash).
 * All are thin wrappers over OpenSSL.
 */
#ifndef HOIST_DIGEST_H
#define HOIST_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

struct herr;

/* Lower-case (or upper-case) hex of n bytes into hex[2n+1]. */
void digest_hex(const unsigned char *d, size_t n, char *hex, bool upper);

/* SHA-256 of data as lower-case hex into hex[65]. */
void digest_sha256_hex(const void *data, size_t len, char hex[65]);

/*
 * SHA-256 of the file `path` in one streaming pass: hex[65], base64[45]
 * (the form Lambda reports as CodeSha256) and, when `size` is not NULL, its
 * size.  HOIST_FAIL when it cannot be read.
 */
int digest_sha256_file(const char *path, char hex[65], char b64[45], unsigned long long *size,
		       struct herr *e);

/*
 * SHA-256 fed in pieces (bytes as they are written): begin (NULL when
 * OpenSSL has no SHA-256), add, then end, which frees it and, when `hex`
 * is not NULL, gives hex[65] and b64[45] as digest_sha256_file does; end
 * with hex NULL (or d NULL) only frees.
 */
struct digest_sha256;
struct digest_sha256 *digest_sha256_begin(void);
void digest_sha256_add(struct digest_sha256 *d, const void *data, size_t len);
void digest_sha256_end(struct digest_sha256 *d, char hex[65], char b64[45]);

/* SHA-1 of data as lower-case hex into hex[41] (COS signatures). */
void digest_sha1_hex(const void *data, size_t len, char hex[41]);

/* HMAC-SHA1(key, msg) as lower-case hex into hex[41] (COS signatures). */
void digest_hmac_sha1_hex(const void *key, size_t klen, const void *msg, size_t mlen,
			  char hex[41]);

/* MD5 of data into md[16]. */
void digest_md5(const void *data, size_t len, unsigned char md[16]);

/* HMAC-SHA256(key, msg) into out[32]. */
void digest_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
			unsigned char out[32]);

/* Standard base64 (with padding) of data; allocates. */
char *digest_base64(const void *data, size_t len);

/*
 * Percent-encoding as RFC 3986 wants it: unreserved characters
 * (A-Z a-z 0-9 - _ . ~) kept, everything else %XX (upper-case hex); '/'
 * kept when keep_slash.  This is encodeURIComponent plus !'()* — what
 * Alibaba's and AWS's signers call "percent encode".  Allocates.
 */
char *digest_pct_encode(const char *s, size_t len, bool keep_slash);

/* %XX decoded (and '+' as a space when plus_space, as in a query); allocates. */
char *digest_pct_decode(const char *s, size_t len, bool plus_space);

#endif
