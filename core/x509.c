/*
 * x509.c — OpenSSL keys, CSRs, certificates and chains (see x509.h).
 *
 * Choices: certificate keys default to RSA 2048 because every front door we
 * target (API Gateway custom domains, CloudFront, Alibaba FC, Tencent SCF)
 * accepts it; EC P-256 is offered for callers that know theirs does.
 * Signatures are SHA-256.  Every name goes into the subjectAltName as a
 * GENERAL_NAME built directly (never through OpenSSL's config-string syntax,
 * so a name cannot smuggle in extra entries).
 */
#include "x509.h"

#include "err.h"
#include "path.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CN_MAX 64

/* The last OpenSSL error as text (clears the queue). */
static const char *ossl_err(void)
{
	static __thread char buf[256];
	unsigned long code = ERR_peek_last_error();

	if (!code)
		snprintf(buf, sizeof(buf), "unknown OpenSSL error");
	else
		ERR_error_string_n(code, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* ---- base64url ------------------------------------------------------------ */

char *b64url_encode(const void *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

bool b64url_decode(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s), pad;
	char *std;
	int got;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return false;
	pad = (4 - n % 4) % 4;
	std = xmalloc(n + pad + 1);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '+' || c == '/' || c == '=') {
			free(std);
			return false;
		}
		std[i] = c;
	}
	memset(std + n, '=', pad);
	std[n + pad] = '\0';
	*out = xmalloc((n + pad) / 4 * 3 + 1);
	got = EVP_DecodeBlock(*out, (unsigned char *)std, (int)(n + pad));
	free(std);
	if (got < 0) {
		free(*out);
		*out = NULL;
		ERR_clear_error();
		return false;
	}
	*len = (size_t)got - pad;
	return true;
}

/* ---- keys ----------------------------------------------------------------- */

static int no_password(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

static int check_key_type(EVP_PKEY *k, const char *label, struct herr *e)
{
	char group[64] = "";
	size_t glen = 0;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(k) < 2048)
			return herr_set(e, HOIST_USAGE, "%s: RSA key of %d bits is too small "
					"(2048 or more needed)", label, EVP_PKEY_get_bits(k));
		return HOIST_OK;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) == 1 &&
		    (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0 ||
		     strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0))
			return HOIST_OK;
		return herr_set(e, HOIST_USAGE, "%s: unsupported EC curve %s (P-256 or P-384 "
				"needed)", label, *group ? group : "(unknown)");
	default:
		return herr_set(e, HOIST_USAGE, "%s: unsupported key type %s (RSA or EC "
				"P-256/P-384 needed)", label, EVP_PKEY_get0_type_name(k)
				? EVP_PKEY_get0_type_name(k) : "?");
	}
}

int x509_key_parse(const char *pem, size_t len, const char *label, EVP_PKEY **out,
		   struct herr *e)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k;
	int rc;

	*out = NULL;
	ERR_clear_error();
	k = b ? PEM_read_bio_PrivateKey(b, NULL, no_password, NULL) : NULL;
	BIO_free(b);
	if (!k) {
		const char *why = ossl_err();

		if (strstr(pem, "ENCRYPTED"))
			return herr_set(e, HOIST_USAGE, "%s: encrypted private keys are not "
					"supported; decrypt it with: openssl pkey -in KEY -out "
					"KEY.plain", label);
		return herr_set(e, HOIST_USAGE, "%s: not a PEM private key (%s)", label, why);
	}
	if ((rc = check_key_type(k, label, e)) != HOIST_OK) {
		EVP_PKEY_free(k);
		return rc;
	}
	*out = k;
	return HOIST_OK;
}

int x509_key_load(const char *path, const char *what, EVP_PKEY **out, struct herr *e)
{
	char *text = NULL, *label;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!what)
		what = "key";
	label = xasprintf("%s %s", what, path);
	if (!path_exists(path)) {
		rc = herr_set(e, HOIST_USAGE, "%s does not exist", label);
		herr_hint(e, "create an account key with: openssl genrsa -out %s 2048", path);
		herr_hint(e, "(or an EC one: openssl ecparam -name prime256v1 -genkey -noout "
			  "-out %s)", path);
		goto out;
	}
	if ((rc = path_read(path, &text, &len, e)) != HOIST_OK) {
		e->code = rc = HOIST_USAGE;
		herr_prefix(e, "%s: ", what);
		goto out;
	}
	rc = x509_key_parse(text, len, label, out, e);
out:
	if (text)
		OPENSSL_cleanse(text, len);
	free(text);
	free(label);
	return rc;
}

int x509_key_generate(enum x509_key_type type, EVP_PKEY **out, struct herr *e)
{
	*out = type == X509_KEY_EC_P256 ? EVP_EC_gen("P-256")
					: EVP_RSA_gen(2048);
	if (!*out)
		return herr_set(e, HOIST_FAIL, "cannot generate a certificate key: %s",
				ossl_err());
	return HOIST_OK;
}

/* Everything a memory BIO holds, as a string; frees the BIO. */
static char *bio_take(BIO *b)
{
	char *data = NULL, *s;
	long n = BIO_get_mem_data(b, &data);

	s = xmalloc((size_t)n + 1);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

char *x509_key_pem(EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());

	if (!b || !PEM_write_bio_PKCS8PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(b);
		ERR_clear_error();
		return NULL;
	}
	return bio_take(b);
}

bool x509_key_matches(EVP_PKEY *a, X509 *cert)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);

	return pub && EVP_PKEY_eq(a, pub) == 1;
}

/* ---- names ---------------------------------------------------------------- */

static GENERAL_NAMES *dns_names(const char *const *names, size_t n)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();

	for (size_t i = 0; gens && i < n; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		if (!g || !s || !ASN1_STRING_set(s, names[i], (int)strlen(names[i]))) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(s);
			GENERAL_NAMES_free(gens);
			return NULL;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	return gens;
}

static bool set_cn(X509_NAME *nm, const char *cn)
{
	if (strlen(cn) > CN_MAX)
		return true;  /* too long for CN: the SAN carries it */
	return X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
					  -1, -1, 0) == 1;
}

/* ---- CSR ------------------------------------------------------------------ */

int x509_csr_der(EVP_PKEY *key, const char *const *names, size_t n, unsigned char **der,
		 size_t *der_len, struct herr *e)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *gens = NULL;
	X509_REQ *req;
	int len, rc = HOIST_OK;

	*der = NULL;
	*der_len = 0;
	if (n == 0)
		return herr_set(e, HOIST_USAGE, "a certificate request needs at least one name");
	req = X509_REQ_new();
	gens = dns_names(names, n);
	if (!req || !gens || !X509_REQ_set_version(req, 0) ||
	    !set_cn(X509_REQ_get_subject_name(req), names[0]) ||
	    !X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) ||
	    !X509_REQ_add_extensions(req, exts) || !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_sign(req, key, EVP_sha256())) {
		rc = herr_set(e, HOIST_FAIL, "cannot build the certificate request for %s: %s",
			      names[0], ossl_err());
		goto out;
	}
	len = i2d_X509_REQ(req, der);
	if (len <= 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot encode the certificate request: %s",
			      ossl_err());
		goto out;
	}
	*der_len = (size_t)len;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_REQ_free(req);
	return rc;
}

/* ---- certificates --------------------------------------------------------- */

int x509_chain_parse(const char *pem, size_t len, STACK_OF(X509) **out, struct herr *e)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;

	*out = NULL;
	while (b && sk && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		sk_X509_push(sk, x);
	ERR_clear_error();
	BIO_free(b);
	if (!sk || sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return herr_set(e, HOIST_FAIL, "no PEM certificate found");
	}
	*out = sk;
	return HOIST_OK;
}

char *x509_cert_pem(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());

	if (!b || !PEM_write_bio_X509(b, cert)) {
		BIO_free(b);
		ERR_clear_error();
		return NULL;
	}
	return bio_take(b);
}

size_t x509_cert_dns_names(X509 *cert, char ***names)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	size_t n = 0;

	*names = NULL;
	if (!gens)
		return 0;
	*names = xcalloc((size_t)sk_GENERAL_NAME_num(gens) + 1, sizeof(char *));
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int l;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		l = ASN1_STRING_length(g->d.dNSName);
		(*names)[n] = xmalloc((size_t)l + 1);
		memcpy((*names)[n], d, (size_t)l);
		(*names)[n++][l] = '\0';
	}
	GENERAL_NAMES_free(gens);
	return n;
}

bool x509_cert_covers(X509 *cert, const char *name)
{
	return X509_check_host(cert, name, 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1;
}

static int add_roots(X509_STORE *store, const char *roots_pem, struct herr *e)
{
	STACK_OF(X509) *roots = NULL;
	int rc = x509_chain_parse(roots_pem, strlen(roots_pem), &roots, e);

	if (rc != HOIST_OK)
		return herr_prefix(e, "trusted roots: ");
	for (int i = 0; i < sk_X509_num(roots); i++)
		X509_STORE_add_cert(store, sk_X509_value(roots, i));
	sk_X509_pop_free(roots, X509_free);
	return HOIST_OK;
}

int x509_chain_verify(const char *chain_pem, const char *roots_pem, const char *name,
		      struct herr *e)
{
	STACK_OF(X509) *chain = NULL;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *leaf;
	int rc;

	if ((rc = x509_chain_parse(chain_pem, strlen(chain_pem), &chain, e)) != HOIST_OK) {
		herr_prefix(e, "certificate chain: ");
		goto out;
	}
	if ((rc = add_roots(store, roots_pem, e)) != HOIST_OK)
		goto out;
	leaf = sk_X509_value(chain, 0);
	if (!ctx || !X509_STORE_CTX_init(ctx, store, leaf, chain)) {
		rc = herr_set(e, HOIST_FAIL, "cannot verify the chain: %s", ossl_err());
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		rc = herr_set(e, HOIST_FAIL, "the certificate chain does not verify: %s",
			      X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		ERR_clear_error();
		goto out;
	}
	if (name && !x509_cert_covers(leaf, name))
		rc = herr_set(e, HOIST_FAIL, "the certificate does not cover %s", name);
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/* A fresh certificate with a random positive 128-bit serial and validity. */
static X509 *cert_skeleton(EVP_PKEY *key, int days)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	bool ok = x && bn && X509_set_version(x, 2) && BN_rand(bn, 127, BN_RAND_TOP_ANY,
							      BN_RAND_BOTTOM_ANY) &&
		  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
		  X509_gmtime_adj(X509_getm_notBefore(x), -300) &&
		  X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) &&
		  X509_set_pubkey(x, key);

	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Add an extension written in OpenSSL's config syntax (fixed strings only). */
static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	bool ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	ok = ext && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

int x509_ca_create(EVP_PKEY *key, const char *cn, int days, X509 **out, struct herr *e)
{
	X509 *x = cert_skeleton(key, days);
	X509_NAME *nm = x ? X509_get_subject_name(x) : NULL;

	*out = NULL;
	if (!x || !set_cn(nm, cn) || !X509_set_issuer_name(x, nm) ||
	    !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !X509_sign(x, key, EVP_sha256())) {
		X509_free(x);
		return herr_set(e, HOIST_FAIL, "cannot create the CA certificate %s: %s", cn,
				ossl_err());
	}
	*out = x;
	return HOIST_OK;
}

int x509_cert_issue(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, const char *const *names,
		    size_t n, int days, X509 **out, struct herr *e)
{
	X509 *x = n ? cert_skeleton(key, days) : NULL;
	GENERAL_NAMES *gens = n ? dns_names(names, n) : NULL;
	bool ok = x && gens && set_cn(X509_get_subject_name(x), names[0]) &&
		  X509_set_issuer_name(x, X509_get_subject_name(ca)) &&
		  X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) &&
		  add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") &&
		  add_ext(x, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
		  add_ext(x, ca, NID_ext_key_usage, "serverAuth") &&
		  add_ext(x, ca, NID_subject_key_identifier, "hash") &&
		  add_ext(x, ca, NID_authority_key_identifier, "keyid") &&
		  X509_sign(x, ca_key, EVP_sha256());

	GENERAL_NAMES_free(gens);
	*out = NULL;
	if (!ok) {
		X509_free(x);
		return herr_set(e, HOIST_FAIL, "cannot issue a certificate for %s: %s",
				n ? names[0] : "(no name)", ossl_err());
	}
	*out = x;
	return HOIST_OK;
}

/* ---- files ---------------------------------------------------------------- */

int x509_write_file(const char *path, const char *text, mode_t mode, struct herr *e)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	size_t len = strlen(text);
	int fd, rc = HOIST_OK;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	return rc;
}
