/*
 * tls.c — `hoist certify` on the local provider: the gateway also serves
 * HTTPS for `domain` on its own port (local_https_port, else a stable port).
 *
 * The certificate is either the user's (certificate / certificate_key /
 * certificate_chain PEM files, validated: the key matches, the certificate
 * covers `domain` and has not expired) or one issued for `domain` by a CA
 * that hoist creates once per machine user in <state>/hoist/local/ca/ and
 * reuses, so that it can be trusted once.  The leaf goes to the stage's
 * tls/ directory; a leaf that still verifies against the CA, covers the
 * domain and is valid for more than 30 days is kept (certify converges).
 * The running gateway then restarts its HTTPS listener only.
 */
#include "local.h"

#include "../provider.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"
#include "../../core/x509.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CA_DAYS 3650
#define LEAF_DAYS 365
#define RENEW_DAYS 30

/* What certify decided, for the state, the gateway and the hint. */
struct tls_plan {
	const char *domain;
	const char *base_path;     /* setting, may be NULL */
	int port;
	char *cacert;              /* for the curl hint; NULL when the system trusts it */
};

/* ---- helpers --------------------------------------------------------------- */

/* A settings path, relative to the project directory. */
static char *project_path(const struct stage *st, const char *p)
{
	if (p[0] == '/' || !st->project_dir)
		return xstrdup(p);
	return path_join(st->project_dir, p);
}

/* Does the certificate stay valid for at least `days` more days? */
static bool valid_for(X509 *x, int days)
{
	time_t t = time(NULL) + (time_t)days * 86400;

	return X509_cmp_time(X509_get0_notAfter(x), &t) > 0;
}

/* The first certificate of a PEM file; errors name the file (exit `code`). */
static int cert_load(const char *path, const char *what, int code, X509 **out, char **pem,
		     struct herr *e)
{
	STACK_OF(X509) *chain = NULL;
	char *text = NULL;
	int rc;

	*out = NULL;
	if (!path_exists(path))
		return herr_set(e, code, "%s %s does not exist", what, path);
	rc = path_read(path, &text, NULL, e);
	if (!rc)
		rc = x509_chain_parse(text, strlen(text), &chain, e);
	if (rc) {
		free(text);
		e->code = code;
		return herr_prefix(e, "%s %s: ", what, path);
	}
	*out = X509_dup(sk_X509_value(chain, 0));
	sk_X509_pop_free(chain, X509_free);
	if (pem)
		*pem = text;
	else
		free(text);
	return HOIST_OK;
}

static int write_pair(const char *tdir, const char *cert_pem, const char *key_pem,
		      struct herr *e)
{
	char *cp = path_join(tdir, "cert.pem"), *kp = path_join(tdir, "key.pem");
	int rc = path_mkdirs_mode(tdir, 0700, e);

	if (!rc && chmod(tdir, 0700) != 0)
		rc = herr_set(e, HOIST_FAIL, "cannot chmod %s: %s", tdir, strerror(errno));
	if (!rc)
		rc = x509_write_file(kp, key_pem, 0600, e);
	if (!rc)
		rc = x509_write_file(cp, cert_pem, 0644, e);
	free(cp);
	free(kp);
	return rc;
}

/* ---- the machine user's CA -------------------------------------------------- */

static char *ca_dir(void)
{
	char *state = path_state_dir(), *dir = xasprintf("%s/local/ca", state);

	free(state);
	return dir;
}

static int ca_create(const char *dir, X509 **ca, EVP_PKEY **key, struct herr *e)
{
	char *kp = path_join(dir, "ca.key"), *cp = path_join(dir, "ca.pem");
	char host[256] = "localhost", *cn, *kpem = NULL, *cpem = NULL;
	const char *user = getenv("USER");
	int rc;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	cn = xasprintf("hoist local CA (%s@%.40s)", user && *user ? user : "user", host);
	rc = x509_key_generate(X509_KEY_EC_P256, key, e);
	if (!rc)
		rc = x509_ca_create(*key, cn, CA_DAYS, ca, e);
	if (!rc) {
		kpem = x509_key_pem(*key);
		cpem = x509_cert_pem(*ca);
		if (!kpem || !cpem)
			rc = herr_set(e, HOIST_FAIL, "cannot encode the local CA");
	}
	if (!rc)
		rc = x509_write_file(kp, kpem, 0600, e);
	if (!rc)
		rc = x509_write_file(cp, cpem, 0644, e);
	if (!rc)
		out_step("Created a local certificate authority: %s (trust it once to make "
			 "every local certify certificate valid)", cp);
	if (kpem)
		OPENSSL_cleanse(kpem, strlen(kpem));
	free(kpem);
	free(cpem);
	free(cn);
	free(kp);
	free(cp);
	return rc;
}

static int ca_load(const char *dir, X509 **ca, EVP_PKEY **key, struct herr *e)
{
	char *kp = path_join(dir, "ca.key"), *cp = path_join(dir, "ca.pem");
	int rc = cert_load(cp, "local CA", HOIST_FAIL, ca, NULL, e);

	if (!rc) {
		rc = x509_key_load(kp, "local CA key", key, e);
		if (rc)
			e->code = rc = HOIST_FAIL;
	}
	if (!rc && !x509_key_matches(*key, *ca))
		rc = herr_set(e, HOIST_FAIL, "the local CA key %s does not match %s", kp, cp);
	if (!rc && !valid_for(*ca, RENEW_DAYS))
		rc = herr_set(e, HOIST_FAIL, "the local CA %s expires within %d days", cp,
			      RENEW_DAYS);
	if (rc)
		herr_hint(e, "Remove %s to have hoist create a new CA (then trust the new one).",
			  dir);
	free(kp);
	free(cp);
	return rc;
}

/* The CA (created on first use, under a lock so two certify runs agree). */
static int ca_get(X509 **ca, EVP_PKEY **key, char **ca_pem_path, struct herr *e)
{
	char *dir = ca_dir(), *lock = path_join(dir, ".lock"), *cp = path_join(dir, "ca.pem");
	int fd = -1, rc;

	*ca = NULL;
	*key = NULL;
	rc = path_mkdirs_mode(dir, 0700, e);
	if (!rc && chmod(dir, 0700) != 0)
		rc = herr_set(e, HOIST_FAIL, "cannot chmod %s: %s", dir, strerror(errno));
	if (!rc && ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
		    flock(fd, LOCK_EX) != 0))
		rc = herr_set(e, HOIST_FAIL, "cannot lock %s: %s", lock, strerror(errno));
	if (!rc)
		rc = path_exists(cp) ? ca_load(dir, ca, key, e) : ca_create(dir, ca, key, e);
	if (fd >= 0)
		close(fd);
	if (rc) {
		X509_free(*ca);
		EVP_PKEY_free(*key);
		*ca = NULL;
		*key = NULL;
		free(cp);
	} else {
		*ca_pem_path = cp;
	}
	free(lock);
	free(dir);
	return rc;
}

/* ---- a leaf from the local CA ------------------------------------------------ */

/* Is the stage's current leaf from this CA, for domain, and good for 30+ days? */
static bool leaf_current(const char *tdir, const char *domain, X509 *ca)
{
	char *cp = path_join(tdir, "cert.pem"), *kp = path_join(tdir, "key.pem");
	char *cert_pem = NULL, *ca_pem = x509_cert_pem(ca);
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	struct herr scratch = { 0 };  /* any failure just means "issue a new one" */
	bool ok;

	ok = ca_pem && path_exists(cp) && path_exists(kp) &&
	     cert_load(cp, "certificate", HOIST_FAIL, &leaf, &cert_pem, &scratch) == HOIST_OK &&
	     x509_chain_verify(cert_pem, ca_pem, domain, &scratch) == HOIST_OK &&
	     valid_for(leaf, RENEW_DAYS) &&
	     x509_key_load(kp, "key", &key, &scratch) == HOIST_OK && x509_key_matches(key, leaf);
	EVP_PKEY_free(key);
	X509_free(leaf);
	free(cert_pem);
	free(ca_pem);
	free(cp);
	free(kp);
	return ok;
}

static int leaf_from_ca(const char *tdir, struct tls_plan *plan, struct herr *e)
{
	X509 *ca = NULL, *leaf = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	const char *names[1] = { plan->domain };
	char *cpem = NULL, *kpem = NULL;
	int rc;

	rc = ca_get(&ca, &ca_key, &plan->cacert, e);
	if (rc)
		return rc;
	if (leaf_current(tdir, plan->domain, ca)) {
		out_step("The certificate for %s is current; keeping it", plan->domain);
		goto out;
	}
	out_step("Issuing a certificate for %s from the local CA", plan->domain);
	rc = x509_key_generate(X509_KEY_RSA2048, &key, e);
	if (!rc)
		rc = x509_cert_issue(ca, ca_key, key, names, 1, LEAF_DAYS, &leaf, e);
	if (!rc) {
		cpem = x509_cert_pem(leaf);
		kpem = x509_key_pem(key);
		if (!cpem || !kpem)
			rc = herr_set(e, HOIST_FAIL, "cannot encode the certificate for %s",
				      plan->domain);
	}
	if (!rc)
		rc = write_pair(tdir, cpem, kpem, e);
out:
	if (kpem)
		OPENSSL_cleanse(kpem, strlen(kpem));
	free(kpem);
	free(cpem);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	return rc;
}

/* ---- the user's certificate files ------------------------------------------- */

/* "a, b, c": the DNS names the certificate covers; allocates. */
static char *names_of(X509 *x)
{
	char **names = NULL;
	size_t n = x509_cert_dns_names(x, &names), i;
	struct sbuf b;

	sbuf_init(&b);
	for (i = 0; i < n; i++) {
		sbuf_printf(&b, "%s%s", i ? ", " : "", names[i]);
		free(names[i]);
	}
	free(names);
	if (!n)
		sbuf_adds(&b, "no DNS names");
	return sbuf_detach(&b);
}

/*
 * Validate certificate/certificate_key (+ certificate_chain): every problem
 * is a settings error (exit 2) naming the files.  *cert_pem, *key_pem: what
 * the gateway serves (leaf + chain, key).
 */
static int leaf_from_files(const struct stage *st, struct tls_plan *plan, char **cert_pem,
			   char **key_pem, struct herr *e)
{
	const char *c = settings_str(st->settings, "certificate");
	const char *k = settings_str(st->settings, "certificate_key");
	const char *ch = settings_str(st->settings, "certificate_chain");
	char *cp = NULL, *kp = NULL, *chp = NULL, *chain_pem = NULL, *names;
	X509 *leaf = NULL, *first = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	*cert_pem = *key_pem = NULL;
	if (!c || !k)
		return herr_set(e, HOIST_USAGE, "\"%s\" is set without \"%s\"; certify needs both "
				"PEM files (or neither, for a certificate from the local CA)",
				c ? "certificate" : "certificate_key",
				c ? "certificate_key" : "certificate");
	cp = project_path(st, c);
	kp = project_path(st, k);
	rc = cert_load(cp, "certificate", HOIST_USAGE, &leaf, cert_pem, e);
	if (!rc && !path_exists(kp))
		rc = herr_set(e, HOIST_USAGE, "certificate_key %s does not exist", kp);
	if (!rc) {
		rc = x509_key_load(kp, "certificate_key", &key, e);
		if (rc)
			e->code = rc = HOIST_USAGE;
	}
	if (!rc && !x509_key_matches(key, leaf))
		rc = herr_set(e, HOIST_USAGE, "certificate_key %s does not match certificate %s "
			      "(they are not a key pair)", kp, cp);
	if (!rc && !x509_cert_covers(leaf, plan->domain)) {
		names = names_of(leaf);
		rc = herr_set(e, HOIST_USAGE, "certificate %s does not cover the domain %s "
			      "(it covers: %s)", cp, plan->domain, names);
		free(names);
	}
	if (!rc && !valid_for(leaf, 0))
		rc = herr_set(e, HOIST_USAGE, "certificate %s has expired", cp);
	if (!rc && !valid_for(leaf, RENEW_DAYS))
		out_warn("certificate %s expires within %d days", cp, RENEW_DAYS);
	if (!rc && ch) {
		chp = project_path(st, ch);
		rc = cert_load(chp, "certificate_chain", HOIST_USAGE, &first, &chain_pem, e);
	}
	if (!rc) {
		char *both = xasprintf("%s%s%s", *cert_pem,
				       (*cert_pem)[0] && (*cert_pem)[strlen(*cert_pem) - 1] != '\n' ?
				       "\n" : "", chain_pem ? chain_pem : "");

		free(*cert_pem);
		*cert_pem = both;
		*key_pem = x509_key_pem(key);
		if (!*key_pem)
			rc = herr_set(e, HOIST_FAIL, "cannot encode certificate_key %s", kp);
	}
	/* a self-signed certificate is its own CA for the curl hint */
	if (!rc && X509_check_issued(leaf, leaf) == X509_V_OK)
		plan->cacert = xstrdup(cp);
	if (rc) {
		free(*cert_pem);
		*cert_pem = NULL;
	}
	X509_free(first);
	X509_free(leaf);
	EVP_PKEY_free(key);
	free(chain_pem);
	free(cp);
	free(kp);
	free(chp);
	return rc;
}

/* ---- the port ------------------------------------------------------------------ */

/* local_https_port, else the port certify chose before, else a stable hash. */
static int pick_port(const struct stage *st, json_t *state, int *port, struct herr *e)
{
	long long set = settings_int(st->settings, "local_https_port", 0);
	int http = (int)json_integer_value(json_object_get(state, "port"));
	int before = (int)json_integer_value(json_object_get(state, "https_port"));
	unsigned h = 2166136261u;
	const char *s;

	if (set > 0) {
		if (set == http)
			return herr_set(e, HOIST_USAGE, "local_https_port %lld is the stage's HTTP "
					"port; choose another one", set);
		*port = (int)set;
		return HOIST_OK;
	}
	if (before > 0 && before != http) {
		*port = before;
		return HOIST_OK;
	}
	for (s = st->project_dir; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (s = "\001https\001"; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (s = st->name; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	*port = 30000 + (int)(h % 10000);
	if (*port == http)
		(*port)++;
	return HOIST_OK;
}

/* ---- the gateway ---------------------------------------------------------------- */

/* The app strips base_path with the setting it was deployed with: say so when it differs. */
static void check_deployed_base_path(const struct stage *st, const char *dir, json_t *state,
				     const char *base_path)
{
	char *vd = local_version_dir(dir, (long)json_integer_value(json_object_get(state,
										     "current")));
	char *vj = xasprintf("%s.json", vd);
	json_t *v = json_load_file(vj, 0, NULL);
	const char *was = json_string_value(json_object_get(v, "base_path"));

	if (v && strcmp(was ? was : "", base_path ? base_path : ""))
		out_warn("the running version was deployed with base_path \"%s\", the settings say "
			 "\"%s\"; run 'hoist update %s' (--no-upload is enough) so the app "
			 "strips the new one", was ? was : "", base_path ? base_path : "",
			 st->name);
	json_decref(v);
	free(vj);
	free(vd);
}

static char *https_url(const struct tls_plan *plan)
{
	const char *b = plan->base_path;

	while (b && *b == '/')
		b++;
	if (b && *b)
		return xasprintf("https://%s:%d/%s", plan->domain, plan->port, b);
	return xasprintf("https://%s:%d/", plan->domain, plan->port);
}

static int gateway_use(const char *dir, json_t *state, const struct tls_plan *plan,
		       const char *url, struct herr *e)
{
	json_t *req, *resp = NULL;
	int rc;

	json_object_set_new(state, "domain", json_string(plan->domain));
	json_object_set_new(state, "https_url", json_string(url));
	json_object_set_new(state, "https_port", json_integer(plan->port));
	if (plan->base_path)
		json_object_set_new(state, "https_base_path", json_string(plan->base_path));
	else
		json_object_del(state, "https_base_path");
	rc = local_state_write(dir, state, e);
	if (rc)
		return rc;
	if (!local_daemon_pid(dir)) {
		out_warn("the gateway was not running; starting it");
		rc = local_start_daemon(dir, e);
		if (rc)
			return rc;
	}
	out_step("Serving HTTPS for %s on 127.0.0.1:%d", plan->domain, plan->port);
	req = json_pack("{s:s, s:i, s:s, s:s?}", "cmd", "tls", "port", plan->port,
			"domain", plan->domain, "base_path", plan->base_path);
	rc = control_call(dir, req, &resp, 30000, e);
	json_decref(req);
	if (!rc && !json_is_true(json_object_get(resp, "ok"))) {
		rc = herr_set(e, HOIST_FAIL, "the gateway cannot serve HTTPS: %s",
			      json_string_value(json_object_get(resp, "error")));
		herr_hint(e, "Set \"local_https_port\" in the stage settings to choose another "
			  "port.");
	}
	json_decref(resp);
	return rc;
}

int local_certify(const struct stage *st, const struct certify_args *a, char **url,
		  struct herr *e)
{
	struct tls_plan plan = { 0 };
	char *dir = NULL, *tdir = NULL, *cert_pem = NULL, *key_pem = NULL;
	json_t *state = NULL;
	bool files;
	int rc;

	*url = NULL;
	if (a->manual)
		out_warn("--manual has no meaning on the local provider (there is no DNS); "
			 "ignored");
	plan.domain = settings_str(st->settings, "domain");
	plan.base_path = settings_str(st->settings, "base_path");
	if (!plan.domain || !*plan.domain) {
		rc = herr_set(e, HOIST_USAGE, "certify needs \"domain\" in the settings of stage "
			      "'%s'", st->name);
		herr_hint(e, "Add e.g. \"domain\": \"app.example.test\" to the stage.");
		return rc;
	}
	files = settings_str(st->settings, "certificate") ||
		settings_str(st->settings, "certificate_key");
	if (files) {
		rc = leaf_from_files(st, &plan, &cert_pem, &key_pem, e);
		if (rc)
			goto out;
	}
	rc = local_open_deployed(st, &dir, &state, e);
	if (!rc)
		rc = pick_port(st, state, &plan.port, e);
	if (rc)
		goto out;
	check_deployed_base_path(st, dir, state, plan.base_path);
	tdir = local_file(dir, "tls");
	if (files) {
		out_step("Installing certificate %s for %s", settings_str(st->settings,
			 "certificate"), plan.domain);
		rc = write_pair(tdir, cert_pem, key_pem, e);
	} else {
		rc = leaf_from_ca(tdir, &plan, e);
	}
	if (!rc) {
		*url = https_url(&plan);
		rc = gateway_use(dir, state, &plan, *url, e);
	}
	if (rc) {
		free(*url);
		*url = NULL;
		goto out;
	}
	out_step("Try it: curl %s%s%s--resolve %s:%d:127.0.0.1 %s", plan.cacert ? "--cacert " : "",
		 plan.cacert ? plan.cacert : "", plan.cacert ? " " : "", plan.domain, plan.port,
		 *url);
out:
	if (key_pem)
		OPENSSL_cleanse(key_pem, strlen(key_pem));
	free(key_pem);
	free(cert_pem);
	free(plan.cacert);
	json_decref(state);
	free(tdir);
	free(dir);
	return rc;
}
