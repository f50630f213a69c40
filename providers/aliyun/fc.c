/*
 * fc.c — Function Compute 3.0 (API 2023-03-30, ROA, host
 * fcv3.<region>.aliyuncs.com): the function, its versions and the stage's
 * alias, triggers, the async-invoke config (dead letter), tags, and
 * InvokeFunction.  Each function makes the calls it names and nothing else;
 * ops.c decides the order.
 *
 * Create-like calls (CreateFunction, CreateTrigger, CreateAlias,
 * PublishFunctionVersion) are never re-sent blindly when their outcome is
 * unknown (the connection broke after the request went out): their
 * check_effect reads the resource back first, as on AWS.
 *
 * A RAM role hoist has just made (tasks.c) may not be assumable by FC for
 * a few seconds (RAM is eventually consistent; FC answers 403 "No
 * permission to assume the role"): CreateFunction and UpdateFunction naming
 * it are retried, bounded, with the HTTP backoff.
 */
#include "fc.h"

#include "../../core/clock.h"
#include "../../core/err.h"
#include "../../core/http_body.h"
#include "../../core/log.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MAX_S 600
#define ROLE_TRIES 10             /* RAM propagation: ~1 minute at the default backoff */

const char *fc_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

char *fc_path(const struct ali_ctx *x, const char *rest)
{
	char *fn = ali_path_escape(x->st->function_name);
	char *p = xasprintf("/2023-03-30/functions/%s%s", fn, rest ? rest : "");

	free(fn);
	return p;
}

static int fc_do(struct ali_ctx *x, struct ali_call *c, const char *absent, json_t **out,
		 struct herr *e)
{
	c->svc = &ali_fc;
	return ali_call_json(&x->client, c, absent, out, e);
}

int fc_call(struct ali_ctx *x, const char *action, const char *method, const char *path,
	    json_t *query, json_t *body, const char *absent, json_t **out, struct herr *e)
{
	struct ali_call c = { .action = action, .method = method, .path = path, .query = query,
			      .json = body };

	return fc_do(x, &c, absent, out, e);
}

/* ---- the function ------------------------------------------------------------ */

int fc_get(struct ali_ctx *x, const char *qualifier, json_t **fn, struct herr *e)
{
	char *path = fc_path(x, NULL);
	json_t *q = qualifier ? json_pack("{s:s}", "qualifier", qualifier) : NULL;
	int rc = fc_call(x, "GetFunction", "GET", path, q, NULL, "FunctionNotFound", fn, e);

	json_decref(q);
	free(path);
	return rc;
}

bool fc_settled(const json_t *fn)
{
	const char *state = fc_str(fn, "state") ?: "Active", *last = fc_str(fn, "lastUpdateStatus") ?: "";

	return fn && !strcmp(state, "Active") && strcmp(last, "InProgress") && strcmp(last, "Failed");
}

int fc_wait(struct ali_ctx *x, json_t **out, struct herr *e)
{
	double t0 = clock_now_s();
	json_t *fn = NULL;
	int rc;

	for (int n = 0;; n++) {
		const char *state, *last;

		json_decref(fn);
		if ((rc = fc_get(x, NULL, &fn, e)) != HOIST_OK)
			return rc;
		if (!fn)
			return herr_set(e, HOIST_FAIL, "function %s disappeared while hoist waited for "
					"it", x->st->function_name);
		state = fc_str(fn, "state") ?: "Active";
		last = fc_str(fn, "lastUpdateStatus") ?: "";
		if (!strcmp(state, "Failed") || !strcmp(last, "Failed")) {
			rc = herr_set(e, HOIST_FAIL, "function %s is %s: %s", x->st->function_name,
				      !strcmp(state, "Failed") ? "Failed" : "Failed to update",
				      fc_str(fn, "stateReason") ?: fc_str(fn, "lastUpdateStatusReason")
				      ?: "no reason given");
			json_decref(fn);
			return rc;
		}
		if (!strcmp(state, "Active") && strcmp(last, "InProgress"))
			break;
		if (clock_now_s() - t0 > WAIT_MAX_S) {
			json_decref(fn);
			return herr_set(e, HOIST_FAIL, "function %s is still %s/%s after %d s",
					x->st->function_name, state, last, WAIT_MAX_S);
		}
		if (n == 0)
			out_info("waiting for %s (state %s%s%s)", x->st->function_name, state,
				 *last ? ", " : "", last);
		clock_sleep_ms(n < 6 ? 50L << n : 2000);
	}
	if (out)
		*out = fn;
	else
		json_decref(fn);
	return HOIST_OK;
}

/* check_effect: does the function exist now? */
static int function_exists(const struct http_request *rq, enum http_effect *eff, void *p,
			   struct herr *e)
{
	struct ali_ctx *x = p;
	json_t *fn = NULL;
	int rc = fc_get(x, NULL, &fn, e);

	*eff = fn ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(fn);
	return rc;
}

/*
 * A call whose body holds the code: inline, streamed from `zip` as base64
 * where `doc` has http_body_mark(); else `doc` as is.
 */
static int code_call(struct ali_ctx *x, struct ali_call *c, json_t *doc, const char *zip,
		     json_t **out, struct herr *e)
{
	struct http_body b;
	int rc;

	if (!zip) {
		c->json = doc;
		return fc_do(x, c, NULL, out, e);
	}
	if ((rc = http_body_json(&b, doc, zip, e)) == HOIST_OK &&
	    (rc = http_body_sha256(&b, e)) == HOIST_OK) {
		c->stream = &b;
		c->content_type = "application/json; charset=utf-8";
		rc = fc_do(x, c, NULL, out, e);
	}
	http_body_free(&b);
	return rc;
}

/* A code call, again while FC cannot assume the role hoist made for the function yet. */
static int role_call(struct ali_ctx *x, struct ali_call *c, json_t *doc, const char *zip,
		     struct herr *e)
{
	long base = env_number("HOIST_HTTP_BACKOFF_MS", 500);
	const char *role = fc_str(doc, "role");
	int rc, i;

	for (i = 1;; i++) {
		rc = code_call(x, c, doc, zip, NULL, e);
		if (!rc || !x->fn_role || !role || strcmp(role, x->fn_role) ||
		    !strstr(e->msg, "assume the role"))
			return rc;
		if (i == ROLE_TRIES)
			return herr_hint(e, "RAM has not propagated the new role yet; run the "
					 "command again in a minute");
		out_info("Function Compute cannot assume the new role yet (RAM propagation); "
			 "retrying in %ld ms", base << (i < 5 ? i - 1 : 4));
		herr_clear(e);
		clock_sleep_ms(base << (i < 5 ? i - 1 : 4));
	}
}

int fc_create(struct ali_ctx *x, json_t *body, const char *zip, struct herr *e)
{
	struct ali_call c = { .action = "CreateFunction", .method = "POST",
			      .path = "/2023-03-30/functions", .non_idempotent = true,
			      .check_effect = function_exists, .check_ctx = x,
			      .progress = zip ? "uploading" : NULL, .timeout_s = 900 };

	return role_call(x, &c, body, zip, e);
}

int fc_update(struct ali_ctx *x, json_t *body, const char *zip, struct herr *e)
{
	char *path = fc_path(x, NULL);
	struct ali_call c = { .action = "UpdateFunction", .method = "PUT", .path = path,
			      .progress = zip ? "uploading" : NULL, .timeout_s = 900 };
	int rc = x->fn_read_locked ? HOIST_OK : fc_wait(x, NULL, e);

	x->fn_read_locked = false;   /* once: from this write on, FC's state is its own */
	if (!rc)
		rc = role_call(x, &c, body, zip, e);
	free(path);
	return rc;
}

int fc_delete(struct ali_ctx *x, struct herr *e)
{
	char *path = fc_path(x, NULL);
	int rc = fc_call(x, "DeleteFunction", "DELETE", path, NULL, NULL, "FunctionNotFound", NULL,
			 e);

	free(path);
	return rc;
}

/* ---- versions and the alias ---------------------------------------------------- */

/* Every item of a paged FC listing (`member` of each page), following nextToken. */
static int list_all(struct ali_ctx *x, const char *action, const char *path, const json_t *q0,
		    const char *member, json_t **all, struct herr *e)
{
	char *token = NULL;
	json_t *page, *v;
	size_t i;
	int rc;

	*all = json_array();
	do {
		json_t *q = json_deep_copy(q0);

		if (token)
			json_object_set_new(q, "nextToken", json_string(token));
		rc = fc_call(x, action, "GET", path, q, NULL, NULL, &page, e);
		json_decref(q);
		free(token);
		token = NULL;
		if (rc)
			break;
		json_array_foreach(json_object_get(page, member), i, v)
			json_array_append(*all, v);
		if (fc_str(page, "nextToken") && *fc_str(page, "nextToken"))
			token = xstrdup(fc_str(page, "nextToken"));
		json_decref(page);
	} while (token);
	if (rc) {
		json_decref(*all);
		*all = NULL;
	}
	return rc;
}

int fc_versions(struct ali_ctx *x, json_t **versions, struct herr *e)
{
	char *path = fc_path(x, "/versions");
	json_t *q = json_pack("{s:s, s:s}", "direction", "BACKWARD", "limit", "100");
	int rc = list_all(x, "ListFunctionVersions", path, q, "versions", versions, e);

	json_decref(q);
	free(path);
	return rc;
}

struct publish_check {
	struct ali_ctx *x;
	const char *before;   /* newest version id before the call, or NULL */
};

/* check_effect: is there a version newer than the one we saw before? */
static int version_published(const struct http_request *rq, enum http_effect *eff, void *p,
			     struct herr *e)
{
	struct publish_check *pc = p;
	json_t *vs = NULL;
	const char *now;
	int rc = fc_versions(pc->x, &vs, e);

	now = rc ? NULL : fc_str(json_array_get(vs, 0), "versionId");
	*eff = now && (!pc->before || strcmp(now, pc->before)) ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(vs);
	return rc;
}

int fc_publish(struct ali_ctx *x, char **version, struct herr *e)
{
	char *path = fc_path(x, "/versions");
	json_t *vs = NULL, *body = json_pack("{s:s}", "description", "published by hoist"), *out;
	struct publish_check pc = { x, NULL };
	struct ali_call c = { .action = "PublishFunctionVersion", .method = "POST", .path = path,
			      .json = body, .non_idempotent = true,
			      .check_effect = version_published, .check_ctx = &pc };
	int rc;

	*version = NULL;
	rc = fc_wait(x, NULL, e);
	if (!rc)
		rc = fc_versions(x, &vs, e);
	if (!rc) {
		pc.before = fc_str(json_array_get(vs, 0), "versionId");
		rc = fc_do(x, &c, NULL, &out, e);
	}
	if (!rc && out && fc_str(out, "versionId"))
		*version = xstrdup(fc_str(out, "versionId"));
	else if (!rc) {   /* the connection broke but it took effect: read it back */
		json_t *now = NULL;

		if (!(rc = fc_versions(x, &now, e)))
			*version = xstrdup(fc_str(json_array_get(now, 0), "versionId") ?: "");
		json_decref(now);
	}
	if (!rc)
		json_decref(out);
	json_decref(vs);
	json_decref(body);
	free(path);
	return rc;
}

int fc_version_delete(struct ali_ctx *x, const char *id, struct herr *e)
{
	char *rest = xasprintf("/versions/%s", id), *path = fc_path(x, rest);
	int rc = fc_call(x, "DeleteFunctionVersion", "DELETE", path, NULL, NULL, "VersionNotFound",
			 NULL, e);

	free(path);
	free(rest);
	return rc;
}

static char *alias_path(const struct ali_ctx *x, bool named)
{
	char *a = ali_path_escape(x->alias), *rest = named ? xasprintf("/aliases/%s", a)
							  : xstrdup("/aliases");
	char *p = fc_path(x, rest);

	free(rest);
	free(a);
	return p;
}

int fc_alias_get(struct ali_ctx *x, json_t **alias, struct herr *e)
{
	char *path = alias_path(x, true);
	int rc = fc_call(x, "GetAlias", "GET", path, NULL, NULL, "AliasNotFound", alias, e);

	free(path);
	return rc;
}

static int alias_exists(const struct http_request *rq, enum http_effect *eff, void *p,
			struct herr *e)
{
	json_t *a = NULL;
	int rc = fc_alias_get(p, &a, e);

	*eff = a ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(a);
	return rc;
}

int fc_alias_point(struct ali_ctx *x, const char *version, bool exists, struct herr *e)
{
	char *path = alias_path(x, exists);
	json_t *body = exists ? json_pack("{s:s}", "versionId", version)
			      : json_pack("{s:s, s:s, s:s}", "aliasName", x->alias, "versionId",
					  version, "description", "hoist stage");
	struct ali_call c = { .action = exists ? "UpdateAlias" : "CreateAlias",
			      .method = exists ? "PUT" : "POST", .path = path, .json = body,
			      .non_idempotent = !exists, .check_effect = exists ? NULL : alias_exists,
			      .check_ctx = x };
	int rc = fc_do(x, &c, NULL, NULL, e);

	json_decref(body);
	free(path);
	return rc;
}

int fc_alias_delete(struct ali_ctx *x, struct herr *e)
{
	char *path = alias_path(x, true);
	int rc = fc_call(x, "DeleteAlias", "DELETE", path, NULL, NULL, "AliasNotFound", NULL, e);

	free(path);
	return rc;
}

/* ---- triggers ------------------------------------------------------------------- */

int fc_triggers(struct ali_ctx *x, json_t **triggers, struct herr *e)
{
	char *path = fc_path(x, "/triggers");
	json_t *q = json_pack("{s:s}", "limit", "100");
	int rc = list_all(x, "ListTriggers", path, q, "triggers", triggers, e);

	json_decref(q);
	free(path);
	return rc;
}

static char *trigger_path(const struct ali_ctx *x, const char *name)
{
	char *t = name ? ali_path_escape(name) : NULL;
	char *rest = t ? xasprintf("/triggers/%s", t) : xstrdup("/triggers");
	char *p = fc_path(x, rest);

	free(rest);
	free(t);
	return p;
}

int fc_trigger_get(struct ali_ctx *x, const char *name, json_t **t, struct herr *e)
{
	char *path = trigger_path(x, name);
	int rc = fc_call(x, "GetTrigger", "GET", path, NULL, NULL, "TriggerNotFound", t, e);

	free(path);
	return rc;
}

struct trigger_check {
	struct ali_ctx *x;
	const char *name;
};

static int trigger_exists(const struct http_request *rq, enum http_effect *eff, void *p,
			  struct herr *e)
{
	struct trigger_check *tc = p;
	json_t *t = NULL;
	int rc = fc_trigger_get(tc->x, tc->name, &t, e);

	*eff = t ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(t);
	return rc;
}

int fc_trigger_create(struct ali_ctx *x, const char *name, const char *type,
		      const char *config, const char *description, json_t **out, struct herr *e)
{
	char *path = trigger_path(x, NULL);
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "triggerName", name,
				 "triggerType", type, "qualifier", x->alias, "triggerConfig", config,
				 "description", description);
	struct trigger_check tc = { x, name };
	struct ali_call c = { .action = "CreateTrigger", .method = "POST", .path = path,
			      .json = body, .non_idempotent = true, .check_effect = trigger_exists,
			      .check_ctx = &tc };
	int rc = fc_do(x, &c, NULL, out, e);

	if (!rc && out && !*out)   /* took effect over a broken connection */
		rc = fc_trigger_get(x, name, out, e);
	json_decref(body);
	free(path);
	return rc;
}

int fc_trigger_update(struct ali_ctx *x, const char *name, const char *config,
		      const char *description, json_t **out, struct herr *e)
{
	char *path = trigger_path(x, name);
	json_t *body = json_pack("{s:s, s:s, s:s}", "triggerConfig", config, "qualifier", x->alias,
				 "description", description);
	int rc = fc_call(x, "UpdateTrigger", "PUT", path, NULL, body, NULL, out, e);

	json_decref(body);
	free(path);
	return rc;
}

int fc_trigger_delete(struct ali_ctx *x, const char *name, struct herr *e)
{
	char *path = trigger_path(x, name);
	int rc = fc_call(x, "DeleteTrigger", "DELETE", path, NULL, NULL, "TriggerNotFound", NULL,
			 e);

	free(path);
	return rc;
}

/* ---- async invoke config (dead letter) ------------------------------------------ */

int fc_async_get(struct ali_ctx *x, json_t **cfg, struct herr *e)
{
	char *path = fc_path(x, "/async-invoke-config");
	json_t *q = json_pack("{s:s}", "qualifier", x->alias);
	int rc = fc_call(x, "GetAsyncInvokeConfig", "GET", path, q, NULL, "AsyncConfigNotExists",
			 cfg, e);

	json_decref(q);
	free(path);
	return rc;
}

int fc_async_put(struct ali_ctx *x, json_t *body, struct herr *e)
{
	char *path = fc_path(x, "/async-invoke-config");
	json_t *q = json_pack("{s:s}", "qualifier", x->alias);
	int rc = fc_call(x, "PutAsyncInvokeConfig", "PUT", path, q, body, NULL, NULL, e);

	json_decref(q);
	free(path);
	return rc;
}

int fc_async_delete(struct ali_ctx *x, struct herr *e)
{
	char *path = fc_path(x, "/async-invoke-config");
	json_t *q = json_pack("{s:s}", "qualifier", x->alias);
	int rc = fc_call(x, "DeleteAsyncInvokeConfig", "DELETE", path, q, NULL,
			 "AsyncConfigNotExists", NULL, e);

	json_decref(q);
	free(path);
	return rc;
}

/* ---- custom domains --------------------------------------------------------------- */

static char *domain_path(const char *domain)
{
	char *d = ali_path_escape(domain), *p = xasprintf("/2023-03-30/custom-domains/%s", d);

	free(d);
	return p;
}

int fc_domain_get(struct ali_ctx *x, const char *domain, json_t **out, struct herr *e)
{
	char *path = domain_path(domain);
	int rc = fc_call(x, "GetCustomDomain", "GET", path, NULL, NULL, "DomainNameNotFound", out,
			 e);

	free(path);
	return rc;
}

struct domain_check {
	struct ali_ctx *x;
	const char *domain;
};

static int domain_exists(const struct http_request *rq, enum http_effect *eff, void *p,
			 struct herr *e)
{
	struct domain_check *dc = p;
	json_t *d = NULL;
	int rc = fc_domain_get(dc->x, dc->domain, &d, e);

	*eff = d ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(d);
	return rc;
}

int fc_domain_put(struct ali_ctx *x, const char *domain, json_t *body, bool exists,
		  struct herr *e)
{
	char *path = exists ? domain_path(domain) : xstrdup("/2023-03-30/custom-domains");
	struct domain_check dc = { x, domain };
	struct ali_call c = { .action = exists ? "UpdateCustomDomain" : "CreateCustomDomain",
			      .method = exists ? "PUT" : "POST", .path = path, .json = body,
			      .non_idempotent = !exists,
			      .check_effect = exists ? NULL : domain_exists, .check_ctx = &dc };
	int rc;

	if (!exists)
		json_object_set_new(body, "domainName", json_string(domain));
	rc = fc_do(x, &c, NULL, NULL, e);
	free(path);
	return rc;
}

int fc_domain_delete(struct ali_ctx *x, const char *domain, struct herr *e)
{
	char *path = domain_path(domain);
	int rc = fc_call(x, "DeleteCustomDomain", "DELETE", path, NULL, NULL, "DomainNameNotFound",
			 NULL, e);

	free(path);
	return rc;
}

/* ---- tags -------------------------------------------------------------------------- */

int fc_tags_converge(struct ali_ctx *x, const char *arn, const json_t *have, const json_t *want,
		     struct herr *e)
{
	json_t *add = json_array(), *drop = json_array(), *t;
	const char *k;
	size_t i;
	int rc = HOIST_OK;

	json_object_foreach((json_t *)want, k, t) {
		bool same = false;
		json_t *h;

		json_array_foreach(have, i, h)
			same |= !strcmp(fc_str(h, "Key") ?: "", k) &&
				!strcmp(fc_str(h, "Value") ?: "", json_string_value(t) ?: "");
		if (!same)
			json_array_append_new(add, json_pack("{s:s, s:s}", "Key", k, "Value",
							     json_string_value(t) ?: ""));
	}
	json_array_foreach(have, i, t)
		if (!json_object_get(want, fc_str(t, "Key") ?: ""))
			json_array_append_new(drop, json_string(fc_str(t, "Key") ?: ""));
	if (json_array_size(add)) {
		json_t *body = json_pack("{s:[s], s:s, s:O}", "resourceId", arn, "resourceType",
					 "function", "tag", add);

		out_info("tagging %s (%zu tag%s)", x->st->function_name, json_array_size(add),
			 json_array_size(add) == 1 ? "" : "s");
		rc = fc_call(x, "TagResources", "POST", "/2023-03-30/tags-v2", NULL, body, NULL,
			     NULL, e);
		json_decref(body);
	}
	if (!rc && json_array_size(drop)) {
		char *ids = json_dumps(json_pack("[s]", arn), JSON_COMPACT);
		char *keys = json_dumps(drop, JSON_COMPACT);
		json_t *q = json_pack("{s:s, s:s, s:s}", "ResourceId", ids, "ResourceType", "function",
				      "TagKey", keys);

		rc = fc_call(x, "UntagResources", "DELETE", "/2023-03-30/tags-v2", q, NULL, NULL,
			     NULL, e);
		json_decref(q);
		free(ids);
		free(keys);
	}
	json_decref(add);
	json_decref(drop);
	return rc;
}

/* ---- invoke -------------------------------------------------------------------------- */

int fc_invoke(struct ali_ctx *x, const char *qualifier, const char *payload, size_t len,
	      bool async, struct ali_result *r, struct herr *e)
{
	char *path = fc_path(x, "/invocations");
	json_t *q = qualifier ? json_pack("{s:s}", "qualifier", qualifier) : NULL;
	const struct ali_kv h[] = {
		{ "x-fc-invocation-type", async ? "Async" : "Sync" },
		{ "x-fc-log-type", async ? "None" : "Tail" },
	};
	struct ali_call c = { .svc = &ali_fc, .action = "InvokeFunction", .method = "POST",
			      .path = path, .query = q, .body = payload, .body_len = len,
			      .content_type = "application/octet-stream", .headers = h,
			      .n_headers = 2, .timeout_s = 900,
			      /* a Sync invocation is not idempotent: never re-sent blindly */
			      .non_idempotent = !async };
	int rc = ali_do(&x->client, &c, r, e);

	json_decref(q);
	free(path);
	return rc;
}
