/*
 * lambda.c — the stage's Lambda function: read it, create it (waiting out
 * IAM propagation of a new role), update code and configuration, wait for
 * State / LastUpdateStatus to settle between calls, publish and prune
 * versions, tags, invoke, delete.  Every call goes through aws_do.
 */
#include "deploy.h"

#include "../../core/clock.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FN_PATH "/2015-03-31/functions/"
#define WAIT_LIMIT_S 600          /* how long a function may stay Pending/InProgress */
#define CREATE_ROLE_TRIES 12      /* IAM propagation: ~1 minute at the default backoff */
#define CONFLICT_TRIES 6

static char *fn_path(const struct aws_ctx *x, const char *tail)
{
	char *n = aws_path_escape(x->st->function_name);
	char *p = xasprintf(FN_PATH "%s%s", n, tail ? tail : "");

	free(n);
	return p;
}

static void remember_arn(struct aws_ctx *x, const json_t *cfg)
{
	const char *arn = json_string_value(json_object_get(cfg, "FunctionArn"));
	const char *v = json_string_value(json_object_get(cfg, "Version"));

	if (!arn)
		return;
	free(x->function_arn);
	/* A qualified ARN (…:function:name:3) loses its version. */
	if (v && strcmp(v, "$LATEST") && str_ends(arn, v) && arn[strlen(arn) - strlen(v) - 1] == ':')
		x->function_arn = xasprintf("%.*s", (int)(strlen(arn) - strlen(v) - 1), arn);
	else
		x->function_arn = xstrdup(arn);
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Neither Pending nor InProgress, nor failed: a write may follow without waiting. */
static bool settled(const json_t *cfg)
{
	const char *state = jstr(cfg, "State"), *upd = jstr(cfg, "LastUpdateStatus");

	return (!state || (strcmp(state, "Pending") && strcmp(state, "Failed"))) &&
	       (!upd || (strcmp(upd, "InProgress") && strcmp(upd, "Failed")));
}

/* The configuration just read, settled: lambda_wait answers with it until hoist changes the function. */
static void cfg_seen(struct aws_ctx *x, const json_t *cfg)
{
	json_decref(x->cfg);
	x->cfg = json_is_object(cfg) && settled(cfg) ? json_deep_copy(cfg) : NULL;
	x->cfg_gen = x->client.fn_writes;
}

int lambda_get(struct aws_ctx *x, const char *qualifier, json_t **fn, struct herr *e)
{
	struct sbuf q;
	char *path = fn_path(x, NULL);
	struct aws_call c = { .svc = &aws_lambda, .op = "GetFunction", .method = "GET",
			      .path = path };
	struct aws_result r;
	int rc;

	*fn = NULL;
	sbuf_init(&q);
	if (qualifier)
		aws_query_add(&q, "Qualifier", qualifier);
	c.query = q.s;
	rc = aws_do(&x->client, &c, &r, e);
	if (rc && aws_error_is(&r, "ResourceNotFoundException")) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc) {
		*fn = json_incref(r.data);
		if (!qualifier) {
			remember_arn(x, json_object_get(r.data, "Configuration"));
			cfg_seen(x, json_object_get(r.data, "Configuration"));
		}
	}
	aws_result_free(&r);
	sbuf_free(&q);
	free(path);
	return rc;
}

static int get_config(struct aws_ctx *x, json_t **cfg, struct herr *e)
{
	char *path = fn_path(x, "/configuration");
	struct aws_call c = { .svc = &aws_lambda, .op = "GetFunctionConfiguration",
			      .method = "GET", .path = path };
	struct aws_result r;
	int rc = aws_do(&x->client, &c, &r, e);

	*cfg = rc ? NULL : json_incref(r.data);
	aws_result_free(&r);
	free(path);
	return rc;
}

/*
 * A function hoist changed in this run is not asked before HOIST_POLL_MS has
 * passed since the change was answered (Lambda takes longer than that, so an
 * earlier poll would only cost a request and a full poll interval): the time
 * spent meanwhile on the front door and the rules counts toward the wait.
 */
static void settle_floor(const struct aws_ctx *x)
{
	double at = x->client.fn_write_at;
	long ms;

	if (at <= 0)
		return;
	ms = (long)((at - clock_now_s()) * 1000) + env_number("HOIST_POLL_MS", 50);
	clock_sleep_ms(ms);
}

int lambda_wait(struct aws_ctx *x, json_t **out, struct herr *e)
{
	time_t deadline = time(NULL) + WAIT_LIMIT_S;
	json_t *cfg = NULL;
	int rc, n = 0;

	if (x->cfg && x->cfg_gen == x->client.fn_writes) {   /* settled, unchanged by hoist since */
		if (out)
			*out = json_deep_copy(x->cfg);
		return HOIST_OK;
	}
	settle_floor(x);
	for (;;) {
		const char *state, *upd;

		json_decref(cfg);
		if ((rc = get_config(x, &cfg, e)) != HOIST_OK)
			return rc;
		state = jstr(cfg, "State");
		upd = jstr(cfg, "LastUpdateStatus");
		if (state && !strcmp(state, "Failed")) {
			rc = herr_set(e, HOIST_FAIL, "Lambda function %s failed to become active: "
				      "%s: %s", x->st->function_name,
				      jstr(cfg, "StateReasonCode") ?: "?", jstr(cfg, "StateReason") ?: "");
			break;
		}
		if (upd && !strcmp(upd, "Failed")) {
			rc = herr_set(e, HOIST_FAIL, "Lambda function %s: the last update failed: "
				      "%s: %s", x->st->function_name,
				      jstr(cfg, "LastUpdateStatusReasonCode") ?: "?",
				      jstr(cfg, "LastUpdateStatusReason") ?: "");
			break;
		}
		if ((!state || strcmp(state, "Pending")) && (!upd || strcmp(upd, "InProgress")))
			break;
		if (time(NULL) > deadline) {
			rc = herr_set(e, HOIST_FAIL, "Lambda function %s is still %s after %d s",
				      x->st->function_name, upd && !strcmp(upd, "InProgress") ?
				      "updating" : "pending", WAIT_LIMIT_S);
			herr_hint(e, "run the command again once it has settled");
			break;
		}
		if (n == 0)
			out_info("Waiting for %s to settle (State %s, LastUpdateStatus %s)",
				 x->st->function_name, state ?: "-", upd ?: "-");
		clock_poll_sleep(n++);
	}
	if (!rc) {
		remember_arn(x, cfg);
		cfg_seen(x, cfg);
	}
	if (out && !rc)
		*out = cfg;
	else
		json_decref(cfg);
	return rc;
}

/* A 409 that means "not now": the function is Pending, or an update is in progress. */
static bool busy(const struct aws_result *r)
{
	return aws_error_is(r, "ResourceConflictException") && r->error_message &&
	       strstr(r->error_message, "cannot be performed at this time");
}

int lambda_do(struct aws_ctx *x, const struct aws_call *c, struct aws_result *r,
	      struct herr *e)
{
	int rc = aws_do(&x->client, c, r, e);

	if (!rc || c->svc != &aws_lambda || !busy(r))
		return rc;
	aws_result_free(r);
	herr_clear(e);
	cfg_seen(x, NULL);   /* what hoist knew of it is not so: ask */
	if ((rc = lambda_wait(x, NULL, e)) != HOIST_OK) {
		memset(r, 0, sizeof(*r));
		return rc;
	}
	return aws_do(&x->client, c, r, e);
}

/* Did a CreateFunction whose answer was lost take effect? */
static int create_effect(const struct http_request *rq, enum http_effect *eff, void *ctx,
			 struct herr *e)
{
	struct aws_ctx *x = ctx;
	json_t *fn = NULL;
	int rc = lambda_get(x, NULL, &fn, e);

	*eff = fn ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(fn);
	return rc;
}

static bool role_not_ready(const struct aws_result *r)
{
	return aws_error_is(r, "InvalidParameterValueException") && r->error_message &&
	       strstr(r->error_message, "cannot be assumed");
}

/*
 * Attempt `n` (from 0) refused because IAM has not propagated the execution
 * role yet: while tries remain, wait HOIST_HTTP_BACKOFF_MS·2^min(n,4), drop
 * the answer and say so (true: try again); else false.
 */
static bool role_retry(struct aws_result *r, int n, struct herr *e)
{
	long ms;

	if (!role_not_ready(r) || n + 1 >= CREATE_ROLE_TRIES)
		return false;
	ms = env_number("HOIST_HTTP_BACKOFF_MS", 500) << (n < 4 ? n : 4);
	out_info("the execution role is not usable by Lambda yet (IAM propagation); retrying "
		 "in %ld ms", ms);
	aws_result_free(r);
	herr_clear(e);
	clock_sleep_ms(ms);
	return true;
}

/* A code call's body: `body` as is, or streamed with `zip` base64'd at its mark. */
static int code_body(struct aws_call *c, json_t *body, const char *zip, struct http_body *sb,
		     struct herr *e)
{
	int rc;

	c->json = body;
	if (!zip)
		return HOIST_OK;
	if ((rc = http_body_json(sb, body, zip, e)) != HOIST_OK)
		return rc;
	c->json = NULL;
	c->stream = sb;
	return HOIST_OK;
}

int lambda_create(struct aws_ctx *x, json_t *body, const char *zip, json_t **cfg,
		  struct herr *e)
{
	struct aws_call c = { .svc = &aws_lambda, .op = "CreateFunction", .method = "POST",
			      .path = FN_PATH, .non_idempotent = true,
			      .check_effect = create_effect, .check_ctx = x,
			      .progress = "Uploading" };
	struct http_body sb = { 0 };
	struct aws_result r;
	int rc, i;

	*cfg = NULL;
	json_object_set_new(body, "FunctionName", json_string(x->st->function_name));
	if ((rc = code_body(&c, body, zip, &sb, e)) != HOIST_OK)
		return rc;
	for (i = 0;; i++) {
		rc = aws_do(&x->client, &c, &r, e);
		if (rc && role_retry(&r, i, e))
			continue;
		break;
	}
	if (rc && role_not_ready(&r))
		herr_hint(e, "IAM has not propagated the new role yet; run the command again in "
			  "a minute");
	if (!rc && r.effect_done) {
		rc = lambda_wait(x, cfg, e);
	} else if (!rc) {
		*cfg = json_incref(r.data);
		remember_arn(x, r.data);
	}
	aws_result_free(&r);
	http_body_free(&sb);
	return rc;
}

/*
 * A Lambda write: wait for the function to settle, retry on a concurrent
 * update (409) and, for a configuration naming a role just created (a
 * function taken over from another tool), while IAM has not propagated it.
 */
static int write_call(struct aws_ctx *x, struct aws_call *c, json_t **out, struct herr *e)
{
	struct aws_result r;
	int rc, i, roles = 0;

	for (i = 0;; i++) {
		if ((rc = lambda_wait(x, NULL, e)) != HOIST_OK)
			return rc;
		rc = aws_do(&x->client, c, &r, e);
		if (rc && aws_error_is(&r, "ResourceConflictException") && i + 1 < CONFLICT_TRIES) {
			aws_result_free(&r);
			herr_clear(e);
			continue;
		}
		if (rc && role_retry(&r, roles, e)) {
			roles++;
			continue;
		}
		break;
	}
	if (!rc && out)
		*out = json_incref(r.data);
	aws_result_free(&r);
	return rc;
}

int lambda_update_code(struct aws_ctx *x, json_t *body, const char *zip, struct herr *e)
{
	char *path = fn_path(x, "/code");
	struct aws_call c = { .svc = &aws_lambda, .op = "UpdateFunctionCode", .method = "PUT",
			      .path = path, .progress = "Uploading" };
	struct http_body sb = { 0 };
	int rc = code_body(&c, body, zip, &sb, e);

	if (!rc)
		rc = write_call(x, &c, NULL, e);
	http_body_free(&sb);
	free(path);
	return rc;
}

int lambda_update_config(struct aws_ctx *x, json_t *body, struct herr *e)
{
	char *path = fn_path(x, "/configuration");
	struct aws_call c = { .svc = &aws_lambda, .op = "UpdateFunctionConfiguration",
			      .method = "PUT", .path = path, .json = body };
	int rc = write_call(x, &c, NULL, e);

	free(path);
	return rc;
}

int lambda_publish(struct aws_ctx *x, char **version, struct herr *e)
{
	char *path = fn_path(x, "/versions");
	json_t *body = json_object(), *out = NULL;
	struct aws_call c = { .svc = &aws_lambda, .op = "PublishVersion", .method = "POST",
			      .path = path, .json = body };
	int rc = write_call(x, &c, &out, e);

	*version = NULL;
	if (!rc)
		*version = xstrdup(jstr(out, "Version") ?: "?");
	json_decref(out);
	json_decref(body);
	free(path);
	return rc;
}

static int cmp_version(const void *a, const void *b)
{
	long long va = atoll(jstr(*(json_t *const *)a, "Version") ?: "0");
	long long vb = atoll(jstr(*(json_t *const *)b, "Version") ?: "0");

	return va < vb ? -1 : va > vb;
}

int lambda_versions(struct aws_ctx *x, json_t **versions, struct herr *e)
{
	char *path = fn_path(x, "/versions");
	json_t *all = json_array(), *v;
	char *marker = NULL;
	size_t i, n;
	json_t **tmp;
	int rc;

	*versions = NULL;
	do {
		struct sbuf q;
		struct aws_call c = { .svc = &aws_lambda, .op = "ListVersionsByFunction",
				      .method = "GET", .path = path };
		struct aws_result r;

		sbuf_init(&q);
		if (marker)
			aws_query_add(&q, "Marker", marker);
		c.query = q.s;
		rc = aws_do(&x->client, &c, &r, e);
		sbuf_free(&q);
		free(marker);
		marker = NULL;
		if (!rc) {
			json_array_foreach(json_object_get(r.data, "Versions"), i, v)
				if (jstr(v, "Version") && strcmp(jstr(v, "Version"), "$LATEST"))
					json_array_append(all, v);
			if (jstr(r.data, "NextMarker"))
				marker = xstrdup(jstr(r.data, "NextMarker"));
		}
		aws_result_free(&r);
	} while (!rc && marker);
	free(path);
	if (rc) {
		json_decref(all);
		return rc;
	}
	n = json_array_size(all);
	tmp = xcalloc(n ? n : 1, sizeof(*tmp));
	for (i = 0; i < n; i++)
		tmp[i] = json_array_get(all, i);
	qsort(tmp, n, sizeof(*tmp), cmp_version);
	*versions = json_array();
	for (i = 0; i < n; i++)
		json_array_append(*versions, tmp[i]);
	free(tmp);
	json_decref(all);
	return HOIST_OK;
}

/* Versions some alias points to (object used as a set). */
static int alias_versions(struct aws_ctx *x, json_t **set, struct herr *e)
{
	char *path = fn_path(x, "/aliases");
	struct aws_call c = { .svc = &aws_lambda, .op = "ListAliases", .method = "GET",
			      .path = path };
	struct aws_result r;
	json_t *a, *w;
	const char *k;
	size_t i;
	int rc = aws_do(&x->client, &c, &r, e);

	*set = json_object();
	if (!rc)
		json_array_foreach(json_object_get(r.data, "Aliases"), i, a) {
			if (jstr(a, "FunctionVersion"))
				json_object_set_new(*set, jstr(a, "FunctionVersion"), json_true());
			json_object_foreach(json_object_get(json_object_get(a, "RoutingConfig"),
							    "AdditionalVersionWeights"), k, w)
				json_object_set_new(*set, k, json_true());
		}
	aws_result_free(&r);
	free(path);
	return rc;
}

int lambda_prune(struct aws_ctx *x, long long keep, struct herr *e)
{
	json_t *vs = NULL, *used = NULL;
	size_t n, i;
	int rc;

	if (keep <= 0)
		return HOIST_OK;
	if ((rc = lambda_versions(x, &vs, e)) != HOIST_OK)
		return rc;
	n = json_array_size(vs);
	if (n <= (size_t)keep)
		goto out;
	if ((rc = alias_versions(x, &used, e)) != HOIST_OK)
		goto out;
	for (i = 0; i + (size_t)keep < n && !rc; i++) {
		const char *v = jstr(json_array_get(vs, i), "Version");
		char *path = fn_path(x, NULL);
		struct sbuf q;
		struct aws_call c = { .svc = &aws_lambda, .op = "DeleteFunction",
				      .method = "DELETE", .path = path };
		struct aws_result r;

		if (json_object_get(used, v)) {
			free(path);
			continue;
		}
		sbuf_init(&q);
		aws_query_add(&q, "Qualifier", v);
		c.query = q.s;
		out_info("Deleting old version %s of %s", v, x->st->function_name);
		rc = aws_do(&x->client, &c, &r, e);
		if (rc && aws_error_is(&r, "ResourceNotFoundException")) {
			herr_clear(e);
			rc = HOIST_OK;
		}
		aws_result_free(&r);
		sbuf_free(&q);
		free(path);
	}
out:
	json_decref(used);
	json_decref(vs);
	return rc;
}

int lambda_delete(struct aws_ctx *x, bool *deleted, struct herr *e)
{
	char *path = fn_path(x, NULL);
	struct aws_call c = { .svc = &aws_lambda, .op = "DeleteFunction", .method = "DELETE",
			      .path = path };
	struct aws_result r;
	int rc = aws_do(&x->client, &c, &r, e);

	*deleted = !rc;
	if (rc && aws_error_is(&r, "ResourceNotFoundException")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	aws_result_free(&r);
	free(path);
	return rc;
}

/* UntagResource of `keys` (an array of tag names) on the function. */
static int untag(struct aws_ctx *x, const char *path, const json_t *keys, struct herr *e)
{
	struct sbuf q;
	struct aws_call c = { .svc = &aws_lambda, .op = "UntagResource", .method = "DELETE",
			      .path = path };
	struct aws_result r;
	json_t *v;
	size_t i;
	int rc;

	sbuf_init(&q);
	json_array_foreach(keys, i, v)
		aws_query_add(&q, "tagKeys", json_string_value(v));
	c.query = q.s;
	rc = aws_do(&x->client, &c, &r, e);
	aws_result_free(&r);
	sbuf_free(&q);
	return rc;
}

static char *tags_path(const struct aws_ctx *x)
{
	char *arn = aws_path_escape(x->function_arn), *path;

	path = xasprintf("/2017-03-31/tags/%s", arn);
	free(arn);
	return path;
}

int lambda_untag(struct aws_ctx *x, const json_t *have, const char *key, struct herr *e)
{
	json_t *keys;
	char *path;
	int rc;

	if (!x->function_arn || !json_object_get(have, key))
		return HOIST_OK;
	keys = json_pack("[s]", key);
	path = tags_path(x);
	rc = untag(x, path, keys, e);
	free(path);
	json_decref(keys);
	return rc;
}

int lambda_tags(struct aws_ctx *x, const json_t *have, const json_t *want, struct herr *e)
{
	json_t *add = json_object(), *drop = json_array(), *v;
	const char *k;
	char *path;
	int rc = HOIST_OK;

	json_object_foreach((json_t *)want, k, v)
		if (!json_equal(json_object_get(have, k), v))
			json_object_set(add, k, v);
	json_object_foreach((json_t *)have, k, v)
		if (!json_object_get(want, k) && strncmp(k, "aws:", 4) && strncmp(k, "hoist:", 6))
			json_array_append_new(drop, json_string(k));
	if (!x->function_arn || (!json_object_size(add) && !json_array_size(drop)))
		goto out;
	path = tags_path(x);
	if (json_object_size(add)) {
		json_t *body = json_pack("{s:O}", "Tags", add);
		struct aws_call c = { .svc = &aws_lambda, .op = "TagResource", .method = "POST",
				      .path = path, .json = body };
		struct aws_result r;

		rc = aws_do(&x->client, &c, &r, e);
		aws_result_free(&r);
		json_decref(body);
	}
	if (!rc && json_array_size(drop))
		rc = untag(x, path, drop, e);
	free(path);
out:
	json_decref(add);
	json_decref(drop);
	return rc;
}

/*
 * Reserved concurrency (lambda_concurrency): `have` is GetFunction's
 * Concurrency.ReservedConcurrentExecutions (-1: none), `want` the setting
 * (-1: none).  PutFunctionConcurrency / DeleteFunctionConcurrency only when
 * they differ.
 */
int lambda_concurrency(struct aws_ctx *x, long long have, long long want, struct herr *e)
{
	char *name, *path;
	json_t *body = NULL;
	struct aws_result r;
	int rc;

	if (have == want)
		return HOIST_OK;
	name = aws_path_escape(x->st->function_name);
	path = xasprintf("/2017-10-31/functions/%s/concurrency", name);
	free(name);
	if (want >= 0) {
		struct aws_call c = { .svc = &aws_lambda, .op = "PutFunctionConcurrency",
				      .method = "PUT", .path = path };

		out_step("Reserving %lld concurrent executions for %s", want,
			 x->st->function_name);
		body = json_pack("{s:I}", "ReservedConcurrentExecutions", (json_int_t)want);
		c.json = body;
		rc = lambda_do(x, &c, &r, e);
	} else {
		struct aws_call c = { .svc = &aws_lambda, .op = "DeleteFunctionConcurrency",
				      .method = "DELETE", .path = path };

		out_step("Removing the reserved concurrency of %s", x->st->function_name);
		rc = lambda_do(x, &c, &r, e);
	}
	aws_result_free(&r);
	json_decref(body);
	free(path);
	return rc;
}

int lambda_invoke(struct aws_ctx *x, json_t *event, json_t **payload, char **log,
		  char **fn_error, struct herr *e)
{
	char *path = fn_path(x, "/invocations");
	static const struct sigv4_header hdrs[] = {
		{ "X-Amz-Invocation-Type", "RequestResponse" },
		{ "X-Amz-Log-Type", "Tail" },
	};
	struct aws_call c = { .svc = &aws_lambda, .op = "Invoke", .method = "POST",
			      .path = path, .json = event, .headers = hdrs, .n_headers = 2,
			      .timeout_s = 960 };
	struct aws_result r;
	const char *v;
	int rc;

	*payload = NULL;
	*log = NULL;
	*fn_error = NULL;
	rc = aws_do(&x->client, &c, &r, e);
	if (!rc) {
		size_t n;

		*payload = json_incref(r.data);
		if ((v = http_headers_get(&r.headers, "X-Amz-Log-Result")))
			*log = (char *)str_b64_decode(v, strlen(v), &n);
		if ((v = http_headers_get(&r.headers, "X-Amz-Function-Error")))
			*fn_error = xstrdup(v);
	}
	aws_result_free(&r);
	free(path);
	return rc;
}
