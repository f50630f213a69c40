/*
 * request.c — `hoist request` on Alibaba Cloud: one HTTP request to the
 * stage's HTTP trigger URL (an API Gateway stage: apigw_request.c).  When the trigger's authType is "function"
 * (iam_authorization), the request carries the ACS3-HMAC-SHA256 signature
 * FC's gateway checks, made the way Alibaba's SDKs make it for HTTP
 * triggers (seed 003; openapi-util getAuthorization): the URL's path and
 * decoded query, the x-acs-date header (and x-acs-security-token with STS
 * credentials) — the only headers signed — and an empty payload.  With
 * ALIBABA_CLOUD_ENDPOINT_URL_FC (or ALIBABA_CLOUD_ENDPOINT_URL) the request
 * goes there, Host and signature unchanged.
 */
#include "apigw.h"

#include "../request.h"
#include "../../core/digest.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "a=1&b=x%20y" → decoded pairs (first value of a repeated key, as the SDK's map keeps). */
static struct ali_kv *query_pairs(char *q, size_t *n)
{
	struct ali_kv *v = xcalloc(strlen(q) / 2 + 2, sizeof(*v));
	char *save = NULL;

	*n = 0;
	for (char *p = strtok_r(q, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '='), *k, *val;
		bool dup = false;

		if (eq)
			*eq = '\0';
		k = digest_pct_decode(p, strlen(p), true);
		val = digest_pct_decode(eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0, true);
		for (size_t i = 0; i < *n; i++)
			dup |= !strcmp(v[i].name, k);
		if (dup) {
			free(k);
			free(val);
			continue;
		}
		v[*n].name = k;
		v[(*n)++].value = val;
	}
	return v;
}

static int sign_request(const struct http_request *rq, struct http_headers *extra, void *p,
			struct herr *e)
{
	const struct ali_ctx *x = p;
	const struct cloud_creds *cr = &x->client.cfg.creds;
	char *auth = NULL, *pq = NULL, *q, date[21];
	struct ali_kv hdr[2], *qv;
	struct acs3_out o;
	size_t nq = 0, nh = 0;
	int rc;

	if ((rc = http_url_split(rq->url, &auth, &pq, e)))
		return rc;
	q = strchr(pq, '?');
	if (q)
		*q++ = '\0';
	qv = query_pairs(q ? q : (char *)"", &nq);
	acs3_date((long long)time(NULL), date);
	hdr[nh++] = (struct ali_kv){ "x-acs-date", date };
	if (cr->token)
		hdr[nh++] = (struct ali_kv){ "x-acs-security-token", cr->token };
	rc = acs3_sign(&(struct acs3_req){ .method = rq->method, .pathname = pq, .query = qv,
					   .n_query = nq, .headers = hdr, .n_headers = nh,
					   .payload_hash = "" }, cr->id, cr->secret, &o);
	for (size_t i = 0; i < nq; i++) {
		free((char *)qv[i].name);
		free((char *)qv[i].value);
	}
	free(qv);
	free(auth);
	free(pq);
	if (rc)
		return herr_set(e, HOIST_FAIL, "cannot sign the request (no credentials?)");
	http_headers_set(extra, "x-acs-date", date);
	if (cr->token)
		http_headers_set(extra, "x-acs-security-token", cr->token);
	http_headers_set(extra, "Authorization", o.authorization);
	acs3_out_free(&o);
	return HOIST_OK;
}

int ali_request(const struct stage *st, const struct request_args *a, struct http_response *rs,
		struct herr *e)
{
	struct ali_ctx x;
	char *url = NULL, *via = NULL;
	bool signed_auth = false;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (a->app_code && !ali_apigw_wanted(st))
		return herr_set(e, HOIST_USAGE, "--app-code is for Alibaba API Gateway stages "
				"(apigateway_enabled); stage %s is served by a Function Compute "
				"HTTP trigger", st->name);
	if ((rc = ali_ctx_open(&x, st, e)))
		return rc;
	if (ali_apigw_wanted(st)) {
		rc = ali_apigw_request(&x, a, rs, e);
		goto out;
	}
	rc = ali_frontdoor_url(&x, &url, &signed_auth, e);
	if (!rc && !url) {
		rc = herr_set(e, HOIST_FAIL, "stage %s has no live URL", st->name);
		herr_hint(e, "'hoist deploy %s' creates it (apigateway_enabled false means none)",
			  st->name);
	}
	if (rc)
		goto out;
	via = ali_connect_to(&x.client, &ali_trigger);
	out_info("%s %s%s", a->method ? a->method : "GET", url,
		 signed_auth ? " (ACS3-signed for the function-auth trigger)" : "");
	rc = request_send(a, &(struct request_how){ .base_url = url, .connect_to = via,
		.sign = signed_auth ? sign_request : NULL, .ctx = &x,
		.timeout_s = settings_int(st->settings, "timeout_seconds", 30) + 5 }, rs, e);
out:
	free(url);
	free(via);
	ali_ctx_close(&x);
	return rc;
}
