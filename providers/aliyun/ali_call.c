/*
 * ali_call.c — the Alibaba Cloud request pipeline (ali_call.h): the real
 * host of each product, where to connect, how to encode the request (ROA
 * JSON, RPC query/form, OSS, SLS, a plain trigger URL), the signature on
 * every attempt, and how to read the answer or the error.
 */
#include "ali_call.h"

#include "sign_oss4.h"
#include "sign_sls.h"

#include "../../core/digest.h"
#include "../../core/cloud_call.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stagelock.h"
#include "../../core/str.h"
#include "../../core/xml.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- services ------------------------------------------------------------ */

const struct ali_service ali_fc = { "FC", ALI_ROA, "2023-03-30", "fcv3.%s.aliyuncs.com" };
const struct ali_service ali_oss = { "OSS", ALI_OSS, NULL, NULL };
const struct ali_service ali_sls = { "SLS", ALI_SLS, NULL, NULL };
const struct ali_service ali_sts = { "STS", ALI_RPC, "2015-04-01", "sts.aliyuncs.com" };
const struct ali_service ali_alidns = { "ALIDNS", ALI_RPC, "2015-01-09", "alidns.aliyuncs.com" };
const struct ali_service ali_cloudapi = { "APIGATEWAY", ALI_RPC, "2016-07-14",
					  "apigateway.%s.aliyuncs.com" };
/* HTTP triggers and custom domains: Function Compute's data plane (override: _FC). */
const struct ali_service ali_trigger = { "FC", ALI_HTTP, NULL, NULL };
const struct ali_service ali_ram = { "RAM", ALI_RPC, "2015-05-01", "ram.aliyuncs.com" };
/* An API group's subdomain or bound domain: API Gateway's data plane (override: _APIGATEWAY). */
const struct ali_service ali_gateway = { "APIGATEWAY", ALI_HTTP, NULL, NULL };

/* ---- client -------------------------------------------------------------- */

int ali_client_open(struct ali_client *c, const json_t *settings, struct herr *e)
{
	memset(c, 0, sizeof(*c));
	return cloud_session_open(&c->cfg, &c->http, "Alibaba Cloud", ali_config_load, settings, e);
}

void ali_client_close(struct ali_client *c)
{
	cloud_session_close(&c->cfg, &c->http);
	memset(c, 0, sizeof(*c));
}

void ali_result_free(struct ali_result *res)
{
	json_decref(res->data);
	sbuf_free(&res->raw);
	http_headers_free(&res->headers);
	free(res->error_code);
	free(res->error_message);
	free(res->request_id);
	memset(res, 0, sizeof(*res));
}

int ali_call_json(struct ali_client *c, const struct ali_call *call, const char *absent,
		  json_t **out, struct herr *e)
{
	struct ali_result r;
	int rc;

	if (out)
		*out = NULL;
	rc = ali_do(c, call, &r, e);
	if (rc && absent && ali_error_is(&r, absent)) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc && out && !r.effect_done) {
		*out = json_incref(r.data);
	}
	ali_result_free(&r);
	return rc;
}

bool ali_error_is(const struct ali_result *res, const char *code)
{
	return res->error_code && !strcmp(res->error_code, code);
}

char *ali_path_escape(const char *segment)
{
	return digest_pct_encode(segment, strlen(segment), false);
}

/* ---- where --------------------------------------------------------------- */

char *ali_host(const struct ali_client *c, const struct ali_call *call)
{
	const struct ali_service *s = call->svc;
	const char *r = c->cfg.region;

	switch (s->style) {
	case ALI_OSS:
		return call->bucket ? xasprintf("%s.oss-%s.aliyuncs.com", call->bucket, r)
				    : xasprintf("oss-%s.aliyuncs.com", r);
	case ALI_SLS:
		return call->project ? xasprintf("%s.%s.log.aliyuncs.com", call->project, r)
				     : xasprintf("%s.log.aliyuncs.com", r);
	case ALI_HTTP:
		return xstrdup(call->host ? call->host : "");
	default:
		return strstr(s->host, "%s") ? xasprintf(s->host, r) : xstrdup(s->host);
	}
}

/* The wire path: OSS builds it from the key; others take call->path. */
static char *wire_path(const struct ali_call *call)
{
	if (call->svc->style == ALI_OSS && call->key) {
		char *k = digest_pct_encode(call->key, strlen(call->key), true);
		char *p = xasprintf("/%s", k);

		free(k);
		return p;
	}
	return xstrdup(call->path && *call->path ? call->path : "/");
}

static void query_add(struct sbuf *q, const char *name, const char *value)
{
	char *k = ali_path_escape(name);

	sbuf_printf(q, "%s%s", q->len ? "&" : "", k);
	if (value) {
		char *v = ali_path_escape(value);

		sbuf_printf(q, "=%s", v);
		free(v);
	}
	free(k);
}

/*
 * Where to connect instead of the real host: the override's scheme://host
 * [:port] (any path in it is ignored: the request keeps the real path), or
 * NULL; allocates.
 */
char *ali_connect_to(const struct ali_client *c, const struct ali_service *svc)
{
	char *ovr = ali_endpoint_override(&c->cfg, svc->id), *p;

	if (ovr && (p = strstr(ovr, "://")) && (p = strchr(p + 3, '/')))
		*p = '\0';
	return ovr;
}

/* ---- signing (per attempt) ----------------------------------------------- */

struct sign_ctx {
	const struct ali_client *c;
	const struct ali_call *call;
	const char *host;           /* the real host: signed, sent by http.c */
	const struct http_headers *fixed;
	const char *path;           /* wire path */
	const char *payload_hash;   /* ACS3 */
	struct ali_kv *q;           /* decoded query */
	size_t nq;
};

static void nonce(char out[33])
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)rand();
	digest_hex(r, sizeof(r), out, false);
}

/* -vv: the canonical request / string to sign, tokens hidden. */
static void trace_canonical(const char *what, const char *cr)
{
	char *copy, *tail = NULL;
	struct sbuf b;

	if (out_get()->verbosity < 2 || !cr)
		return;
	copy = xstrdup(cr);
	sbuf_init(&b);
	for (char *l = strtok_r(copy, "\n", &tail); l; l = strtok_r(NULL, "\n", &tail)) {
		char *colon = strchr(l, ':');

		if (colon && strstr(l, "security-token"))
			sbuf_printf(&b, "  | %.*s<redacted>\n", (int)(colon - l + 1), l);
		else
			sbuf_printf(&b, "  | %s\n", l);
	}
	out_debug("> %s:\n%s", what, b.s ? b.s : "");
	sbuf_free(&b);
	free(copy);
}

/* All headers of this attempt (Host + fixed + extra) as ali_kv, for the signers. */
static struct ali_kv *all_headers(const char *host, const struct http_headers *a,
				  const struct http_headers *b, size_t *n)
{
	struct ali_kv *v = xcalloc(a->n + b->n + 2, sizeof(*v));

	*n = 0;
	if (host)
		v[(*n)++] = (struct ali_kv){ "host", host };
	for (size_t i = 0; i < a->n; i++)
		v[(*n)++] = (struct ali_kv){ a->v[i].name, a->v[i].value };
	for (size_t i = 0; i < b->n; i++)
		v[(*n)++] = (struct ali_kv){ b->v[i].name, b->v[i].value };
	return v;
}

static int sign_acs3(struct sign_ctx *s, struct http_headers *extra, struct herr *e)
{
	const struct cloud_creds *cr = &s->c->cfg.creds;
	const struct http_headers none = { 0 };
	char date[21], nc[33];
	struct acs3_out o;
	struct ali_kv *h;
	size_t n;
	int rc;

	acs3_date((long long)time(NULL), date);
	http_headers_add(extra, "x-acs-date", date);
	if (s->call->svc->style != ALI_HTTP) {
		nonce(nc);
		http_headers_add(extra, "x-acs-signature-nonce", nc);
		http_headers_add(extra, "x-acs-content-sha256", s->payload_hash);
	}
	if (cr->token) {
		if (s->call->svc->style != ALI_HTTP)
			http_headers_add(extra, "x-acs-accesskey-id", cr->id);
		http_headers_add(extra, "x-acs-security-token", cr->token);
	}
	/* A trigger request signs only its x-acs-* headers (seed 003); API calls all of theirs. */
	h = s->call->svc->style == ALI_HTTP ? all_headers(NULL, &none, extra, &n)
					      : all_headers(s->host, s->fixed, extra, &n);
	rc = acs3_sign(&(struct acs3_req){ .method = s->call->method ? s->call->method : "POST",
					   .pathname = s->path, .query = s->q, .n_query = s->nq,
					   .headers = h, .n_headers = n,
					   .payload_hash = s->payload_hash },
		       cr->id, cr->secret, &o);
	free(h);
	if (rc)
		return herr_set(e, HOIST_FAIL, "%s %s: cannot sign the request", s->call->svc->id,
				s->call->action);
	http_headers_add(extra, "Authorization", o.authorization);
	trace_canonical("canonical request", o.canonical_request);
	acs3_out_free(&o);
	return HOIST_OK;
}

static int sign_oss(struct sign_ctx *s, struct http_headers *extra, const char *region,
		    struct herr *e)
{
	const struct cloud_creds *cr = &s->c->cfg.creds;
	char date[17];
	struct oss4_out o;
	struct ali_kv *h;
	size_t n;
	int rc;

	oss4_date((long long)time(NULL), date);
	http_headers_add(extra, "x-oss-date", date);
	http_headers_add(extra, "x-oss-content-sha256", OSS4_UNSIGNED_PAYLOAD);
	if (cr->token)
		http_headers_add(extra, "x-oss-security-token", cr->token);
	h = all_headers(s->host, s->fixed, extra, &n);
	rc = oss4_sign(&(struct oss4_req){ .method = s->call->method ? s->call->method : "GET",
					   .bucket = s->call->bucket, .key = s->call->key,
					   .query = s->q, .n_query = s->nq, .headers = h,
					   .n_headers = n, .region = region },
		       cr->id, cr->secret, &o);
	free(h);
	if (rc)
		return herr_set(e, HOIST_FAIL, "OSS %s: cannot sign the request", s->call->action);
	http_headers_add(extra, "Authorization", o.authorization);
	trace_canonical("canonical request", o.canonical_request);
	oss4_out_free(&o);
	return HOIST_OK;
}

static int sign_sls(struct sign_ctx *s, struct http_headers *extra, struct herr *e)
{
	const struct cloud_creds *cr = &s->c->cfg.creds;
	char date[32];
	struct sls_out o;
	struct ali_kv *h;
	size_t n;
	int rc;

	sls_date((long long)time(NULL), date);
	http_headers_add(extra, "date", date);
	if (cr->token)
		http_headers_add(extra, "x-acs-security-token", cr->token);
	h = all_headers(s->host, s->fixed, extra, &n);
	rc = sls_sign(&(struct sls_req){ .method = s->call->method ? s->call->method : "GET",
					 .path = s->path, .query = s->q, .n_query = s->nq,
					 .headers = h, .n_headers = n },
		      cr->id, cr->secret, &o);
	free(h);
	if (rc)
		return herr_set(e, HOIST_FAIL, "SLS %s: cannot sign the request", s->call->action);
	http_headers_add(extra, "Authorization", o.authorization);
	trace_canonical("string to sign", o.string_to_sign);
	sls_out_free(&o);
	return HOIST_OK;
}

static int sign_attempt(const struct http_request *rq, struct http_headers *extra, void *p,
			struct herr *e)
{
	struct sign_ctx *s = p;

	switch (s->call->svc->style) {
	case ALI_OSS:
		return sign_oss(s, extra, s->c->cfg.region, e);
	case ALI_SLS:
		return sign_sls(s, extra, e);
	case ALI_HTTP:
		return s->call->sign ? sign_acs3(s, extra, e) : HOIST_OK;
	default:
		return sign_acs3(s, extra, e);
	}
}

static int check_effect_tramp(const struct http_request *rq, enum http_effect *effect, void *p,
			      struct herr *e)
{
	struct sign_ctx *s = p;

	return s->call->check_effect(rq, effect, s->call->check_ctx, e);
}

/* Alibaba's transient codes on top of core's (429, 5xx, Throttling…). */
static enum http_verdict classify(const struct http_response *rs, void *p)
{
	static const char *const codes[] = {
		"\"ResourceThrottled\"", "\"ResourceExhausted\"", "\"ServiceUnavailable\"",
		"\"ReadQuotaExceed\"", "\"WriteQuotaExceed\"", "\"ServerBusy\"",
		"<Code>ServiceUnavailable</Code>", "\"Throttling.",
	};
	struct sign_ctx *s = p;

	if (s->call->svc->style == ALI_HTTP)   /* the function's own answer: never retried */
		return rs->status == 0 ? HTTP_RETRY : HTTP_DONE;
	if (http_classify_default(rs) == HTTP_RETRY)
		return HTTP_RETRY;
	for (size_t i = 0; rs->status >= 400 && rs->body.s && i < sizeof(codes) / sizeof(*codes);
	     i++)
		if (strstr(rs->body.s, codes[i]))
			return HTTP_RETRY;
	return HTTP_DONE;
}

/* ---- answers and errors -------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void parse_body(const struct sbuf *b, struct ali_result *res)
{
	json_error_t je;

	if (!b->len) {
		res->data = json_object();
		return;
	}
	if (b->s[0] == '<' && (res->data = xml_to_json(b->s, b->len, NULL)))
		return;
	res->data = json_loadb(b->s, b->len, JSON_DECODE_ANY, &je);
	if (!res->data)
		res->data = json_stringn(b->s, b->len);
	if (!res->data)
		res->data = json_object();
}

static void read_error(struct ali_result *res)
{
	const json_t *d = res->data;
	const char *code = NULL, *msg = NULL, *id;
	char buf[32];

	if (json_is_object(d)) {
		const json_t *err = json_object_get(d, "Error");

		if (json_is_object(err))
			d = err;
		code = jstr(d, "Code") ?: jstr(d, "errorCode") ?: jstr(d, "code");
		msg = jstr(d, "Message") ?: jstr(d, "errorMessage") ?: jstr(d, "message");
		if ((id = jstr(d, "RequestId") ?: jstr(d, "requestId")))
			res->request_id = xstrdup(id);
	}
	if (!code) {
		snprintf(buf, sizeof(buf), "HTTP%ld", res->status);
		code = buf;
	}
	res->error_code = xstrdup(code);
	res->error_message = xstrdup(msg ? msg : json_is_string(res->data)
					     ? json_string_value(res->data) : "");
	if (!res->request_id &&
	    ((id = http_headers_get(&res->headers, "x-acs-request-id")) ||
	     (id = http_headers_get(&res->headers, "x-oss-request-id")) ||
	     (id = http_headers_get(&res->headers, "x-log-requestid")) ||
	     (id = http_headers_get(&res->headers, "x-fc-request-id"))))
		res->request_id = xstrdup(id);
}

static bool credentials_error(const char *code)
{
	static const char *const words[] = {
		"AccessKey", "Signature", "SecurityToken", "AccessDenied", "Forbidden",
		"Unauthorized", "InvalidAccessKeyI",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strstr(code, words[i]))
			return true;
	return false;
}

static int error_result(const struct ali_client *c, const struct ali_call *call,
			struct ali_result *res, struct herr *e)
{
	char *permission = xasprintf("%s %s", call->svc->id, call->action);
	struct cloud_failure f = { call->svc->id, call->action, res->error_code,
				   res->error_message, res->request_id, res->status };

	cloud_call_failed(e, &f, credentials_error(res->error_code), "Alibaba Cloud", &c->cfg,
			  permission);
	free(permission);
	return HOIST_FAIL;
}

/* ---- the call ------------------------------------------------------------ */

static bool call_writes(const struct ali_call *call)
{
	static const char *const reads[] = { "Get", "List", "Describe", "Head", "Invoke" };

	if (call->svc->style == ALI_HTTP)
		return false;
	for (size_t i = 0; i < sizeof(reads) / sizeof(*reads); i++)
		if (str_starts(call->action ? call->action : "", reads[i]))
			return false;
	return true;
}

/*
 * A pure read's identity for the read-ahead (core/readahead.h): method,
 * URL, action and body (allocated); NULL for anything else (an invocation,
 * a plain HTTPS request, a download to a file, a streamed body).
 */
static char *read_key(const struct ali_call *call, const struct http_request *rq)
{
	static const char *const reads[] = { "Get", "List", "Describe", "Head" };
	bool read = false;

	for (size_t i = 0; i < sizeof(reads) / sizeof(*reads); i++)
		read = read || str_starts(call->action ? call->action : "", reads[i]);
	if (!read || call->svc->style == ALI_HTTP || call->save_to || call->body_file ||
	    call->stream)
		return NULL;
	return xasprintf("%s %s\n%s\n%.*s", rq->method, rq->url, call->action,
			 (int)rq->body_len, rq->body ? (const char *)rq->body : "");
}

/* The decoded query as signer pairs (pointing into call->query). */
static struct ali_kv *query_pairs(const json_t *q, size_t *n, struct sbuf *wire)
{
	struct ali_kv *v = xcalloc(json_object_size(q) + 1, sizeof(*v));
	const char *k;
	json_t *val;

	*n = 0;
	json_object_foreach((json_t *)q, k, val) {
		const char *s = json_is_string(val) ? json_string_value(val) : NULL;

		v[(*n)++] = (struct ali_kv){ k, s };
		query_add(wire, k, s);
	}
	return v;
}

static char *form_body(const json_t *form)
{
	struct sbuf b;
	const char *k;
	json_t *v;

	sbuf_init(&b);
	json_object_foreach((json_t *)form, k, v)
		if (json_is_string(v))
			query_add(&b, k, json_string_value(v));
	return sbuf_detach(&b);
}

int ali_do(struct ali_client *c, const struct ali_call *call, struct ali_result *res,
	   struct herr *e)
{
	const struct ali_service *s = call->svc;
	struct http_headers fixed = { 0 };
	struct http_request rq = { 0 };
	struct http_response rs;
	struct sign_ctx sc = { .c = c, .call = call, .fixed = &fixed };
	struct sbuf wq;
	char *host = ali_host(c, call), *path = wire_path(call), *url, *what, *body = NULL, *key;
	char *via = ali_connect_to(c, s);
	char hash[65] = EMPTY_SHA256, md5hex[33], rawsize[32];
	const char *ctype = call->content_type;
	size_t body_len = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (c->stage && call_writes(call) && (rc = stage_before_write(c->stage, e)) != HOIST_OK) {
		free(host);
		free(path);
		free(via);
		return rc;
	}
	sbuf_init(&wq);
	sc.q = query_pairs(call->query, &sc.nq, &wq);
	sc.path = path;
	if (call->json) {
		body = json_dumps(call->json, JSON_COMPACT);
		ctype = s->style == ALI_SLS ? "application/json" : "application/json; charset=utf-8";
	} else if (call->form) {
		body = form_body(call->form);
		ctype = "application/x-www-form-urlencoded";
	} else if (call->body) {
		body = xmalloc(call->body_len + 1);
		memcpy(body, call->body, call->body_len);
		body[call->body_len] = '\0';
	}
	body_len = body ? strlen(body) : 0;
	if (call->body && !call->json && !call->form)
		body_len = call->body_len;
	if (body)
		digest_sha256_hex(body, body_len, hash);
	else if (call->stream)
		memcpy(hash, call->stream->sha256_hex, sizeof(hash));
	sc.payload_hash = s->style == ALI_HTTP ? "" : hash;
	sc.host = host;

	if (s->style == ALI_ROA || s->style == ALI_RPC) {
		http_headers_add(&fixed, "x-acs-action", call->action);
		http_headers_add(&fixed, "x-acs-version", s->version);
		http_headers_add(&fixed, "accept", "application/json");
	}
	if (s->style == ALI_SLS) {
		unsigned char md[16];

		http_headers_add(&fixed, "accept", "application/json");
		http_headers_add(&fixed, "x-log-apiversion", "0.6.0");
		http_headers_add(&fixed, "x-log-signaturemethod", "hmac-sha256");
		snprintf(rawsize, sizeof(rawsize), "%zu", body_len);
		http_headers_add(&fixed, "x-log-bodyrawsize", rawsize);
		if (body) {
			digest_md5(body, body_len, md);
			digest_hex(md, 16, md5hex, true);
			http_headers_add(&fixed, "content-md5", md5hex);
		}
	}
	if (ctype && (body || call->body_file || call->stream))
		http_headers_add(&fixed, "content-type", ctype);
	for (size_t i = 0; i < call->n_headers; i++)
		http_headers_add(&fixed, call->headers[i].name, call->headers[i].value);

	url = xasprintf("https://%s%s%s%s", host, path, wq.len ? "?" : "", wq.len ? wq.s : "");
	what = xasprintf("%s %s", s->id, call->action ? call->action : "request");
	rq = (struct http_request){
		.method = call->method ? call->method : "POST", .url = url, .connect_to = via,
		.headers = &fixed, .body = body, .body_len = body_len,
		.body_file = call->body_file, .stream = call->stream,
		.save_to = call->save_to, .progress = call->progress,
		.non_idempotent = call->non_idempotent, .timeout_s = call->timeout_s,
		.max_attempts = call->no_retry ? 1 : 0, .what = what, .sign = sign_attempt,
		.classify = classify,
		.check_effect = call->check_effect ? check_effect_tramp : NULL, .ctx = &sc,
	};
	rq.ahead_key = key = read_key(call, &rq);
	rc = http_do(c->http, &rq, &rs, e);
	free(key);
	if (rc == HOIST_OK) {
		res->status = rs.status;
		res->effect_done = rs.effect_done;
		res->headers = rs.headers;
		memset(&rs.headers, 0, sizeof(rs.headers));
		parse_body(&rs.body, res);
		res->raw = rs.body;
		memset(&rs.body, 0, sizeof(rs.body));
		if (!rs.effect_done && s->style != ALI_HTTP && (rs.status < 200 || rs.status >= 300)) {
			read_error(res);
			rc = error_result(c, call, res, e);
		}
	}
	http_response_free(&rs);
	free(what);
	free(url);
	free(via);
	http_headers_free(&fixed);
	free(body);
	free(sc.q);
	sbuf_free(&wq);
	free(path);
	free(host);
	return rc;
}
