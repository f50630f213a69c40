/*
 * apigwv2.c — the stage's API Gateway HTTP API (v2), for
 * `apigateway_version: "v2"`:
 *
 *   HTTP API <function> (tag hoist:stage=<function>; CorsConfiguration from
 *   `cors`) → one AWS_PROXY integration to the function (payload format
 *   2.0) → the `$default` route (authorization NONE, or AWS_IAM with
 *   iam_authorization) → a stage named after the raw stage name with
 *   autoDeploy, so route and integration changes need no deployment call;
 *   the Lambda permission for the API (statement hoist-apigw-v2).
 *
 * URL: https://<api-id>.execute-api.<region>.amazonaws.com/<stage>, the
 * same shape as the REST API's (the handler strips the stage from rawPath).
 * HTTP APIs have no API keys, and Zappa's `authorizer` (a TOKEN authorizer)
 * is a REST API feature: both are refused with v2 before anything changes.
 */
#include "frontdoor.h"

#include "../../core/cors.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

struct http {
	struct aws_ctx *x;
	const char *fn;
	const char *stage;
	const char *arn;           /* the function's ARN (integration URI) */
	const char *auth;          /* NONE | AWS_IAM */
	json_t *cors;              /* CorsConfiguration (wire names) or NULL */
	json_t *api;
	const char *id;
};

static char *http_url(const struct aws_ctx *x, const char *id)
{
	return xasprintf("https://%s.execute-api.%s.%s/%s", id, x->region,
			 aws_dns_suffix(x->region), x->st->name);
}

static char *v2_path(const char *id, const char *tail)
{
	char *i = aws_path_escape(id);
	char *p = xasprintf("/v2/apis/%s%s", i, tail ? tail : "");

	free(i);
	return p;
}

static int find_apis(struct aws_ctx *x, json_t **found, struct herr *e)
{
	json_t *items = NULL, *a;
	size_t i;
	int rc;

	*found = json_array();
	rc = fd_list_all(x, &fd_pages_v2, "GetApis", "/v2/apis", NULL, NULL, &items, e);
	json_array_foreach(items, i, a)
		if (fd_str(a, "name") && !strcmp(fd_str(a, "name"), x->st->function_name) &&
		    fd_tagged(x, json_object_get(a, "tags")))
			json_array_append(*found, a);
	json_decref(items);
	return rc;
}

static int create_effect(const struct http_request *rq, enum http_effect *eff, void *ctx,
			 struct herr *e)
{
	json_t *found = NULL;
	int rc = find_apis(ctx, &found, e);

	*eff = json_array_size(found) ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(found);
	return rc;
}

static json_t *cors_config(const struct aws_ctx *x)
{
	struct cors c;
	json_t *o;

	cors_read(x->st->settings, &c);
	if (!c.on)
		return NULL;
	o = json_pack("{s:o, s:o, s:o}", "allowOrigins", cors_split(c.origin), "allowHeaders",
		      cors_split(c.headers), "allowMethods", cors_split(c.methods));
	if (c.credentials)
		json_object_set_new(o, "allowCredentials", json_true());
	if (c.expose)
		json_object_set_new(o, "exposeHeaders", cors_split(c.expose));
	if (c.max_age >= 0)
		json_object_set_new(o, "maxAge", json_integer(c.max_age));
	cors_free(&c);
	return o;
}

/* ---- the API --------------------------------------------------------------------- */

static int api_ensure(struct http *h, struct herr *e)
{
	struct aws_ctx *x = h->x;
	json_t *found = NULL, *out = NULL, *body;
	char *path;
	int rc;

	if ((rc = find_apis(x, &found, e)))
		return rc;
	if (json_array_size(found) > 1) {
		rc = herr_set(e, HOIST_FAIL, "API Gateway: %zu HTTP APIs are named %s and tagged "
			      "%s=%s; an older tool or an interrupted run created more than one",
			      json_array_size(found), h->fn, FD_TAG, h->fn);
		herr_hint(e, "delete all but one (aws apigatewayv2 delete-api --api-id <id>), or "
			  "run `hoist undeploy %s` to remove them all", x->st->name);
		goto out;
	}
	if (json_array_size(found) == 1) {
		h->api = json_incref(json_array_get(found, 0));
		h->id = fd_str(h->api, "apiId");
		if (json_equal(json_object_get(h->api, "corsConfiguration"), h->cors))
			goto out;
		path = v2_path(h->id, h->cors ? NULL : "/cors");
		out_step("Updating the CORS configuration of HTTP API %s", h->id);
		rc = h->cors ? fd_do(x, &aws_apigatewayv2, "UpdateApi", "PATCH", path, NULL,
				     json_pack("{s:O}", "corsConfiguration", h->cors), NULL, NULL, e)
			     : fd_do(x, &aws_apigatewayv2, "DeleteCorsConfiguration", "DELETE", path,
				     NULL, NULL, "NotFoundException", NULL, e);
		free(path);
		goto out;
	}
	body = json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", h->fn, "protocolType", "HTTP",
			 "description", "hoist", "tags", FD_TAG, h->fn);
	if (h->cors)
		json_object_set(body, "corsConfiguration", h->cors);
	out_step("Creating API Gateway HTTP API %s", h->fn);
	rc = fd_create(x, &aws_apigatewayv2, "CreateApi", "/v2/apis", body, create_effect, x,
		       &out, e);
	if (!rc && !out) {
		json_decref(found);
		rc = find_apis(x, &found, e);
		out = rc ? NULL : json_incref(json_array_get(found, 0));
	}
	if (!rc && !fd_str(out, "apiId"))
		rc = herr_set(e, HOIST_FAIL, "API Gateway CreateApi: no apiId in the answer");
	if (!rc) {
		h->api = json_incref(out);
		h->id = fd_str(h->api, "apiId");
	}
out:
	json_decref(out);
	json_decref(found);
	return rc;
}

/* The AWS_PROXY integration to the function; *id allocated. */
static int integration_ensure(struct http *h, char **id, struct herr *e)
{
	char *path = v2_path(h->id, "/integrations");
	json_t *items = NULL, *i, *out = NULL;
	size_t n;
	int rc;

	*id = NULL;
	rc = fd_list_all(h->x, &fd_pages_v2, "GetIntegrations", path, NULL, NULL, &items, e);
	json_array_foreach(items, n, i) {
		const char *t = fd_str(i, "integrationType"), *u = fd_str(i, "integrationUri");
		const char *v = fd_str(i, "payloadFormatVersion");

		if (!*id && t && u && v && !strcmp(t, "AWS_PROXY") && !strcmp(u, h->arn) &&
		    !strcmp(v, "2.0"))
			*id = xstrdup(fd_str(i, "integrationId"));
	}
	if (!rc && !*id) {
		out_info("creating the Lambda integration of HTTP API %s", h->id);
		rc = fd_do(h->x, &aws_apigatewayv2, "CreateIntegration", "POST", path, NULL,
			   json_pack("{s:s, s:s, s:s}", "integrationType", "AWS_PROXY",
				     "integrationUri", h->arn, "payloadFormatVersion", "2.0"),
			   NULL, &out, e);
		if (!rc)
			*id = xstrdup(fd_str(out, "integrationId") ? fd_str(out, "integrationId")
								   : "");
	}
	json_decref(out);
	json_decref(items);
	free(path);
	return rc;
}

static int route_ensure(struct http *h, const char *integ, struct herr *e)
{
	char *path = v2_path(h->id, "/routes"), *target = xasprintf("integrations/%s", integ);
	json_t *items = NULL, *r, *have = NULL;
	size_t n;
	int rc;

	rc = fd_list_all(h->x, &fd_pages_v2, "GetRoutes", path, NULL, NULL, &items, e);
	json_array_foreach(items, n, r)
		if (fd_str(r, "routeKey") && !strcmp(fd_str(r, "routeKey"), "$default"))
			have = r;
	if (!rc && !have) {
		out_info("creating the $default route of HTTP API %s", h->id);
		rc = fd_do(h->x, &aws_apigatewayv2, "CreateRoute", "POST", path, NULL,
			   json_pack("{s:s, s:s, s:s}", "routeKey", "$default", "target", target,
				     "authorizationType", h->auth), NULL, NULL, e);
	} else if (!rc && (!fd_str(have, "target") || strcmp(fd_str(have, "target"), target) ||
			   !fd_str(have, "authorizationType") ||
			   strcmp(fd_str(have, "authorizationType"), h->auth))) {
		char *rid = aws_path_escape(fd_str(have, "routeId"));
		char *rpath = xasprintf("%s/%s", path, rid);

		out_info("updating the $default route of HTTP API %s", h->id);
		rc = fd_do(h->x, &aws_apigatewayv2, "UpdateRoute", "PATCH", rpath, NULL,
			   json_pack("{s:s, s:s}", "target", target, "authorizationType", h->auth),
			   NULL, NULL, e);
		free(rpath);
		free(rid);
	}
	json_decref(items);
	free(target);
	free(path);
	return rc;
}

static int stage_ensure(struct http *h, struct herr *e)
{
	char *sn = aws_path_escape(h->stage), *tail = xasprintf("/stages/%s", sn);
	char *path = v2_path(h->id, tail);
	json_t *stage = NULL;
	int rc;

	rc = fd_do(h->x, &aws_apigatewayv2, "GetStage", "GET", path, NULL, NULL,
		   "NotFoundException", &stage, e);
	if (!rc && !stage) {
		char *spath = v2_path(h->id, "/stages");

		out_step("Creating stage %s of HTTP API %s", h->stage, h->id);
		rc = fd_do(h->x, &aws_apigatewayv2, "CreateStage", "POST", spath, NULL,
			   json_pack("{s:s, s:b}", "stageName", h->stage, "autoDeploy", 1),
			   NULL, NULL, e);
		free(spath);
	} else if (!rc && !json_is_true(json_object_get(stage, "autoDeploy"))) {
		rc = fd_do(h->x, &aws_apigatewayv2, "UpdateStage", "PATCH", path, NULL,
			   json_pack("{s:b}", "autoDeploy", 1), NULL, NULL, e);
	}
	json_decref(stage);
	free(path);
	free(tail);
	free(sn);
	return rc;
}

static int refuse(const struct aws_ctx *x, struct herr *e)
{
	const json_t *s = x->st->settings;

	if (settings_bool(s, "api_key_required", false))
		return herr_set(e, HOIST_USAGE, "%s: api_key_required needs a REST API: HTTP APIs "
				"(apigateway_version \"v2\") have no API keys; use \"v1\"",
				x->st->name);
	if (json_object_size(json_object_get(s, "authorizer")))
		return herr_set(e, HOIST_USAGE, "%s: `authorizer` (a Lambda TOKEN authorizer) needs "
				"a REST API; use apigateway_version \"v1\"", x->st->name);
	return HOIST_OK;
}

int apigwv2_ensure(struct aws_ctx *x, char **url, struct herr *e)
{
	struct http h = { .x = x, .fn = x->st->function_name, .stage = x->st->name };
	json_t *stmts = NULL;
	const char *acct;
	char *integ = NULL, *src = NULL;
	int rc;

	*url = NULL;
	if ((rc = refuse(x, e)) || (rc = fd_function_arn(x, &h.arn, e)))
		return rc;
	h.auth = settings_bool(x->st->settings, "iam_authorization", false) ? "AWS_IAM" : "NONE";
	h.cors = cors_config(x);
	rc = api_ensure(&h, e);
	if (!rc)
		rc = integration_ensure(&h, &integ, e);
	if (!rc)
		rc = route_ensure(&h, integ, e);
	if (!rc)
		rc = fd_policy(x, NULL, &stmts, e);
	if (!rc)
		rc = aws_account_id(x, &acct, e);
	if (!rc) {
		src = xasprintf("arn:%s:execute-api:%s:%s:%s/*", fd_partition(x), x->region, acct,
				h.id);
		rc = fd_permission(x, stmts, &(struct fd_perm){ .sid = FD_SID_HTTP,
			.action = "lambda:InvokeFunction", .principal = "apigateway.amazonaws.com",
			.source_arn = src }, NULL, e);
	}
	if (!rc)
		rc = stage_ensure(&h, e);
	if (!rc)
		*url = http_url(x, h.id);
	free(src);
	free(integ);
	json_decref(stmts);
	json_decref(h.cors);
	json_decref(h.api);
	return rc;
}

int apigwv2_present(struct aws_ctx *x, const json_t *stmts, char **url, bool *present,
		    struct herr *e)
{
	json_t *stage = NULL;
	int rc = fd_stage_named_by(x, &aws_apigatewayv2, "/v2/apis/", stmts, FD_SID_HTTP, &stage,
				   url, e);

	*present = !rc && json_is_true(json_object_get(stage, "autoDeploy"));
	json_decref(stage);
	return rc;
}

int apigwv2_url(struct aws_ctx *x, char **url, json_t *status, struct herr *e)
{
	json_t *found = NULL, *api;
	int rc;

	*url = NULL;
	if ((rc = find_apis(x, &found, e)))
		return rc;
	api = json_array_get(found, 0);
	if (api) {
		char *sn = aws_path_escape(x->st->name), *tail = xasprintf("/stages/%s", sn);

		rc = fd_stage_status(x, &aws_apigatewayv2, "HTTP", fd_str(api, "apiId"),
				     v2_path(fd_str(api, "apiId"), tail),
				     http_url(x, fd_str(api, "apiId")), status, url, e);
		free(tail);
		free(sn);
	}
	json_decref(found);
	return rc;
}

int apigwv2_remove(struct aws_ctx *x, bool *removed, struct herr *e)
{
	json_t *found = NULL, *api, *stmts = NULL;
	size_t i;
	int rc;

	*removed = false;
	rc = find_apis(x, &found, e);
	json_array_foreach(found, i, api) {
		char *path = v2_path(fd_str(api, "apiId"), NULL);

		if (!rc) {
			out_step("Removing API Gateway HTTP API %s", fd_str(api, "apiId"));
			rc = fd_do(x, &aws_apigatewayv2, "DeleteApi", "DELETE", path, NULL, NULL,
				   "NotFoundException", NULL, e);
			*removed = true;
		}
		free(path);
	}
	if (!rc && *removed)
		rc = fd_policy(x, NULL, &stmts, e);
	if (!rc && *removed)
		rc = fd_permission_drop(x, stmts, NULL, FD_SID_HTTP, e);
	json_decref(stmts);
	json_decref(found);
	return rc;
}
