/*
 * lock.c — the stage lock's marker on AWS (provider.h, core/stagelock.h):
 * the object hoist-locks/<region>/<function>.json in the stage's artifacts
 * bucket, written with S3's conditional requests so two runners cannot both
 * hold it: PutObject with If-None-Match: * to take a free lock, with
 * If-Match: <ETag> to take over a stale one, DeleteObject with If-Match to
 * release only our own.
 */
#include "deploy.h"

#include "../../core/err.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

struct marker_at {
	struct aws_ctx x;
	char *bucket;
	char *path;      /* wire path of the object */
};

static int marker_open(struct marker_at *m, const struct stage *st, struct herr *e)
{
	char *fn;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = aws_ctx_open(&m->x, st, e)) != HOIST_OK)
		return rc;
	rc = s3_bucket_name(&m->x, &m->bucket, e);
	fn = aws_path_escape(st->function_name);
	m->path = xasprintf("/hoist-locks/%s/%s.json", m->x.region, fn);
	free(fn);
	return rc;
}

static void marker_close(struct marker_at *m)
{
	free(m->bucket);
	free(m->path);
	aws_ctx_close(&m->x);
}

/*
 * S3 refused (403) or redirected (301): the bucket is someone else's or in
 * another region — s3_bucket_ensure says which, naming the s3_bucket setting.
 */
static int denied(struct marker_at *m, int rc, long status, struct herr *e)
{
	if (rc && (status == 403 || status == 301)) {
		struct herr e2 = { 0 };

		if (s3_bucket_ensure(&m->x, m->bucket, &e2) != HOIST_OK) {
			*e = e2;
			return e2.code;
		}
	}
	return rc;
}

/* The stored marker (*body, *etag allocated) or both NULL when there is none. */
static int marker_get(struct marker_at *m, char **body, char **etag, struct herr *e)
{
	struct aws_call c = { .svc = &aws_s3, .op = "GetObject", .method = "GET",
			      .path = m->path, .bucket = m->bucket };
	struct aws_result r;
	int rc = aws_do(&m->x.client, &c, &r, e);

	*body = *etag = NULL;
	if (rc && r.status == 404) {   /* NoSuchKey, or NoSuchBucket */
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc) {
		const char *t = http_headers_get(&r.headers, "ETag");

		/* The body came back parsed; our markers are compact, sorted-key JSON. */
		*body = json_is_string(r.data) ? xstrdup(json_string_value(r.data))
					       : json_dumps(r.data, JSON_COMPACT | JSON_SORT_KEYS);
		*etag = xstrdup(t ? t : "");
	}
	rc = denied(m, rc, r.status, e);
	aws_result_free(&r);
	return rc;
}

/*
 * PutObject `mark` on a condition: If-None-Match: * (etag NULL) or
 * If-Match: etag.  *stored false when the condition failed.
 */
static int marker_put(struct marker_at *m, const char *mark, const char *etag, bool *stored,
		      struct herr *e)
{
	struct sigv4_header h[] = { { etag ? "If-Match" : "If-None-Match", etag ? etag : "*" } };
	struct aws_call c = { .svc = &aws_s3, .op = "PutObject", .method = "PUT",
			      .path = m->path, .bucket = m->bucket, .body = mark,
			      .body_len = strlen(mark), .content_type = "application/json",
			      .headers = h, .n_headers = 1 };
	struct aws_result r;
	int rc = aws_do(&m->x.client, &c, &r, e);

	*stored = !rc;
	if (rc && aws_error_is(&r, "NoSuchBucket")) {
		aws_result_free(&r);
		herr_clear(e);
		rc = s3_bucket_ensure(&m->x, m->bucket, e);
		if (!rc)
			rc = aws_do(&m->x.client, &c, &r, e);
		*stored = !rc;
	}
	/* 412: the condition failed; 409: a concurrent conditional write won; 404: If-Match on a gone key. */
	if (rc && (r.status == 412 || r.status == 409 || (etag && r.status == 404))) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	rc = denied(m, rc, r.status, e);
	aws_result_free(&r);
	return rc;
}

int aws_lock_put(const struct stage *st, const char *mark, const char *replace, char **held,
		 struct herr *e)
{
	struct marker_at m;
	char *body = NULL, *etag = NULL;
	bool stored = false;
	int rc;

	*held = NULL;
	rc = marker_open(&m, st, e);
	if (!rc && replace) {
		rc = marker_get(&m, &body, &etag, e);
		if (!rc && (!body || strcmp(body, replace))) {
			*held = body ? body : xstrdup("");
			body = NULL;
			goto out;
		}
	}
	if (!rc)
		rc = marker_put(&m, mark, etag, &stored, e);
	if (!rc && !stored) {
		free(body);
		free(etag);
		rc = marker_get(&m, &body, &etag, e);
		if (!rc) {
			*held = body ? body : xstrdup("");
			body = NULL;
		}
	}
out:
	free(body);
	free(etag);
	marker_close(&m);
	return rc;
}

int aws_lock_get(const struct stage *st, char **held, struct herr *e)
{
	struct marker_at m;
	char *etag = NULL;
	int rc;

	*held = NULL;
	rc = marker_open(&m, st, e);
	if (!rc)
		rc = marker_get(&m, held, &etag, e);   /* no bucket: no marker */
	free(etag);
	marker_close(&m);
	return rc;
}

int aws_lock_delete(const struct stage *st, const char *mark, struct herr *e)
{
	struct marker_at m;
	char *body = NULL, *etag = NULL;
	struct aws_result r;
	int rc;

	rc = marker_open(&m, st, e);
	if (!rc)
		rc = marker_get(&m, &body, &etag, e);
	if (!rc && body && !strcmp(body, mark)) {
		struct sigv4_header h[] = { { "If-Match", etag } };
		struct aws_call c = { .svc = &aws_s3, .op = "DeleteObject", .method = "DELETE",
				      .path = m.path, .bucket = m.bucket, .headers = h,
				      .n_headers = 1 };

		rc = aws_do(&m.x.client, &c, &r, e);
		if (rc && (r.status == 412 || r.status == 404)) {   /* no longer ours */
			herr_clear(e);
			rc = HOIST_OK;
		}
		aws_result_free(&r);
	}
	free(body);
	free(etag);
	marker_close(&m);
	return rc;
}
