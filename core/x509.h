/*
 * x509.h — keys, certificate requests and certificates with OpenSSL: load a
 * private key PEM (the ACME account key, `lets_encrypt_key`), generate a
 * certificate key, build a CSR for DNS names, issue certificates from a
 * local CA (self-signed root), parse and verify PEM chains, write key and
 * certificate files (keys with mode 0600), base64url.
 *
 * Reusable by every provider's certify: ACME (core/acme.c), imported PEM
 * files (AWS ACM, Alibaba certConfig, Tencent SSL) and the local provider's
 * self-signed CA.  Functions that return EVP_PKEY / X509 / STACK_OF(X509)
 * hand ownership to the caller (EVP_PKEY_free, X509_free,
 * sk_X509_pop_free(..., X509_free)).
 */
#ifndef HOIST_X509_H
#define HOIST_X509_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct herr;

enum x509_key_type {
	X509_KEY_RSA2048,    /* the default for certificates: every CDN/gateway takes it */
	X509_KEY_EC_P256,
};

/* ---- base64url (RFC 4648 §5, no padding) ---------------------------------- */

/* Encode; allocates. */
char *b64url_encode(const void *data, size_t len);
/* Decode (padding optional); allocates *out; false on bad input. */
bool b64url_decode(const char *s, unsigned char **out, size_t *len);

/* ---- keys ----------------------------------------------------------------- */

/*
 * Load a private key PEM: RSA (≥ 2048 bits) or EC P-256/P-384.  Errors name
 * the file; a missing file's error carries the openssl command that creates
 * one (`what` names the setting, e.g. "lets_encrypt_key"; NULL: "key").
 */
int x509_key_load(const char *path, const char *what, EVP_PKEY **out, struct herr *e);
/* The same from memory (`label` names the source in errors). */
int x509_key_parse(const char *pem, size_t len, const char *label, EVP_PKEY **out,
		   struct herr *e);
/* Generate a fresh key. */
int x509_key_generate(enum x509_key_type type, EVP_PKEY **out, struct herr *e);
/* The private key as PKCS#8 PEM; allocates (NULL on failure). */
char *x509_key_pem(EVP_PKEY *key);
/* Do the two keys have the same public half? */
bool x509_key_matches(EVP_PKEY *a, X509 *cert);

/* ---- certificate requests ------------------------------------------------- */

/*
 * A CSR signed with `key` (SHA-256): subjectAltName = every name (DNS),
 * CN = the first name when it fits (≤ 64 chars).  DER into *der (allocated
 * with OPENSSL_malloc: free with OPENSSL_free).
 */
int x509_csr_der(EVP_PKEY *key, const char *const *names, size_t n, unsigned char **der,
		 size_t *der_len, struct herr *e);

/* ---- certificates --------------------------------------------------------- */

/* Every certificate in a PEM text, in order; an error when there is none. */
int x509_chain_parse(const char *pem, size_t len, STACK_OF(X509) **out, struct herr *e);
/* One certificate as PEM; allocates (NULL on failure). */
char *x509_cert_pem(X509 *cert);
/* The DNS names of the certificate's subjectAltName; *names allocated (free each + array). */
size_t x509_cert_dns_names(X509 *cert, char ***names);
/* Does the certificate cover `name` (SAN, with one-label wildcards)? */
bool x509_cert_covers(X509 *cert, const char *name);

/*
 * Verify `chain_pem` (leaf first, then intermediates) against the trusted
 * roots in `roots_pem`; when `name` is not NULL the leaf must cover it.
 */
int x509_chain_verify(const char *chain_pem, const char *roots_pem, const char *name,
		      struct herr *e);

/*
 * A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign) with
 * subject CN `cn`, valid `days` days.
 */
int x509_ca_create(EVP_PKEY *key, const char *cn, int days, X509 **out, struct herr *e);
/*
 * A server certificate for `names` (SAN; CN = first name) with public key
 * `key`, signed by `ca`/`ca_key`, valid `days` days.
 */
int x509_cert_issue(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, const char *const *names,
		    size_t n, int days, X509 **out, struct herr *e);

/* ---- files ---------------------------------------------------------------- */

/*
 * Write a file atomically with `mode` (0600 for private keys, 0644 for
 * certificates); the mode is set before any byte is written.
 */
int x509_write_file(const char *path, const char *text, mode_t mode, struct herr *e);

#endif
