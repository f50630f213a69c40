/*
 * acme.h — an ACME v2 client (RFC 8555) that obtains a certificate through
 * dns-01 challenges, independent of any DNS provider.
 *
 * The caller supplies the account key (`lets_encrypt_key`), the DNS names and
 * a set_txt hook that publishes/removes the TXT records (Route53, Alibaba
 * DNS, a test DNS server…).  acme_obtain() then: fetches the directory, finds
 * or creates the account (onlyReturnExisting first, then newAccount with
 * termsOfServiceAgreed), places an order, answers every pending
 * authorization's dns-01 challenge, waits (Retry-After, bounded) for the
 * authorizations and the order, finalizes with a CSR for a fresh key and
 * downloads the PEM chain.
 *
 * Every request is a JWS (RS256 for RSA account keys, ES256/ES384 for EC
 * P-256/P-384), `jwk` for the account lookup/creation, `kid` after; fetches
 * are POST-as-GET.  See acme.c for the retry and replay policy.
 */
#ifndef HOIST_ACME_H
#define HOIST_ACME_H

#include "x509.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct herr;

#define ACME_LE_PRODUCTION "https://acme-v02.api.letsencrypt.org/directory"
#define ACME_LE_STAGING "https://acme-staging-v02.api.letsencrypt.org/directory"

/*
 * Publish (present=true) or remove (present=false) the TXT record `fqdn`
 * ("_acme-challenge.api.example.com", no trailing dot) with value `value`
 * (the 43-character base64url digest; no quotes).
 *
 * present=true must return only once the record is visible to the CA's
 * resolvers (Route53: ChangeResourceRecordSets, then GetChange until INSYNC).
 * Several values can be present at once for the same fqdn (example.com and
 * *.example.com): add/remove `value` without touching the others.
 * present=false is called for every value that was presented, on every exit
 * path (success, failure, timeout); its error is reported as a warning
 * only.  Return HOIST_OK or an error status with `e` set.
 */
typedef int (*acme_set_txt_fn)(const char *fqdn, const char *value, bool present, void *ctx,
			       struct herr *e);

struct acme_params {
	const char *directory_url;     /* NULL: ACME_LE_PRODUCTION (`acme_directory`) */
	const char *account_key_path;  /* `lets_encrypt_key` (RSA or EC PEM) */
	EVP_PKEY *account_key;         /* …or the key itself (borrowed); wins over the path */
	const char *const *names;      /* DNS names; names[0] becomes the CN */
	size_t n_names;
	const char *contact;           /* optional e-mail for a new account ("mailto:" added) */
	enum x509_key_type cert_key;   /* certificate key type; default RSA 2048 */
	acme_set_txt_fn set_txt;
	void *set_txt_ctx;
	int max_wait_s;                /* validation + issuance budget; 0: 300 s */
};

struct acme_result {
	char *key_pem;        /* the certificate's private key (PKCS#8 PEM) — a secret */
	char *cert_pem;       /* the leaf certificate */
	char *chain_pem;      /* the issuer chain after the leaf (ACM's CertificateChain) */
	char *fullchain_pem;  /* leaf + chain, as downloaded */
	char *account_url;    /* the account's kid */
	bool account_existed; /* the CA already knew this key */
	char *order_url;
};

/*
 * Obtain a certificate for p->names.  HOIST_OK with *r filled (free it with
 * acme_result_free), or HOIST_USAGE (bad key / parameters: nothing was
 * sent), or HOIST_FAIL with the CA's problem document in the message:
 *   "ACME order for api.example.com failed: urn:ietf:params:acme:error:
 *    unauthorized: Incorrect TXT record …"
 */
int acme_obtain(const struct acme_params *p, struct acme_result *r, struct herr *e);
void acme_result_free(struct acme_result *r);

/* ---- building blocks (exposed for tests and other callers) ---------------- */

/* The public JWK of a key (RSA: e,kty,n; EC: crv,kty,x,y); new reference. */
json_t *acme_jwk(EVP_PKEY *key, struct herr *e);
/* RFC 7638 thumbprint of a public JWK (base64url SHA-256); allocates. */
char *acme_jwk_thumbprint(const json_t *jwk);
/* The dns-01 TXT value: base64url(SHA-256(token "." thumbprint)); allocates. */
char *acme_dns01_value(const char *token, const char *thumbprint);
/* "_acme-challenge." + name without a leading "*."; allocates. */
char *acme_dns01_fqdn(const char *name);
/*
 * A flattened JWS (RFC 7515) of `payload` (NULL: POST-as-GET, empty
 * payload), protected header {alg, nonce, url, kid | jwk}; allocates.
 */
char *acme_jws(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
	       const json_t *payload, struct herr *e);
/* "type: detail" (+ subproblems) of an RFC 7807 problem document; allocates. */
char *acme_problem_text(const json_t *problem);

#endif
