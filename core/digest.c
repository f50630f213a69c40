/*
 * digest.c — hex, SHA-256, SHA-1, MD5, HMAC-SHA256/SHA1, base64 and RFC 3986
 * percent-encoding for request signers, and SHA-256 streamed (a file's, or
 * bytes as they are written: see digest.h).
 */
#include "digest.h"

#include "err.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void digest_hex(const unsigned char *d, size_t n, char *hex, bool upper)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = dig[d[i] >> 4];
		hex[2 * i + 1] = dig[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

void digest_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	digest_hex(md, 32, hex, false);
}

struct digest_sha256 {
	EVP_MD_CTX *ctx;
};

struct digest_sha256 *digest_sha256_begin(void)
{
	struct digest_sha256 *d = xcalloc(1, sizeof(*d));

	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(d->ctx);
		free(d);
		return NULL;
	}
	return d;
}

void digest_sha256_add(struct digest_sha256 *d, const void *data, size_t len)
{
	EVP_DigestUpdate(d->ctx, data, len);
}

void digest_sha256_end(struct digest_sha256 *d, char hex[65], char b64[45])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!d)
		return;
	if (hex) {
		EVP_DigestFinal_ex(d->ctx, md, &mdlen);
		digest_hex(md, mdlen, hex, false);
		EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	}
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int digest_sha256_file(const char *path, char hex[65], char b64[45], unsigned long long *size,
		       struct herr *e)
{
	unsigned char buf[65536];
	unsigned long long total = 0;
	struct digest_sha256 *d = NULL;
	int fd, rc = HOIST_OK;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return herr_set(e, HOIST_FAIL, "cannot read %s: %s", path, strerror(errno));
	if (!(d = digest_sha256_begin())) {
		rc = herr_set(e, HOIST_FAIL, "SHA-256 is not available from OpenSSL");
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		digest_sha256_add(d, buf, (size_t)n);
		total += (unsigned long long)n;
	}
	if (n < 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	digest_sha256_end(d, hex, b64);
	d = NULL;
	if (size)
		*size = total;
out:
	digest_sha256_end(d, NULL, NULL);
	close(fd);
	return rc;
}

void digest_sha1_hex(const void *data, size_t len, char hex[41])
{
	unsigned char md[20];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL);
	digest_hex(md, 20, hex, false);
}

void digest_hmac_sha1_hex(const void *key, size_t klen, const void *msg, size_t mlen,
			  char hex[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int olen = sizeof(md);

	HMAC(EVP_sha1(), key, (int)klen, msg, mlen, md, &olen);
	digest_hex(md, 20, hex, false);
}

void digest_md5(const void *data, size_t len, unsigned char md[16])
{
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL);
}

void digest_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
			unsigned char out[32])
{
	unsigned char tmp[EVP_MAX_MD_SIZE];
	unsigned int olen = sizeof(tmp);

	HMAC(EVP_sha256(), key, (int)klen, msg, mlen, tmp, &olen);
	memcpy(out, tmp, 32);
}

char *digest_base64(const void *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

char *digest_pct_encode(const char *s, size_t len, bool keep_slash)
{
	static const char dig[] = "0123456789ABCDEF";
	struct sbuf b;

	sbuf_init(&b);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			sbuf_addc(&b, (char)c);
		} else {
			char esc[3] = { '%', dig[c >> 4], dig[c & 15] };

			sbuf_add(&b, esc, 3);
		}
	}
	return sbuf_detach(&b);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *digest_pct_decode(const char *s, size_t len, bool plus_space)
{
	struct sbuf b;

	sbuf_init(&b);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			sbuf_addc(&b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else {
			sbuf_addc(&b, plus_space && s[i] == '+' ? ' ' : s[i]);
		}
	}
	return sbuf_detach(&b);
}
