/*
 * lock.c — the stage lock's marker on Alibaba Cloud (provider.h,
 * core/stagelock.h): the object hoist-locks/<region>/<function>.json in the
 * stage's OSS artifacts bucket (created when missing).
 *
 * Taking a free lock is atomic: PutObject with x-oss-forbid-overwrite: true
 * fails with 409 FileAlreadyExists when a marker is there.  OSS has no
 * conditional overwrite or delete, so taking over a stale marker is
 * read — compare with `replace` — delete — put with forbid-overwrite (of two
 * runners taking over the same stale marker only one put succeeds; the
 * window in which a runner could delete a marker written a moment earlier
 * by another is that of one DeleteObject), and releasing is read — compare
 * with our marker — delete.
 */
#include "aliyun.h"

#include "../../core/err.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

struct marker_at {
	struct ali_ctx x;
	char *bucket;
	char *key;
};

static int marker_open(struct marker_at *m, const struct stage *st, struct herr *e)
{
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = ali_ctx_open(&m->x, st, e)) != HOIST_OK)
		return rc;
	m->key = xasprintf("hoist-locks/%s/%s.json", m->x.region, st->function_name);
	return oss_bucket_name(&m->x, &m->bucket, e);
}

static void marker_close(struct marker_at *m)
{
	free(m->bucket);
	free(m->key);
	ali_ctx_close(&m->x);
}

/* The stored marker (allocated) or NULL when there is none. */
static int marker_get(struct marker_at *m, char **body, struct herr *e)
{
	struct ali_call c = { .svc = &ali_oss, .action = "GetObject", .method = "GET",
			      .bucket = m->bucket, .key = m->key };
	struct ali_result r;
	int rc = ali_do(&m->x.client, &c, &r, e);

	*body = NULL;
	if (rc && (ali_error_is(&r, "NoSuchKey") || ali_error_is(&r, "NoSuchBucket"))) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc) {
		*body = xasprintf("%.*s", (int)r.raw.len, r.raw.s ? r.raw.s : "");
	}
	ali_result_free(&r);
	return rc;
}

/* PutObject with x-oss-forbid-overwrite; *stored false when a marker was there. */
static int marker_put(struct marker_at *m, const char *mark, bool *stored, struct herr *e)
{
	const struct ali_kv h[] = { { "x-oss-forbid-overwrite", "true" } };
	struct ali_call c = { .svc = &ali_oss, .action = "PutObject", .method = "PUT",
			      .bucket = m->bucket, .key = m->key, .body = mark,
			      .body_len = strlen(mark), .content_type = "application/json",
			      .headers = h, .n_headers = 1 };
	struct ali_result r;
	int rc = ali_do(&m->x.client, &c, &r, e);

	if (rc && ali_error_is(&r, "NoSuchBucket")) {
		ali_result_free(&r);
		herr_clear(e);
		if ((rc = oss_bucket_ensure(&m->x, m->bucket, e)) == HOIST_OK)
			rc = ali_do(&m->x.client, &c, &r, e);
	}
	*stored = !rc;
	if (rc && ali_error_is(&r, "FileAlreadyExists")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	ali_result_free(&r);
	return rc;
}

int ali_lock_put(const struct stage *st, const char *mark, const char *replace, char **held,
		 struct herr *e)
{
	struct marker_at m;
	char *body = NULL;
	bool stored = false;
	int rc;

	*held = NULL;
	rc = marker_open(&m, st, e);
	if (!rc && replace) {
		rc = marker_get(&m, &body, e);
		if (!rc && (!body || strcmp(body, replace))) {
			*held = body ? body : xstrdup("");
			body = NULL;
			goto out;
		}
		if (!rc)
			rc = oss_delete(&m.x, m.bucket, m.key, e);
	}
	if (!rc)
		rc = marker_put(&m, mark, &stored, e);
	if (!rc && !stored) {
		free(body);
		rc = marker_get(&m, &body, e);
		if (!rc) {
			*held = body ? body : xstrdup("");
			body = NULL;
		}
	}
out:
	free(body);
	marker_close(&m);
	return rc;
}

int ali_lock_get(const struct stage *st, char **held, struct herr *e)
{
	struct marker_at m;
	int rc = marker_open(&m, st, e);

	*held = NULL;
	if (!rc)
		rc = marker_get(&m, held, e);   /* no bucket: no marker */
	marker_close(&m);
	return rc;
}

int ali_lock_delete(const struct stage *st, const char *mark, struct herr *e)
{
	struct marker_at m;
	char *body = NULL;
	int rc = marker_open(&m, st, e);

	if (!rc)
		rc = marker_get(&m, &body, e);
	if (!rc && body && !strcmp(body, mark))
		rc = oss_delete(&m.x, m.bucket, m.key, e);
	free(body);
	marker_close(&m);
	return rc;
}
