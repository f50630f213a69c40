/*
 * gateway.c — the local front door: an HTTP/1.1 server (libmicrohttpd) on
 * 127.0.0.1 that turns each request under /<stage> into an API Gateway REST
 * v1 proxy event, runs it through the worker pool, and writes the proxy
 * answer back as an HTTP response — what API Gateway + Lambda do.
 *
 * After certify a second listener serves HTTPS for `domain` on its own port
 * as a custom domain would: the whole path goes to the stage (under the
 * base path mapping when base_path is set).  certify replaces that listener
 * without touching the HTTP one.  Both add X-Forwarded-For/-Port/-Proto.
 *
 * One thread per connection: a request blocks its thread while a worker
 * runs it, which is exactly the concurrency the pool allows.
 */
#include "local.h"

#include "../../core/err.h"
#include "../../core/path.h"
#include "../../core/str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BODY (10u << 20)  /* API Gateway's payload limit */

struct req_body {
	struct sbuf b;
	bool too_big;
};

void request_id_new(char out[37])
{
	unsigned char r[16];
	int i, k = 0;

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		k += snprintf(out + k, 37 - (size_t)k, "%02x", r[i]);
	}
	out[36] = '\0';
}

/* ---- request -> event --------------------------------------------------- */

static void add_multi(json_t *single, json_t *multi, const char *k, const char *v)
{
	json_t *arr = json_object_get(multi, k);

	if (!arr) {
		arr = json_array();
		json_object_set_new(multi, k, arr);
	}
	json_array_append_new(arr, json_string(v));
	json_object_set_new(single, k, json_string(v));
}

static bool json_utf8_ok_n(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	bool ok = j != NULL;

	json_decref(j);
	return ok && !memchr(s, '\0', n);
}

struct kv_ctx {
	json_t *single, *multi;
};

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct kv_ctx *c = cls;

	(void)kind;
	if (key && json_utf8_ok_n(key, strlen(key)) &&
	    (!value || json_utf8_ok_n(value, strlen(value))))
		add_multi(c->single, c->multi, key, value ? value : "");
	return MHD_YES;
}

static json_t *body_value(const struct sbuf *b, bool *b64)
{
	char *out;
	json_t *j;
	int n;

	*b64 = false;
	if (!b->len)
		return json_null();
	if (json_utf8_ok_n(b->s, b->len))
		return json_stringn(b->s, b->len);
	*b64 = true;
	out = xmalloc(4 * ((b->len + 2) / 3) + 1);
	n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)b->s, (int)b->len);
	j = json_stringn(out, (size_t)n);
	free(out);
	return j;
}

static char *client_ip(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char buf[INET6_ADDRSTRLEN] = "127.0.0.1";

	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ci->client_addr)->sin_addr, buf,
			  sizeof(buf));
	return xstrdup(buf);
}

/* Drop every header named `name` (any case) from both header maps. */
static void del_header(struct kv_ctx *h, const char *name)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(h->single, tmp, k, v)
		if (!strcasecmp(k, name))
			json_object_del(h->single, k);
	json_object_foreach_safe(h->multi, tmp, k, v)
		if (!strcasecmp(k, name))
			json_object_del(h->multi, k);
}

static const char *find_header(struct kv_ctx *h, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach(h->single, k, v)
		if (!strcasecmp(k, name))
			return json_string_value(v);
	return NULL;
}

/* What API Gateway adds: X-Forwarded-For (client appended), -Port, -Proto. */
static void add_forwarded(struct kv_ctx *h, const struct listener *l, const char *ip)
{
	const char *prior = find_header(h, "X-Forwarded-For");
	char *xff = prior && *prior ? xasprintf("%s, %s", prior, ip) : xstrdup(ip);
	char port[16];

	snprintf(port, sizeof(port), "%d", l->port);
	del_header(h, "X-Forwarded-For");
	del_header(h, "X-Forwarded-Port");
	del_header(h, "X-Forwarded-Proto");
	add_multi(h->single, h->multi, "X-Forwarded-For", xff);
	add_multi(h->single, h->multi, "X-Forwarded-Port", port);
	add_multi(h->single, h->multi, "X-Forwarded-Proto", l->tls ? "https" : "http");
	free(xff);
}

/*
 * Where a request goes: `path` is the event's path, `proxy` the part the
 * {proxy+} resource matched ("/" for the root), `ctx_path` the path as the
 * client sent it.  On the HTTP listener /<stage> is stripped (the default
 * endpoint); on the HTTPS one the path is kept whole (a custom domain with
 * an optional base path mapping).
 */
struct route {
	const char *path, *proxy, *ctx_path;
};

static json_t *build_event(const struct listener *l, struct MHD_Connection *c,
			   const char *method, const struct route *rt, const char *version,
			   const struct sbuf *body, const char *rid)
{
	struct daemon *d = l->d;
	struct kv_ctx h = { json_object(), json_object() }, q = { json_object(), json_object() };
	const char *host, *ua;
	json_t *ev, *ctx, *pp;
	char *ip = client_ip(c), tbuf[64];
	bool root = !strcmp(rt->proxy, "/");
	time_t t = time(NULL);
	struct tm tm;
	bool b64;

	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_kv, &h);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_kv, &q);
	add_forwarded(&h, l, ip);
	host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
	gmtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	pp = root ? json_null() : json_pack("{s:s}", "proxy", rt->proxy + 1);
	ctx = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s,"
			" s:{s:s, s:s?}}",
			"resourceId", "local", "resourcePath", root ? "/" : "/{proxy+}",
			"httpMethod", method, "path", rt->ctx_path, "stage", d->pool.stage_name,
			"requestId", rid, "requestTimeEpoch", (json_int_t)now_ms(),
			"requestTime", tbuf, "protocol", version,
			"domainName", l->tls ? l->domain : host ? host : "127.0.0.1",
			"apiId", "local", "accountId", "000000000000",
			"identity", "sourceIp", ip, "userAgent", ua);
	ev = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:n, s:o}",
		       "resource", root ? "/" : "/{proxy+}", "path", rt->path,
		       "httpMethod", method, "headers", h.single, "multiValueHeaders", h.multi,
		       "queryStringParameters", json_object_size(q.single) ? q.single : json_null(),
		       "multiValueQueryStringParameters",
		       json_object_size(q.multi) ? q.multi : json_null(),
		       "pathParameters", pp, "stageVariables", "requestContext", ctx);
	if (!json_object_size(q.single)) {
		json_decref(q.single);
		json_decref(q.multi);
	}
	json_object_set_new(ev, "body", body_value(body, &b64));
	json_object_set_new(ev, "isBase64Encoded", json_boolean(b64));
	free(ip);
	return ev;
}

/* ---- answer -> response ------------------------------------------------- */

static enum MHD_Result send_json_message(struct MHD_Connection *c, unsigned code,
					 const char *message)
{
	json_t *j = json_pack("{s:s}", "message", message);
	char *s = json_dumps(j, JSON_COMPACT);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s,
								 MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	json_decref(j);
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "x-amzn-ErrorType", code == 403 ? "ForbiddenException" :
				"InternalServerErrorException");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static bool skip_header(const char *k)
{
	return !strcasecmp(k, "content-length") || !strcasecmp(k, "transfer-encoding") ||
	       !strcasecmp(k, "connection");
}

static void add_header_value(struct MHD_Response *r, const char *k, json_t *v)
{
	char num[64];

	if (json_is_string(v))
		MHD_add_response_header(r, k, json_string_value(v));
	else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		MHD_add_response_header(r, k, num);
	} else if (json_is_boolean(v))
		MHD_add_response_header(r, k, json_is_true(v) ? "true" : "false");
}

/* The proxy answer as an HTTP response; -1 when it is not a valid answer. */
static int send_answer(struct MHD_Connection *c, json_t *ans, enum MHD_Result *ret,
		       unsigned *status)
{
	json_t *code = json_object_get(ans, "statusCode"), *body = json_object_get(ans, "body");
	json_t *hs = json_object_get(ans, "headers"), *mh = json_object_get(ans, "multiValueHeaders");
	const char *k;
	json_t *v;
	struct MHD_Response *r;
	unsigned char *data = NULL;
	size_t len = 0;

	if (!json_is_object(ans) || !json_is_integer(code) || json_integer_value(code) < 100 ||
	    json_integer_value(code) > 599 || (body && !json_is_string(body) && !json_is_null(body)))
		return -1;
	if (json_is_string(body) && json_is_true(json_object_get(ans, "isBase64Encoded"))) {
		data = str_b64_decode(json_string_value(body), json_string_length(body), &len);
		if (!data)
			return -1;
	} else if (json_is_string(body)) {
		len = json_string_length(body);
		data = xmalloc(len + 1);
		memcpy(data, json_string_value(body), len);
	}
	r = MHD_create_response_from_buffer(len, data ? data : (void *)"", data ?
					    MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	json_object_foreach(mh, k, v) {
		size_t i;
		json_t *x;

		if (skip_header(k))
			continue;
		json_array_foreach(v, i, x)
			add_header_value(r, k, x);
	}
	json_object_foreach(hs, k, v)
		if (!skip_header(k) && !json_object_get(mh, k))
			add_header_value(r, k, v);
	*status = (unsigned)json_integer_value(code);
	*ret = MHD_queue_response(c, *status, r);
	MHD_destroy_response(r);
	return 0;
}

/* ---- the handler ------------------------------------------------------- */

static void count(struct daemon *d, bool error)
{
	pthread_mutex_lock(&d->stats_mu);
	d->requests++;
	if (error)
		d->errors++;
	pthread_mutex_unlock(&d->stats_mu);
}

/* "/<prefix>" or "/<prefix>/…": the rest after the prefix ("" or "/…"), else NULL. */
static const char *under(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(url, prefix, n) || (url[n] && url[n] != '/'))
		return NULL;
	return url + n;
}

/* The route of `url` on listener l, or false (API Gateway's 403). */
static bool route_of(const struct listener *l, const char *url, struct route *rt, char **tmp)
{
	const char *rest;

	*tmp = NULL;
	if (url[0] != '/')
		return false;
	if (!l->tls) {
		*tmp = xasprintf("/%s", l->d->pool.stage_name);
		rest = under(url, *tmp);
		if (!rest)
			return false;
		rt->path = rt->proxy = *rest ? rest : "/";
		rt->ctx_path = url;
		return true;
	}
	rest = l->base_path ? under(url, l->base_path) : url;
	if (!rest)
		return false;
	rt->path = rt->ctx_path = url;
	rt->proxy = *rest ? rest : "/";
	return true;
}

static enum MHD_Result serve(struct listener *l, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version, struct req_body *rb)
{
	struct daemon *d = l->d;
	struct route rt;
	char rid[37], *tmp;
	json_t *ev, *ans = NULL;
	char *why = NULL;
	enum MHD_Result ret;
	unsigned status = 0;
	int code;

	if (!route_of(l, url, &rt, &tmp)) {
		free(tmp);
		return send_json_message(c, 403, "Forbidden");
	}
	if (rb->too_big) {
		free(tmp);
		return send_json_message(c, 413, "Request Too Long");
	}
	request_id_new(rid);
	ev = build_event(l, c, method, &rt, version, &rb->b, rid);
	free(tmp);
	code = pool_invoke(&d->pool, ev, rid, &ans, &why);
	json_decref(ev);
	if (code == 0 && send_answer(c, ans, &ret, &status) == 0) {
		count(d, false);
		json_decref(ans);
		return ret;
	}
	if (code == 0) {
		code = 502;
		why = xstrdup("the handler's answer is not a valid proxy response "
			      "(statusCode, headers, body)");
	}
	stagelog("gateway", "%s %s -> %d: %s (RequestId: %s)", method, url, code, why, rid);
	count(d, true);
	json_decref(ans);
	free(why);
	return send_json_message(c, (unsigned)code, code == 504 ? "Endpoint request timed out" :
				 code == 503 ? "Service Unavailable" : "Internal server error");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct req_body *rb = *con_cls;

	if (!rb) {
		rb = xcalloc(1, sizeof(*rb));
		sbuf_init(&rb->b);
		*con_cls = rb;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rb->b.len + *upload_size > MAX_BODY)
			rb->too_big = true;
		else
			sbuf_add(&rb->b, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return serve(cls, c, url, method, version, rb);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct req_body *rb = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rb) {
		sbuf_free(&rb->b);
		free(rb);
	}
	*con_cls = NULL;
}

static struct MHD_Daemon *start(struct listener *l, struct herr *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)l->port) };
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG;
	struct MHD_Daemon *m;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l->tls)
		m = MHD_start_daemon(flags | MHD_USE_TLS, (uint16_t)l->port, NULL, NULL,
				     on_request, l,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_NOTIFY_COMPLETED, on_done, l,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				     MHD_OPTION_HTTPS_MEM_CERT, l->cert,
				     MHD_OPTION_HTTPS_MEM_KEY, l->key, MHD_OPTION_END);
	else
		m = MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL, on_request, l,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_NOTIFY_COMPLETED, on_done, l,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				     MHD_OPTION_END);
	if (!m)
		herr_set(e, HOIST_FAIL, "cannot listen on 127.0.0.1:%d%s: %s", l->port,
			 l->tls ? " (HTTPS)" : "", errno == EADDRINUSE ? "the port is in use" :
			 errno ? strerror(errno) : "libmicrohttpd refused the configuration");
	return m;
}

int gateway_start(struct daemon *d, struct herr *e)
{
	d->http.d = d;
	d->http.port = d->port;
	d->http.tls = false;
	errno = 0;
	d->http.mhd = start(&d->http, e);
	return d->http.mhd ? HOIST_OK : HOIST_FAIL;
}

/* ---- the HTTPS listener -------------------------------------------------- */

static void listener_free(struct listener *l)
{
	if (!l)
		return;
	if (l->mhd)
		MHD_stop_daemon(l->mhd);
	free(l->domain);
	free(l->base_path);
	if (l->key)
		OPENSSL_cleanse(l->key, strlen(l->key));
	free(l->key);
	free(l->cert);
	free(l);
}

/* A TLS listener from the stage's tls/ files (not started). */
static int tls_listener_new(struct daemon *d, int port, const char *domain,
			    const char *base_path, struct listener **out, struct herr *e)
{
	char *tdir = local_file(d->dir, "tls"), *cp = path_join(tdir, "cert.pem");
	char *kp = path_join(tdir, "key.pem");
	struct listener *l = xcalloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	l->d = d;
	l->port = port;
	l->tls = true;
	l->domain = xstrdup(domain);
	if (base_path && *base_path && strcmp(base_path, "/"))
		l->base_path = xasprintf("/%s", base_path + (base_path[0] == '/'));
	rc = path_read(cp, &l->cert, NULL, e);
	if (!rc)
		rc = path_read(kp, &l->key, NULL, e);
	if (rc)
		listener_free(l);
	else
		*out = l;
	free(cp);
	free(kp);
	free(tdir);
	return rc;
}

int gateway_tls_reload(struct daemon *d, int port, const char *domain, const char *base_path,
		       struct herr *e)
{
	struct listener *l = NULL, *old;
	int rc;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return herr_set(e, HOIST_FAIL, "this libmicrohttpd was built without TLS support; "
				"HTTPS is not available");
	if (!domain || port <= 0)
		return herr_set(e, HOIST_FAIL, "no domain or HTTPS port recorded for the stage");
	rc = tls_listener_new(d, port, domain, base_path, &l, e);
	if (rc)
		return rc;
	pthread_mutex_lock(&d->tls_mu);
	if (d->stop) {
		pthread_mutex_unlock(&d->tls_mu);
		listener_free(l);
		return herr_set(e, HOIST_FAIL, "the gateway is stopping");
	}
	old = d->tls;
	if (old) {
		MHD_stop_daemon(old->mhd);   /* the HTTP listener keeps serving */
		old->mhd = NULL;
	}
	errno = 0;
	l->mhd = start(l, e);
	if (l->mhd) {
		d->tls = l;
		listener_free(old);
		stagelog("gateway", "serving https://%s:%d%s", domain, port,
			 l->base_path ? l->base_path : "/");
	} else {
		rc = HOIST_FAIL;
		listener_free(l);
		d->tls = old;   /* put the previous listener back */
		if (old && !(old->mhd = start(old, NULL))) {
			d->tls = NULL;
			listener_free(old);
		}
	}
	pthread_mutex_unlock(&d->tls_mu);
	return rc;
}

int gateway_tls_port(struct daemon *d)
{
	int port;

	pthread_mutex_lock(&d->tls_mu);
	port = d->tls ? d->tls->port : 0;
	pthread_mutex_unlock(&d->tls_mu);
	return port;
}

void gateway_stop(struct daemon *d)
{
	pthread_mutex_lock(&d->tls_mu);
	listener_free(d->tls);
	d->tls = NULL;
	pthread_mutex_unlock(&d->tls_mu);
	if (d->http.mhd)
		MHD_stop_daemon(d->http.mhd);
	d->http.mhd = NULL;
}
