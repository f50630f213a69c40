/*
 * aws_call.c — the AWS request pipeline: where to send a call (endpoint
 * overrides, global services, S3 addressing), how to encode it (REST-JSON,
 * JSON 1.1, REST-XML, query), SigV4 on every attempt, and how to read the
 * answer (JSON as is; XML turned into JSON) or the error.
 */
#include "aws_call.h"

#include "../../core/clock.h"
#include "../../core/cloud_call.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stagelock.h"
#include "../../core/str.h"
#include "../../core/xml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- services ------------------------------------------------------------ */

#define SVC(sid, pfx, sign, pr) .id = sid, .prefix = pfx, .signing = sign, .proto = pr

const struct aws_service aws_lambda = { SVC("Lambda", "lambda", "lambda", AWS_REST_JSON) };
const struct aws_service aws_s3 = { SVC("S3", "s3", "s3", AWS_REST_XML), .s3 = true };
const struct aws_service aws_apigateway = {
	SVC("API Gateway", "apigateway", "apigateway", AWS_REST_JSON) };
const struct aws_service aws_apigatewayv2 = {
	SVC("ApiGatewayV2", "apigateway", "apigateway", AWS_REST_JSON) };
const struct aws_service aws_iam = { SVC("IAM", "iam", "iam", AWS_QUERY),
				     .version = "2010-05-08", .global_host = "iam.amazonaws.com" };
const struct aws_service aws_sts = { SVC("STS", "sts", "sts", AWS_QUERY),
				     .version = "2011-06-15" };
const struct aws_service aws_cloudwatch = {
	SVC("CloudWatch", "monitoring", "monitoring", AWS_QUERY), .version = "2010-08-01" };
const struct aws_service aws_logs = { SVC("CloudWatch Logs", "logs", "logs", AWS_JSON),
				      .target = "Logs_20140328" };
const struct aws_service aws_events = { SVC("EventBridge", "events", "events", AWS_JSON),
					.target = "AWSEvents" };
const struct aws_service aws_acm = { SVC("ACM", "acm", "acm", AWS_JSON),
				     .target = "CertificateManager" };
const struct aws_service aws_sns = { SVC("SNS", "sns", "sns", AWS_QUERY),
				     .version = "2010-03-31" };
const struct aws_service aws_dynamodb = { SVC("DynamoDB", "dynamodb", "dynamodb", AWS_JSON),
					  .target = "DynamoDB_20120810", .json10 = true };
const struct aws_service aws_cloudformation = {
	SVC("CloudFormation", "cloudformation", "cloudformation", AWS_QUERY),
	.version = "2010-05-15" };
const struct aws_service aws_route53 = { SVC("Route 53", "route53", "route53", AWS_REST_XML),
					 .global_host = "route53.amazonaws.com" };

/* ---- client -------------------------------------------------------------- */

int aws_client_open(struct aws_client *c, const json_t *settings, struct herr *e)
{
	memset(c, 0, sizeof(*c));
	return cloud_session_open(&c->cfg, &c->http, "AWS", aws_config_load, settings, e);
}

void aws_client_close(struct aws_client *c)
{
	cloud_session_close(&c->cfg, &c->http);
	memset(c, 0, sizeof(*c));
}

void aws_result_free(struct aws_result *res)
{
	json_decref(res->data);
	http_headers_free(&res->headers);
	free(res->error_code);
	free(res->error_message);
	free(res->request_id);
	free(res->body);
	memset(res, 0, sizeof(*res));
}

bool aws_error_is(const struct aws_result *res, const char *code)
{
	return res->error_code && strcmp(res->error_code, code) == 0;
}

/* ---- encoding helpers ---------------------------------------------------- */

void aws_query_add(struct sbuf *q, const char *name, const char *value)
{
	char *k = sigv4_uri_encode(name, strlen(name), false);
	char *v = sigv4_uri_encode(value, strlen(value), false);

	sbuf_printf(q, "%s%s=%s", q->len ? "&" : "", k, v);
	free(k);
	free(v);
}

char *aws_path_escape(const char *segment)
{
	return sigv4_uri_encode(segment, strlen(segment), false);
}

static char *scalar_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	return xstrdup("");
}

static char *query_body(const struct aws_call *call)
{
	struct sbuf b;
	const char *k;
	json_t *v;

	sbuf_init(&b);
	aws_query_add(&b, "Action", call->op);
	aws_query_add(&b, "Version", call->svc->version);
	json_object_foreach(call->params, k, v) {
		char *t = scalar_text(v);

		aws_query_add(&b, k, t);
		free(t);
	}
	return sbuf_detach(&b);
}

/* ---- endpoints ----------------------------------------------------------- */

struct target {
	char *scheme;      /* "https" */
	char *host;        /* host[:port] */
	char *path;        /* full wire path */
	char *region;      /* signing region */
};

static void target_free(struct target *t)
{
	free(t->scheme);
	free(t->host);
	free(t->path);
	free(t->region);
}

static void split_url(const char *url, struct target *t, char **base)
{
	const char *p = strstr(url, "://"), *slash;

	t->scheme = p ? xasprintf("%.*s", (int)(p - url), url) : xstrdup("https");
	p = p ? p + 3 : url;
	slash = strchr(p, '/');
	t->host = slash ? xasprintf("%.*s", (int)(slash - p), p) : xstrdup(p);
	*base = xstrdup(slash ? slash : "");
}

static void resolve_target(const struct aws_client *c, const struct aws_call *call,
			   struct target *t)
{
	const struct aws_service *s = call->svc;
	char *ovr = aws_endpoint_override(&c->cfg, s->id, s->prefix), *base = NULL;
	const char *path = call->path && *call->path ? call->path : "/";
	const char *suffix = aws_dns_suffix(c->cfg.region);
	bool path_style = call->bucket && (ovr || strchr(call->bucket, '.'));

	memset(t, 0, sizeof(*t));
	t->region = xstrdup(s->global_host ? "us-east-1" : c->cfg.region);
	if (ovr) {
		split_url(ovr, t, &base);
	} else {
		t->scheme = xstrdup("https");
		base = xstrdup("");
		if (s->global_host && strcmp(suffix, "amazonaws.com") == 0)
			t->host = xstrdup(s->global_host);
		else if (call->bucket && !path_style)
			t->host = xasprintf("%s.%s.%s.%s", call->bucket, s->prefix,
					    c->cfg.region, suffix);
		else
			t->host = xasprintf("%s.%s.%s", s->prefix, c->cfg.region, suffix);
	}
	if (call->bucket && path_style) {
		char *b = aws_path_escape(call->bucket);

		t->path = xasprintf("%s/%s%s", base, b, strcmp(path, "/") ? path : "");
		free(b);
	} else {
		t->path = xasprintf("%s%s", base, path);
	}
	free(base);
	free(ovr);
}

/* ---- signing (per attempt) ----------------------------------------------- */

struct sign_ctx {
	const struct aws_client *c;
	const struct aws_call *call;
	struct sigv4_req req;
	struct sigv4_header *hdrs;   /* signed headers (from the fixed request headers) */
	size_t n;
};

/* -vv: the canonical request (what a SignatureDoesNotMatch is about); log.c hides the token. */
static void trace_canonical(const char *cr)
{
	char *copy, *tail = NULL;
	struct sbuf b;

	if (out_get()->verbosity < 2)
		return;
	copy = xstrdup(cr);
	sbuf_init(&b);
	for (char *line = strtok_r(copy, "\n", &tail); line; line = strtok_r(NULL, "\n", &tail))
		sbuf_printf(&b, "  | %s\n", line);
	out_debug("> canonical request:\n%s", b.s ? b.s : "");
	sbuf_free(&b);
	free(copy);
}

static int sign_attempt(const struct http_request *rq, struct http_headers *extra, void *p,
			struct herr *e)
{
	struct sign_ctx *s = p;
	struct sigv4_out o;

	s->req.now = time(NULL);
	if (sigv4_sign(&s->req, &s->c->cfg.creds, &o) != 0)
		return herr_set(e, HOIST_FAIL, "%s %s: cannot sign the request", s->call->svc->id,
				s->call->op);
	http_headers_add(extra, "X-Amz-Date", o.amz_date);
	if (o.send_payload_hash)
		http_headers_add(extra, "X-Amz-Content-SHA256", o.payload_hash);
	if (s->c->cfg.creds.token)
		http_headers_add(extra, "X-Amz-Security-Token", s->c->cfg.creds.token);
	http_headers_add(extra, "Authorization", o.authorization);
	trace_canonical(o.canonical_request);
	sigv4_out_free(&o);
	return HOIST_OK;
}

static int check_effect_tramp(const struct http_request *rq, enum http_effect *effect, void *p,
			      struct herr *e)
{
	struct sign_ctx *s = p;

	return s->call->check_effect(rq, effect, s->call->check_ctx, e);
}

/* ---- responses and errors ------------------------------------------------ */

static const char *jstr(const json_t *o, const char *k1, const char *k2)
{
	const json_t *v = json_object_get(o, k1);

	if (!json_is_string(v) && k2)
		v = json_object_get(o, k2);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Parse a body into res->data; XML for XML protocols, else JSON (any value). */
static void parse_body(const struct aws_service *s, const struct sbuf *b, struct aws_result *res,
		       char **root)
{
	json_error_t je;

	*root = NULL;
	if (!b->len) {
		res->data = json_object();
		return;
	}
	if (s->proto == AWS_REST_XML || s->proto == AWS_QUERY || b->s[0] == '<') {
		res->data = xml_to_json(b->s, b->len, root);
		if (res->data)
			return;
	}
	res->data = json_loadb(b->s, b->len, JSON_DECODE_ANY, &je);
	if (!res->data)
		res->data = json_stringn(b->s, b->len);
	if (!res->data)
		res->data = json_object();
}

static const char *status_code_name(long status)
{
	switch (status) {
	case 301: return "PermanentRedirect";
	case 304: return "NotModified";
	case 400: return "BadRequest";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 409: return "Conflict";
	case 412: return "PreconditionFailed";
	default: return NULL;
	}
}

static void read_error(struct aws_result *res, const char *root)
{
	const json_t *d = res->data, *err = NULL;
	const char *code = NULL, *msg = NULL, *type;
	char buf[32];

	if (root && json_is_object(d)) {
		err = strcmp(root, "Error") == 0 ? d : json_object_get(d, "Error");
		if (json_is_array(err))
			err = json_array_get(err, 0);
		code = jstr(err, "Code", NULL);
		msg = jstr(err, "Message", "message");
		if (jstr(d, "RequestId", NULL))
			res->request_id = xstrdup(jstr(d, "RequestId", NULL));
	} else if (json_is_object(d)) {
		code = jstr(d, "__type", "code");
		if (!code)
			code = jstr(d, "Code", NULL);
		msg = jstr(d, "message", "Message");
		if (!msg)
			msg = jstr(d, "errorMessage", NULL);
	}
	type = http_headers_get(&res->headers, "x-amzn-ErrorType");
	if (type && *type)
		code = type;
	if (!code) {
		code = status_code_name(res->status);
		if (!code) {
			snprintf(buf, sizeof(buf), "HTTP%ld", res->status);
			code = buf;
		}
	}
	/* "aws.protocoljson#ThrottlingException" and "Code:http://…" → the bare name. */
	if (strchr(code, '#'))
		code = strrchr(code, '#') + 1;
	res->error_code = xstrdup(code);
	if (strchr(res->error_code, ':'))
		*strchr(res->error_code, ':') = '\0';
	if (!msg && json_is_string(d))
		msg = json_string_value(d);
	res->error_message = xstrdup(msg ? msg : "");
	if (!res->request_id) {
		const char *id = http_headers_get(&res->headers, "x-amzn-RequestId");

		if (!id)
			id = http_headers_get(&res->headers, "x-amz-request-id");
		if (id)
			res->request_id = xstrdup(id);
	}
}

static bool credentials_error(const char *code)
{
	static const char *const codes[] = {
		"UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
		"InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken",
		"InvalidAccessKeyId", "ExpiredToken", "ExpiredTokenException", "AccessDenied",
		"AccessDeniedException",
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

static int error_result(const struct aws_client *c, const struct aws_call *call,
			struct aws_result *res, struct herr *e)
{
	char *permission = xasprintf("%s:%s", call->svc->signing, call->op);
	struct cloud_failure f = { call->svc->id, call->op, res->error_code, res->error_message,
				   res->request_id, res->status };

	cloud_call_failed(e, &f, credentials_error(res->error_code), "AWS", &c->cfg, permission);
	free(permission);
	return HOIST_FAIL;
}

/* ---- the call ------------------------------------------------------------ */

/*
 * Does the call change something?  AWS names its reads Get…, List…,
 * Describe…, Head…, Filter…, Lookup…; Invoke runs the function without
 * changing the stage.  Everything else writes (and takes the stage lock).
 */
static bool call_writes(const struct aws_call *call)
{
	static const char *const reads[] = {
		"Get", "List", "Describe", "Head", "Filter", "Lookup", "Invoke",
	};

	for (size_t i = 0; i < sizeof(reads) / sizeof(*reads); i++)
		if (str_starts(call->op, reads[i]))
			return false;
	return true;
}

/*
 * A Lambda write is about to be sent (its outcome does not matter: it may
 * have taken effect): count it for the answers struct aws_ctx remembers.
 * True: it may change the function's configuration or state.
 */
static bool count_lambda_write(struct aws_client *c, const char *op)
{
	static const char *const policy[] = {
		"AddPermission", "RemovePermission", "CreateFunction", "DeleteFunction",
	};
	static const char *const not_fn[] = {   /* leave configuration and state alone */
		"AddPermission", "RemovePermission", "TagResource", "UntagResource",
		"PutFunctionConcurrency", "DeleteFunctionConcurrency",
	};
	bool fn = true;

	for (size_t i = 0; i < sizeof(policy) / sizeof(*policy); i++)
		if (!strcmp(op, policy[i]))
			c->policy_writes++;
	for (size_t i = 0; i < sizeof(not_fn) / sizeof(*not_fn); i++)
		if (!strcmp(op, not_fn[i]))
			fn = false;
	if (fn)
		c->fn_writes++;
	return fn;
}

int aws_do(struct aws_client *c, const struct aws_call *call, struct aws_result *res,
	   struct herr *e)
{
	const struct aws_service *s = call->svc;
	struct target t;
	struct http_headers fixed = { 0 };
	struct http_request rq = { 0 };
	struct http_response rs;
	struct sign_ctx sc = { .c = c, .call = call };
	char *body = NULL, *url, *target = NULL, *what, *root = NULL;
	size_t body_len = 0;
	const char *ctype = call->content_type;
	bool fn_write = false;
	int rc;

	memset(res, 0, sizeof(*res));
	if (c->stage && call_writes(call) && (rc = stage_before_write(c->stage, e)) != HOIST_OK)
		return rc;
	if (s == &aws_lambda && call_writes(call))
		fn_write = count_lambda_write(c, call->op);
	if (s == &aws_events && call_writes(call))
		c->events_writes++;
	resolve_target(c, call, &t);
	switch (s->proto) {
	case AWS_QUERY:
		body = query_body(call);
		body_len = strlen(body);
		ctype = "application/x-www-form-urlencoded; charset=utf-8";
		break;
	case AWS_JSON:
		body = call->json ? json_dumps(call->json, JSON_COMPACT) : xstrdup("{}");
		body_len = strlen(body);
		ctype = s->json10 ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1";
		target = xasprintf("%s.%s", s->target, call->op);
		break;
	case AWS_REST_JSON:
	case AWS_REST_XML:
		if (call->stream) {
			if ((rc = http_body_sha256(call->stream, e)) != HOIST_OK) {
				target_free(&t);
				return rc;
			}
			if (!ctype && s->proto == AWS_REST_JSON)
				ctype = "application/json";
		} else if (call->json) {
			body = json_dumps(call->json, JSON_COMPACT);
			body_len = strlen(body);
			ctype = "application/json";
		} else if (call->body) {
			body = xmalloc(call->body_len + 1);
			memcpy(body, call->body, call->body_len);
			body[call->body_len] = '\0';
			body_len = call->body_len;
		}
		break;
	}

	/* Fixed headers: all signed (sc.hdrs mirrors them). */
	http_headers_add(&fixed, "Host", t.host);
	if (ctype && (body || call->stream))
		http_headers_add(&fixed, "Content-Type", ctype);
	if (target)
		http_headers_add(&fixed, "X-Amz-Target", target);
	for (size_t i = 0; i < call->n_headers; i++)
		http_headers_add(&fixed, call->headers[i].name, call->headers[i].value);
	sc.hdrs = xcalloc(fixed.n, sizeof(*sc.hdrs));
	for (size_t i = 1; i < fixed.n; i++)   /* Host is passed separately */
		sc.hdrs[sc.n++] = (struct sigv4_header){ fixed.v[i].name, fixed.v[i].value };

	sc.req = (struct sigv4_req){
		.method = call->method ? call->method : "POST",
		.host = t.host, .path = t.path, .query = call->query,
		.headers = sc.hdrs, .n_headers = sc.n,
		.body = body, .body_len = body_len,
		.payload_hash = call->stream ? call->stream->sha256_hex : NULL,
		.region = t.region, .service = s->signing, .s3 = s->s3,
	};
	url = xasprintf("%s://%s%s%s%s", t.scheme, t.host, t.path,
			call->query && *call->query ? "?" : "", call->query ? call->query : "");
	what = xasprintf("%s %s", s->id, call->op);
	rq = (struct http_request){
		.method = sc.req.method, .url = url, .headers = &fixed,
		.body = body, .body_len = body_len, .stream = call->stream,
		.save_to = call->save_to, .progress = call->progress,
		.non_idempotent = call->non_idempotent, .timeout_s = call->timeout_s,
		.interruptible = !call_writes(call),
		.what = what, .sign = sign_attempt,
		.check_effect = call->check_effect ? check_effect_tramp : NULL, .ctx = &sc,
	};

	rc = http_do(c->http, &rq, &rs, e);
	if (fn_write)
		c->fn_write_at = clock_now_s();
	if (rc == HOIST_OK) {
		res->status = rs.status;
		res->effect_done = rs.effect_done;
		res->headers = rs.headers;
		memset(&rs.headers, 0, sizeof(rs.headers));
		parse_body(s, &rs.body, res, &root);
		if (!rs.effect_done && (rs.status < 200 || rs.status >= 300)) {
			read_error(res, root);
			rc = error_result(c, call, res, e);
		} else if (call->keep_body) {
			res->body_len = rs.body.len;
			res->body = sbuf_detach(&rs.body);
		}
	}
	http_response_free(&rs);
	free(root);
	free(what);
	free(url);
	free(sc.hdrs);
	http_headers_free(&fixed);
	free(target);
	free(body);
	target_free(&t);
	return rc;
}
