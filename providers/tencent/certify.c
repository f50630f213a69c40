/*
 * certify.c — `hoist certify` on Tencent: an SCF custom domain for the
 * stage's `domain`, routed to the stage alias, with a certificate in the SSL
 * service.
 *
 * The certificate, by the first setting present:
 *   certificate (+ certificate_key, certificate_chain)   PEM files;
 *   lets_encrypt_key   ACME v2 (core/acme.c, `acme_directory`, default Let's
 *                      Encrypt production) with the dns-01 TXT records
 *                      written through DNSPod (the domain's zone must be
 *                      one of the account's DNSPod domains).
 * It is uploaded (UploadCertificate, Alias "hoist-<domain>"); a renewal
 * uploads the new one, moves the domain to it and deletes the one hoist
 * uploaded before, so there is always one certificate, one domain, one
 * record.  Re-running with the same files changes nothing.
 *
 * DNS: SCF accepts a custom domain only once it resolves (CNAME) to
 * <appid>.<region>.tencentscf.com (doc 583/64369).  When the zone is in
 * DNSPod hoist writes that CNAME; otherwise it prints the exact record, and
 * CreateCustomDomain is refused until it exists (exit 1, nothing else made).
 *
 * The domain routes every path (PathMatch "/" + "*"), or those under
 * "/<base_path>/", to the function on the
 * stage alias; the handler mounts the app under base_path (SCRIPT_NAME), so
 * links the app makes keep the prefix.  Protocol HTTP&HTTPS.
 *
 * Checked before the first change: the settings and files (exit 2), the
 * deployed function, its alias and function URL (exit 1).
 *
 * --manual writes the certificate files (core/certfiles.h) and returns the
 * CNAME to create, changing nothing in SCF, SSL or DNSPod (only ACME's
 * temporary TXT record is written and removed).
 */
#include "tencent.h"

#include "../certfiles.h"
#include "../provider.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

static int plan(const struct stage *st, const char *domain, enum cert_source *src,
		struct cert_pem *p, struct herr *e)
{
	int rc = cert_source_plan(st, domain, src, p, e);

	if (rc || *src != CERT_SRC_NONE)
		return rc;
	herr_set(e, HOIST_USAGE, "certify: stage '%s' names no certificate for %s", st->name,
		 domain);
	return herr_hint(e, "set \"certificate\" and \"certificate_key\" (PEM files), or "
			 "\"lets_encrypt_key\" (an account key) to get one from Let's Encrypt "
			 "through DNSPod");
}

/* The endpoint the domain routes to this stage. */
static json_t *endpoints(const struct tc_ctx *x)
{
	const char *base = settings_str(x->st->settings, "base_path");
	char *match = base ? xasprintf("/%s/*", base) : xstrdup("/*");
	json_t *ep = json_pack("[{s:s, s:s, s:s, s:s}]", "Namespace", "default", "FunctionName",
			       x->fn, "Qualifier", x->alias, "PathMatch", match);

	free(match);
	return ep;
}

static bool endpoints_match(const json_t *have, const json_t *want)
{
	const json_t *a = json_array_get(have, 0), *b = json_array_get(want, 0);
	static const char *const keys[] = { "Namespace", "FunctionName", "Qualifier", "PathMatch" };

	if (json_array_size(have) != 1)
		return false;
	for (size_t i = 0; i < 4; i++)
		if (strcmp(tc_str(a, keys[i]) ?: "", tc_str(b, keys[i]) ?: ""))
			return false;
	return !json_array_size(json_object_get(a, "PathRewrite"));
}

/* Create or converge the custom domain on certificate `cert`. */
static int install_domain(struct tc_ctx *x, const char *domain, const json_t *have,
			  const char *cert, struct herr *e)
{
	json_t *eps = endpoints(x), *p;
	struct tc_result r;
	const char *action = have ? "UpdateCustomDomain" : "CreateCustomDomain";
	int rc = HOIST_OK;

	if (have && endpoints_match(json_object_get(have, "EndpointsConfig"), eps) &&
	    !strcmp(tc_str(json_object_get(have, "CertConfig"), "CertificateId") ?: "", cert) &&
	    !strcmp(tc_str(have, "Protocol") ?: "", "HTTP&HTTPS")) {
		out_info("custom domain %s unchanged", domain);
		json_decref(eps);
		return HOIST_OK;
	}
	p = json_pack("{s:s, s:s, s:o, s:{s:s}}", "Domain", domain, "Protocol", "HTTP&HTTPS",
		      "EndpointsConfig", eps, "CertConfig", "CertificateId", cert);
	out_step("%s custom domain %s → %s:%s", have ? "Updating" : "Creating", domain, x->fn,
		 x->alias);
	rc = tc_call(x, &tc_scf, action, p, &r, e);
	if (rc && !have && tc_error_is(&r, "ResourceInUse")) {      /* an earlier attempt */
		tc_result_free(&r);
		herr_clear(e);
		rc = tc_call(x, &tc_scf, "UpdateCustomDomain", p, &r, e);
	}
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

/* Deployed, with its alias and function URL (SCF routes a custom domain to a URL'd alias). */
static int preflight(struct tc_ctx *x, const char *domain, struct herr *e)
{
	json_t *ts = NULL;
	char *url = NULL, *ver = NULL;
	int rc = scf_alias_get(x, &ver, e);

	if (!rc && !ver)
		rc = tc_not_deployed(x, e);
	if (!rc)
		rc = scf_triggers(x, &ts, e);
	if (!rc && !(url = tc_url_of(x, ts, NULL))) {
		rc = herr_set(e, HOIST_FAIL, "certify: stage %s has no function URL to put %s in "
			      "front of", x->st->name, domain);
		herr_hint(e, "run 'hoist update %s' first", x->st->name);
	}
	free(url);
	free(ver);
	json_decref(ts);
	return rc;
}

/* The CNAME the domain needs, in a --manual / --json answer. */
static json_t *cname_record(const char *domain, const char *target)
{
	return json_pack("[{s:s, s:s, s:s}]", "name", domain, "type", "CNAME", "value", target);
}

int tc_certify(const struct stage *st, const struct certify_args *a, char **url,
	       struct herr *e)
{
	const char *domain = settings_str(st->settings, "domain"), *appid, *old;
	bool manual = a && a->manual;
	enum cert_source mode = CERT_SRC_NONE;
	struct cert_pem p = { 0 };
	struct tc_ctx x;
	json_t *have = NULL;
	char *zone = NULL, *target = NULL, *cert = NULL;
	int rc;

	*url = NULL;
	if ((rc = plan(st, domain, &mode, &p, e)))
		goto out_plain;
	if ((rc = tc_ctx_open(&x, st, e)))
		goto out_plain;
	rc = preflight(&x, domain, e);
	if (!rc)
		rc = tc_appid(&x, &appid, e);
	if (!rc)
		rc = dnspod_zone_for(&x, domain, &zone, e);
	if (!rc)
		rc = tc_domain_get(&x, domain, &have, e);
	if (rc)
		goto out;
	if (have && !tc_domain_ours(&x, have)) {
		rc = herr_set(e, HOIST_FAIL, "certify: the custom domain %s routes to another "
			      "function", domain);
		herr_hint(e, "remove it from that function first (SCF DeleteCustomDomain)");
		goto out;
	}
	target = xasprintf("%s.%s.tencentscf.com", appid, x.region);
	if (mode == CERT_SRC_ACME && !zone) {
		rc = herr_set(e, HOIST_FAIL, "certify: Let's Encrypt's dns-01 needs the zone of %s "
			      "in DNSPod, and no DNSPod domain of this account holds it", domain);
		herr_hint(e, "add the zone to DNSPod, or give certificate/certificate_key files");
		goto out;
	}
	if (mode == CERT_SRC_ACME && (rc = cert_acme_obtain(st, domain, dnspod_acme_set_txt, &x, &p, e)))
		goto out;
	if (manual) {
		rc = cert_write_manual(domain, &p, a->manual_out, e);
		json_object_set_new(a->manual_out, "records", cname_record(domain, target));
		goto out;
	}
	if (zone)
		rc = dnspod_cname_ensure(&x, zone, domain, target, e);
	else
		out_warn("%s is not in DNSPod: create this record where its zone is hosted, then run "
			 "'hoist certify %s' again if SCF refuses the domain:\n  %s CNAME %s", domain,
			 st->name, domain, target);
	if (!rc) {
		struct cert_pem full = p;
		char *chained = p.chain && *p.chain ? xasprintf("%s%s%s", p.cert,
			str_ends(p.cert, "\n") ? "" : "\n", p.chain) : NULL;

		full.cert = chained ? chained : p.cert;
		rc = tc_cert_upload(&x, domain, full.cert, p.key, &cert, e);
		free(chained);
	}
	old = tc_str(json_object_get(have, "CertConfig"), "CertificateId");
	if (!rc)
		rc = install_domain(&x, domain, have, cert, e);
	if (!rc && old && *old && strcmp(old, cert))        /* renewed: the old one goes */
		rc = tc_cert_delete_ours(&x, old, domain, e);
	if (!rc) {
		rc = tc_domain_url(&x, url, e);
		out_step("Certificate installed: %s serves stage %s", domain, st->name);
	}
out:
	if (rc && !manual && rc != HOIST_USAGE)
		herr_hint(e, "what was done is kept; 'hoist certify %s' again converges", st->name);
	json_decref(have);
	tc_ctx_close(&x);
out_plain:
	cert_pem_free(&p);
	free(zone);
	free(target);
	free(cert);
	return rc;
}
