/*
 * test_x509.c — core/x509.c and the ACME building blocks of core/acme.c:
 * base64url (RFC 4648 vectors), JWK + thumbprint (RFC 7638 §3.1 example),
 * dns-01 values, JWS signatures (verified with OpenSSL), problem documents,
 * key loading (RSA/EC, PKCS#8 and traditional PEM, errors), CSR contents,
 * a local CA issuing a certificate whose chain verifies, key file modes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/acme.h"
#include "../../core/err.h"
#include "../../core/path.h"
#include "../../core/x509.h"

/* RFC 7638 §3.1 example key. */
#define RFC7638_N                                                                         \
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6t" \
	"Soc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v" \
	"-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08" \
	"qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8" \
	"awapJzKnqDKgw"
#define RFC7638_THUMB "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static char tmpdir[64];

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/hoist-x509-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	struct herr e = { 0 };

	return path_rmtree(tmpdir, &e);
}

/* ---- base64url ------------------------------------------------------------ */

static void b64url_vectors(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	static const unsigned char odd[] = { 0xfb, 0xff, 0xbf };

	for (size_t i = 0; i < 7; i++) {
		char *s = b64url_encode(plain[i], strlen(plain[i]));
		unsigned char *d = NULL;
		size_t n = 0;

		assert_string_equal(s, enc[i]);
		assert_true(b64url_decode(s, &d, &n));
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(d, plain[i], n);
		free(s);
		free(d);
	}
	{
		char *s = b64url_encode(odd, sizeof(odd));
		unsigned char *d = NULL;
		size_t n = 0;

		assert_string_equal(s, "-_-_");  /* standard base64: "+/+/" */
		assert_true(b64url_decode(s, &d, &n));
		assert_int_equal(n, 3);
		assert_memory_equal(d, odd, 3);
		free(s);
		free(d);
	}
	{
		unsigned char *d = NULL;
		size_t n = 0;

		assert_false(b64url_decode("a", &d, &n));
		assert_false(b64url_decode("ab+c", &d, &n));
		assert_false(b64url_decode("ab/c", &d, &n));
		assert_false(b64url_decode("a*bc", &d, &n));
	}
}

/* ---- JWK ------------------------------------------------------------------ */

static EVP_PKEY *rfc7638_key(void)
{
	unsigned char *nb = NULL, e_bytes[] = { 1, 0, 1 };
	size_t nlen = 0;
	BIGNUM *n, *e;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;

	assert_true(b64url_decode(RFC7638_N, &nb, &nlen));
	n = BN_bin2bn(nb, (int)nlen, NULL);
	e = BN_bin2bn(e_bytes, 3, NULL);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	free(nb);
	return key;
}

static void jwk_thumbprint_rfc7638(void **state)
{
	EVP_PKEY *key = rfc7638_key();
	struct herr e = { 0 };
	json_t *jwk = acme_jwk(key, &e), *lit;
	char *t, *dump;

	assert_non_null(jwk);
	dump = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(dump, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\"}");
	free(dump);
	t = acme_jwk_thumbprint(jwk);
	assert_string_equal(t, RFC7638_THUMB);
	free(t);

	/* The same from the JWK as RFC 7638 prints it (member order does not matter). */
	lit = json_pack("{s:s, s:s, s:s, s:s}", "n", RFC7638_N, "kty", "RSA", "e", "AQAB",
			"alg", "RS256");
	json_object_del(lit, "alg");  /* thumbprints use the required members only */
	t = acme_jwk_thumbprint(lit);
	assert_string_equal(t, RFC7638_THUMB);
	free(t);
	json_decref(lit);
	json_decref(jwk);
	EVP_PKEY_free(key);
}

static void jwk_of_ec_key(void **state)
{
	EVP_PKEY *key = NULL;
	struct herr e = { 0 };
	json_t *jwk;

	assert_int_equal(x509_key_generate(X509_KEY_EC_P256, &key, &e), HOIST_OK);
	jwk = acme_jwk(key, &e);
	assert_non_null(jwk);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
	assert_int_equal(strlen(json_string_value(json_object_get(jwk, "x"))), 43);
	assert_int_equal(strlen(json_string_value(json_object_get(jwk, "y"))), 43);
	assert_int_equal(json_object_size(jwk), 4);
	json_decref(jwk);
	EVP_PKEY_free(key);
}

static void dns01_value_and_name(void **state)
{
	char *v = acme_dns01_value("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", RFC7638_THUMB);
	char *f;

	/* base64url(SHA-256("token.thumbprint")), computed independently with hashlib */
	assert_string_equal(v, "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8");
	free(v);
	f = acme_dns01_fqdn("*.example.com");
	assert_string_equal(f, "_acme-challenge.example.com");
	free(f);
	f = acme_dns01_fqdn("api.example.com");
	assert_string_equal(f, "_acme-challenge.api.example.com");
	free(f);
}

/* ---- JWS ------------------------------------------------------------------ */

static json_t *decode_json(const char *b64)
{
	unsigned char *d = NULL;
	size_t n = 0;
	json_t *j;

	assert_true(b64url_decode(b64, &d, &n));
	j = json_loadb((char *)d, n, 0, NULL);
	free(d);
	return j;
}

/* Check a flattened JWS: header fields and the signature over protected.payload. */
static void check_jws(EVP_PKEY *key, const char *jws_text, const char *alg, const char *kid,
		      const char *payload)
{
	json_t *jws = json_loads(jws_text, 0, NULL), *prot;
	const char *p64 = json_string_value(json_object_get(jws, "protected"));
	const char *pay64 = json_string_value(json_object_get(jws, "payload"));
	unsigned char *sig = NULL, *pay = NULL;
	size_t sig_len = 0, pay_len = 0;
	char *input;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(jws);
	prot = decode_json(p64);
	assert_non_null(prot);
	assert_string_equal(json_string_value(json_object_get(prot, "alg")), alg);
	assert_string_equal(json_string_value(json_object_get(prot, "nonce")), "NONCE-1");
	assert_string_equal(json_string_value(json_object_get(prot, "url")),
			    "https://ca.test/acme/x");
	if (kid) {
		assert_string_equal(json_string_value(json_object_get(prot, "kid")), kid);
		assert_null(json_object_get(prot, "jwk"));
	} else {
		assert_null(json_object_get(prot, "kid"));
		assert_true(json_is_object(json_object_get(prot, "jwk")));
	}
	assert_true(b64url_decode(pay64, &pay, &pay_len));
	assert_int_equal(pay_len, strlen(payload));
	assert_memory_equal(pay, payload, pay_len);
	assert_true(b64url_decode(json_string_value(json_object_get(jws, "signature")), &sig,
				  &sig_len));
	input = malloc(strlen(p64) + strlen(pay64) + 2);
	sprintf(input, "%s.%s", p64, pay64);
	if (!strcmp(alg, "ES256")) {
		/* r || s → DER for OpenSSL */
		ECDSA_SIG *es = ECDSA_SIG_new();
		unsigned char *der = NULL;
		int der_len;

		assert_int_equal(sig_len, 64);
		ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
		der_len = i2d_ECDSA_SIG(es, &der);
		free(sig);
		sig = malloc((size_t)der_len);
		memcpy(sig, der, (size_t)der_len);
		sig_len = (size_t)der_len;
		OPENSSL_free(der);
		ECDSA_SIG_free(es);
	}
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, sig_len, (unsigned char *)input,
					  strlen(input)), 1);
	/* …and not over anything else. */
	input[0] ^= 1;
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_not_equal(EVP_DigestVerify(ctx, sig, sig_len, (unsigned char *)input,
					      strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	free(input);
	free(sig);
	free(pay);
	json_decref(prot);
	json_decref(jws);
}

static void jws_es256_with_jwk(void **state)
{
	EVP_PKEY *key = NULL;
	struct herr e = { 0 };
	json_t *payload = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	char *jws;

	assert_int_equal(x509_key_generate(X509_KEY_EC_P256, &key, &e), HOIST_OK);
	jws = acme_jws(key, NULL, "NONCE-1", "https://ca.test/acme/x", payload, &e);
	assert_non_null(jws);
	check_jws(key, jws, "ES256", NULL, "{\"termsOfServiceAgreed\":true}");
	free(jws);
	json_decref(payload);
	EVP_PKEY_free(key);
}

static void jws_rs256_post_as_get_with_kid(void **state)
{
	EVP_PKEY *key = NULL;
	struct herr e = { 0 };
	char *jws;

	assert_int_equal(x509_key_generate(X509_KEY_RSA2048, &key, &e), HOIST_OK);
	jws = acme_jws(key, "https://ca.test/acct/1", "NONCE-1", "https://ca.test/acme/x", NULL,
		       &e);
	assert_non_null(jws);
	check_jws(key, jws, "RS256", "https://ca.test/acct/1", "");
	free(jws);
	EVP_PKEY_free(key);
}

static void problem_document_text(void **state)
{
	json_t *p = json_loads(
		"{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
		"\"detail\":\"Some identifiers were rejected\",\"subproblems\":["
		"{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":\"Invalid "
		"underscore\",\"identifier\":{\"type\":\"dns\",\"value\":\"_x.example.org\"}},"
		"{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\",\"detail\":\"This CA "
		"will not issue for it\",\"identifier\":{\"type\":\"dns\","
		"\"value\":\"example.net\"}}]}", 0, NULL);
	char *t = acme_problem_text(p);

	assert_string_equal(t, "urn:ietf:params:acme:error:rejectedIdentifier: Some identifiers "
			    "were rejected; _x.example.org: urn:ietf:params:acme:error:malformed: "
			    "Invalid underscore; example.net: urn:ietf:params:acme:error:"
			    "rejectedIdentifier: This CA will not issue for it");
	free(t);
	json_decref(p);
}

/* ---- keys ----------------------------------------------------------------- */

static char *write_tmp(const char *name, const char *text)
{
	char *p = path_join(tmpdir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static char *traditional_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s;
	long n;

	assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &data);
	s = strndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

static void load_one(EVP_PKEY *k, const char *name, bool traditional, const char *marker)
{
	char *pem = traditional ? traditional_pem(k) : x509_key_pem(k), *p;
	EVP_PKEY *got = NULL;
	struct herr e = { 0 };

	assert_non_null(strstr(pem, marker));
	p = write_tmp(name, pem);
	assert_int_equal(x509_key_load(p, "lets_encrypt_key", &got, &e), HOIST_OK);
	assert_int_equal(EVP_PKEY_eq(k, got), 1);
	EVP_PKEY_free(got);
	free(p);
	free(pem);
}

static void key_loading_rsa_and_ec(void **state)
{
	EVP_PKEY *rsa = NULL, *ec = NULL;
	struct herr e = { 0 };

	assert_int_equal(x509_key_generate(X509_KEY_RSA2048, &rsa, &e), HOIST_OK);
	assert_int_equal(x509_key_generate(X509_KEY_EC_P256, &ec, &e), HOIST_OK);
	load_one(rsa, "rsa8.pem", false, "BEGIN PRIVATE KEY");
	load_one(rsa, "rsa.pem", true, "BEGIN RSA PRIVATE KEY");
	load_one(ec, "ec8.pem", false, "BEGIN PRIVATE KEY");
	load_one(ec, "ec.pem", true, "BEGIN EC PRIVATE KEY");
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

static void key_loading_errors(void **state)
{
	EVP_PKEY *k = NULL, *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct herr e = { 0 };
	char *missing = path_join(tmpdir, "missing.key"), *junk = write_tmp("junk.key", "hello\n");
	char *edpem = x509_key_pem(ed), *edp = write_tmp("ed.key", edpem);
	char want[512];

	assert_int_equal(x509_key_load(missing, "lets_encrypt_key", &k, &e), HOIST_USAGE);
	assert_null(k);
	snprintf(want, sizeof(want), "lets_encrypt_key %s does not exist", missing);
	assert_non_null(strstr(e.msg, want));
	snprintf(want, sizeof(want), "openssl genrsa -out %s 2048", missing);
	assert_non_null(strstr(e.msg, want));

	herr_clear(&e);
	assert_int_equal(x509_key_load(junk, "lets_encrypt_key", &k, &e), HOIST_USAGE);
	snprintf(want, sizeof(want), "lets_encrypt_key %s: not a PEM private key", junk);
	assert_non_null(strstr(e.msg, want));

	herr_clear(&e);
	assert_int_equal(x509_key_load(edp, "lets_encrypt_key", &k, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "unsupported key type ED25519"));
	assert_null(k);

	free(missing);
	free(junk);
	free(edpem);
	free(edp);
	EVP_PKEY_free(ed);
}

/* ---- CSR ------------------------------------------------------------------ */

static void csr_has_every_name(void **state)
{
	static const char *const names[] = { "api.example.com", "www.example.com",
					     "*.example.com" };
	EVP_PKEY *key = NULL;
	struct herr e = { 0 };
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_REQ *req;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *gens = NULL;
	char cn[256];

	assert_int_equal(x509_key_generate(X509_KEY_EC_P256, &key, &e), HOIST_OK);
	assert_int_equal(x509_csr_der(key, names, 3, &der, &len, &e), HOIST_OK);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)len);
	assert_non_null(req);
	assert_int_equal(X509_REQ_verify(req, key), 1);
	assert_true(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn,
					      sizeof(cn)) > 0);
	assert_string_equal(cn, "api.example.com");
	exts = X509_REQ_get_extensions(req);
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *x = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(x)) == NID_subject_alt_name)
			gens = X509V3_EXT_d2i(x);
	}
	assert_non_null(gens);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 3);
	for (int i = 0; i < 3; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		assert_int_equal(g->type, GEN_DNS);
		assert_string_equal((const char *)ASN1_STRING_get0_data(g->d.dNSName), names[i]);
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	OPENSSL_free(der);

	/* No names: refused. */
	assert_int_equal(x509_csr_der(key, names, 0, &der, &len, &e), HOIST_USAGE);
	EVP_PKEY_free(key);
}

/* ---- CA, chains, files ---------------------------------------------------- */

static void local_ca_chain_verifies(void **state)
{
	static const char *const names[] = { "app.localhost", "*.app.localhost" };
	EVP_PKEY *ca_key = NULL, *key = NULL, *other_key = NULL;
	X509 *ca = NULL, *other = NULL, *leaf = NULL;
	struct herr e = { 0 };
	char *ca_pem, *other_pem, *leaf_pem, **dns = NULL;
	size_t n;

	assert_int_equal(x509_key_generate(X509_KEY_EC_P256, &ca_key, &e), HOIST_OK);
	assert_int_equal(x509_key_generate(X509_KEY_EC_P256, &other_key, &e), HOIST_OK);
	assert_int_equal(x509_key_generate(X509_KEY_EC_P256, &key, &e), HOIST_OK);
	assert_int_equal(x509_ca_create(ca_key, "hoist local CA", 30, &ca, &e), HOIST_OK);
	assert_int_equal(x509_ca_create(other_key, "someone else", 30, &other, &e), HOIST_OK);
	assert_int_equal(x509_cert_issue(ca, ca_key, key, names, 2, 7, &leaf, &e), HOIST_OK);
	assert_true(x509_key_matches(key, leaf));
	assert_false(x509_key_matches(ca_key, leaf));
	n = x509_cert_dns_names(leaf, &dns);
	assert_int_equal(n, 2);
	assert_string_equal(dns[0], "app.localhost");
	assert_string_equal(dns[1], "*.app.localhost");
	for (size_t i = 0; i < n; i++)
		free(dns[i]);
	free(dns);
	assert_true(x509_cert_covers(leaf, "x.app.localhost"));
	assert_false(x509_cert_covers(leaf, "other.localhost"));

	ca_pem = x509_cert_pem(ca);
	other_pem = x509_cert_pem(other);
	leaf_pem = x509_cert_pem(leaf);
	assert_int_equal(x509_chain_verify(leaf_pem, ca_pem, "app.localhost", &e), HOIST_OK);
	assert_int_equal(x509_chain_verify(leaf_pem, ca_pem, "nope.example", &e), HOIST_FAIL);
	assert_non_null(strstr(e.msg, "does not cover nope.example"));
	assert_int_equal(x509_chain_verify(leaf_pem, other_pem, NULL, &e), HOIST_FAIL);
	assert_non_null(strstr(e.msg, "does not verify"));
	assert_int_equal(x509_chain_verify("junk", ca_pem, NULL, &e), HOIST_FAIL);

	free(ca_pem);
	free(other_pem);
	free(leaf_pem);
	X509_free(ca);
	X509_free(other);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(key);
}

static void key_files_are_private(void **state)
{
	char *p = path_join(tmpdir, "k.pem"), *text = NULL;
	struct herr e = { 0 };
	struct stat sb;
	size_t len;

	assert_int_equal(x509_write_file(p, "secret\n", 0600, &e), HOIST_OK);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* Rewriting a file that was world-readable makes it private too. */
	chmod(p, 0644);
	assert_int_equal(x509_write_file(p, "again\n", 0600, &e), HOIST_OK);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(path_read(p, &text, &len, &e), HOIST_OK);
	assert_string_equal(text, "again\n");
	free(text);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(b64url_vectors),
		cmocka_unit_test(jwk_thumbprint_rfc7638),
		cmocka_unit_test(jwk_of_ec_key),
		cmocka_unit_test(dns01_value_and_name),
		cmocka_unit_test(jws_es256_with_jwk),
		cmocka_unit_test(jws_rs256_post_as_get_with_kid),
		cmocka_unit_test(problem_document_text),
		cmocka_unit_test(key_loading_rsa_and_ec),
		cmocka_unit_test(key_loading_errors),
		cmocka_unit_test(csr_has_every_name),
		cmocka_unit_test(local_ca_chain_verifies),
		cmocka_unit_test(key_files_are_private),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
