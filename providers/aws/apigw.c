/*
 * apigw.c — the stage's API Gateway REST API (v1), Zappa's front door:
 *
 *   REST API <function> (tag hoist:stage=<function>; binaryMediaTypes "any type"
 *   with binary_support) → "/" ANY and "/{proxy+}" ANY, each an AWS_PROXY
 *   integration (POST) to the function; authorization NONE, AWS_IAM
 *   (iam_authorization) or CUSTOM (authorizer: a TOKEN/REQUEST Lambda
 *   authorizer); apiKeyRequired with api_key_required (an API key and a usage
 *   plan named <function>); an OPTIONS MOCK method per resource for `cors`;
 *   a deployment to the stage named after the raw stage name; the Lambda
 *   permission for the API (statement hoist-apigw).  The API's
 *   minimumCompressionSize follows payload_compression and
 *   payload_minimum_compression_size; the stage's cache cluster and its
 *   stage-wide method settings (logging, data trace, metrics, cache TTL and
 *   encryption) follow cache_cluster_* and cloudwatch_*, as Zappa sets them.
 *
 * Convergent: every run reads what exists (GetRestApis, GetResources with
 * the methods embedded, the function's policy, GetStage) and writes only
 * what differs.  The stage's description carries a hash of the wanted
 * configuration; a deployment is made only when something was written or
 * the hash differs (a run interrupted before its deployment), so an
 * unchanged update makes no write call at all.
 */
#include "frontdoor.h"

#include "../../core/cors.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROXY_PART "{proxy+}"
#define DESC_PREFIX "hoist "

struct rest {
	struct aws_ctx *x;
	const char *fn;            /* function name: API, key and plan name */
	const char *stage;         /* raw stage name */
	char *uri;                 /* integration URI */
	const char *auth;          /* NONE | AWS_IAM | CUSTOM */
	bool api_key;
	bool binary;
	struct cors cors;
	const json_t *authz;       /* the authorizer setting or NULL */
	char *authz_fn;            /* the function the authorizer invokes */
	char *authz_uri;
	char *authz_name;
	char *authz_id;            /* once created/found */
	json_t *api;               /* the REST API */
	const char *id;
	json_t *resources;         /* GetResources items (methods embedded) */
	bool changed;              /* something was written: deploy */
	bool had_key;              /* a method required an API key before this run */
	bool had_authz;            /* a method used an authorizer before this run */
	json_t *stage_got;         /* GetStage before this run's deployment (NULL: new) */
};

static void rest_free(struct rest *r)
{
	json_decref(r->stage_got);
	free(r->uri);
	cors_free(&r->cors);
	free(r->authz_fn);
	free(r->authz_uri);
	free(r->authz_name);
	free(r->authz_id);
	json_decref(r->api);
	json_decref(r->resources);
}

static char *rest_url(const struct aws_ctx *x, const char *id)
{
	return xasprintf("https://%s.execute-api.%s.%s/%s", id, x->region,
			 aws_dns_suffix(x->region), x->st->name);
}

static char *api_path(const char *id, const char *tail)
{
	char *i = aws_path_escape(id);
	char *p = xasprintf("/restapis/%s%s", i, tail ? tail : "");

	free(i);
	return p;
}

static char *method_path(const char *id, const char *res, const char *method, const char *tail)
{
	char *i = aws_path_escape(id), *r = aws_path_escape(res);
	char *p = xasprintf("/restapis/%s/resources/%s/methods/%s%s", i, r, method,
			    tail ? tail : "");

	free(i);
	free(r);
	return p;
}

/* ---- finding the API ---------------------------------------------------------- */

/* The REST APIs named <function> with our tag (new array). */
static int find_apis(struct aws_ctx *x, json_t **found, struct herr *e)
{
	json_t *items, *a;
	size_t i;
	int rc;

	*found = json_array();
	if ((rc = fd_list_all(x, &fd_pages_v1, "GetRestApis", "/restapis", NULL, NULL, &items, e)))
		return rc;
	json_array_foreach(items, i, a) {
		const char *name = fd_str(a, "name");

		if (name && strcmp(name, x->st->function_name) == 0 &&
		    fd_tagged(x, json_object_get(a, "tags")))
			json_array_append(*found, a);
	}
	json_decref(items);
	return HOIST_OK;
}

static int duplicates(struct aws_ctx *x, const json_t *found, struct herr *e)
{
	struct sbuf ids;
	size_t i;
	json_t *a;

	sbuf_init(&ids);
	json_array_foreach(found, i, a)
		sbuf_printf(&ids, "%s%s", i ? ", " : "", fd_str(a, "id"));
	herr_set(e, HOIST_FAIL, "API Gateway: %zu REST APIs are named %s and tagged %s=%s (%s); "
		 "an older tool or an interrupted run created more than one",
		 json_array_size(found), x->st->function_name, FD_TAG, x->st->function_name, ids.s);
	herr_hint(e, "keep the one you use and delete the others (aws apigateway delete-rest-api "
		  "--rest-api-id <id>), or run `hoist undeploy %s` to remove them all",
		  x->st->name);
	sbuf_free(&ids);
	return HOIST_FAIL;
}

/* Did a CreateRestApi whose answer was lost take effect? */
static int create_effect(const struct http_request *rq, enum http_effect *eff, void *ctx,
			 struct herr *e)
{
	json_t *found = NULL;
	int rc = find_apis(ctx, &found, e);

	*eff = json_array_size(found) ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(found);
	return rc;
}

static const char *endpoint_type(const struct aws_ctx *x)
{
	const json_t *v = json_object_get(x->st->settings, "endpoint_configuration");

	return json_string_value(json_array_get(v, 0));
}

static char *description(const struct aws_ctx *x)
{
	const char *d = settings_str(x->st->settings, "apigateway_description");

	return d ? xstrdup(d) : xasprintf("hoist: %s", x->st->function_name);
}

/* minimumCompressionSize wanted: -1 for none (payload_compression false). */
static long long want_compression(const struct aws_ctx *x)
{
	if (!settings_bool(x->st->settings, "payload_compression", true))
		return -1;
	return settings_int(x->st->settings, "payload_minimum_compression_size", 0);
}

static long long have_compression(const json_t *api)
{
	const json_t *v = json_object_get(api, "minimumCompressionSize");

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static bool has_binary(const json_t *api)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(api, "binaryMediaTypes"), i, t)
		if (json_is_string(t) && strcmp(json_string_value(t), "*/*") == 0)
			return true;
	return false;
}

static int api_create(struct rest *r, struct herr *e)
{
	struct aws_ctx *x = r->x;
	char *desc = description(x);
	json_t *body, *out = NULL, *found = NULL;
	int rc;

	body = json_pack("{s:s, s:s, s:{s:s}}", "name", r->fn, "description", desc, "tags",
			 FD_TAG, r->fn);
	free(desc);
	if (r->binary)
		json_object_set_new(body, "binaryMediaTypes", json_pack("[s]", "*/*"));
	if (endpoint_type(x))
		json_object_set_new(body, "endpointConfiguration",
				    json_pack("{s:[s]}", "types", endpoint_type(x)));
	if (want_compression(x) >= 0)
		json_object_set_new(body, "minimumCompressionSize",
				    json_integer(want_compression(x)));
	out_step("Creating API Gateway REST API %s", r->fn);
	rc = fd_create(x, &aws_apigateway, "CreateRestApi", "/restapis", body, create_effect, x,
		       &out, e);
	if (!rc && !out) {      /* it took effect but the answer was lost */
		rc = find_apis(x, &found, e);
		out = rc ? NULL : json_incref(json_array_get(found, 0));
		json_decref(found);
	}
	if (!rc && !fd_str(out, "id"))
		rc = herr_set(e, HOIST_FAIL, "API Gateway CreateRestApi: no id in the answer");
	if (!rc) {
		r->api = out;
		r->id = fd_str(out, "id");
		r->changed = true;
	} else {
		json_decref(out);
	}
	return rc;
}

/* binary_support, description, endpoint type and compression of an existing API. */
static int api_converge(struct rest *r, struct herr *e)
{
	struct aws_ctx *x = r->x;
	json_t *ops = json_array(), *out = NULL;
	const char *want_desc = settings_str(x->st->settings, "apigateway_description");
	const char *have_ep = json_string_value(json_array_get(json_object_get(
		json_object_get(r->api, "endpointConfiguration"), "types"), 0));
	char *path;
	int rc = HOIST_OK;

	if (r->binary != has_binary(r->api))
		json_array_append_new(ops, json_pack("{s:s, s:s}", "op", r->binary ? "add" : "remove",
						     "path", "/binaryMediaTypes/*~1*"));
	if (want_desc && (!fd_str(r->api, "description") ||
			  strcmp(want_desc, fd_str(r->api, "description"))))
		json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
						     "/description", "value", want_desc));
	if (endpoint_type(x) && (!have_ep || strcmp(have_ep, endpoint_type(x))))
		json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
						     "/endpointConfiguration/types/0", "value",
						     endpoint_type(x)));
	if (want_compression(x) != have_compression(r->api)) {
		char n[24] = "";   /* "": compression off */

		if (want_compression(x) >= 0)
			snprintf(n, sizeof(n), "%lld", want_compression(x));
		json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
						     "/minimumCompressionSize", "value", n));
	}
	if (json_array_size(ops)) {
		out_step("Updating API Gateway REST API %s", r->id);
		path = api_path(r->id, NULL);
		rc = fd_do(x, &aws_apigateway, "UpdateRestApi", "PATCH", path, NULL,
			   json_pack("{s:O}", "patchOperations", ops), NULL, &out, e);
		free(path);
		r->changed = true;
	}
	json_decref(out);
	json_decref(ops);
	return rc;
}

static int api_ensure(struct rest *r, struct herr *e)
{
	json_t *found = NULL;
	int rc;

	if ((rc = find_apis(r->x, &found, e)))
		return rc;
	if (json_array_size(found) > 1) {
		rc = duplicates(r->x, found, e);
	} else if (json_array_size(found) == 1) {
		r->api = json_incref(json_array_get(found, 0));
		r->id = fd_str(r->api, "id");
		out_info("API Gateway REST API %s (%s)", r->fn, r->id);
		rc = api_converge(r, e);
	} else {
		rc = api_create(r, e);
	}
	json_decref(found);
	return rc;
}

/* ---- resources and methods --------------------------------------------------------- */

static int resources_read(struct rest *r, struct herr *e)
{
	char *path = api_path(r->id, "/resources");
	int rc;

	json_decref(r->resources);
	rc = fd_list_all(r->x, &fd_pages_v1, "GetResources", path, "embed=methods", NULL,
			 &r->resources, e);
	free(path);
	return rc;
}

static json_t *resource_at(const struct rest *r, const char *path)
{
	size_t i;
	json_t *res;

	json_array_foreach(r->resources, i, res)
		if (fd_str(res, "path") && strcmp(fd_str(res, "path"), path) == 0)
			return res;
	return NULL;
}

static int proxy_ensure(struct rest *r, struct herr *e)
{
	json_t *root = resource_at(r, "/"), *out = NULL;
	char *path, *rid;
	int rc;

	if (resource_at(r, "/" PROXY_PART))
		return HOIST_OK;
	if (!root)
		return herr_set(e, HOIST_FAIL, "API Gateway REST API %s has no root resource", r->id);
	rid = aws_path_escape(fd_str(root, "id"));
	path = api_path(r->id, NULL);
	{
		char *full = xasprintf("%s/resources/%s", path, rid);

		rc = fd_do(r->x, &aws_apigateway, "CreateResource", "POST", full, NULL,
			   json_pack("{s:s}", "pathPart", PROXY_PART), NULL, &out, e);
		free(full);
	}
	free(path);
	free(rid);
	if (!rc) {
		json_object_set_new(out, "path", json_string("/" PROXY_PART));
		json_array_append(r->resources, out);
		r->changed = true;
	}
	json_decref(out);
	return rc;
}

static const json_t *method_of(const json_t *res, const char *m)
{
	return json_object_get(json_object_get(res, "resourceMethods"), m);
}

static bool method_matches(const struct rest *r, const json_t *m)
{
	const char *auth = fd_str(m, "authorizationType");
	const char *aid = fd_str(m, "authorizerId");

	if (!auth || strcmp(auth, r->auth))
		return false;
	if (json_is_true(json_object_get(m, "apiKeyRequired")) != r->api_key)
		return false;
	if (strcmp(r->auth, "CUSTOM") == 0)
		return aid && r->authz_id && strcmp(aid, r->authz_id) == 0;
	return true;
}

static bool integration_matches(const struct rest *r, const json_t *m)
{
	const json_t *i = json_object_get(m, "methodIntegration");
	const char *type = fd_str(i, "type"), *uri = fd_str(i, "uri"), *hm = fd_str(i, "httpMethod");

	/* No credentials: hoist's integrations rely on the Lambda permission (an API
	 * taken over from Zappa loses its role credentials here). */
	return type && uri && hm && !strcmp(type, "AWS_PROXY") && !strcmp(uri, r->uri) &&
	       !strcmp(hm, "POST") && !json_object_get(i, "credentials");
}

static int put_integration(struct rest *r, const char *rid, struct herr *e)
{
	char *path = method_path(r->id, rid, "ANY", "/integration");
	int rc;

	rc = fd_do(r->x, &aws_apigateway, "PutIntegration", "PUT", path, NULL,
		   json_pack("{s:s, s:s, s:s}", "type", "AWS_PROXY", "httpMethod", "POST",
			     "uri", r->uri), NULL, NULL, e);
	free(path);
	r->changed = true;
	return rc;
}

static int method_ensure(struct rest *r, const json_t *res, struct herr *e)
{
	const char *rid = fd_str(res, "id"), *rpath = fd_str(res, "path");
	const json_t *m = method_of(res, "ANY");
	char *path = method_path(r->id, rid, "ANY", NULL);
	json_t *body;
	int rc = HOIST_OK;

	if (m && !method_matches(r, m)) {
		/* Replace it whole: patching authorization in place is not reliable. */
		out_info("replacing method ANY %s (authorization changed)", rpath);
		rc = fd_do(r->x, &aws_apigateway, "DeleteMethod", "DELETE", path, NULL, NULL,
			   "NotFoundException", NULL, e);
		m = NULL;
	}
	if (!rc && !m) {
		body = json_pack("{s:s, s:b}", "authorizationType", r->auth, "apiKeyRequired",
				 r->api_key);
		if (strcmp(r->auth, "CUSTOM") == 0)
			json_object_set_new(body, "authorizerId", json_string(r->authz_id));
		out_info("creating method ANY %s (%s)", rpath, r->auth);
		rc = fd_do(r->x, &aws_apigateway, "PutMethod", "PUT", path, NULL, body, NULL, NULL,
			   e);
		r->changed = true;
	}
	if (!rc && (!m || !integration_matches(r, m)))
		rc = put_integration(r, rid, e);
	free(path);
	return rc;
}

/* ---- CORS: an OPTIONS MOCK method per resource ------------------------------------------ */

#define HDR "method.response.header.Access-Control-"

static json_t *cors_params(const struct cors *c)
{
	json_t *p = json_object();

	json_object_set_new(p, HDR "Allow-Headers", json_sprintf("'%s'", c->headers));
	json_object_set_new(p, HDR "Allow-Methods", json_sprintf("'%s'", c->methods));
	json_object_set_new(p, HDR "Allow-Origin", json_sprintf("'%s'", c->origin));
	if (c->credentials)
		json_object_set_new(p, HDR "Allow-Credentials", json_string("'true'"));
	if (c->expose)
		json_object_set_new(p, HDR "Expose-Headers", json_sprintf("'%s'", c->expose));
	if (c->max_age >= 0)
		json_object_set_new(p, HDR "Max-Age", json_sprintf("'%lld'", c->max_age));
	return p;
}

static bool cors_matches(const json_t *m, const json_t *want)
{
	const json_t *i = json_object_get(m, "methodIntegration");
	const json_t *ir = json_object_get(json_object_get(i, "integrationResponses"), "200");

	return fd_str(i, "type") && !strcmp(fd_str(i, "type"), "MOCK") &&
	       json_equal(json_object_get(ir, "responseParameters"), want);
}

static int cors_create(struct rest *r, const char *rid, const json_t *want, struct herr *e)
{
	char *mp = method_path(r->id, rid, "OPTIONS", NULL);
	char *mr = method_path(r->id, rid, "OPTIONS", "/responses/200");
	char *ip = method_path(r->id, rid, "OPTIONS", "/integration");
	char *irp = method_path(r->id, rid, "OPTIONS", "/integration/responses/200");
	json_t *declared = json_object();
	const char *k;
	json_t *v;
	int rc;

	json_object_foreach((json_t *)want, k, v)
		json_object_set_new(declared, k, json_false());
	rc = fd_do(r->x, &aws_apigateway, "PutMethod", "PUT", mp, NULL,
		   json_pack("{s:s, s:b}", "authorizationType", "NONE", "apiKeyRequired", 0),
		   NULL, NULL, e);
	if (!rc)
		rc = fd_do(r->x, &aws_apigateway, "PutMethodResponse", "PUT", mr, NULL,
			   json_pack("{s:O, s:{s:s}}", "responseParameters", declared,
				     "responseModels", "application/json", "Empty"), NULL, NULL, e);
	if (!rc)
		rc = fd_do(r->x, &aws_apigateway, "PutIntegration", "PUT", ip, NULL,
			   json_pack("{s:s, s:s, s:{s:s}}", "type", "MOCK", "passthroughBehavior",
				     "WHEN_NO_MATCH", "requestTemplates", "application/json",
				     "{\"statusCode\": 200}"), NULL, NULL, e);
	if (!rc)
		rc = fd_do(r->x, &aws_apigateway, "PutIntegrationResponse", "PUT", irp, NULL,
			   json_pack("{s:O, s:{s:s}}", "responseParameters", want,
				     "responseTemplates",
				     "application/json", ""), NULL, NULL, e);
	json_decref(declared);
	free(mp);
	free(mr);
	free(ip);
	free(irp);
	r->changed = true;
	return rc;
}

static int cors_ensure(struct rest *r, const json_t *res, struct herr *e)
{
	const json_t *m = method_of(res, "OPTIONS");
	const char *rid = fd_str(res, "id");
	json_t *want = r->cors.on ? cors_params(&r->cors) : NULL;
	char *path;
	int rc = HOIST_OK;

	if (m && (!want || !cors_matches(m, want))) {
		const char *t = fd_str(json_object_get(m, "methodIntegration"), "type");

		if (!want && t && strcmp(t, "MOCK")) {   /* the user's own OPTIONS method */
			json_decref(want);
			return HOIST_OK;
		}
		path = method_path(r->id, rid, "OPTIONS", NULL);
		rc = fd_do(r->x, &aws_apigateway, "DeleteMethod", "DELETE", path, NULL, NULL,
			   "NotFoundException", NULL, e);
		free(path);
		r->changed = true;
		m = NULL;
	}
	if (!rc && want && !m) {
		out_info("CORS: OPTIONS %s answers Access-Control-Allow-Origin %s",
			 fd_str(res, "path"), r->cors.origin);
		rc = cors_create(r, rid, want, e);
	}
	json_decref(want);
	return rc;
}

/* ---- authorizer ------------------------------------------------------------------------ */

static json_t *authz_want(const struct rest *r)
{
	const json_t *a = r->authz;
	const char *type = fd_str(a, "type") ? fd_str(a, "type") : "TOKEN";
	const char *hdr = fd_str(a, "token_header") ? fd_str(a, "token_header") : "Authorization";
	json_t *w = json_pack("{s:s, s:s, s:s, s:I}", "type", type, "authorizerUri", r->authz_uri,
			      "identitySource", "", "authorizerResultTtlInSeconds",
			      (json_int_t)settings_int(a, "result_ttl", 300));

	json_object_set_new(w, "identitySource", json_sprintf("method.request.header.%s", hdr));
	if (fd_str(a, "validation_expression") && strcmp(type, "TOKEN") == 0)
		json_object_set_new(w, "identityValidationExpression",
				    json_string(fd_str(a, "validation_expression")));
	return w;
}

static int authz_list(struct rest *r, json_t **mine, struct herr *e)
{
	char *path = api_path(r->id, "/authorizers");
	json_t *items = NULL, *a;
	size_t i;
	int rc;

	*mine = NULL;
	rc = fd_list_all(r->x, &fd_pages_v1, "GetAuthorizers", path, NULL, NULL, &items, e);
	free(path);
	json_array_foreach(items, i, a)
		if (fd_str(a, "name") && !strcmp(fd_str(a, "name"), r->authz_name))
			*mine = json_incref(a);
	json_decref(items);
	return rc;
}

static int authz_ensure(struct rest *r, struct herr *e)
{
	json_t *have = NULL, *want, *ops, *out = NULL;
	const char *k;
	json_t *v;
	char *path;
	int rc;

	if ((rc = authz_list(r, &have, e)))
		return rc;
	want = authz_want(r);
	if (!have) {
		json_object_set_new(want, "name", json_string(r->authz_name));
		out_step("Creating API Gateway authorizer %s", r->authz_name);
		path = api_path(r->id, "/authorizers");
		rc = fd_do(r->x, &aws_apigateway, "CreateAuthorizer", "POST", path, NULL,
			   json_incref(want), NULL, &out, e);
		free(path);
		if (!rc)
			r->authz_id = xstrdup(fd_str(out, "id") ? fd_str(out, "id") : "");
		r->changed = true;
	} else {
		r->authz_id = xstrdup(fd_str(have, "id"));
		ops = json_array();
		json_object_foreach(want, k, v) {
			char *val;

			if (json_equal(json_object_get(have, k), v))
				continue;
			val = json_is_string(v) ? xstrdup(json_string_value(v))
				: xasprintf("%lld", (long long)json_integer_value(v));
			json_array_append_new(ops, json_pack("{s:s, s:o, s:s}", "op", "replace",
							     "path", json_sprintf("/%s", k),
							     "value", val));
			free(val);
		}
		if (json_array_size(ops)) {
			char *aid = aws_path_escape(r->authz_id);
			char *tail = xasprintf("/authorizers/%s", aid);

			out_step("Updating API Gateway authorizer %s", r->authz_name);
			path = api_path(r->id, tail);
			rc = fd_do(r->x, &aws_apigateway, "UpdateAuthorizer", "PATCH", path, NULL,
				   json_pack("{s:O}", "patchOperations", ops), NULL, NULL, e);
			free(path);
			free(tail);
			free(aid);
			r->changed = true;
		}
		json_decref(ops);
	}
	json_decref(out);
	json_decref(have);
	json_decref(want);
	return rc;
}

/* The authorizer no method uses any more. */
static int authz_remove(struct rest *r, struct herr *e)
{
	json_t *have = NULL;
	char *path, *aid, *tail;
	int rc;

	if ((rc = authz_list(r, &have, e)) || !have)
		return rc;
	aid = aws_path_escape(fd_str(have, "id"));
	tail = xasprintf("/authorizers/%s", aid);
	path = api_path(r->id, tail);
	out_step("Removing API Gateway authorizer %s", r->authz_name);
	rc = fd_do(r->x, &aws_apigateway, "DeleteAuthorizer", "DELETE", path, NULL, NULL,
		   "NotFoundException", NULL, e);
	r->changed = true;
	free(path);
	free(tail);
	free(aid);
	json_decref(have);
	return rc;
}

/* Permission for API Gateway to call the authorizer function. */
static int authz_permission(struct rest *r, const json_t *own_stmts, struct herr *e)
{
	struct aws_ctx *x = r->x;
	const char *acct, *own;
	bool foreign;
	json_t *stmts = NULL;
	char *src, *sid;
	int rc;

	if ((rc = aws_account_id(x, &acct, e)) || (rc = fd_function_arn(x, &own, e)))
		return rc;
	foreign = strcmp(own, r->authz_fn) != 0;
	if (foreign && (rc = fd_policy(x, r->authz_fn, &stmts, e)))
		return rc;
	src = xasprintf("arn:%s:execute-api:%s:%s:%s/authorizers/%s", fd_partition(x), x->region,
			acct, r->id, r->authz_id);
	sid = foreign ? xasprintf("hoist-%s-authorizer", x->st->function_name)
		      : xstrdup(FD_SID_AUTH);
	rc = fd_permission(x, foreign ? stmts : own_stmts, &(struct fd_perm){
		.function = foreign ? r->authz_fn : NULL, .sid = sid,
		.action = "lambda:InvokeFunction", .principal = "apigateway.amazonaws.com",
		.source_arn = src }, &r->changed, e);
	free(src);
	free(sid);
	json_decref(stmts);
	return rc;
}

/* ---- API key and usage plan --------------------------------------------------------------- */

static int find_named(struct rest *r, const char *op, const char *path, const char *q,
		      json_t **mine, struct herr *e)
{
	json_t *items = NULL, *a;
	size_t i;
	int rc;

	*mine = json_array();
	rc = fd_list_all(r->x, &fd_pages_v1, op, path, q, NULL, &items, e);
	json_array_foreach(items, i, a)
		if (fd_str(a, "name") && !strcmp(fd_str(a, "name"), r->fn) &&
		    fd_tagged(r->x, json_object_get(a, "tags")))
			json_array_append(*mine, a);
	json_decref(items);
	return rc;
}

/* GetApiKeys' nameQuery (sent as "name"): "name=<function>", allocated. */
static char *name_query(const char *name)
{
	struct sbuf b;

	sbuf_init(&b);
	aws_query_add(&b, "name", name);
	return sbuf_detach(&b);
}

static int key_ensure(struct rest *r, char **key_id, struct herr *e)
{
	const char *given = settings_str(r->x->st->settings, "api_key");
	json_t *keys = NULL, *out = NULL;
	char *q;
	int rc;

	*key_id = NULL;
	if (given) {
		*key_id = xstrdup(given);
		return HOIST_OK;
	}
	q = name_query(r->fn);
	rc = find_named(r, "GetApiKeys", "/apikeys", q, &keys, e);
	free(q);
	if (!rc && json_array_size(keys)) {
		*key_id = xstrdup(fd_str(json_array_get(keys, 0), "id"));
	} else if (!rc) {
		rc = fd_create(r->x, &aws_apigateway, "CreateApiKey", "/apikeys",
			       json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", r->fn, "description",
					 "hoist: API key for this stage", "enabled", 1, "tags",
					 FD_TAG, r->fn), NULL, NULL, &out, e);
		if (!rc && fd_str(out, "id")) {
			*key_id = xstrdup(fd_str(out, "id"));
			out_step("Created API key %s (its value: aws apigateway get-api-key "
				 "--api-key %s --include-value)", *key_id, *key_id);
		}
		r->changed = true;
	}
	json_decref(out);
	json_decref(keys);
	return rc;
}

static bool plan_has_stage(const json_t *plan, const char *api, const char *stage)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(plan, "apiStages"), i, s)
		if (fd_str(s, "apiId") && !strcmp(fd_str(s, "apiId"), api) && fd_str(s, "stage") &&
		    !strcmp(fd_str(s, "stage"), stage))
			return true;
	return false;
}

static int plan_ensure(struct rest *r, char **plan_id, struct herr *e)
{
	json_t *plans = NULL, *plan, *out = NULL;
	char *path, *val;
	int rc;

	*plan_id = NULL;
	if ((rc = find_named(r, "GetUsagePlans", "/usageplans", NULL, &plans, e)))
		goto out;
	plan = json_array_get(plans, 0);
	if (!plan) {
		out_step("Creating usage plan %s", r->fn);
		rc = fd_create(r->x, &aws_apigateway, "CreateUsagePlan", "/usageplans",
			       json_pack("{s:s, s:s, s:[{s:s, s:s}], s:{s:s}}", "name", r->fn,
					 "description", "hoist: API key usage for this stage",
					 "apiStages", "apiId", r->id, "stage", r->stage,
					 "tags", FD_TAG, r->fn), NULL, NULL, &out, e);
		if (!rc)
			*plan_id = xstrdup(fd_str(out, "id") ? fd_str(out, "id") : "");
		goto out;
	}
	*plan_id = xstrdup(fd_str(plan, "id"));
	if (plan_has_stage(plan, r->id, r->stage))
		goto out;
	val = xasprintf("%s:%s", r->id, r->stage);
	{
		char *pid = aws_path_escape(*plan_id);

		path = xasprintf("/usageplans/%s", pid);
		free(pid);
	}
	rc = fd_do(r->x, &aws_apigateway, "UpdateUsagePlan", "PATCH", path, NULL,
		   json_pack("{s:[{s:s, s:s, s:s}]}", "patchOperations", "op", "add", "path",
			     "/apiStages", "value", val), NULL, NULL, e);
	free(path);
	free(val);
out:
	json_decref(out);
	json_decref(plans);
	return rc;
}

static int plan_key_ensure(struct rest *r, const char *plan_id, const char *key_id,
			   struct herr *e)
{
	char *pid = aws_path_escape(plan_id), *path = xasprintf("/usageplans/%s/keys", pid);
	json_t *keys = NULL, *k;
	bool there = false;
	size_t i;
	int rc;

	rc = fd_list_all(r->x, &fd_pages_v1, "GetUsagePlanKeys", path, NULL, NULL, &keys, e);
	json_array_foreach(keys, i, k)
		there |= fd_str(k, "id") && !strcmp(fd_str(k, "id"), key_id);
	if (!rc && !there) {
		rc = fd_do(r->x, &aws_apigateway, "CreateUsagePlanKey", "POST", path, NULL,
			   json_pack("{s:s, s:s}", "keyId", key_id, "keyType", "API_KEY"),
			   NULL, NULL, e);
		if (rc && strstr(e->msg, "ConflictException")) {   /* already there */
			herr_clear(e);
			rc = HOIST_OK;
		}
	}
	json_decref(keys);
	free(path);
	free(pid);
	return rc;
}

static int api_key_ensure(struct rest *r, struct herr *e)
{
	char *key = NULL, *plan = NULL;
	int rc;

	rc = key_ensure(r, &key, e);
	if (!rc)
		rc = plan_ensure(r, &plan, e);
	if (!rc)
		rc = plan_key_ensure(r, plan, key, e);
	if (!rc)
		out_info("API key %s, usage plan %s", key, plan);
	free(key);
	free(plan);
	return rc;
}

/* Usage plans and API keys hoist created for the stage (named <function>, tagged). */
static int api_key_remove(struct rest *r, struct herr *e)
{
	json_t *plans = NULL, *keys = NULL, *p, *s;
	size_t i, j;
	char *q = NULL;
	int rc;

	rc = find_named(r, "GetUsagePlans", "/usageplans", NULL, &plans, e);
	json_array_foreach(plans, i, p) {
		char *pid = aws_path_escape(fd_str(p, "id")), *path = xasprintf("/usageplans/%s", pid);

		json_array_foreach(json_object_get(p, "apiStages"), j, s) {
			char *val = xasprintf("%s:%s", fd_str(s, "apiId"), fd_str(s, "stage"));

			if (!rc)
				rc = fd_do(r->x, &aws_apigateway, "UpdateUsagePlan", "PATCH", path,
					   NULL, json_pack("{s:[{s:s, s:s, s:s}]}",
					   "patchOperations", "op", "remove", "path", "/apiStages",
					   "value", val), "NotFoundException", NULL, e);
			free(val);
		}
		if (!rc) {
			out_step("Removing usage plan %s", fd_str(p, "id"));
			rc = fd_do(r->x, &aws_apigateway, "DeleteUsagePlan", "DELETE", path, NULL,
				   NULL, "NotFoundException", NULL, e);
		}
		free(path);
		free(pid);
	}
	if (!rc) {
		q = name_query(r->fn);
		rc = find_named(r, "GetApiKeys", "/apikeys", q, &keys, e);
	}
	json_array_foreach(keys, i, p) {
		char *kid = aws_path_escape(fd_str(p, "id")), *path = xasprintf("/apikeys/%s", kid);

		if (!rc) {
			out_step("Removing API key %s", fd_str(p, "id"));
			rc = fd_do(r->x, &aws_apigateway, "DeleteApiKey", "DELETE", path, NULL, NULL,
				   "NotFoundException", NULL, e);
		}
		free(path);
		free(kid);
	}
	free(q);
	json_decref(plans);
	json_decref(keys);
	return rc;
}

/* ---- deployment ------------------------------------------------------------------------------ */

static char *want_hash(const struct rest *r)
{
	json_t *doc = json_pack("{s:s, s:s, s:b, s:b, s:s*, s:s*}", "uri", r->uri, "auth", r->auth,
				"api_key", r->api_key, "binary", r->binary, "authorizer", r->authz_id,
				"endpoint", endpoint_type(r->x));
	json_t *c = r->cors.on ? cors_params(&r->cors) : json_null();
	char *h;

	json_object_set_new(doc, "cors", c);
	h = fd_hash(doc);
	json_decref(doc);
	return h;
}

static int stage_ensure(struct rest *r, struct herr *e)
{
	char *hash = want_hash(r), *desc = xasprintf(DESC_PREFIX "%s", hash);
	char *sn = aws_path_escape(r->stage), *tail = xasprintf("/stages/%s", sn);
	char *spath = api_path(r->id, tail), *dpath = api_path(r->id, "/deployments");
	json_t *stage = NULL;
	const char *have;
	int rc;

	rc = fd_do(r->x, &aws_apigateway, "GetStage", "GET", spath, NULL, NULL,
		   "NotFoundException", &stage, e);
	if (rc)
		goto out;
	have = fd_str(stage, "description");
	if (stage && !r->changed && have && strcmp(have, desc) == 0) {
		out_info("stage %s of REST API %s is up to date", r->stage, r->id);
		goto out;
	}
	out_step("Deploying REST API %s to stage %s", r->id, r->stage);
	rc = fd_create(r->x, &aws_apigateway, "CreateDeployment", dpath,
		       stage ? json_pack("{s:s, s:s}", "stageName", r->stage, "description", desc)
			     : json_pack("{s:s, s:s, s:s}", "stageName", r->stage, "description",
					 desc, "stageDescription", desc), NULL, NULL, NULL, e);
	if (!rc && stage)
		rc = fd_do(r->x, &aws_apigateway, "UpdateStage", "PATCH", spath, NULL,
			   json_pack("{s:[{s:s, s:s, s:s}]}", "patchOperations", "op", "replace",
				     "path", "/description", "value", desc), NULL, NULL, e);
out:
	r->stage_got = stage;
	free(hash);
	free(desc);
	free(sn);
	free(tail);
	free(spath);
	free(dpath);
	return rc;
}

/* ---- stage settings: cache cluster, logging, metrics (Zappa's deploy_api_gateway) ---------- */

static void patch_op(json_t *ops, const char *path, const char *value)
{
	json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path", path,
					     "value", value));
}

/* A stage-wide method setting: patch it when the stage's value (or AWS's default) differs. */
static void method_setting(json_t *ops, const json_t *have, const char *field,
			   const char *path, json_t *want, json_t *dflt)
{
	const json_t *h = json_object_get(have, field);
	char *v;

	if (!json_equal(want, h ? h : dflt)) {
		v = json_is_string(want) ? xstrdup(json_string_value(want))
			: json_is_boolean(want) ? xstrdup(json_is_true(want) ? "true" : "false")
			: xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(want));
		patch_op(ops, path, v);
		free(v);
	}
	json_decref(want);
	json_decref(dflt);
}

static int stage_settings_ensure(struct rest *r, struct herr *e)
{
	const json_t *s = r->x->st->settings;
	const json_t *ms = json_object_get(json_object_get(r->stage_got, "methodSettings"), "*/*");
	bool cache = settings_bool(s, "cache_cluster_enabled", false);
	const json_t *size = json_object_get(s, "cache_cluster_size");
	json_t *ops = json_array();
	char *sn, *tail, *path, want_size[32];
	int rc = HOIST_OK;

	if (cache != json_is_true(json_object_get(r->stage_got, "cacheClusterEnabled")))
		patch_op(ops, "/cacheClusterEnabled", cache ? "true" : "false");
	snprintf(want_size, sizeof(want_size), "%g", json_is_number(size) ?
		 json_number_value(size) : 0.5);
	if (cache && strcmp(want_size, fd_str(r->stage_got, "cacheClusterSize") ?: "0.5"))
		patch_op(ops, "/cacheClusterSize", want_size);
	method_setting(ops, ms, "loggingLevel", "/*/*/logging/loglevel",
		       json_string(settings_str(s, "cloudwatch_log_level") ?: "OFF"),
		       json_string("OFF"));
	method_setting(ops, ms, "dataTraceEnabled", "/*/*/logging/dataTrace",
		       json_boolean(settings_bool(s, "cloudwatch_data_trace", false)),
		       json_false());
	method_setting(ops, ms, "metricsEnabled", "/*/*/metrics/enabled",
		       json_boolean(settings_bool(s, "cloudwatch_metrics_enabled", false)),
		       json_false());
	method_setting(ops, ms, "cacheTtlInSeconds", "/*/*/caching/ttlInSeconds",
		       json_integer(settings_int(s, "cache_cluster_ttl", 300)), json_integer(300));
	method_setting(ops, ms, "cacheDataEncrypted", "/*/*/caching/dataEncrypted",
		       json_boolean(settings_bool(s, "cache_cluster_encrypted", false)),
		       json_false());
	if (json_array_size(ops)) {
		sn = aws_path_escape(r->stage);
		tail = xasprintf("/stages/%s", sn);
		path = api_path(r->id, tail);
		out_step("Updating the settings of stage %s (cache cluster, logging, metrics)",
			 r->stage);
		rc = fd_do(r->x, &aws_apigateway, "UpdateStage", "PATCH", path, NULL,
			   json_pack("{s:O}", "patchOperations", ops), NULL, NULL, e);
		free(path);
		free(tail);
		free(sn);
	}
	json_decref(ops);
	return rc;
}

/* ---- ensure --------------------------------------------------------------------------------- */

static int rest_init(struct rest *r, struct aws_ctx *x, struct herr *e)
{
	const json_t *s = x->st->settings;
	const char *arn;
	int rc;

	memset(r, 0, sizeof(*r));
	r->x = x;
	r->fn = x->st->function_name;
	r->stage = x->st->name;
	if ((rc = fd_function_arn(x, &arn, e)))
		return rc;
	r->uri = xasprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations",
			   fd_partition(x), x->region, arn);
	r->api_key = settings_bool(s, "api_key_required", false);
	r->binary = settings_bool(s, "binary_support", true);
	cors_read(s, &r->cors);
	r->authz = json_is_object(json_object_get(s, "authorizer")) &&
		   json_object_size(json_object_get(s, "authorizer"))
		   ? json_object_get(s, "authorizer") : NULL;
	r->authz_name = xasprintf("%s-authorizer", r->fn);
	if (r->authz && settings_bool(s, "iam_authorization", false))
		return herr_set(e, HOIST_USAGE, "%s: iam_authorization and authorizer cannot both "
				"be set (a method has one kind of authorization)", x->st->name);
	r->auth = r->authz ? "CUSTOM" : settings_bool(s, "iam_authorization", false) ? "AWS_IAM"
									     : "NONE";
	if (r->authz) {
		r->authz_fn = xstrdup(fd_str(r->authz, "arn") ? fd_str(r->authz, "arn") : arn);
		r->authz_uri = xasprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/"
					 "invocations", fd_partition(x), x->region, r->authz_fn);
	}
	return HOIST_OK;
}

/* What the methods looked like before this run (for removing what is no longer wanted). */
static void note_previous(struct rest *r)
{
	size_t i;
	json_t *res;

	json_array_foreach(r->resources, i, res) {
		const json_t *m = method_of(res, "ANY");

		r->had_key |= json_is_true(json_object_get(m, "apiKeyRequired"));
		r->had_authz |= fd_str(m, "authorizerId") != NULL;
	}
}

int apigw_ensure(struct aws_ctx *x, char **url, struct herr *e)
{
	struct rest r;
	json_t *stmts = NULL;
	const char *acct;
	char *src = NULL;
	int rc;

	*url = NULL;
	rc = rest_init(&r, x, e);
	if (!rc)
		rc = api_ensure(&r, e);
	if (!rc)
		rc = resources_read(&r, e);
	if (!rc) {
		note_previous(&r);
		rc = proxy_ensure(&r, e);
	}
	if (!rc && r.authz)
		rc = authz_ensure(&r, e);
	for (const char *const *p = (const char *const[]){ "/", "/" PROXY_PART, NULL};
	     !rc && *p; p++) {
		const json_t *res = resource_at(&r, *p);

		rc = method_ensure(&r, res, e);
		if (!rc)
			rc = cors_ensure(&r, res, e);
	}
	if (!rc && !r.authz && r.had_authz)
		rc = authz_remove(&r, e);
	/* Permissions before the deployment: a matching stage hash implies them. */
	if (!rc)
		rc = fd_policy(x, NULL, &stmts, e);
	if (!rc)
		rc = aws_account_id(x, &acct, e);
	if (!rc) {
		src = xasprintf("arn:%s:execute-api:%s:%s:%s/*/*/*", fd_partition(x), x->region,
				acct, r.id);
		rc = fd_permission(x, stmts, &(struct fd_perm){ .sid = FD_SID_REST,
			.action = "lambda:InvokeFunction", .principal = "apigateway.amazonaws.com",
			.source_arn = src }, NULL, e);
	}
	if (!rc && r.authz)
		rc = authz_permission(&r, stmts, e);
	else if (!rc)
		rc = fd_permission_drop(x, stmts, NULL, FD_SID_AUTH, e);
	if (!rc)
		rc = stage_ensure(&r, e);
	if (!rc)
		rc = stage_settings_ensure(&r, e);
	if (!rc && r.api_key)
		rc = api_key_ensure(&r, e);
	else if (!rc && r.had_key)
		rc = api_key_remove(&r, e);
	if (!rc)
		*url = rest_url(x, r.id);
	free(src);
	json_decref(stmts);
	rest_free(&r);
	return rc;
}

/* ---- url, status, remove ------------------------------------------------------------------------ */

int apigw_present(struct aws_ctx *x, const json_t *stmts, char **url, bool *present,
		  struct herr *e)
{
	const json_t *az = json_object_get(x->st->settings, "authorizer");
	const char *az_fn = fd_str(az, "arn");
	bool authz = json_object_size(az) > 0, has = fd_statement(stmts, FD_SID_AUTH) != NULL;
	json_t *stage = NULL;
	int rc;

	*url = NULL;
	*present = false;
	/* our own authorizer's permission is there exactly when one is wanted */
	if ((!authz && has) || (authz && (!az_fn || !strcmp(az_fn, x->function_arn ?: "")) && !has))
		return HOIST_OK;
	rc = fd_stage_named_by(x, &aws_apigateway, "/restapis/", stmts, FD_SID_REST, &stage, url,
			       e);
	/* deployed by hoist: its description carries the hash of what was deployed */
	*present = !rc && str_starts(fd_str(stage, "description") ?: "", DESC_PREFIX) &&
		   fd_str(stage, "deploymentId");
	json_decref(stage);
	return rc;
}

int apigw_url(struct aws_ctx *x, char **url, json_t *status, struct herr *e)
{
	json_t *found = NULL, *api;
	int rc;

	*url = NULL;
	if ((rc = find_apis(x, &found, e)))
		return rc;
	api = json_array_get(found, 0);
	if (api && json_array_size(found) > 1)
		out_warn("%zu REST APIs are named %s; using %s", json_array_size(found),
			 x->st->function_name, fd_str(api, "id"));
	/* Only a deployed stage is a live URL (a deploy stopped half-way has none yet). */
	if (api) {
		char *sn = aws_path_escape(x->st->name), *tail = xasprintf("/stages/%s", sn);

		rc = fd_stage_status(x, &aws_apigateway, "REST", fd_str(api, "id"),
				     api_path(fd_str(api, "id"), tail), rest_url(x, fd_str(api, "id")),
				     status, url, e);
		free(tail);
		free(sn);
	}
	json_decref(found);
	return rc;
}

int apigw_api_key_value(struct aws_ctx *x, char **value, struct herr *e)
{
	struct rest r = { .x = x, .fn = x->st->function_name, .stage = x->st->name };
	const char *given = settings_str(x->st->settings, "api_key");
	json_t *keys = NULL, *out = NULL;
	char *id = NULL, *q, *kid, *path;
	int rc = HOIST_OK;

	*value = NULL;
	if (given) {
		id = xstrdup(given);
	} else {
		q = name_query(r.fn);
		rc = find_named(&r, "GetApiKeys", "/apikeys", q, &keys, e);
		free(q);
		if (!rc && json_array_size(keys))
			id = xstrdup(fd_str(json_array_get(keys, 0), "id"));
	}
	json_decref(keys);
	if (!rc && !id) {
		rc = herr_set(e, HOIST_FAIL, "the stage has no API key (named %s) yet", r.fn);
		herr_hint(e, "run 'hoist update %s' to create it", x->st->name);
	}
	if (rc)
		goto out;
	kid = aws_path_escape(id);
	path = xasprintf("/apikeys/%s", kid);
	rc = fd_do(x, &aws_apigateway, "GetApiKey", "GET", path, "includeValue=true", NULL, NULL,
		   &out, e);
	if (!rc && !fd_str(out, "value"))
		rc = herr_set(e, HOIST_FAIL, "API key %s came back without its value", id);
	if (!rc)
		*value = xstrdup(fd_str(out, "value"));
	free(path);
	free(kid);
out:
	json_decref(out);
	free(id);
	return rc;
}

int apigw_remove(struct aws_ctx *x, bool *removed, struct herr *e)
{
	struct rest r;
	json_t *found = NULL, *api, *stmts = NULL;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	r.x = x;
	r.fn = x->st->function_name;
	r.stage = x->st->name;
	*removed = false;
	rc = api_key_remove(&r, e);
	if (!rc)
		rc = find_apis(x, &found, e);
	json_array_foreach(found, i, api) {
		char *path = api_path(fd_str(api, "id"), NULL);

		if (!rc) {
			out_step("Removing API Gateway REST API %s", fd_str(api, "id"));
			rc = fd_do(x, &aws_apigateway, "DeleteRestApi", "DELETE", path, NULL, NULL,
				   "NotFoundException", NULL, e);
			*removed = true;
		}
		free(path);
	}
	if (!rc && *removed)
		rc = fd_policy(x, NULL, &stmts, e);
	if (!rc && *removed)
		rc = fd_permission_drop(x, stmts, NULL, FD_SID_REST, e);
	if (!rc && *removed)
		rc = fd_permission_drop(x, stmts, NULL, FD_SID_AUTH, e);
	/* An authorizer in another function: the statement hoist added there. */
	if (!rc && *removed && fd_str(json_object_get(x->st->settings, "authorizer"), "arn")) {
		const char *other = fd_str(json_object_get(x->st->settings, "authorizer"), "arn");
		char *sid = xasprintf("hoist-%s-authorizer", x->st->function_name);
		json_t *os = NULL;

		rc = fd_policy(x, other, &os, e);
		if (!rc)
			rc = fd_permission_drop(x, os, other, sid, e);
		if (rc) {
			out_warn("could not remove permission %s from %s: %s", sid, other, e->msg);
			herr_clear(e);
			rc = HOIST_OK;
		}
		json_decref(os);
		free(sid);
	}
	json_decref(stmts);
	json_decref(found);
	rest_free(&r);
	return rc;
}
