/*
 * apigw_domain.c — the custom domain of a stage that API Gateway fronts
 * (certify with apigateway_enabled; certify.c obtains the certificate and
 * writes the DNS): the domain is bound to the stage's API group in the
 * stage's environment (SetDomain, BindStageName) and given its certificate
 * (SetDomainCertificate), each only when it differs — a renewal replaces the
 * certificate in place, so there is one binding, one certificate, one CNAME
 * (to the group's subdomain, which API Gateway checks before it binds).
 * Every domain bound to hoist's group is hoist's (the group is): undeploy
 * unbinds them all (DeleteDomain drops the certificate too) and deletes the
 * CNAME hoist wrote to the subdomain.
 */
#include "alidns.h"
#include "apigw.h"
#include "cloudapi.h"

#include "../certfiles.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int ali_apigw_domain_target(struct ali_ctx *x, char **subdomain, struct herr *e)
{
	struct ali_apigw g;
	int rc = ali_apigw_find(x, &g, e);

	*subdomain = NULL;
	if (!rc && !(g.api && g.subdomain)) {
		rc = herr_set(e, HOIST_FAIL, "certify: stage '%s' has no API Gateway API yet (%s)",
			      x->st->name, g.name);
		herr_hint(e, "run 'hoist deploy %s' (or update) first", x->st->name);
	}
	if (!rc) {
		*subdomain = g.subdomain;
		g.subdomain = NULL;
	}
	ali_apigw_free(&g);
	return rc;
}

/* The group's binding of `domain` (DescribeApiGroup's CustomDomains entry), or NULL. */
static const json_t *binding(const json_t *group, const char *domain)
{
	const json_t *d;
	size_t i;

	json_array_foreach(capi_list(group, "CustomDomains", "DomainItem"), i, d)
		if (!strcasecmp(json_string_value(json_object_get(d, "DomainName")) ?: "", domain))
			return d;
	return NULL;
}

/* "hoist-api-example-com": a CertificateName (a letter first, 4-50 of [A-Za-z0-9_-]). */
static char *cert_name(const char *domain)
{
	char *n = xasprintf("hoist-%.44s", domain);

	for (char *c = n; *c; c++)
		if (*c == '.' || *c == '*')
			*c = '-';
	return n;
}

int ali_apigw_domain_install(struct ali_ctx *x, const char *domain, const struct cert_pem *p,
			     struct herr *e)
{
	const char *stage = ali_apigw_stage(x->st);
	struct ali_apigw g;
	json_t *group = NULL, *d = NULL;
	const json_t *b;
	char *body = NULL, *name = NULL;
	int rc = ali_apigw_find(x, &g, e);

	if (!rc)
		rc = capi_group_get(x, g.group_id, &group, e);
	if (rc)
		goto out;
	b = binding(group, domain);
	if (!b || strcmp(json_string_value(json_object_get(b, "BindStageName")) ?: "", stage)) {
		out_step("Binding %s to API group %s (%s)", domain, g.name, stage);
		rc = capi_domain_set(x, g.group_id, domain, stage, e);
		if (rc && strstr(e->msg, "DomainNotResolved"))
			herr_hint(e, "%s must be a CNAME of %s before API Gateway binds it", domain,
				  g.subdomain);
	}
	if (!rc)
		rc = capi_domain_get(x, g.group_id, domain, &d, e);
	body = xasprintf("%s%s%s", p->cert, p->chain && *p->chain &&
			 p->cert[strlen(p->cert) - 1] != '\n' ? "\n" : "", p->chain ? p->chain : "");
	if (!rc && strcmp(json_string_value(json_object_get(d, "CertificateBody")) ?: "", body)) {
		name = cert_name(domain);
		out_step("Installing the certificate of %s on API Gateway", domain);
		rc = capi_domain_certificate(x, g.group_id, domain, name, body, p->key, e);
	} else if (!rc) {
		out_info("the certificate of %s is already installed", domain);
	}
out:
	free(name);
	free(body);
	json_decref(d);
	json_decref(group);
	ali_apigw_free(&g);
	return rc;
}

int ali_apigw_domain_url(struct ali_ctx *x, const struct ali_apigw *g, char **url,
			 struct herr *e)
{
	const char *domain = settings_str(x->st->settings, "domain");
	const char *base = settings_str(x->st->settings, "base_path");
	json_t *group = NULL;
	int rc = HOIST_OK;

	*url = NULL;
	if (domain && g->group_id)
		rc = capi_group_get(x, g->group_id, &group, e);
	if (!rc && binding(group, domain ? domain : ""))
		*url = xasprintf("https://%s%s%s", domain, base && *base ? "/" : "",
				 base && *base ? base : "");
	json_decref(group);
	return rc;
}

int ali_apigw_domain_remove(struct ali_ctx *x, const char *group_id, const char *subdomain,
			    struct herr *e)
{
	json_t *group = NULL, *d, *recs = NULL, *r;
	char *zone = NULL, *rr = NULL;
	size_t i, j;
	int rc = capi_group_get(x, group_id, &group, e);

	json_array_foreach(capi_list(group, "CustomDomains", "DomainItem"), i, d) {
		const char *name = json_string_value(json_object_get(d, "DomainName"));

		if (rc || !name)
			continue;
		out_step("Unbinding %s from the API group", name);
		rc = capi_domain_delete(x, group_id, name, e);
		if (!rc)
			rc = alidns_zone_for(x, name, &zone, &rr, e);
		if (!rc && zone)
			rc = alidns_records(x, zone, rr, "CNAME", &recs, e);
		json_array_foreach(recs, j, r)
			if (!rc && !strcasecmp(json_string_value(json_object_get(r, "Value")) ?: "",
					       subdomain)) {
				out_step("Deleting CNAME %s", name);
				rc = alidns_delete(x, json_string_value(json_object_get(r,
						   "RecordId")), e);
			}
		json_decref(recs);
		recs = NULL;
		free(zone);
		free(rr);
		zone = rr = NULL;
	}
	json_decref(group);
	return rc;
}
