/*
 * request.c — `hoist request` on AWS: one HTTP request to the stage's live
 * URL (the REST or HTTP API stage, else the function URL), carrying what the
 * front door requires:
 *   api_key_required    x-api-key: the stage's key value (GetApiKey
 *                       includeValue), REST APIs only;
 *   iam_authorization   a SigV4 signature with the caller's credentials, for
 *                       service `execute-api` (API Gateway) or `lambda`
 *                       (function URLs), as AWS_IAM authorization checks it.
 * With an endpoint override for API Gateway (AWS_ENDPOINT_URL_API_GATEWAY) or
 * Lambda (function URLs: AWS_ENDPOINT_URL_LAMBDA), or AWS_ENDPOINT_URL, the
 * request goes there with the real Host header and signature.
 */
#include "aws.h"
#include "frontdoor.h"

#include "../request.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct req_sign {
	const struct aws_ctx *x;
	const char *service;        /* execute-api | lambda */
	const struct request_args *a;
};

/* SigV4 over the request as sent: host, path, query, the caller's body. */
static int sign_request(const struct http_request *rq, struct http_headers *extra, void *p,
			struct herr *e)
{
	struct req_sign *s = p;
	struct sigv4_out o;
	char *auth = NULL, *pq = NULL, *q;
	int rc;

	if ((rc = http_url_split(rq->url, &auth, &pq, e)))
		return rc;
	q = strchr(pq, '?');
	if (q)
		*q++ = '\0';
	rc = sigv4_sign(&(struct sigv4_req){ .method = rq->method, .host = auth, .path = pq,
					     .query = q, .body = rq->body, .body_len = rq->body_len,
					     .region = s->x->region, .service = s->service,
					     .now = time(NULL) }, &s->x->client.cfg.creds, &o);
	free(auth);
	free(pq);
	if (rc != 0)
		return herr_set(e, HOIST_FAIL, "cannot sign the request (no credentials?)");
	http_headers_set(extra, "X-Amz-Date", o.amz_date);
	if (s->x->client.cfg.creds.token)
		http_headers_set(extra, "X-Amz-Security-Token", s->x->client.cfg.creds.token);
	http_headers_set(extra, "Authorization", o.authorization);
	sigv4_out_free(&o);
	return HOIST_OK;
}

int aws_request(const struct stage *st, const struct request_args *a, struct http_response *rs,
		struct herr *e)
{
	struct aws_ctx x;
	struct http_headers extra = { 0 };
	char *url = NULL, *key = NULL, *via = NULL;
	bool fn_url, iam = settings_bool(st->settings, "iam_authorization", false);
	struct req_sign sig = { &x, NULL, a };
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (a->app_code)
		return herr_set(e, HOIST_USAGE, "--app-code is for Alibaba API Gateway stages; "
				"stage %s runs on AWS", st->name);
	if ((rc = aws_ctx_open(&x, st, e)))
		return rc;
	rc = aws_frontdoor_url(&x, &url, e);
	if (!rc && !url) {
		rc = herr_set(e, HOIST_FAIL, "stage %s has no live URL", st->name);
		herr_hint(e, "'hoist deploy %s' creates it (a stage without apigateway_enabled "
			  "or function_url_enabled has none)", st->name);
	}
	if (rc)
		goto out;
	fn_url = strstr(url, ".lambda-url.") != NULL;
	sig.service = fn_url ? "lambda" : "execute-api";
	if (!fn_url && settings_bool(st->settings, "api_key_required", false)) {
		if ((rc = apigw_api_key_value(&x, &key, e)))
			goto out;
		http_headers_add(&extra, "x-api-key", key);
	}
	via = fn_url ? aws_endpoint_override(&x.client.cfg, "Lambda", "lambda")
		     : aws_endpoint_override(&x.client.cfg, "API Gateway", "apigateway");
	out_info("%s %s%s", a->method, url, iam ? " (SigV4-signed)" : key ? " (with the API key)"
								 : "");
	rc = request_send(a, &(struct request_how){ .base_url = url, .connect_to = via,
		.extra = &extra, .sign = iam ? sign_request : NULL, .ctx = &sig,
		.timeout_s = settings_int(st->settings, "timeout_seconds", 30) + 5 }, rs, e);
out:
	http_headers_free(&extra);
	free(url);
	free(via);
	if (key)
		memset(key, 0, strlen(key));
	free(key);
	aws_ctx_close(&x);
	return rc;
}
