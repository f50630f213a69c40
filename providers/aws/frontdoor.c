/*
 * frontdoor.c — the stage's HTTP entry points on AWS (aws.h: aws_frontdoor_*):
 * which front doors the settings ask for (REST API v1 by default, HTTP API
 * v2 with apigateway_version "v2", a function URL with function_url_enabled),
 * converging them and removing the ones no longer wanted; plus what the
 * three front-door files share (frontdoor.h): one-call helpers, Lambda
 * permissions with deterministic statement ids, the CORS settings.
 */
#include "frontdoor.h"
#include "deploy.h"

#include "../../core/cors.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* ---- calls ----------------------------------------------------------------- */

static int do_call(struct aws_ctx *x, struct aws_call *c, const char *absent, json_t **out,
		   struct herr *e)
{
	struct aws_result r;
	int rc;

	if (out)
		*out = NULL;
	rc = lambda_do(x, c, &r, e);   /* the function may still be settling */
	if (rc && absent && aws_error_is(&r, absent)) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc && out && !r.effect_done) {
		*out = json_incref(r.data);
	}
	aws_result_free(&r);
	return rc;
}

int fd_do(struct aws_ctx *x, const struct aws_service *svc, const char *op, const char *method,
	  const char *path, const char *query, json_t *body, const char *absent, json_t **out,
	  struct herr *e)
{
	struct aws_call c = { .svc = svc, .op = op, .method = method, .path = path,
			      .query = query, .json = body };
	int rc = do_call(x, &c, absent, out, e);

	json_decref(body);
	return rc;
}

int fd_create(struct aws_ctx *x, const struct aws_service *svc, const char *op,
	      const char *path, json_t *body, http_check_effect_fn check, void *check_ctx,
	      json_t **out, struct herr *e)
{
	struct aws_call c = { .svc = svc, .op = op, .method = "POST", .path = path, .json = body,
			      .non_idempotent = true, .check_effect = check,
			      .check_ctx = check_ctx };
	int rc = do_call(x, &c, NULL, out, e);

	json_decref(body);
	return rc;
}

const struct fd_paging fd_pages_v1 = { &aws_apigateway, "limit", "position", "item", "position" };
const struct fd_paging fd_pages_v2 = { &aws_apigatewayv2, "maxResults", "nextToken", "items",
				       "nextToken" };

int fd_list_all(struct aws_ctx *x, const struct fd_paging *pg, const char *op,
		const char *path, const char *extra_q, const char *absent, json_t **items,
		struct herr *e)
{
	char *next = NULL;
	int rc = HOIST_OK;

	*items = json_array();
	do {
		struct sbuf q;
		json_t *out = NULL;

		sbuf_init(&q);
		aws_query_add(&q, pg->size_q, "500");
		if (extra_q)
			sbuf_printf(&q, "&%s", extra_q);
		if (next)
			aws_query_add(&q, pg->token_q, next);
		rc = fd_do(x, pg->svc, op, "GET", path, q.s, NULL, absent, &out, e);
		sbuf_free(&q);
		free(next);
		next = NULL;
		if (!rc && json_is_array(json_object_get(out, pg->items)))
			json_array_extend(*items, json_object_get(out, pg->items));
		if (!rc && fd_str(out, pg->token))
			next = xstrdup(fd_str(out, pg->token));
		json_decref(out);
	} while (!rc && next);
	free(next);
	return rc;
}

/* ---- small helpers ------------------------------------------------------------ */

const char *fd_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

const char *fd_partition(const struct aws_ctx *x)
{
	if (str_starts(x->region, "cn-"))
		return "aws-cn";
	if (str_starts(x->region, "us-gov-"))
		return "aws-us-gov";
	return "aws";
}

int fd_function_arn(struct aws_ctx *x, const char **arn, struct herr *e)
{
	const char *acct;
	int rc;

	if (!x->function_arn) {
		if ((rc = aws_account_id(x, &acct, e)))
			return rc;
		x->function_arn = xasprintf("arn:%s:lambda:%s:%s:function:%s", fd_partition(x),
					    x->region, acct, x->st->function_name);
	}
	*arn = x->function_arn;
	return HOIST_OK;
}

char *fd_hash(const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *hex = xmalloc(17);

	EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	free(text);
	return hex;
}

bool fd_tagged(const struct aws_ctx *x, const json_t *tags)
{
	const char *v = fd_str(tags, FD_TAG);

	return v && strcmp(v, x->st->function_name) == 0;
}

/* ---- Lambda permissions ---------------------------------------------------------- */

static char *policy_path(const struct aws_ctx *x, const char *function, const char *sid)
{
	char *f = aws_path_escape(function ? function : x->st->function_name);
	char *s = sid ? aws_path_escape(sid) : NULL;
	char *p = xasprintf("/2015-03-31/functions/%s/policy%s%s", f, s ? "/" : "", s ? s : "");

	free(f);
	free(s);
	return p;
}

int fd_policy(struct aws_ctx *x, const char *function, json_t **stmts, struct herr *e)
{
	bool own = !function || !strcmp(function, x->st->function_name);
	char *path;
	json_t *out = NULL, *doc;
	int rc;

	*stmts = NULL;
	if (own && x->policy && x->policy_gen == x->client.policy_writes) {
		*stmts = json_deep_copy(x->policy);   /* no permission changed by hoist since */
		return HOIST_OK;
	}
	path = policy_path(x, function, NULL);
	rc = fd_do(x, &aws_lambda, "GetPolicy", "GET", path, NULL, NULL,
		   "ResourceNotFoundException", &out, e);
	free(path);
	if (rc)
		return rc;
	doc = fd_str(out, "Policy") ? json_loads(fd_str(out, "Policy"), 0, NULL) : NULL;
	*stmts = json_incref(json_object_get(doc, "Statement"));
	if (!json_is_array(*stmts)) {
		json_decref(*stmts);
		*stmts = json_array();
	}
	json_decref(doc);
	json_decref(out);
	if (own) {
		json_decref(x->policy);
		x->policy = json_deep_copy(*stmts);
		x->policy_gen = x->client.policy_writes;
	}
	return HOIST_OK;
}

void fd_policy_read(struct aws_ctx *x)
{
	struct herr e = { 0 };
	json_t *stmts = NULL;

	fd_policy(x, NULL, &stmts, &e);
	herr_clear(&e);
	json_decref(stmts);
}

const json_t *fd_statement(const json_t *stmts, const char *sid)
{
	size_t i;
	json_t *s;

	json_array_foreach(stmts, i, s)
		if (fd_str(s, "Sid") && strcmp(fd_str(s, "Sid"), sid) == 0)
			return s;
	return NULL;
}

const char *fd_source_arn(const json_t *s)
{
	return fd_str(json_object_get(json_object_get(s, "Condition"), "ArnLike"),
		      "AWS:SourceArn");
}

char *fd_api_of(const json_t *stmts, const char *sid)
{
	const json_t *s = fd_statement(stmts, sid);
	const char *src = s ? fd_source_arn(s) : NULL, *id;

	if (!src || !(id = strrchr(src, ':')) || !strchr(++id, '/') || *id == '/')
		return NULL;
	return xasprintf("%.*s", (int)(strchr(id, '/') - id), id);
}

int fd_stage_named_by(struct aws_ctx *x, const struct aws_service *svc, const char *base,
		      const json_t *stmts, const char *sid, json_t **stage, char **url,
		      struct herr *e)
{
	char *id = fd_api_of(stmts, sid), *i, *sn, *path;
	int rc;

	*stage = NULL;
	*url = NULL;
	if (!id)
		return HOIST_OK;
	i = aws_path_escape(id);
	sn = aws_path_escape(x->st->name);
	path = xasprintf("%s%s/stages/%s", base, i, sn);
	rc = fd_do(x, svc, "GetStage", "GET", path, NULL, NULL, "NotFoundException", stage, e);
	if (*stage)
		*url = xasprintf("https://%s.execute-api.%s.%s/%s", id, x->region,
				 aws_dns_suffix(x->region), x->st->name);
	free(path);
	free(sn);
	free(i);
	free(id);
	return rc;
}

static bool stmt_matches(const json_t *s, const struct fd_perm *p)
{
	const char *have = fd_source_arn(s);
	const json_t *act = json_object_get(s, "Action");

	if (json_is_string(act) && strcmp(json_string_value(act), p->action) != 0)
		return false;
	if (!p->source_arn)
		return !have;
	return have && strcmp(have, p->source_arn) == 0;
}

int fd_permission_drop(struct aws_ctx *x, const json_t *stmts, const char *function,
		       const char *sid, struct herr *e)
{
	char *path;
	int rc;

	if (!fd_statement(stmts, sid))
		return HOIST_OK;
	path = policy_path(x, function, sid);
	rc = fd_do(x, &aws_lambda, "RemovePermission", "DELETE", path, NULL, NULL,
		   "ResourceNotFoundException", NULL, e);
	free(path);
	if (!rc)
		out_info("removed Lambda permission %s from %s", sid,
			 function ? function : x->st->function_name);
	return rc;
}

int fd_permission(struct aws_ctx *x, const json_t *stmts, const struct fd_perm *p,
		  bool *changed, struct herr *e)
{
	const json_t *have = fd_statement(stmts, p->sid);
	json_t *body, *out = NULL;
	struct aws_result r;
	char *path;
	int rc;

	if (have && stmt_matches(have, p))
		return HOIST_OK;
	if (have && (rc = fd_permission_drop(x, stmts, p->function, p->sid, e)))
		return rc;
	body = json_pack("{s:s, s:s, s:s}", "StatementId", p->sid, "Action", p->action,
			 "Principal", p->principal);
	if (p->source_arn)
		json_object_set_new(body, "SourceArn", json_string(p->source_arn));
	if (p->url_auth_type)
		json_object_set_new(body, "FunctionUrlAuthType", json_string(p->url_auth_type));
	if (p->via_function_url)
		json_object_set_new(body, "InvokedViaFunctionUrl", json_true());
	path = policy_path(x, p->function, NULL);
	{
		struct aws_call c = { .svc = &aws_lambda, .op = "AddPermission", .method = "POST",
				      .path = path, .json = body };

		rc = lambda_do(x, &c, &r, e);   /* sent while the function settles (ops.c settle()) */
	}
	/* Already there (a retried call that took effect, or a concurrent run): fine. */
	if (rc && aws_error_is(&r, "ResourceConflictException") && r.error_message &&
	    strstr(r.error_message, "already exists")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	aws_result_free(&r);
	json_decref(out);
	json_decref(body);
	free(path);
	if (!rc) {
		out_info("added Lambda permission %s (%s for %s)", p->sid, p->action, p->principal);
		if (changed)
			*changed = true;
	}
	return rc;
}

/* ---- CORS ----------------------------------------------------------------------------- */

/* ---- which front doors ----------------------------------------------------------------- */

struct want {
	bool rest, http, url;
};

static struct want wanted(const struct aws_ctx *x)
{
	const json_t *s = x->st->settings;
	const char *v = settings_str(s, "apigateway_version");
	bool apigw = settings_bool(s, "apigateway_enabled", true);
	struct want w;

	if (json_object_get(s, "use_apigateway") && !json_object_get(s, "apigateway_enabled"))
		apigw = settings_bool(s, "use_apigateway", true);
	w.http = apigw && v && strcmp(v, "v2") == 0;
	w.rest = apigw && !w.http;
	w.url = settings_bool(s, "function_url_enabled", false);
	return w;
}

int aws_frontdoor_ensure(struct aws_ctx *x, char **url, struct herr *e)
{
	struct want w = wanted(x);
	char *api_url = NULL, *fn_url = NULL;
	bool removed = false;
	int rc;

	*url = NULL;
	if (w.rest)
		rc = apigw_ensure(x, &api_url, e);
	else
		rc = apigw_remove(x, &removed, e);
	if (!rc && w.http)
		rc = apigwv2_ensure(x, &api_url, e);
	else if (!rc)
		rc = apigwv2_remove(x, &removed, e);
	if (!rc && w.url)
		rc = function_url_ensure(x, &fn_url, e);
	else if (!rc)
		rc = function_url_remove(x, &removed, e);
	if (rc) {
		free(api_url);
		free(fn_url);
		return rc;
	}
	if (api_url && fn_url)
		out_step("Function URL: %s", fn_url);
	if (!api_url && !fn_url)
		out_warn("%s has no HTTP front door (apigateway_enabled and function_url_enabled "
			 "are both false)", x->st->name);
	*url = api_url ? api_url : fn_url;
	if (api_url)
		free(fn_url);
	return HOIST_OK;
}

int aws_frontdoor_url(struct aws_ctx *x, char **url, struct herr *e)
{
	struct want w = wanted(x);

	*url = NULL;
	if (w.rest)
		return apigw_url(x, url, NULL, e);
	if (w.http)
		return apigwv2_url(x, url, NULL, e);
	if (w.url)
		return function_url_get(x, url, NULL, e);
	return HOIST_OK;
}

int aws_frontdoor_status(struct aws_ctx *x, json_t *status, struct herr *e)
{
	struct want w = wanted(x);
	char *api = NULL, *fn = NULL;
	int rc;

	rc = w.http ? apigwv2_url(x, &api, status, e) : apigw_url(x, &api, status, e);
	if (!rc)
		rc = function_url_get(x, &fn, status, e);
	if (!rc && (api || fn))
		json_object_set_new(status, "url", json_string(api ? api : fn));
	free(api);
	free(fn);
	return rc;
}

int aws_frontdoor_present(struct aws_ctx *x, const json_t *stmts, char **url, bool *present,
			  struct herr *e)
{
	struct want w = wanted(x);
	char *api_url = NULL, *fn_url = NULL;
	bool ok = true;
	int rc = HOIST_OK;

	*url = NULL;
	/* A front door no longer wanted was removed with its permission. */
	if ((!w.rest && fd_statement(stmts, FD_SID_REST)) ||
	    (!w.http && fd_statement(stmts, FD_SID_HTTP)) ||
	    (!w.url && fd_statement(stmts, FD_SID_URL)))
		ok = false;
	if (ok && w.rest)
		rc = apigw_present(x, stmts, &api_url, &ok, e);
	else if (ok && w.http)
		rc = apigwv2_present(x, stmts, &api_url, &ok, e);
	if (!rc && ok && w.url)
		rc = function_url_present(x, stmts, &fn_url, &ok, e);
	*present = !rc && ok;
	if (*present) {
		*url = api_url ? api_url : fn_url;
		if (api_url)
			free(fn_url);
	} else {
		free(api_url);
		free(fn_url);
	}
	return rc;
}

int aws_frontdoor_remove(struct aws_ctx *x, struct herr *e)
{
	static const char *const sids[] = { FD_SID_REST, FD_SID_HTTP, FD_SID_AUTH, FD_SID_URL,
					    FD_SID_URL_INVOKE };
	bool rest = false, http = false, url = false;
	json_t *stmts = NULL;
	int rc;

	rc = function_url_remove(x, &url, e);
	if (!rc)
		rc = apigwv2_remove(x, &http, e);
	if (!rc)
		rc = apigw_remove(x, &rest, e);
	/* Permissions left by a half-finished run, whatever front door they were for. */
	if (!rc)
		rc = fd_policy(x, NULL, &stmts, e);
	for (size_t i = 0; !rc && i < sizeof(sids) / sizeof(*sids); i++)
		rc = fd_permission_drop(x, stmts, NULL, sids[i], e);
	json_decref(stmts);
	return rc;
}

int fd_stage_status(struct aws_ctx *x, const struct aws_service *svc, const char *type,
		    const char *api_id, char *path, char *api_url, json_t *status, char **url,
		    struct herr *e)
{
	json_t *stage = NULL;
	int rc;

	rc = fd_do(x, svc, "GetStage", "GET", path, NULL, NULL, "NotFoundException", &stage, e);
	if (status)
		json_object_set_new(status, "api", json_pack("{s:s, s:s, s:s, s:s, s:b}",
			"type", type, "id", api_id, "stage", x->st->name, "url", api_url,
			"deployed", stage != NULL));
	if (stage)
		*url = api_url;
	else
		free(api_url);
	json_decref(stage);
	free(path);
	return rc;
}
