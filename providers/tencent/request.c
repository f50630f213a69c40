/*
 * request.c — `hoist request` on Tencent: one HTTP request to the stage's
 * function URL.  A URL with AuthType CAM (iam_authorization: true) takes a
 * TC3-HMAC-SHA256 signature with the caller's keys, service "scf", over the
 * request as sent — method, the URL's path and query, its Content-Type and
 * host, the SHA-256 of the body — plus X-TC-Timestamp (and X-TC-Token with
 * a session token), as function URL authentication checks it (doc
 * 583/96100).  An endpoint override for SCF (TENCENTCLOUD_ENDPOINT_URL_SCF,
 * else TENCENTCLOUD_ENDPOINT_URL) sends it there with the real Host.
 */
#include "tencent.h"
#include "sign_tc3.h"

#include "../request.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TYPE "application/json"

static int sign_request(const struct http_request *rq, struct http_headers *extra, void *p,
			struct herr *e)
{
	const struct tc_ctx *x = p;
	const char *type = http_headers_get(rq->headers, "Content-Type");
	char *auth = NULL, *pq = NULL, *q, ts[32];
	time_t now = time(NULL);
	struct tc3_out o;
	int rc;

	if ((rc = http_url_split(rq->url, &auth, &pq, e)))
		return rc;
	q = strchr(pq, '?');
	if (q)
		*q++ = '\0';
	rc = tc3_sign(&(struct tc3_req){ .method = rq->method, .host = auth, .path = pq,
					 .query = q, .content_type = type ? type : DEFAULT_TYPE,
					 .body = rq->body, .body_len = rq->body_len,
					 .service = "scf", .timestamp = now },
		      x->client.cfg.creds.id, x->client.cfg.creds.secret, &o);
	free(auth);
	free(pq);
	if (rc)
		return herr_set(e, HOIST_FAIL, "cannot sign the request (no credentials?)");
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	http_headers_set(extra, "X-TC-Timestamp", ts);
	http_headers_set(extra, "Authorization", o.authorization);
	tc3_out_free(&o);
	if (x->client.cfg.creds.token)
		http_headers_set(extra, "X-TC-Token", x->client.cfg.creds.token);
	return HOIST_OK;
}

int tc_request(const struct stage *st, const struct request_args *a, struct http_response *rs,
	       struct herr *e)
{
	struct tc_ctx x;
	struct http_headers extra = { 0 };
	json_t *ts = NULL;
	char *url = NULL, *via = NULL;
	bool cam = false;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (a->app_code)
		return herr_set(e, HOIST_USAGE, "--app-code is for Alibaba API Gateway stages; "
				"stage %s runs on Tencent Cloud", st->name);
	if ((rc = tc_ctx_open(&x, st, e)))
		return rc;
	rc = scf_triggers(&x, &ts, e);
	if (rc && strstr(e->msg, "ResourceNotFound"))
		rc = tc_not_deployed(&x, e);
	if (!rc && !(url = tc_url_of(&x, ts, &cam))) {
		rc = herr_set(e, HOIST_FAIL, "stage %s has no function URL", st->name);
		herr_hint(e, "'hoist deploy %s' (or update) creates it", st->name);
	}
	if (rc)
		goto out;
	if (cam && !http_headers_get(a->headers, "Content-Type"))
		http_headers_add(&extra, "Content-Type", DEFAULT_TYPE);
	via = tc_endpoint_override(&x.client.cfg, "scf");
	out_info("%s %s%s", a->method ? a->method : "GET", url, cam ? " (CAM, TC3-signed)" : "");
	rc = request_send(a, &(struct request_how){ .base_url = url, .connect_to = via,
		.extra = &extra, .sign = cam ? sign_request : NULL, .ctx = &x,
		.timeout_s = settings_int(st->settings, "timeout_seconds", 30) + 5 }, rs, e);
out:
	http_headers_free(&extra);
	json_decref(ts);
	free(url);
	free(via);
	tc_ctx_close(&x);
	return rc;
}
