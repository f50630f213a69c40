/*
 * cos.c — COS (Cloud Object Storage) for packages over SCF's inline limit:
 * the artifacts bucket (<name>-<appid>.cos.<region>.myqcloud.com, created
 * when missing), streamed uploads carrying their SHA-256 as metadata, and
 * clean-up.  Requests carry the q-sign-algorithm=sha1 signature (sign_cos.c)
 * over the host, Content-Length/Content-Type and x-cos-* headers; with an
 * endpoint override they are sent there with the real Host.
 */
#include "tencent.h"
#include "sign_cos.h"

#include "../../core/digest.h"
#include "../../core/err.h"
#include "../../core/http_body.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/stagelock.h"
#include "../../core/str.h"
#include "../../core/xml.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cos_req {
	struct tc_ctx *x;
	const char *host;                 /* the real host (signed) */
	const char *key;                  /* object key, "" for the bucket */
	const struct cos_pair *params;    /* query parameters */
	size_t n_params;
};

static int cos_sign(const struct http_request *rq, struct http_headers *extra, void *p,
		    struct herr *e)
{
	struct cos_req *c = p;
	const struct cloud_creds *cr = &c->x->client.cfg.creds;
	size_t n = rq->headers ? rq->headers->n : 0;
	struct cos_pair *h = xcalloc(n + 1, sizeof(*h));
	time_t now = time(NULL);
	char *auth;

	h[0] = (struct cos_pair){ "Host", c->host };
	for (size_t i = 0; i < n; i++)
		h[i + 1] = (struct cos_pair){ rq->headers->v[i].name, rq->headers->v[i].value };
	auth = cos_authorization(&(struct cos_sign_req){
		.method = rq->method, .key = c->key, .params = c->params, .n_params = c->n_params,
		.headers = h, .n_headers = n + 1, .start = now - 60, .end = now + 3600 },
		cr->id, cr->secret);
	http_headers_add(extra, "Authorization", auth);
	if (cr->token)
		http_headers_add(extra, "x-cos-security-token", cr->token);
	free(auth);
	free(h);
	return HOIST_OK;
}

/* COS's <Error><Code>…</Code><Message>…</Message></Error> into e. */
int cos_error(const char *what, const struct http_response *rs, struct herr *e)
{
	json_t *d = rs->body.len ? xml_to_json(rs->body.s, rs->body.len, NULL) : NULL;
	const char *code = json_string_value(json_object_get(d, "Code"));
	const char *msg = json_string_value(json_object_get(d, "Message"));

	herr_set(e, HOIST_FAIL, "COS %s failed: %s%s%s (HTTP %ld)", what, code ? code : "error",
		 msg ? ": " : "", msg ? msg : "", rs->status);
	json_decref(d);
	return HOIST_FAIL;
}

/*
 * One COS request: method on bucket/key with query params and headers,
 * body from `stream`, else the string `mem`, else none; *rs the answer (any
 * status).  Every COS call hoist makes is idempotent (PUT of a whole object,
 * DELETE, reads; a retried forbid-overwrite PUT of the lock marker is told
 * apart by lock.c).  A PUT or DELETE first takes the stage lock's marker
 * (stage_before_write; the marker's own requests pass through).
 */
static int cos_do_host(struct tc_ctx *x, const char *what, const char *method, const char *host,
		       const char *key, const struct cos_pair *params, size_t np,
		       const struct http_headers *headers, const struct http_body *stream,
		       const char *mem, struct http_response *rs, struct herr *e)
{
	char *url, *path, *via;
	struct sbuf q;
	int rc;

	path = digest_pct_encode(key, strlen(key), true);
	sbuf_init(&q);
	for (size_t i = 0; i < np; i++) {
		char *k = digest_pct_encode(params[i].name, strlen(params[i].name), false);
		char *v = digest_pct_encode(params[i].value, strlen(params[i].value), false);

		sbuf_printf(&q, "%s%s=%s", i ? "&" : "?", k, v);
		free(k);
		free(v);
	}
	url = xasprintf("https://%s/%s%s", host, path, q.s ? q.s : "");
	via = tc_endpoint_override(&x->client.cfg, "cos");
	rc = http_do(x->client.http, &(struct http_request){
		.method = method, .url = url, .connect_to = via, .headers = headers,
		.interruptible = !strcmp(method, "GET") || !strcmp(method, "HEAD"),
		.stream = stream, .body = mem, .body_len = mem ? strlen(mem) : 0, .progress = stream ? "upload" : NULL,
		.what = what, .sign = cos_sign,
		.ctx = &(struct cos_req){ x, host, key, params, np } }, rs, e);
	free(via);
	free(url);
	free(path);
	sbuf_free(&q);
	return rc;
}

static int cos_do(struct tc_ctx *x, const char *what, const char *method, const char *bucket,
		  const char *key, const struct cos_pair *params, size_t np,
		  const struct http_headers *headers, const struct http_body *stream,
		  const char *mem, struct http_response *rs, struct herr *e)
{
	const char *appid;
	char *host;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if ((!strcmp(method, "PUT") || !strcmp(method, "DELETE")) &&
	    (rc = stage_before_write(x->st, e)) != HOIST_OK)
		return rc;
	if ((rc = tc_appid(x, &appid, e)) != HOIST_OK)
		return rc;
	host = xasprintf("%s-%s.cos.%s.myqcloud.com", bucket, appid, x->region);
	rc = cos_do_host(x, what, method, host, key, params, np, headers, stream, mem, rs, e);
	free(host);
	return rc;
}

int cos_read(struct tc_ctx *x, const char *bucket_appid, const char *key,
	     const struct http_headers *headers, struct http_response *rs, struct herr *e)
{
	char *host = xasprintf("%s.cos.%s.myqcloud.com", bucket_appid, x->region);
	int rc;

	memset(rs, 0, sizeof(*rs));
	rc = cos_do_host(x, "GetObject", "GET", host, key, NULL, 0, headers, NULL, NULL, rs, e);
	free(host);
	return rc;
}

char *cos_bucket_name(const struct tc_ctx *x)
{
	const char *b = settings_str(x->st->settings, "s3_bucket");

	return b ? xstrdup(b) : xasprintf("hoist-%s", x->region);
}

int cos_bucket_exists(struct tc_ctx *x, const char *bucket, bool *exists, struct herr *e)
{
	struct http_response rs;
	int rc = cos_do(x, "HeadBucket", "HEAD", bucket, "", NULL, 0, NULL, NULL, NULL, &rs, e);

	*exists = !rc && rs.status >= 200 && rs.status < 300;
	if (!rc && !*exists && rs.status != 404 && rs.status != 403)
		rc = cos_error("HeadBucket", &rs, e);
	http_response_free(&rs);
	return rc;
}

char *cos_code_key(const struct tc_ctx *x, const char *sha256_hex)
{
	return xasprintf("%s/%s.zip", x->fn, sha256_hex);
}

int cos_bucket_ensure(struct tc_ctx *x, const char *bucket, struct herr *e)
{
	struct http_response rs;
	int rc = cos_do(x, "HeadBucket", "HEAD", bucket, "", NULL, 0, NULL, NULL, NULL, &rs, e);

	/*
	 * Missing: creating it is a write, so the stage lock comes first — and
	 * its marker, stored in this bucket, may have just created it.
	 */
	if (!rc && rs.status == 404 && stage_lock_pending(x->st)) {
		http_response_free(&rs);
		if ((rc = stage_before_write(x->st, e)) != HOIST_OK)
			return rc;
		rc = cos_do(x, "HeadBucket", "HEAD", bucket, "", NULL, 0, NULL, NULL, NULL, &rs, e);
	}
	if (!rc && rs.status == 404) {
		http_response_free(&rs);
		out_step("Creating COS bucket %s in %s", bucket, x->region);
		rc = cos_do(x, "PutBucket", "PUT", bucket, "", NULL, 0, NULL, NULL, NULL, &rs, e);
		if (!rc && rs.status == 409 && strstr(rs.body.s ? rs.body.s : "", "OwnedByYou"))
			rs.status = 200;
		if (!rc && (rs.status < 200 || rs.status >= 300))
			rc = cos_error("PutBucket", &rs, e);
	} else if (!rc && rs.status == 403) {
		rc = herr_set(e, HOIST_FAIL, "COS bucket %s belongs to another account (HTTP 403)",
			      bucket);
		herr_hint(e, "set s3_bucket to a bucket of yours (its name without -<appid>)");
	} else if (!rc && (rs.status < 200 || rs.status >= 300)) {
		rc = cos_error("HeadBucket", &rs, e);
	}
	http_response_free(&rs);
	return rc;
}

int cos_upload(struct tc_ctx *x, const char *bucket, const char *key, const char *file,
	       const char *sha256_hex, struct herr *e)
{
	struct http_body b = { 0 };
	struct http_headers h = { 0 };
	struct http_response rs = { 0 };
	char len[32];
	int rc = http_body_file(&b, file, 0, 0, e);

	if (!rc) {
		snprintf(len, sizeof(len), "%llu", b.size);
		http_headers_add(&h, "Content-Length", len);
		http_headers_add(&h, "Content-Type", "application/zip");
		http_headers_add(&h, "x-cos-meta-sha256", sha256_hex);
		out_step("Uploading the package to COS (%s/%s)", bucket, key);
		rc = cos_do(x, "PutObject", "PUT", bucket, key, NULL, 0, &h, &b, NULL, &rs, e);
	}
	if (!rc && (rs.status < 200 || rs.status >= 300))
		rc = cos_error("PutObject", &rs, e);
	http_response_free(&rs);
	http_headers_free(&h);
	http_body_free(&b);
	return rc;
}

int cos_delete(struct tc_ctx *x, const char *bucket, const char *key, struct herr *e)
{
	struct http_response rs;
	int rc = cos_do(x, "DeleteObject", "DELETE", bucket, key, NULL, 0, NULL, NULL, NULL, &rs, e);

	if (!rc && rs.status != 404 && (rs.status < 200 || rs.status >= 300))
		rc = cos_error("DeleteObject", &rs, e);
	http_response_free(&rs);
	return rc;
}

int cos_delete_prefix(struct tc_ctx *x, const char *bucket, const char *prefix, int *n,
		      struct herr *e)
{
	char *marker = xstrdup("");
	bool more = true;
	int rc = HOIST_OK;

	*n = 0;
	while (!rc && more) {
		struct cos_pair q[] = { { "prefix", prefix }, { "marker", marker },
					{ "max-keys", "1000" } };
		struct http_response rs;
		json_t *doc = NULL, *list, *o;
		size_t i;

		rc = cos_do(x, "GetBucket", "GET", bucket, "", q, 3, NULL, NULL, NULL, &rs, e);
		if (!rc && rs.status == 404) {
			http_response_free(&rs);
			break;                          /* no bucket: nothing to delete */
		}
		if (!rc && (rs.status < 200 || rs.status >= 300))
			rc = cos_error("GetBucket", &rs, e);
		if (!rc)
			doc = xml_to_json(rs.body.s, rs.body.len, NULL);
		http_response_free(&rs);
		list = xml_list(doc, "Contents");
		json_array_foreach(list, i, o) {
			const char *k = json_string_value(json_object_get(o, "Key"));

			if (rc || !k)
				continue;
			rc = cos_delete(x, bucket, k, e);
			(*n)++;
			free(marker);
			marker = xstrdup(k);
		}
		more = !rc && json_is_string(json_object_get(doc, "IsTruncated")) &&
		       !strcmp(json_string_value(json_object_get(doc, "IsTruncated")), "true");
		json_decref(list);
		json_decref(doc);
	}
	free(marker);
	return rc;
}

/* An HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT") as epoch seconds, -1 if unreadable. */
static long long http_time(const char *v)
{
	struct tm tm = { 0 };
	const char *end = v ? strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;

	return end ? (long long)timegm(&tm) : -1;
}

int cos_get(struct tc_ctx *x, const char *bucket, const char *key, char **body, char **etag,
	    long long *age, struct herr *e)
{
	struct http_response rs;
	int rc = cos_do(x, "GetObject", "GET", bucket, key, NULL, 0, NULL, NULL, NULL, &rs, e);

	*body = *etag = NULL;
	if (age)
		*age = -1;
	if (!rc && rs.status >= 200 && rs.status < 300) {
		const char *t = http_headers_get(&rs.headers, "ETag");
		long long now = http_time(http_headers_get(&rs.headers, "Date"));
		long long then = http_time(http_headers_get(&rs.headers, "Last-Modified"));

		*body = xasprintf("%.*s", (int)rs.body.len, rs.body.s ? rs.body.s : "");
		*etag = xstrdup(t ? t : "");
		if (age && now >= 0 && then >= 0)
			*age = now - then;
	} else if (!rc && rs.status == 403) {
		rc = cos_bucket_ensure(x, bucket, e);   /* names a foreign bucket */
		if (!rc)
			rc = cos_error("GetObject", &rs, e);
	} else if (!rc && rs.status != 404) {   /* 404: NoSuchKey or NoSuchBucket */
		rc = cos_error("GetObject", &rs, e);
	}
	http_response_free(&rs);
	return rc;
}

int cos_put_new(struct tc_ctx *x, const char *bucket, const char *key, const char *body,
		bool *stored, struct herr *e)
{
	struct http_headers h = { 0 };
	struct http_response rs;
	char len[32];
	int rc;

	snprintf(len, sizeof(len), "%zu", strlen(body));
	http_headers_add(&h, "Content-Length", len);
	http_headers_add(&h, "Content-Type", "application/json");
	http_headers_add(&h, "x-cos-forbid-overwrite", "true");
	rc = cos_do(x, "PutObject", "PUT", bucket, key, NULL, 0, &h, NULL, body, &rs, e);
	if (!rc && rs.status == 404) {                  /* NoSuchBucket */
		http_response_free(&rs);
		rc = cos_bucket_ensure(x, bucket, e);
		if (!rc)
			rc = cos_do(x, "PutObject", "PUT", bucket, key, NULL, 0, &h, NULL, body,
				    &rs, e);
	}
	*stored = !rc && rs.status >= 200 && rs.status < 300;
	if (!rc && rs.status == 403) {
		rc = cos_bucket_ensure(x, bucket, e);
		if (!rc)
			rc = cos_error("PutObject", &rs, e);
	} else if (!rc && !*stored && rs.status != 409) {   /* 409 FileAlreadyExists */
		rc = cos_error("PutObject", &rs, e);
	}
	http_response_free(&rs);
	http_headers_free(&h);
	return rc;
}
