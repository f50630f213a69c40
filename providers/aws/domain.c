/*
 * domain.c — the stage's custom domain on API Gateway (REST v1): the domain
 * name with its certificate (CreateDomainName, or UpdateDomainName when the
 * certificate changed — a renewal), the base path mapping to the stage's
 * REST API (named <function>, stage = the raw stage name), the Route 53
 * alias A record in the best-matching hosted zone, and their removal for
 * undeploy.  base_path "" maps the whole domain ("(none)").
 */
#include "ev_common.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

static char *domain_path(const char *domain, const char *suffix)
{
	char *d = aws_path_escape(domain);
	char *p = xasprintf("/domainnames/%s%s", d, suffix ? suffix : "");

	free(d);
	return p;
}

/* The API Gateway domain name (new reference) or NULL when absent. */
static int get_domain(struct aws_ctx *x, const char *domain, json_t **d, struct herr *e)
{
	char *path = domain_path(domain, NULL);
	int rc = ev_rest(x, &aws_apigateway, "GetDomainName", "GET", path, NULL, NULL, d,
			 "NotFoundException", e);

	free(path);
	return rc;
}

int domain_cert(struct aws_ctx *x, const char *domain, char **arn, struct herr *e)
{
	json_t *d = NULL;
	const char *a;
	int rc = get_domain(x, domain, &d, e);

	*arn = NULL;
	a = json_string_value(json_object_get(d, "certificateArn"));
	if (!a)
		a = json_string_value(json_object_get(d, "regionalCertificateArn"));
	if (a)
		*arn = xstrdup(a);
	json_decref(d);
	return rc;
}

/* The REST API named <function> (allocated id) or NULL. */
int domain_rest_api(struct aws_ctx *x, char **id, struct herr *e)
{
	json_t *out = NULL, *a;
	char *pos = NULL;
	size_t i;
	int rc;

	*id = NULL;
	do {
		struct sbuf q;

		sbuf_init(&q);
		aws_query_add(&q, "limit", "500");
		if (pos)
			aws_query_add(&q, "position", pos);
		free(pos);
		pos = NULL;
		rc = ev_rest(x, &aws_apigateway, "GetRestApis", "GET", "/restapis", q.s, NULL, &out,
			     NULL, e);
		sbuf_free(&q);
		if (rc)
			break;
		json_array_foreach(json_object_get(out, "item"), i, a)
			if (!*id && !strcmp(json_string_value(json_object_get(a, "name")) ?: "",
					    x->st->function_name))
				*id = xstrdup(json_string_value(json_object_get(a, "id")));
		if (!*id && json_string_value(json_object_get(out, "position")))
			pos = xstrdup(json_string_value(json_object_get(out, "position")));
		json_decref(out);
	} while (pos);
	return rc;
}

static const char *base_path(struct aws_ctx *x)
{
	const char *b = ev_setting_str(x, "base_path");

	while (b && *b == '/')
		b++;
	return b && *b ? b : "(none)";
}

static int ensure_domain(struct aws_ctx *x, const char *domain, const char *cert, bool regional,
			 json_t **d, struct herr *e)
{
	const char *key = regional ? "regionalCertificateArn" : "certificateArn";
	char *path;
	int rc;

	rc = get_domain(x, domain, d, e);
	if (rc)
		return rc;
	if (!*d) {
		json_t *req = json_pack("{s:s, s:s, s:{s:[s]}, s:s}", "domainName", domain, key, cert,
					"endpointConfiguration", "types",
					regional ? "REGIONAL" : "EDGE", "securityPolicy", "TLS_1_2");

		rc = ev_rest(x, &aws_apigateway, "CreateDomainName", "POST", "/domainnames", NULL,
			     req, d, "ConflictException", e);
		if (rc || *d) {
			if (!rc)
				out_step("Created the API Gateway domain name %s", domain);
			return rc;
		}
		/* "already exists": created meanwhile; converge what is there */
		if ((rc = get_domain(x, domain, d, e)) != HOIST_OK || !*d)
			return rc ? rc : herr_set(e, HOIST_FAIL, "API Gateway domain name %s: "
						  "CreateDomainName says it exists, GetDomainName "
						  "says it does not; run the command again", domain);
	}
	if (!strcmp(json_string_value(json_object_get(*d, key)) ?: "", cert))
		return HOIST_OK;
	json_decref(*d);
	*d = NULL;
	path = domain_path(domain, NULL);
	rc = ev_rest(x, &aws_apigateway, "UpdateDomainName", "PATCH", path, NULL,
		     json_pack("{s:[{s:s, s:s, s:s}]}", "patchOperations", "op", "replace",
			       "path", regional ? "/regionalCertificateArn" : "/certificateArn",
			       "value", cert), d, NULL, e);
	free(path);
	if (!rc)
		out_step("Updated the certificate of %s", domain);
	return rc;
}

static int ensure_mapping(struct aws_ctx *x, const char *domain, const char *api,
			  struct herr *e)
{
	const char *bp = base_path(x);
	char *path = domain_path(domain, "/basepathmappings"), *one = NULL, *ebp;
	json_t *out = NULL, *m;
	size_t i;
	int rc;
	bool ok = false, other = false;

	rc = ev_rest(x, &aws_apigateway, "GetBasePathMappings", "GET", path, NULL, NULL, &out,
		     NULL, e);
	json_array_foreach(json_object_get(out, "item"), i, m) {
		if (strcmp(json_string_value(json_object_get(m, "basePath")) ?: "", bp))
			continue;
		if (!strcmp(json_string_value(json_object_get(m, "restApiId")) ?: "", api) &&
		    !strcmp(json_string_value(json_object_get(m, "stage")) ?: "", x->st->name))
			ok = true;
		else
			other = true;
	}
	json_decref(out);
	if (rc || ok)
		goto out;
	if (other) {
		ebp = aws_path_escape(bp);
		one = xasprintf("%s/%s", path, ebp);
		free(ebp);
		rc = ev_rest(x, &aws_apigateway, "DeleteBasePathMapping", "DELETE", one, NULL, NULL,
			     NULL, "NotFoundException", e);
		if (rc)
			goto out;
	}
	rc = ev_rest(x, &aws_apigateway, "CreateBasePathMapping", "POST", path, NULL,
		     json_pack("{s:s, s:s, s:s}", "basePath", strcmp(bp, "(none)") ? bp : "",
			       "restApiId", api, "stage", x->st->name), NULL,
		     "ConflictException", e);   /* mapped meanwhile: it is there */
	if (!rc)
		out_step("Mapped https://%s/%s to the stage %s", domain,
			 strcmp(bp, "(none)") ? bp : "", x->st->name);
out:
	free(one);
	free(path);
	return rc;
}

/* The alias target of a domain name: (hosted zone, DNS name), borrowed from d. */
static void alias_of(json_t *d, bool regional, const char **zone, const char **dns)
{
	*zone = json_string_value(json_object_get(d, regional ? "regionalHostedZoneId"
							     : "distributionHostedZoneId"));
	*dns = json_string_value(json_object_get(d, regional ? "regionalDomainName"
							    : "distributionDomainName"));
}

int domain_install(struct aws_ctx *x, const char *domain, const char *cert_arn, bool regional,
		   const char *zone, struct herr *e)
{
	json_t *d = NULL;
	char *api = NULL;
	const char *az, *adns;
	int rc;

	rc = domain_rest_api(x, &api, e);
	if (!rc && !api)
		rc = herr_set(e, HOIST_FAIL, "the stage has no REST API named %s to map %s to "
			      "(certify needs apigateway_enabled with apigateway_version v1)",
			      x->st->function_name, domain);
	if (!rc)
		rc = ensure_domain(x, domain, cert_arn, regional, &d, e);
	if (!rc)
		rc = ensure_mapping(x, domain, api, e);
	if (!rc && zone) {
		alias_of(d, regional, &az, &adns);
		if (!az || !adns)
			rc = herr_set(e, HOIST_FAIL, "API Gateway GetDomainName %s: no %s target "
				      "to point DNS at", domain, regional ? "regional" : "CloudFront");
		else
			rc = r53_change(x, zone, "UPSERT", domain, "A", NULL, 0, az, adns, false, e);
		if (!rc)
			out_step("Route 53: %s -> %s (alias A)", domain, adns);
	}
	free(api);
	json_decref(d);
	return rc;
}

int aws_domain_url(struct aws_ctx *x, char **url, struct herr *e)
{
	const char *domain = ev_setting_str(x, "domain"), *bp;
	json_t *d = NULL;
	int rc;

	*url = NULL;
	if (!domain)
		return HOIST_OK;
	rc = get_domain(x, domain, &d, e);
	if (!rc && d) {
		bp = base_path(x);
		*url = strcmp(bp, "(none)") ? xasprintf("https://%s/%s", domain, bp)
					    : xasprintf("https://%s", domain);
	}
	json_decref(d);
	return rc;
}

/*
 * A mapping to the stage's REST API, or — when that API is already gone
 * (undeploy removes the front door first) — a dangling one to an API that
 * no longer exists.
 */
static bool mapping_is_ours(struct aws_ctx *x, json_t *m, const char *api, int *rc,
			    struct herr *e)
{
	const char *id = json_string_value(json_object_get(m, "restApiId")) ?: "";
	json_t *a = NULL;
	char *eid, *path;

	if (api)
		return !strcmp(id, api);
	eid = aws_path_escape(id);
	path = xasprintf("/restapis/%s", eid);
	*rc = ev_rest(x, &aws_apigateway, "GetRestApi", "GET", path, NULL, NULL, &a,
		      "NotFoundException", e);
	free(path);
	free(eid);
	json_decref(a);
	return !*rc && !a;
}

int aws_domain_remove(struct aws_ctx *x, struct herr *e)
{
	const char *domain = ev_setting_str(x, "domain"), *az, *adns;
	char *path = NULL, *zone = NULL, *zname = NULL, *api = NULL;
	json_t *d = NULL, *out = NULL, *m, *rr = NULL;
	size_t i;
	int rc;

	if (!domain)
		return HOIST_OK;
	rc = get_domain(x, domain, &d, e);
	if (rc || !d)
		goto out;
	rc = domain_rest_api(x, &api, e);
	if (rc)
		goto out;
	/* our mappings go; the domain itself only when nothing else is mapped */
	path = domain_path(domain, "/basepathmappings");
	rc = ev_rest(x, &aws_apigateway, "GetBasePathMappings", "GET", path, NULL, NULL, &out,
		     NULL, e);
	json_array_foreach(json_object_get(out, "item"), i, m) {
		char *ebp, *one;

		if (rc || !mapping_is_ours(x, m, api, &rc, e))
			continue;
		ebp = aws_path_escape(json_string_value(json_object_get(m, "basePath")) ?: "");
		one = xasprintf("%s/%s", path, ebp);
		rc = ev_rest(x, &aws_apigateway, "DeleteBasePathMapping", "DELETE", one, NULL, NULL,
			     NULL, "NotFoundException", e);
		json_array_remove(json_object_get(out, "item"), i--);
		free(one);
		free(ebp);
	}
	if (rc || json_array_size(json_object_get(out, "item")))
		goto out;
	free(path);
	path = domain_path(domain, NULL);
	rc = ev_rest(x, &aws_apigateway, "DeleteDomainName", "DELETE", path, NULL, NULL, NULL,
		     "NotFoundException", e);
	if (rc || !ev_setting_bool(x, "route53_enabled", true))
		goto out;
	rc = r53_zone_for(x, domain, &zone, &zname, e);
	if (!rc && zone)
		rc = r53_get(x, zone, domain, "A", &rr, e);
	if (!rc && rr) {
		json_t *at = json_object_get(rr, "AliasTarget");

		az = json_string_value(json_object_get(at, "HostedZoneId"));
		adns = json_string_value(json_object_get(at, "DNSName"));
		if (az && adns)
			rc = r53_change(x, zone, "DELETE", domain, "A", NULL, 0, az, adns, false, e);
	}
	if (!rc)
		out_step("Removed the custom domain %s", domain);
out:
	json_decref(rr);
	json_decref(out);
	json_decref(d);
	free(api);
	free(zone);
	free(zname);
	free(path);
	return rc;
}
