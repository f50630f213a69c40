/*
 * tc_call.c — the Tencent Cloud API 3.0 request pipeline (see tc_call.h):
 * where to send a call, the fixed and per-attempt headers, TC3 on every
 * attempt, retry classification, and reading Response / Response.Error.
 */
#include "tc_call.h"

#include "sign_tc3.h"

#include "../../core/cloud_call.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stagelock.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct tc_service tc_scf = { "scf", "SCF", "2018-04-16" };
const struct tc_service tc_cls = { "cls", "CLS", "2020-10-16" };
const struct tc_service tc_cam = { "cam", "CAM", "2019-01-16" };
const struct tc_service tc_ssl = { "ssl", "SSL", "2019-12-05" };
const struct tc_service tc_dnspod = { "dnspod", "DNSPod", "2021-03-23" };
const struct tc_service tc_monitor = { "monitor", "Cloud Monitor", "2018-07-24" };

#define CONTENT_TYPE "application/json"

int tc_client_open(struct tc_client *c, const json_t *settings, struct herr *e)
{
	memset(c, 0, sizeof(*c));
	return cloud_session_open(&c->cfg, &c->http, "Tencent Cloud", tc_config_load, settings, e);
}

void tc_client_close(struct tc_client *c)
{
	cloud_session_close(&c->cfg, &c->http);
	memset(c, 0, sizeof(*c));
}

void tc_result_free(struct tc_result *res)
{
	json_decref(res->data);
	free(res->error_code);
	free(res->error_message);
	free(res->request_id);
	memset(res, 0, sizeof(*res));
}

bool tc_error_is(const struct tc_result *res, const char *code)
{
	size_t n = strlen(code);

	return res->error_code && !strncmp(res->error_code, code, n) &&
	       (res->error_code[n] == '\0' || res->error_code[n] == '.');
}

char *tc_host(const struct tc_service *svc)
{
	return xasprintf("%s.tencentcloudapi.com", svc->name);
}

/* ---- per attempt ----------------------------------------------------------- */

struct sign_ctx {
	const struct tc_client *c;
	const struct tc_call *call;
	const char *host;
	const char *body;
	size_t body_len;
};

static int sign_attempt(const struct http_request *rq, struct http_headers *extra, void *p,
			struct herr *e)
{
	struct sign_ctx *s = p;
	struct tc3_req r = {
		.method = "POST", .host = s->host, .path = "/", .content_type = CONTENT_TYPE,
		.body = s->body, .body_len = s->body_len,
		.payload_hash = s->call->stream ? s->call->stream->sha256_hex : NULL,
		.service = s->call->svc->name, .timestamp = time(NULL),
	};
	struct tc3_out o;
	char ts[32];

	if (tc3_sign(&r, s->c->cfg.creds.id, s->c->cfg.creds.secret, &o))
		return herr_set(e, HOIST_FAIL, "%s %s: cannot sign the request",
				s->call->svc->title, s->call->action);
	snprintf(ts, sizeof(ts), "%lld", (long long)r.timestamp);
	http_headers_add(extra, "X-TC-Timestamp", ts);
	if (s->c->cfg.creds.token)
		http_headers_add(extra, "X-TC-Token", s->c->cfg.creds.token);
	http_headers_add(extra, "Authorization", o.authorization);
	if (out_get()->verbosity >= 2)
		out_debug("> canonical request:\n  | %s", o.canonical_request);
	tc3_out_free(&o);
	return HOIST_OK;
}

/* The error code of an answer, if it is one (a new string), else NULL. */
static char *answer_error(const struct sbuf *body)
{
	json_t *doc = body->len ? json_loadb(body->s, body->len, 0, NULL) : NULL;
	const char *code = json_string_value(json_object_get(json_object_get(json_object_get(
		doc, "Response"), "Error"), "Code"));
	char *out = code ? xstrdup(code) : NULL;

	json_decref(doc);
	return out;
}

static enum http_verdict classify(const struct http_response *rs, void *p)
{
	char *code;
	enum http_verdict v = HTTP_DONE;

	if (rs->status == 429 || (rs->status >= 500 && rs->status != 501))
		return HTTP_RETRY;
	code = answer_error(&rs->body);
	if (code && (str_starts(code, "RequestLimitExceeded") ||
		     str_starts(code, "InternalError")))
		v = HTTP_RETRY;
	free(code);
	return v;
}

static int check_effect_tramp(const struct http_request *rq, enum http_effect *effect, void *p,
			      struct herr *e)
{
	struct sign_ctx *s = p;

	return s->call->check_effect(rq, effect, s->call->check_ctx, e);
}

/* ---- the answer ------------------------------------------------------------ */

static int read_answer(const struct tc_client *c, const struct tc_call *call,
		       const struct http_response *rs, struct tc_result *res, struct herr *e)
{
	json_t *doc = rs->body.len ? json_loadb(rs->body.s, rs->body.len, 0, NULL) : NULL;
	json_t *resp = json_object_get(doc, "Response"), *err = json_object_get(resp, "Error");
	const char *svc = call->svc->title;
	char *permission;

	if (json_is_string(json_object_get(resp, "RequestId")))
		res->request_id = xstrdup(json_string_value(json_object_get(resp, "RequestId")));
	if (json_is_object(resp) && !err && rs->status >= 200 && rs->status < 300) {
		res->data = json_incref(resp);
		json_decref(doc);
		return HOIST_OK;
	}
	res->error_code = xstrdup(json_string_value(json_object_get(err, "Code")) ?: "");
	res->error_message = xstrdup(json_string_value(json_object_get(err, "Message")) ?: "");
	if (!*res->error_code) {
		free(res->error_code);
		res->error_code = xasprintf("HTTP%ld", rs->status);
		free(res->error_message);
		res->error_message = xasprintf("%.200s", rs->body.len ? rs->body.s : "(empty answer)");
	}
	res->data = json_object();
	json_decref(doc);
	permission = xasprintf("%s:%s", call->svc->name, call->action);
	cloud_call_failed(e, &(struct cloud_failure){ svc, call->action, res->error_code,
						      res->error_message, res->request_id,
						      rs->status },
			  str_starts(res->error_code, "AuthFailure") ||
			  str_starts(res->error_code, "UnauthorizedOperation"),
			  "Tencent Cloud", &c->cfg, permission);
	free(permission);
	return HOIST_FAIL;
}

/* Does `action` change something?  (Reads and runs do not take the stage lock.) */
static bool writes(const char *action)
{
	static const char *const reads[] = { "Get", "List", "Describe", "Search", "Invoke" };

	for (size_t i = 0; i < sizeof(reads) / sizeof(*reads); i++)
		if (str_starts(action, reads[i]))
			return false;
	return true;
}

/*
 * A pure read's identity for the read-ahead (core/readahead.h): action,
 * version, region, URL and body (allocated); NULL for anything else (an
 * invocation, a streamed body).
 */
static char *read_key(const struct tc_client *c, const struct tc_call *call, const char *url,
		      const char *body)
{
	static const char *const reads[] = { "Get", "List", "Describe", "Search" };
	bool read = false;

	for (size_t i = 0; i < sizeof(reads) / sizeof(*reads); i++)
		read = read || str_starts(call->action, reads[i]);
	if (!read || call->stream || !body)
		return NULL;
	return xasprintf("%s %s %s\n%s\n%s", call->action, call->svc->version,
			 c->cfg.region ? c->cfg.region : "", url, body);
}

int tc_do(struct tc_client *c, const struct tc_call *call, struct tc_result *res,
	  struct herr *e)
{
	struct http_headers fixed = { 0 };
	struct http_request rq = { 0 };
	struct http_response rs;
	struct sign_ctx sc = { .c = c, .call = call };
	char *host = tc_host(call->svc), *url = xasprintf("https://%s/", host);
	char *via = tc_endpoint_override(&c->cfg, call->svc->name), *body = NULL;
	char *what = xasprintf("%s %s", call->svc->title, call->action), *key = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	if (c->stage && writes(call->action) && (rc = stage_before_write(c->stage, e)) != HOIST_OK) {
		res->data = json_object();
		goto out;
	}
	if (!call->stream) {
		body = call->params ? json_dumps(call->params, JSON_COMPACT) : xstrdup("{}");
		sc.body = body;
		sc.body_len = strlen(body);
	}
	sc.host = host;
	http_headers_add(&fixed, "Content-Type", CONTENT_TYPE);
	http_headers_add(&fixed, "X-TC-Action", call->action);
	http_headers_add(&fixed, "X-TC-Version", call->svc->version);
	http_headers_add(&fixed, "X-TC-Region", c->cfg.region);
	rq = (struct http_request){
		.method = "POST", .url = url, .connect_to = via, .headers = &fixed, .body = body,
		.body_len = sc.body_len, .stream = call->stream, .progress = call->progress,
		.non_idempotent = call->non_idempotent, .timeout_s = call->timeout_s,
		.interruptible = !writes(call->action),
		.what = what, .sign = sign_attempt, .classify = classify,
		.check_effect = call->check_effect ? check_effect_tramp : NULL, .ctx = &sc,
	};
	rq.ahead_key = key = read_key(c, call, url, body);
	rc = http_do(c->http, &rq, &rs, e);
	free(key);
	if (rc == HOIST_OK) {
		res->effect_done = rs.effect_done;
		if (rs.effect_done)
			res->data = json_object();
		else
			rc = read_answer(c, call, &rs, res, e);
	}
	if (!res->data)
		res->data = json_object();
	http_response_free(&rs);
out:
	http_headers_free(&fixed);
	free(body);
	free(what);
	free(url);
	free(via);
	free(host);
	return rc;
}
