/*
 * pkg_hash.c — SHA-256 of a file (OpenSSL EVP), as hex and as base64 (the
 * form Lambda reports as CodeSha256); the code hash that lets `update`
 * skip uploading an unchanged package.
 */
#include "pkg.h"

#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int pkg_sha256_file(const char *path, char hex[65], char b64[45], unsigned long long *size,
		    struct herr *e)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	unsigned long long total = 0;
	EVP_MD_CTX *ctx = NULL;
	int fd, rc = HOIST_OK;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return herr_set(e, HOIST_FAIL, "cannot read %s: %s", path, strerror(errno));
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = herr_set(e, HOIST_FAIL, "SHA-256 is not available from OpenSSL");
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += (unsigned long long)n;
	}
	if (n < 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	if (size)
		*size = total;
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}
