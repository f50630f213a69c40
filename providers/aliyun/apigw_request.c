/*
 * apigw_request.c — `hoist request` through the stage's API Gateway API:
 * to https://<group subdomain><path> with X-Ca-Stage naming the stage's
 * environment, and on an APP-authorized API (api_key_required) signed the
 * way the gateway checks (sign_xca.h) with the stage's app — X-Ca-Key,
 * X-Ca-Timestamp (ms), X-Ca-Nonce (a fresh UUID: the gateway refuses a
 * nonce twice), X-Ca-Signature-Method HmacSHA256, X-Ca-Signature-Headers,
 * X-Ca-Signature, Content-MD5 for a body that is not a form — or, with
 * --app-code, Authorization: APPCODE <the app's AppCode>.  The app's
 * secrets are read from the gateway (DescribeAppSecurity) for this one
 * request and never printed.  ALIBABA_CLOUD_ENDPOINT_URL_APIGATEWAY (or
 * ALIBABA_CLOUD_ENDPOINT_URL) changes where it connects, nothing else.
 */
#include "apigw.h"
#include "sign_xca.h"

#include "../request.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct xca_ctx {
	const char *key, *secret, *stage;
};

static void uuid4(char out[37])
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)rand();
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
		 r[13], r[14], r[15]);
}

/* Sign each attempt afresh (a new nonce and timestamp every time). */
static int sign_xca(const struct http_request *rq, struct http_headers *extra, void *p,
		    struct herr *e)
{
	const struct xca_ctx *c = p;
	const char *ctype = http_headers_get(rq->headers, "Content-Type");
	const char *accept = http_headers_get(rq->headers, "Accept");
	const char *date = http_headers_get(rq->headers, "Date");
	char *auth = NULL, *pq = NULL, *q, *md5 = NULL, *sts, *sig, ts[24], nonce[37];
	struct timespec now;
	int rc;

	if ((rc = http_url_split(rq->url, &auth, &pq, e)))
		return rc;
	q = strchr(pq, '?');
	if (q)
		*q++ = '\0';
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(ts, sizeof(ts), "%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	uuid4(nonce);
	if (!accept) {
		accept = "*/*";   /* what libcurl would send; signed, so sent explicitly */
		http_headers_set(extra, "Accept", accept);
	}
	if (rq->body_len && !xca_is_form(ctype)) {
		md5 = xca_content_md5(rq->body, rq->body_len);
		http_headers_set(extra, "Content-MD5", md5);
	}
	{
		const struct ali_kv h[] = {
			{ "x-ca-key", c->key }, { "x-ca-nonce", nonce },
			{ "x-ca-signature-method", "HmacSHA256" }, { "x-ca-stage", c->stage },
			{ "x-ca-timestamp", ts },
		};

		sts = xca_string_to_sign(&(struct xca_req){
			.method = rq->method, .path = pq, .query = q, .accept = accept,
			.content_md5 = md5, .content_type = ctype, .date = date, .headers = h,
			.n_headers = sizeof(h) / sizeof(*h), .form = rq->body,
			.form_len = rq->body_len });
	}
	sig = xca_signature(c->secret, sts);
	http_headers_set(extra, "X-Ca-Key", c->key);
	http_headers_set(extra, "X-Ca-Nonce", nonce);
	http_headers_set(extra, "X-Ca-Signature-Method", "HmacSHA256");
	http_headers_set(extra, "X-Ca-Stage", c->stage);
	http_headers_set(extra, "X-Ca-Timestamp", ts);
	http_headers_set(extra, "X-Ca-Signature-Headers",
			 "x-ca-key,x-ca-nonce,x-ca-signature-method,x-ca-stage,x-ca-timestamp");
	http_headers_set(extra, "X-Ca-Signature", sig);
	if (out_get()->verbosity >= 2) {
		for (char *l = sts; *l; l++)
			if (*l == '\n')
				*l = '#';
		out_debug("> X-Ca string to sign: %s", sts);
	}
	free(sig);
	free(sts);
	free(md5);
	free(auth);
	free(pq);
	return HOIST_OK;
}

int ali_apigw_request(struct ali_ctx *x, const struct request_args *a,
		      struct http_response *rs, struct herr *e)
{
	const char *stage = ali_apigw_stage(x->st), *auth;
	struct ali_apigw g;
	struct http_headers extra = { 0 };
	struct xca_ctx c = { .stage = stage };
	json_t *sec = NULL;
	char *url = NULL, *via = NULL, *code = NULL;
	bool app;
	int rc = ali_apigw_find(x, &g, e);

	if (!rc && !(g.api && g.subdomain)) {
		rc = herr_set(e, HOIST_FAIL, "stage %s has no API Gateway API (%s)", x->st->name,
			      g.name);
		herr_hint(e, "'hoist deploy %s' creates it", x->st->name);
	}
	if (rc)
		goto out;
	auth = json_string_value(json_object_get(g.api, "AuthType")) ?: "";
	app = !strcmp(auth, "APP");
	if (a->app_code && !app) {
		rc = herr_set(e, HOIST_USAGE, "--app-code: the API of stage %s is %s (no app "
			      "authorization: api_key_required is off)", x->st->name, auth);
		goto out;
	}
	if (app && (rc = ali_apigw_app(x, &sec, e)))
		goto out;
	if (app && !sec) {
		rc = herr_set(e, HOIST_FAIL, "the API of stage %s wants an app, and the stage's app "
			      "does not exist", x->st->name);
		herr_hint(e, "'hoist update %s' creates and authorizes it", x->st->name);
		goto out;
	}
	c.key = json_string_value(json_object_get(sec, "AppKey"));
	c.secret = json_string_value(json_object_get(sec, "AppSecret"));
	if (!app || a->app_code)   /* the signer adds it, signed, to each attempt */
		http_headers_add(&extra, "X-Ca-Stage", stage);
	if (a->app_code) {
		code = xasprintf("APPCODE %s", json_string_value(json_object_get(sec, "AppCode"))
				 ?: "");
		http_headers_add(&extra, "Authorization", code);
	}
	url = xasprintf("https://%s", g.subdomain);
	via = ali_connect_to(&x->client, &ali_gateway);
	out_info("%s %s (API Gateway, %s%s)", a->method ? a->method : "GET", url, stage,
		 a->app_code ? ", AppCode" : app ? ", signed with the stage's app" : "");
	rc = request_send(a, &(struct request_how){ .base_url = url, .connect_to = via,
		.extra = &extra, .sign = app && !a->app_code ? sign_xca : NULL, .ctx = &c,
		.timeout_s = settings_int(x->st->settings, "timeout_seconds", 30) + 5 }, rs, e);
out:
	http_headers_free(&extra);
	free(code);
	free(url);
	free(via);
	json_decref(sec);
	ali_apigw_free(&g);
	return rc;
}
