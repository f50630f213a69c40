/*
 * certify.c — `hoist certify` on Alibaba Cloud: a Function Compute custom
 * domain for the stage's `domain` (routing every path, or those under
 * "/<base_path>/", to the stage's alias), served over HTTP and HTTPS with a
 * certificate FC holds itself (certConfig), and the DNS that makes FC
 * accept it.
 *
 * The certificate, by the first setting present:
 *   certificate (+ certificate_key, certificate_chain)   the PEM files;
 *   lets_encrypt_key   ACME v2 (core/acme.c, `acme_directory`, default Let's
 *                      Encrypt production) with dns-01 TXT records written
 *                      through Alibaba Cloud DNS (alidns.c);
 *   neither            a usage error: FC has no managed certificates.
 *
 * DNS: FC serves a custom domain only once it is a CNAME of the account's
 * endpoint <account-id>.<region>.fc.aliyuncs.com (otherwise it answers 400
 * DomainNameNotResolved).  When the domain's zone is in Alibaba Cloud DNS
 * hoist creates (or corrects) that CNAME first; otherwise it cannot, and
 * asks FC anyway — a domain already pointed elsewhere is installed, one not
 * pointed is refused by FC, and hoist then names the exact record to create
 * (nothing changed).  Let's Encrypt needs the zone in Alibaba Cloud DNS.
 *
 * Re-running converges: the domain is updated only when its certificate,
 * protocol or route differ (a renewal replaces the certificate in place),
 * the CNAME is written only when missing or different, the ACME TXT records
 * are removed whatever happens.
 *
 * A stage API Gateway serves (apigateway_enabled) gets its domain bound to
 * the API group instead, in the stage's environment, with the same
 * certificate (apigw_domain.c): the CNAME then leads to the group's
 * subdomain, which API Gateway checks before it binds the domain.
 *
 * --manual changes nothing in FC or DNS (only ACME's temporary TXT records
 * are written and removed) and returns what to do by hand: the CNAME record
 * ("records") and, for lets_encrypt_key or certificate files, the PEM files
 * written under <state dir>/certs/<domain>/ ("files").
 */
#include "alidns.h"
#include "apigw.h"
#include "fc.h"

#include "../certfiles.h"
#include "../provider.h"
#include "../../core/acme.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *domain_of(const struct stage *st)
{
	return settings_str(st->settings, "domain");
}

/* Settings checks: nothing is sent before these pass. */
static int plan(const struct stage *st, enum cert_source *src, struct cert_pem *p,
		struct herr *e)
{
	int rc;

	if (!ali_frontdoor_any(st)) {
		herr_set(e, HOIST_USAGE, "certify: stage '%s' has no front door (neither an HTTP "
			 "trigger nor API Gateway) for a domain to lead to", st->name);
		return herr_hint(e, "set apigateway_enabled: true, or leave function_url_enabled "
				 "unset or true");
	}
	rc = cert_source_plan(st, domain_of(st), src, p, e);
	if (rc || *src != CERT_SRC_NONE)
		return rc;
	herr_set(e, HOIST_USAGE, "certify: %s take the certificate itself; stage '%s' has "
		 "neither `certificate` (with certificate_key) nor `lets_encrypt_key`",
		 ali_apigw_wanted(st) ? "API Gateway's custom domains"
		 : "Function Compute custom domains", st->name);
	return herr_hint(e, "set certificate/certificate_key/certificate_chain to PEM files, or "
			 "lets_encrypt_key to an ACME account key for Let's Encrypt");
}

static char *endpoint_of(struct ali_ctx *x, struct herr *e)
{
	const char *acct;

	return ali_account_id(x, &acct, e) ? NULL
		: xasprintf("%s.%s.fc.aliyuncs.com", acct, x->region);
}

static char *route_path(const struct stage *st)
{
	const char *base = settings_str(st->settings, "base_path");

	return base && *base ? xasprintf("/%s/*", base) : xstrdup("/*");
}

static int obtain_acme(struct ali_ctx *x, const char *domain, struct cert_pem *p, struct herr *e)
{
	out_step("Requesting a certificate for %s (ACME dns-01 through Alibaba Cloud DNS)",
		 domain);
	return cert_acme_obtain(x->st, domain, alidns_acme_set_txt, x, p, e);
}

/* The custom domain FC should hold (CreateCustomDomainInput without domainName). */
static json_t *desired_domain(struct ali_ctx *x, const char *domain, const struct cert_pem *p)
{
	char *name = xasprintf("hoist-%s", domain), *chain = xasprintf("%s%s%s", p->cert,
		p->chain && *p->chain && p->cert[strlen(p->cert) - 1] != '\n' ? "\n" : "",
		p->chain ? p->chain : "");
	char *path = route_path(x->st);
	json_t *d;

	for (char *c = name; *c; c++)
		if (*c == '.')
			*c = '-';
	d = json_pack("{s:s, s:{s:s, s:s, s:s}, s:{s:[{s:s, s:s, s:s, s:[s,s,s,s,s,s,s]}]}}",
		      "protocol", "HTTP,HTTPS", "certConfig", "certName", name, "certificate",
		      chain, "privateKey", p->key, "routeConfig", "routes", "path", path,
		      "functionName", x->st->function_name, "qualifier", x->alias, "methods",
		      "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS");
	free(path);
	free(chain);
	free(name);
	return d;
}

/* Does the domain as FC has it already match (certificate, protocol, route)? */
static bool domain_same(const json_t *have, const json_t *want)
{
	const json_t *hr = json_array_get(json_object_get(json_object_get(have, "routeConfig"),
							  "routes"), 0);
	const json_t *wr = json_array_get(json_object_get(json_object_get(want, "routeConfig"),
							  "routes"), 0);

	return have && json_array_size(json_object_get(json_object_get(have, "routeConfig"),
						       "routes")) == 1 &&
	       !strcmp(fc_str(have, "protocol") ?: "", fc_str(want, "protocol")) &&
	       !strcmp(fc_str(json_object_get(have, "certConfig"), "certificate") ?: "",
		       fc_str(json_object_get(want, "certConfig"), "certificate")) &&
	       !strcmp(fc_str(hr, "path") ?: "", fc_str(wr, "path")) &&
	       !strcmp(fc_str(hr, "functionName") ?: "", fc_str(wr, "functionName")) &&
	       !strcmp(fc_str(hr, "qualifier") ?: "", fc_str(wr, "qualifier"));
}

static int not_resolved(const char *domain, const char *endpoint, struct herr *e)
{
	herr_set(e, HOIST_FAIL, "certify: Function Compute refused %s: it is not a CNAME of your "
		 "FC endpoint %s (DomainNameNotResolved), and its zone is not in Alibaba Cloud "
		 "DNS, so hoist cannot create the record; nothing was changed", domain, endpoint);
	return herr_hint(e, "create this record at your DNS provider, wait for it to resolve, then "
			 "run certify again:\n  %s. CNAME %s.", domain, endpoint);
}

static int install(struct ali_ctx *x, const char *domain, const struct cert_pem *p,
		   const char *endpoint, struct herr *e)
{
	json_t *have = NULL, *want = desired_domain(x, domain, p);
	int rc = fc_domain_get(x, domain, &have, e);

	if (!rc && domain_same(have, want)) {
		out_info("custom domain %s unchanged", domain);
	} else if (!rc) {
		out_step("%s custom domain %s (HTTP and HTTPS) -> %s:%s", have ? "Updating" :
			 "Creating", domain, x->st->function_name, x->alias);
		rc = fc_domain_put(x, domain, want, have != NULL, e);
		if (rc && strstr(e->msg, "DomainNameNotResolved"))
			rc = not_resolved(domain, endpoint, e);
	}
	json_decref(have);
	json_decref(want);
	return rc;
}

int ali_certify(const struct stage *st, const struct certify_args *a, char **url,
		struct herr *e)
{
	const char *domain = domain_of(st), *base = settings_str(st->settings, "base_path");
	bool manual = a && a->manual, gw = ali_apigw_wanted(st);
	enum cert_source mode = CERT_SRC_NONE;
	struct cert_pem p = { 0 };
	struct ali_ctx x;
	json_t *fn = NULL, *alias = NULL;
	char *zone = NULL, *rr = NULL, *endpoint = NULL;
	int rc;

	*url = NULL;
	if ((rc = plan(st, &mode, &p, e)))
		goto out_plain;
	if ((rc = ali_ctx_open(&x, st, e)))
		goto out_plain;
	/* Everything that can be checked before the first change. */
	rc = fc_get(&x, NULL, &fn, e);
	if (!rc && !fn)
		rc = herr_set(e, HOIST_FAIL, "certify: stage '%s' is not deployed; run 'hoist deploy "
			      "%s' first", st->name, st->name);
	if (!rc)
		rc = fc_alias_get(&x, &alias, e);
	if (!rc && !alias)
		rc = herr_set(e, HOIST_FAIL, "certify: stage '%s' has no alias %s yet; run 'hoist "
			      "deploy %s' again to finish it", st->name, x.alias, st->name);
	if (!rc && gw)   /* API Gateway serves the stage: the domain is bound to its group */
		rc = ali_apigw_domain_target(&x, &endpoint, e);
	else if (!rc && !(endpoint = endpoint_of(&x, e)))
		rc = e->code;
	if (!rc)
		rc = alidns_zone_for(&x, domain, &zone, &rr, e);
	if (!rc && !zone && mode == CERT_SRC_ACME) {
		rc = herr_set(e, HOIST_FAIL, "certify: the zone of %s is not in Alibaba Cloud DNS, "
			      "so hoist cannot answer Let's Encrypt's dns-01 challenge there; nothing "
			      "was changed", domain);
		herr_hint(e, "host the zone in Alibaba Cloud DNS, or get the certificate elsewhere "
			  "and set certificate/certificate_key");
	}
	if (rc)
		goto out;
	if (mode == CERT_SRC_ACME && (rc = obtain_acme(&x, domain, &p, e)))
		goto out;
	if (manual) {
		json_object_set_new(a->manual_out, "records", json_pack("[{s:s, s:s, s:s}]", "name",
				    domain, "type", "CNAME", "value", endpoint));
		rc = cert_write_manual(domain, &p, a->manual_out, e);
		if (!rc && gw)
			out_info("then bind %s to API group %s in API Gateway with the certificate",
				 domain, endpoint);
		goto out;
	}
	if (zone)
		rc = alidns_cname(&x, zone, rr, endpoint, e);
	else
		out_warn("the zone of %s is not in Alibaba Cloud DNS: it must already be a CNAME of "
			 "%s", domain, endpoint);
	if (!rc && gw)
		rc = ali_apigw_domain_install(&x, domain, &p, e);
	else if (!rc)
		rc = install(&x, domain, &p, endpoint, e);
	if (!rc) {
		out_step("Certificate installed for %s", domain);
		*url = xasprintf("https://%s%s%s", domain, base && *base ? "/" : "",
				 base && *base ? base : "");
	}
out:
	free(zone);
	free(rr);
	free(endpoint);
	json_decref(alias);
	json_decref(fn);
	ali_ctx_close(&x);
out_plain:
	cert_pem_free(&p);
	return rc;
}

/* The stage's custom domain (its only route is our function): the URL, else NULL. */
int ali_domain_url(struct ali_ctx *x, char **url, struct herr *e)
{
	const char *domain = domain_of(x->st), *base = settings_str(x->st->settings, "base_path");
	json_t *d = NULL;
	const json_t *r;
	int rc;

	*url = NULL;
	if (!domain)
		return HOIST_OK;
	rc = fc_domain_get(x, domain, &d, e);
	r = json_array_get(json_object_get(json_object_get(d, "routeConfig"), "routes"), 0);
	if (!rc && r && !strcmp(fc_str(r, "functionName") ?: "", x->st->function_name))
		*url = xasprintf("https://%s%s%s", domain, base && *base ? "/" : "",
				 base && *base ? base : "");
	json_decref(d);
	return rc;
}

/* undeploy: the custom domain when it routes to this function, and its CNAME when hoist's. */
int ali_domain_remove(struct ali_ctx *x, struct herr *e)
{
	const char *domain = domain_of(x->st);
	char *url = NULL, *zone = NULL, *rr = NULL, *endpoint = NULL;
	json_t *recs = NULL, *r;
	size_t i;
	int rc;

	if (!domain)
		return HOIST_OK;
	rc = ali_domain_url(x, &url, e);
	if (!rc && url) {
		out_step("Deleting custom domain %s", domain);
		rc = fc_domain_delete(x, domain, e);
	}
	if (!rc)
		rc = alidns_zone_for(x, domain, &zone, &rr, e);
	if (!rc && zone && !(endpoint = endpoint_of(x, e)))
		rc = e->code;
	if (!rc && zone)
		rc = alidns_records(x, zone, rr, "CNAME", &recs, e);
	json_array_foreach(recs, i, r)
			if (!rc && !strcasecmp(fc_str(r, "Value") ?: "", endpoint)) {
				out_step("Deleting CNAME %s", domain);
				rc = alidns_delete(x, fc_str(r, "RecordId"), e);
			}
	json_decref(recs);
	free(url);
	free(zone);
	free(rr);
	free(endpoint);
	return rc;
}
