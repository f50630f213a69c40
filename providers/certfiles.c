/*
 * certfiles.c — certificates before a provider installs them: PEM files
 * from the settings, Let's Encrypt through ACME, --manual's files (see
 * certfiles.h).
 */
#include "certfiles.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/path.h"
#include "../core/stage.h"
#include "../core/str.h"
#include "../core/x509.h"

#include <stdlib.h>
#include <string.h>

void cert_pem_free(struct cert_pem *p)
{
	if (p->key)
		memset(p->key, 0, strlen(p->key));
	free(p->cert);
	free(p->key);
	free(p->chain);
	memset(p, 0, sizeof(*p));
}

/* A setting's path, relative to the project directory; allocates. */
static char *setting_path(const struct stage *st, const char *key)
{
	const char *p = json_string_value(json_object_get(st->settings, key));

	return !p || !*p ? NULL : p[0] == '/' ? xstrdup(p) : path_join(st->project_dir, p);
}

/* Read a PEM setting's file. */
static int read_setting_file(const struct stage *st, const char *key, bool required, char **out,
			     struct herr *e)
{
	char *path = setting_path(st, key);
	size_t len;
	int rc;

	*out = NULL;
	if (!path) {
		if (!required)
			return HOIST_OK;
		return herr_set(e, HOIST_USAGE, "certify: `certificate` is set but `%s` is not; "
				"give the PEM file of the certificate's private key", key);
	}
	rc = path_read(path, out, &len, e);
	if (rc)
		rc = herr_set(e, HOIST_USAGE, "certify: cannot read %s %s: %s", key, path, e->msg);
	free(path);
	return rc;
}

static int check_pems(const struct cert_pem *p, const char *domain, struct herr *e)
{
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	rc = x509_chain_parse(p->cert, strlen(p->cert), &chain, e);
	if (!rc)
		rc = x509_key_parse(p->key, strlen(p->key), "certificate_key", &key, e);
	if (!rc && !x509_key_matches(key, sk_X509_value(chain, 0)))
		rc = herr_set(e, HOIST_USAGE, "certify: certificate_key does not belong to the "
			      "certificate");
	if (!rc && !x509_cert_covers(sk_X509_value(chain, 0), domain))
		rc = herr_set(e, HOIST_USAGE, "certify: the certificate does not cover %s", domain);
	if (rc && rc != HOIST_USAGE)
		rc = herr_set(e, HOIST_USAGE, "certify: %s", e->msg);
	EVP_PKEY_free(key);
	if (chain)
		sk_X509_pop_free(chain, X509_free);
	return rc;
}

int cert_pem_read(const struct stage *st, const char *domain, struct cert_pem *p,
		  struct herr *e)
{
	int rc;

	if ((rc = read_setting_file(st, "certificate", true, &p->cert, e)) ||
	    (rc = read_setting_file(st, "certificate_key", true, &p->key, e)) ||
	    (rc = read_setting_file(st, "certificate_chain", false, &p->chain, e)))
		return rc;
	return check_pems(p, domain, e);
}

int cert_acme_key_check(const struct stage *st, struct herr *e)
{
	char *path = setting_path(st, "lets_encrypt_key");
	EVP_PKEY *key = NULL;
	int rc = x509_key_load(path, "lets_encrypt_key", &key, e);

	EVP_PKEY_free(key);
	free(path);
	return rc ? HOIST_USAGE : HOIST_OK;
}

int cert_source_plan(const struct stage *st, const char *domain, enum cert_source *src,
		     struct cert_pem *p, struct herr *e)
{
	*src = CERT_SRC_NONE;
	if (!domain || !*domain) {
		herr_set(e, HOIST_USAGE, "certify: stage '%s' has no `domain` setting", st->name);
		return herr_hint(e, "add \"domain\": \"api.example.com\" (and optionally "
				 "\"base_path\") to the stage in %s", st->settings_path);
	}
	if (json_string_value(json_object_get(st->settings, "certificate"))) {
		*src = CERT_SRC_FILES;
		return cert_pem_read(st, domain, p, e);
	}
	if (json_string_value(json_object_get(st->settings, "lets_encrypt_key"))) {
		*src = CERT_SRC_ACME;
		return cert_acme_key_check(st, e);
	}
	return HOIST_OK;
}

int cert_acme_obtain(const struct stage *st, const char *domain, acme_set_txt_fn set_txt,
		     void *ctx, struct cert_pem *p, struct herr *e)
{
	char *path = setting_path(st, "lets_encrypt_key");
	const char *names[] = { domain };
	struct acme_params ap = {
		.directory_url = json_string_value(json_object_get(st->settings, "acme_directory")),
		.account_key_path = path,
		.names = names,
		.n_names = 1,
		.set_txt = set_txt,
		.set_txt_ctx = ctx,
	};
	struct acme_result r = { 0 };
	int rc = acme_obtain(&ap, &r, e);

	if (!rc) {
		p->cert = r.cert_pem;
		p->key = r.key_pem;
		p->chain = r.chain_pem;
		r.cert_pem = r.key_pem = r.chain_pem = NULL;
	}
	acme_result_free(&r);
	free(path);
	return rc;
}

int cert_write_manual(const char *domain, const struct cert_pem *p, json_t *out,
		      struct herr *e)
{
	char *state = path_state_dir(), *certs = path_join(state, "certs");
	char *dir = path_join(certs, domain);
	char *fc = path_join(dir, "cert.pem"), *fk = path_join(dir, "key.pem");
	char *fch = path_join(dir, "chain.pem");
	int rc;

	rc = path_mkdirs_mode(dir, 0700, e);
	if (!rc)
		rc = x509_write_file(fk, p->key, 0600, e);
	if (!rc)
		rc = x509_write_file(fc, p->cert, 0644, e);
	if (!rc)
		rc = x509_write_file(fch, p->chain ? p->chain : "", 0644, e);
	if (!rc) {
		out_step("Wrote the certificate for %s; install it yourself (nothing was changed "
			 "in the cloud):", domain);
		json_object_set_new(out, "files", json_pack("{s:s, s:s, s:s}", "certificate", fc,
							    "key", fk, "chain", fch));
	}
	free(state);
	free(certs);
	free(dir);
	free(fc);
	free(fk);
	free(fch);
	return rc;
}
