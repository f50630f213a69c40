/*
 * scf.c — the SCF (Serverless Cloud Function, 2018-04-16) calls the
 * provider makes: functions, versions, the stage alias, triggers, Invoke.
 * Each function makes the calls it names and nothing else; ops.c decides
 * the order.  SCF is asynchronous: writes leave the function Creating /
 * Updating / Publishing, so every write waits for Active first.
 */
#include "tencent.h"

#include "../../core/clock.h"
#include "../../core/err.h"
#include "../../core/http_body.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_LIMIT_S 600.0
#define PAGE 100
#define ROLE_TRIES 15        /* about 20 s of clock_poll_sleep */

static json_t *named(const struct tc_ctx *x)
{
	return json_pack("{s:s, s:s}", "FunctionName", x->fn, "Namespace", "default");
}

/* Make a call whose parameters are `p` (stolen). */
static int call_p(struct tc_ctx *x, const char *action, json_t *p, struct tc_result *r,
		  struct herr *e)
{
	int rc = tc_call(x, &tc_scf, action, p, r, e);

	json_decref(p);
	return rc;
}

/* A delete (consumes p) where something already gone (ResourceNotFound*) is fine. */
static int delete_p(struct tc_ctx *x, const char *action, json_t *p, struct herr *e)
{
	struct tc_result r;
	int rc = call_p(x, action, p, &r, e);

	if (rc && tc_error_is(&r, "ResourceNotFound")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	tc_result_free(&r);
	return rc;
}

int scf_get(struct tc_ctx *x, const char *qualifier, json_t **fn, struct herr *e)
{
	json_t *p = named(x);
	struct tc_result r;
	int rc;

	*fn = NULL;
	if (qualifier)
		json_object_set_new(p, "Qualifier", json_string(qualifier));
	rc = call_p(x, "GetFunction", p, &r, e);
	if (rc && (tc_error_is(&r, "ResourceNotFound.Function") ||
		   tc_error_is(&r, "ResourceNotFound.Version"))) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc) {
		*fn = json_incref(r.data);
	}
	tc_result_free(&r);
	return rc;
}

static int failed(struct tc_ctx *x, const json_t *fn, const char *status, struct herr *e)
{
	const json_t *why;
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	json_array_foreach(json_object_get(fn, "StatusReasons"), i, why)
		sbuf_printf(&b, "%s%s: %s", b.len ? "; " : "", tc_str(why, "ErrorCode") ?: "?",
			    tc_str(why, "ErrorMessage") ?: "");
	herr_set(e, HOIST_FAIL, "SCF function %s is %s%s%s", x->fn, status, b.len ? ": " : "",
		 b.s ? b.s : "");
	sbuf_free(&b);
	return herr_hint(e, "fix the cause, then run 'hoist update %s' (or deploy) again",
			 x->st->name);
}

bool scf_settled(const json_t *fn)
{
	return fn && !strcmp(tc_str(fn, "Status") ?: "", "Active");
}

int scf_wait(struct tc_ctx *x, json_t **out, struct herr *e)
{
	double deadline = clock_now_s() + WAIT_LIMIT_S;
	json_t *fn = NULL;
	const char *status;
	int rc, n = 0;

	for (;;) {
		json_decref(fn);
		if ((rc = scf_get(x, NULL, &fn, e)) != HOIST_OK)
			break;
		if (!fn) {
			rc = tc_not_deployed(x, e);
			break;
		}
		status = tc_str(fn, "Status") ?: "";
		if (scf_settled(fn))
			break;
		if (str_ends(status, "Failed")) {
			rc = failed(x, fn, status, e);
			break;
		}
		if (clock_now_s() > deadline) {
			rc = herr_set(e, HOIST_FAIL, "SCF function %s is still %s after %.0f s", x->fn,
				      status, WAIT_LIMIT_S);
			break;
		}
		if (n == 0)
			out_info("waiting for %s (%s)", x->fn, status);
		clock_poll_sleep(n++);
	}
	if (!rc && out)
		*out = fn;
	else
		json_decref(fn);
	return rc;
}

/* Did a CreateFunction whose answer was lost take effect? */
static int create_effect(const struct http_request *rq, enum http_effect *eff, void *p,
			 struct herr *e)
{
	json_t *fn = NULL;
	int rc = scf_get(p, NULL, &fn, e);

	*eff = fn ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(fn);
	return rc;
}

/*
 * Send `p` with its Code.ZipFile / ZipFile (`slot`) streamed from `zip`
 * (the one place an SCF body embeds a file).
 */
static int send_code(struct tc_ctx *x, const char *action, json_t *p, json_t *slot_parent,
		     const char *slot, const char *zip, bool create, struct tc_result *r,
		     struct herr *e)
{
	struct http_body b = { 0 };
	struct tc_call c = { .svc = &tc_scf, .action = action, .params = p,
			     .non_idempotent = create, .check_effect = create ? create_effect : NULL,
			     .check_ctx = x, .timeout_s = 600 };
	int rc = HOIST_OK;

	memset(r, 0, sizeof(*r));
	if (zip) {
		json_object_set_new(slot_parent, slot, http_body_mark());
		rc = http_body_json(&b, p, zip, e);
		if (!rc)
			rc = http_body_sha256(&b, e);
		c.stream = &b;
		c.progress = "upload";
	}
	if (!rc)
		rc = tc_do(&x->client, &c, r, e);
	http_body_free(&b);
	return rc;
}

/*
 * A role CAM created moments ago may not be usable by SCF yet (CAM is
 * eventually consistent; the code SCF answers is taken to be
 * InvalidParameterValue.Role, unconfirmed): the call is sent again after a
 * pause, bounded, only for a role hoist has just created (x->role_fresh).
 */
static bool role_pending(struct tc_ctx *x, const struct tc_result *r, int *n, struct herr *e)
{
	if (!x->role_fresh || *n >= ROLE_TRIES || !tc_error_is(r, "InvalidParameterValue.Role"))
		return false;
	if (*n == 0)
		out_info("waiting for SCF to accept the new role %s", x->role);
	clock_poll_sleep((*n)++);
	herr_clear(e);
	return true;
}

int scf_create(struct tc_ctx *x, json_t *body, const char *zip, bool *existed, struct herr *e)
{
	json_t *code = json_object_get(body, "Code");
	struct tc_result r;
	int rc, n = 0;

	*existed = false;
	json_object_set_new(body, "FunctionName", json_string(x->fn));
	json_object_set_new(body, "Namespace", json_string("default"));
	if (!code) {
		code = json_object();
		json_object_set_new(body, "Code", code);
	}
	while ((rc = send_code(x, "CreateFunction", body, code, "ZipFile", zip, true, &r, e)) &&
	       role_pending(x, &r, &n, e))
		tc_result_free(&r);
	if (rc && tc_error_is(&r, "ResourceInUse.Function")) {
		out_info("function %s already exists (an earlier attempt created it)", x->fn);
		herr_clear(e);
		rc = HOIST_OK;
		*existed = true;
	} else if (!rc && r.effect_done) {
		out_info("CreateFunction took effect though its answer was lost");
	}
	tc_result_free(&r);
	return rc;
}

/*
 * An update refused with FailedOperation because the function is busy
 * (Updating: typically our own earlier attempt, sent again after its answer
 * was lost) is sent once more after waiting for Active.
 */
static bool busy_refusal(struct tc_ctx *x, const struct tc_result *r)
{
	json_t *fn = NULL;
	struct herr e2 = { 0 };
	bool busy;

	if (!tc_error_is(r, "FailedOperation") || scf_get(x, NULL, &fn, &e2) || !fn)
		return false;
	busy = strcmp(tc_str(fn, "Status") ?: "", "Active") != 0;
	json_decref(fn);
	return busy;
}

/*
 * Before a write: wait for the function to settle, unless it was read
 * settled under the stage lock (once: from the write on, SCF's state is its own).
 */
static int settled_for_write(struct tc_ctx *x, struct herr *e)
{
	if (x->fn_read_locked) {
		x->fn_read_locked = false;
		return HOIST_OK;
	}
	return scf_wait(x, NULL, e);
}

int scf_update_code(struct tc_ctx *x, json_t *body, const char *zip, struct herr *e)
{
	struct tc_result r;
	int rc = settled_for_write(x, e);

	if (rc)
		return rc;
	json_object_set_new(body, "FunctionName", json_string(x->fn));
	json_object_set_new(body, "Namespace", json_string("default"));
	json_object_set_new(body, "Handler", json_string(TC_HANDLER));
	rc = send_code(x, "UpdateFunctionCode", body, body, "ZipFile", zip, false, &r, e);
	if (rc && busy_refusal(x, &r)) {
		tc_result_free(&r);
		herr_clear(e);
		if (!(rc = scf_wait(x, NULL, e)))
			rc = send_code(x, "UpdateFunctionCode", body, body, "ZipFile", zip, false, &r,
				       e);
	}
	tc_result_free(&r);
	return rc;
}

int scf_update_config(struct tc_ctx *x, json_t *body, struct herr *e)
{
	struct tc_result r;
	int rc = settled_for_write(x, e), n = 0;

	if (rc)
		return rc;
	json_object_set_new(body, "FunctionName", json_string(x->fn));
	json_object_set_new(body, "Namespace", json_string("default"));
	while ((rc = tc_call(x, &tc_scf, "UpdateFunctionConfiguration", body, &r, e)) &&
	       role_pending(x, &r, &n, e))
		tc_result_free(&r);
	if (rc && busy_refusal(x, &r)) {
		tc_result_free(&r);
		herr_clear(e);
		if (!(rc = scf_wait(x, NULL, e)))
			rc = tc_call(x, &tc_scf, "UpdateFunctionConfiguration", body, &r, e);
	}
	tc_result_free(&r);
	return rc;
}

/* ---- versions ---------------------------------------------------------------- */

static int version_cmp(const void *a, const void *b)
{
	long long x = atoll(tc_str(*(json_t *const *)a, "Version") ?: "0");
	long long y = atoll(tc_str(*(json_t *const *)b, "Version") ?: "0");

	return x < y ? -1 : x > y;
}

/*
 * Every item of a paged SCF list (Offset/Limit, TotalCount): `action` with
 * the function's name and `extra` (borrowed), the items under `key`.
 */
static int list_all(struct tc_ctx *x, const char *action, const json_t *extra, const char *key,
		    json_t **out, struct herr *e)
{
	json_t *all = json_array(), *v;
	struct tc_result r;
	long long total = 0, off = 0;
	size_t i, n;
	int rc;

	*out = NULL;
	do {
		json_t *p = named(x);

		json_object_update(p, (json_t *)extra);
		json_object_set_new(p, "Offset", json_integer(off));
		json_object_set_new(p, "Limit", json_integer(PAGE));
		rc = call_p(x, action, p, &r, e);
		if (!rc) {
			total = json_integer_value(json_object_get(r.data, "TotalCount"));
			n = json_array_size(json_object_get(r.data, key));
			json_array_foreach(json_object_get(r.data, key), i, v)
				json_array_append(all, v);
			off += (long long)n;
			if (!n)
				total = off;
		}
		tc_result_free(&r);
	} while (!rc && off < total);
	if (rc)
		json_decref(all);
	else
		*out = all;
	return rc;
}

int scf_versions(struct tc_ctx *x, json_t **out, struct herr *e)
{
	json_t *order = json_pack("{s:s, s:s}", "Order", "ASC", "OrderBy", "AddTime");
	json_t *all = NULL, *v, **sorted;
	size_t i, n = 0;
	int rc = list_all(x, "ListVersionByFunction", order, "Versions", &all, e);

	json_decref(order);
	*out = NULL;
	if (rc)
		return rc;
	sorted = xcalloc(json_array_size(all) + 1, sizeof(*sorted));
	json_array_foreach(all, i, v)          /* published versions, numerically */
		if (strcmp(tc_str(v, "Version") ?: "$LATEST", "$LATEST"))
			sorted[n++] = json_incref(v);
	qsort(sorted, n, sizeof(*sorted), version_cmp);
	json_array_clear(all);
	for (i = 0; i < n; i++)
		json_array_append_new(all, sorted[i]);
	free(sorted);
	*out = all;
	return HOIST_OK;
}

struct publish_probe {
	struct tc_ctx *x;
	long long before;          /* the newest version before publishing */
	const char *description;
	char *found;               /* the version the lost answer would have named */
};

/* Did a PublishVersion whose answer was lost take effect?  A newer version with our description. */
static int publish_effect(const struct http_request *rq, enum http_effect *eff, void *p,
			  struct herr *e)
{
	struct publish_probe *pp = p;
	json_t *vs = NULL, *v;
	size_t i;
	int rc = scf_versions(pp->x, &vs, e);

	*eff = HTTP_EFFECT_NONE;
	json_array_foreach(vs, i, v)
		if (atoll(tc_str(v, "Version") ?: "0") > pp->before &&
		    !strcmp(tc_str(v, "Description") ?: "", pp->description)) {
			*eff = HTTP_EFFECT_DONE;
			free(pp->found);
			pp->found = xstrdup(tc_str(v, "Version"));
		}
	json_decref(vs);
	return rc;
}

int scf_publish(struct tc_ctx *x, const char *description, char **version, struct herr *e)
{
	struct publish_probe pp = { .x = x, .description = description };
	json_t *p, *vs = NULL;
	struct tc_result r;
	struct tc_call c = { .svc = &tc_scf, .action = "PublishVersion", .non_idempotent = true,
			     .check_effect = publish_effect, .check_ctx = &pp };
	int rc = scf_wait(x, NULL, e);

	*version = NULL;
	if (!rc)
		rc = scf_versions(x, &vs, e);
	if (rc)
		return rc;
	if (json_array_size(vs))
		pp.before = atoll(tc_str(json_array_get(vs, json_array_size(vs) - 1), "Version"));
	json_decref(vs);
	p = named(x);
	json_object_set_new(p, "Description", json_string(description));
	c.params = p;
	rc = tc_do(&x->client, &c, &r, e);
	if (!rc && r.effect_done && pp.found)
		*version = xstrdup(pp.found);
	else if (!rc && tc_str(r.data, "FunctionVersion"))
		*version = xstrdup(tc_str(r.data, "FunctionVersion"));
	else if (!rc)
		rc = herr_set(e, HOIST_FAIL, "SCF PublishVersion: no FunctionVersion in the answer");
	tc_result_free(&r);
	json_decref(p);
	free(pp.found);
	return rc;
}

int scf_delete_version(struct tc_ctx *x, const char *version, struct herr *e)
{
	json_t *p = named(x);

	json_object_set_new(p, "Qualifier", json_string(version));
	return delete_p(x, "DeleteFunctionVersion", p, e);
}

/* ---- the stage alias -------------------------------------------------------- */

int scf_alias_get(struct tc_ctx *x, char **version, struct herr *e)
{
	json_t *p = named(x);
	struct tc_result r;
	int rc;

	*version = NULL;
	json_object_set_new(p, "Name", json_string(x->alias));
	rc = call_p(x, "GetAlias", p, &r, e);
	if (rc && tc_error_is(&r, "ResourceNotFound")) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc && tc_str(r.data, "FunctionVersion")) {
		*version = xstrdup(tc_str(r.data, "FunctionVersion"));
	}
	tc_result_free(&r);
	return rc;
}

int scf_alias_set(struct tc_ctx *x, const char *version, bool exists, struct herr *e)
{
	json_t *p = named(x);
	struct tc_result r;
	int rc;

	json_object_set_new(p, "Name", json_string(x->alias));
	json_object_set_new(p, "FunctionVersion", json_string(version));
	rc = tc_call(x, &tc_scf, exists ? "UpdateAlias" : "CreateAlias", p, &r, e);
	if (rc && !exists && tc_error_is(&r, "ResourceInUse")) {
		tc_result_free(&r);
		herr_clear(e);
		rc = tc_call(x, &tc_scf, "UpdateAlias", p, &r, e);
	}
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

int scf_alias_delete(struct tc_ctx *x, struct herr *e)
{
	json_t *p = named(x);

	json_object_set_new(p, "Name", json_string(x->alias));
	return delete_p(x, "DeleteAlias", p, e);
}

/* ---- triggers ------------------------------------------------------------------ */

int scf_triggers(struct tc_ctx *x, json_t **out, struct herr *e)
{
	json_t *none = json_object();
	int rc = list_all(x, "ListTriggers", none, "Triggers", out, e);

	json_decref(none);
	return rc;
}

static json_t *trigger_params(const struct tc_ctx *x, const json_t *t, bool full)
{
	json_t *p = named(x);
	static const char *const keys[] = { "Type", "TriggerName", "Qualifier" };
	static const char *const more[] = { "TriggerDesc", "Enable", "CustomArgument" };

	for (size_t i = 0; i < 3; i++)
		json_object_set(p, keys[i], json_object_get(t, keys[i]));
	for (size_t i = 0; full && i < 3; i++)
		if (json_object_get(t, more[i]))
			json_object_set(p, more[i], json_object_get(t, more[i]));
	return p;
}

struct trigger_probe {
	struct tc_ctx *x;
	const json_t *t;
};

static bool same_trigger(const json_t *a, const json_t *b)
{
	return !strcmp(tc_str(a, "TriggerName") ?: "", tc_str(b, "TriggerName") ?: "") &&
	       !strcmp(tc_str(a, "Type") ?: "", tc_str(b, "Type") ?: "") &&
	       !strcmp(tc_str(a, "Qualifier") ?: "", tc_str(b, "Qualifier") ?: "");
}

static int trigger_effect(const struct http_request *rq, enum http_effect *eff, void *p,
			  struct herr *e)
{
	struct trigger_probe *tp = p;
	json_t *ts = NULL, *t;
	size_t i;
	int rc = scf_triggers(tp->x, &ts, e);

	*eff = HTTP_EFFECT_NONE;
	json_array_foreach(ts, i, t)
		if (same_trigger(t, tp->t))
			*eff = HTTP_EFFECT_DONE;
	json_decref(ts);
	return rc;
}

int scf_trigger_create(struct tc_ctx *x, const json_t *t, json_t **info, struct herr *e)
{
	struct trigger_probe tp = { x, t };
	json_t *p = trigger_params(x, t, true);
	struct tc_call c = { .svc = &tc_scf, .action = "CreateTrigger", .params = p,
			     .non_idempotent = true, .check_effect = trigger_effect,
			     .check_ctx = &tp };
	struct tc_result r;
	int rc = tc_do(&x->client, &c, &r, e);

	if (info)
		*info = NULL;
	if (rc && tc_error_is(&r, "ResourceInUse")) {
		/* There already (an earlier attempt): bring it to what we want instead. */
		herr_clear(e);
		rc = scf_trigger_update(x, t, e);
	} else if (!rc && info && json_object_get(r.data, "TriggerInfo")) {
		*info = json_incref(json_object_get(r.data, "TriggerInfo"));
	}
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

int scf_trigger_update(struct tc_ctx *x, const json_t *t, struct herr *e)
{
	json_t *p = trigger_params(x, t, true);
	struct tc_result r;
	int rc = tc_call(x, &tc_scf, "UpdateTrigger", p, &r, e);

	tc_result_free(&r);
	json_decref(p);
	return rc;
}

int scf_trigger_delete(struct tc_ctx *x, const json_t *t, struct herr *e)
{
	return delete_p(x, "DeleteTrigger", trigger_params(x, t, false), e);
}

/* ---- invoke, delete --------------------------------------------------------------- */

int scf_invoke(struct tc_ctx *x, const json_t *event, json_t **result, struct herr *e)
{
	json_t *p = named(x);
	char *ctx = json_dumps(event, JSON_COMPACT);
	struct tc_result r;
	struct tc_call c = { .svc = &tc_scf, .action = "Invoke", .params = p,
			     .timeout_s = settings_int(x->st->settings, "timeout_seconds", 30) + 60 };
	int rc;

	*result = NULL;
	json_object_set_new(p, "Qualifier", json_string(x->alias));
	json_object_set_new(p, "InvocationType", json_string("RequestResponse"));
	json_object_set_new(p, "LogType", json_string("Tail"));
	json_object_set_new(p, "ClientContext", json_string(ctx));
	rc = tc_do(&x->client, &c, &r, e);
	if (!rc)
		*result = json_incref(json_object_get(r.data, "Result") ?: r.data);
	tc_result_free(&r);
	json_decref(p);
	free(ctx);
	return rc;
}

int scf_delete(struct tc_ctx *x, struct herr *e)
{
	int rc = scf_wait(x, NULL, e);

	if (rc && strstr(e->msg, "is not deployed")) {
		herr_clear(e);
		return HOIST_OK;
	}
	return rc ? rc : delete_p(x, "DeleteFunction", named(x), e);
}
