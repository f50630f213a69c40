/*
 * s3.c — the stage's artifacts in S3: the bucket (`s3_bucket`, else
 * hoist-<account>-<region>, created when missing with the region's
 * LocationConstraint), uploads streamed from disk (PutObject, multipart in
 * 16 MiB parts above that), the sha256 kept as object metadata so unchanged
 * bundles are not sent again, and clean-up by key prefix.
 */
#include "deploy.h"

#include "../../core/err.h"
#include "../../core/interrupt.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/stagelock.h"
#include "../../core/str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int s3_bucket_name(struct aws_ctx *x, char **bucket, struct herr *e)
{
	const char *b = settings_str(x->st->settings, "s3_bucket"), *acct;
	int rc;

	*bucket = NULL;
	if (b) {
		*bucket = xstrdup(b);
		return HOIST_OK;
	}
	if ((rc = aws_account_id(x, &acct, e)) != HOIST_OK)
		return rc;
	*bucket = xasprintf("hoist-%s-%s", acct, x->region);
	return HOIST_OK;
}

char *s3_slim_key(const struct aws_ctx *x)
{
	return xasprintf("%s/current_project.tar.gz", x->st->function_name);
}

char *s3_zip_key(const struct aws_ctx *x, const char *sha256_hex)
{
	return xasprintf("%s/%.16s.zip", x->st->function_name, sha256_hex);
}

/* "/a/b c" from key "a/b c": each segment escaped, the slashes kept. */
static char *key_path(const char *key)
{
	struct sbuf b;
	const char *p = key;

	sbuf_init(&b);
	for (;;) {
		const char *slash = strchr(p, '/');
		char *seg = xasprintf("%.*s", (int)(slash ? slash - p : (long)strlen(p)), p);
		char *esc = aws_path_escape(seg);

		sbuf_printf(&b, "/%s", esc);
		free(esc);
		free(seg);
		if (!slash)
			break;
		p = slash + 1;
	}
	return sbuf_detach(&b);
}

static int foreign_bucket(struct aws_ctx *x, const char *bucket, const char *why,
			  struct herr *e)
{
	herr_set(e, HOIST_FAIL, "S3 bucket '%s' %s", bucket, why);
	return herr_hint(e, "choose a bucket your account owns with the \"s3_bucket\" setting in %s",
			 x->st->settings_path);
}

/* HeadBucket or CreateBucket found the bucket ours: not asked again in this command. */
static void bucket_ours(struct aws_ctx *x, const char *bucket)
{
	free(x->bucket_ok);
	x->bucket_ok = xstrdup(bucket);
}

int s3_bucket_exists(struct aws_ctx *x, const char *bucket, bool *exists, struct herr *e)
{
	struct aws_call c = { .svc = &aws_s3, .op = "HeadBucket", .method = "HEAD",
			      .bucket = bucket };
	struct aws_result r;
	int rc = aws_do(&x->client, &c, &r, e);

	*exists = !rc;
	if (!rc)
		bucket_ours(x, bucket);
	if (rc && (r.status == 404 || r.status == 403 || r.status == 301)) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	aws_result_free(&r);
	return rc;
}

void s3_bucket_read(struct aws_ctx *x)
{
	struct herr e = { 0 };
	char *bucket = NULL;
	bool exists;

	if (s3_bucket_name(x, &bucket, &e) == HOIST_OK)
		s3_bucket_exists(x, bucket, &exists, &e);
	herr_clear(&e);
	free(bucket);
}

int s3_bucket_ensure(struct aws_ctx *x, const char *bucket, struct herr *e)
{
	struct aws_call c = { .svc = &aws_s3, .op = "HeadBucket", .method = "HEAD",
			      .bucket = bucket };
	struct aws_result r;
	char *body = NULL;
	int rc;

	if (x->bucket_ok && !strcmp(x->bucket_ok, bucket))
		return HOIST_OK;
	rc = aws_do(&x->client, &c, &r, e);
	/*
	 * Missing: creating it is a write, so the stage lock comes first — and
	 * its marker, stored in this bucket, may have just created it.
	 */
	if (rc && r.status == 404 && stage_lock_pending(x->st)) {
		aws_result_free(&r);
		herr_clear(e);
		if ((rc = stage_before_write(x->st, e)) != HOIST_OK)
			return rc;
		rc = aws_do(&x->client, &c, &r, e);
	}
	if (!rc || r.status != 404) {
		if (!rc)
			bucket_ours(x, bucket);
		if (rc && r.status == 403)
			rc = foreign_bucket(x, bucket, "belongs to another AWS account or denies "
					    "this one access (HeadBucket: 403 Forbidden)", e);
		else if (rc && r.status == 301)
			rc = foreign_bucket(x, bucket, "is in another region than the stage", e);
		aws_result_free(&r);
		return rc;
	}
	aws_result_free(&r);
	herr_clear(e);
	out_step("Creating S3 bucket %s", bucket);
	c = (struct aws_call){ .svc = &aws_s3, .op = "CreateBucket", .method = "PUT",
			       .bucket = bucket, .content_type = "application/xml" };
	if (strcmp(x->region, "us-east-1")) {   /* us-east-1 must have none */
		body = xasprintf("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
				 "2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
				 "</CreateBucketConfiguration>", x->region);
		c.body = body;
		c.body_len = strlen(body);
	}
	rc = aws_do(&x->client, &c, &r, e);
	if (rc && aws_error_is(&r, "BucketAlreadyOwnedByYou")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	if (!rc)
		bucket_ours(x, bucket);
	else if (rc && aws_error_is(&r, "BucketAlreadyExists")) {
		rc = foreign_bucket(x, bucket, "already exists in another AWS account "
				    "(CreateBucket: BucketAlreadyExists)", e);
	}
	aws_result_free(&r);
	free(body);
	return rc;
}

static int put_object(struct aws_ctx *x, const char *bucket, const char *key, const char *file,
		      const char *sha, const char *label, struct herr *e)
{
	char *path = key_path(key);
	struct sigv4_header h[] = { { "x-amz-meta-sha256", sha } };
	struct http_body b;
	struct aws_call c = { .svc = &aws_s3, .op = "PutObject", .method = "PUT", .path = path,
			      .bucket = bucket, .stream = &b, .headers = h,
			      .n_headers = sha ? 1 : 0, .progress = label,
			      .content_type = "application/octet-stream" };
	struct aws_result r;
	int rc = http_body_file(&b, file, 0, 0, e);

	if (!rc && sha)   /* the file's own: the payload hash SigV4 signs, without a second read */
		rc = http_body_sha256_known(&b, sha, e);
	if (!rc) {
		rc = aws_do(&x->client, &c, &r, e);
		aws_result_free(&r);
	}
	http_body_free(&b);
	free(path);
	return rc;
}

/* One multipart call; `part` (a streamed file range) or `body` (XML) is its body. */
static int mpu_call(struct aws_ctx *x, const char *op, const char *method, const char *bucket,
		    const char *key, const char *query, struct http_body *part, const char *body,
		    const struct sigv4_header *h, size_t nh, struct aws_result *r, struct herr *e)
{
	char *path = key_path(key);
	struct aws_call c = { .svc = &aws_s3, .op = op, .method = method, .path = path,
			      .bucket = bucket, .query = query, .stream = part, .body = body,
			      .body_len = body ? strlen(body) : 0, .headers = h, .n_headers = nh,
			      .content_type = part || body ? "application/octet-stream" : NULL };
	int rc = aws_do(&x->client, &c, r, e);

	free(path);
	return rc;
}

static void abort_upload(struct aws_ctx *x, const char *bucket, const char *key, const char *id)
{
	struct herr e2 = { 0 };
	struct aws_result r;
	struct sbuf q;

	sbuf_init(&q);
	aws_query_add(&q, "uploadId", id);
	intr_defer(true);   /* also after an interrupt: S3 keeps (and bills) abandoned parts */
	mpu_call(x, "AbortMultipartUpload", "DELETE", bucket, key, q.s, NULL, NULL, NULL, 0, &r,
		 &e2);
	intr_defer(false);
	aws_result_free(&r);
	sbuf_free(&q);
}

/* Upload in AWS_MULTIPART_MIN parts, each streamed from its range of the file. */
static int multipart(struct aws_ctx *x, const char *bucket, const char *key, const char *file,
		     unsigned long long size, const char *sha, struct herr *e)
{
	struct sigv4_header h[] = { { "x-amz-meta-sha256", sha } };
	struct aws_result r;
	struct sbuf q, done;
	char *id = NULL;
	unsigned long long sent = 0;
	int rc, part = 0;

	sbuf_init(&q);
	sbuf_init(&done);
	aws_query_add(&q, "uploads", "");
	rc = mpu_call(x, "CreateMultipartUpload", "POST", bucket, key, q.s, NULL, NULL, h,
		      sha ? 1 : 0, &r, e);
	if (!rc) {
		const char *v = json_string_value(json_object_get(r.data, "UploadId"));

		id = v ? xstrdup(v) : NULL;
		if (!id)
			rc = herr_set(e, HOIST_FAIL, "S3 CreateMultipartUpload: no UploadId");
	}
	aws_result_free(&r);
	if (rc)
		goto out;
	sbuf_adds(&done, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	while (!rc && sent < size) {
		unsigned long long n = size - sent < AWS_MULTIPART_MIN ? size - sent
								      : AWS_MULTIPART_MIN;
		struct http_body b;
		char num[16];
		const char *etag;

		if ((rc = http_body_file(&b, file, sent, n, e)) != HOIST_OK)
			break;
		snprintf(num, sizeof(num), "%d", ++part);
		sbuf_reset(&q);
		aws_query_add(&q, "partNumber", num);
		aws_query_add(&q, "uploadId", id);
		rc = mpu_call(x, "UploadPart", "PUT", bucket, key, q.s, &b, NULL, NULL, 0, &r, e);
		http_body_free(&b);
		etag = http_headers_get(&r.headers, "ETag");
		if (!rc && !etag)
			rc = herr_set(e, HOIST_FAIL, "S3 UploadPart %d: no ETag", part);
		if (!rc)
			sbuf_printf(&done, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
				    part, etag);
		aws_result_free(&r);
		sent += n;
		out_progress(key, sent, size);
	}
	out_progress_end();
	if (!rc) {
		sbuf_adds(&done, "</CompleteMultipartUpload>");
		sbuf_reset(&q);
		aws_query_add(&q, "uploadId", id);
		rc = mpu_call(x, "CompleteMultipartUpload", "POST", bucket, key, q.s, NULL, done.s,
			      NULL, 0, &r, e);
		aws_result_free(&r);
	}
	if (rc)
		abort_upload(x, bucket, key, id);
out:
	free(id);
	sbuf_free(&q);
	sbuf_free(&done);
	return rc;
}

int s3_upload(struct aws_ctx *x, const char *bucket, const char *key, const char *file,
	      unsigned long long size, const char *sha256_hex, struct herr *e)
{
	char sz[32];
	int rc;

	out_step("Uploading %s to s3://%s/%s (%s)", path_base(file), bucket, key,
		 str_size(size, sz, sizeof(sz)));
	if (size > AWS_MULTIPART_MIN)
		rc = multipart(x, bucket, key, file, size, sha256_hex, e);
	else
		rc = put_object(x, bucket, key, file, sha256_hex, key, e);
	if (rc)
		herr_hint(e, "nothing was changed on the function; run the command again");
	return rc;
}

int s3_object_sha(struct aws_ctx *x, const char *bucket, const char *key, char **sha,
		  struct herr *e)
{
	char *path = key_path(key);
	struct aws_call c = { .svc = &aws_s3, .op = "HeadObject", .method = "HEAD", .path = path,
			      .bucket = bucket };
	struct aws_result r;
	int rc = aws_do(&x->client, &c, &r, e);
	const char *v;

	*sha = NULL;
	if (rc && (r.status == 404 || r.status == 403)) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc && (v = http_headers_get(&r.headers, "x-amz-meta-sha256"))) {
		*sha = xstrdup(v);
	}
	aws_result_free(&r);
	free(path);
	return rc;
}

int s3_get(struct aws_ctx *x, const char *bucket, const char *key, size_t max, char **data,
	   size_t *len, long *status, char **region, struct herr *e)
{
	char *path = key_path(key), range[48];
	struct sigv4_header h = { "Range", range };
	struct aws_call c = { .svc = &aws_s3, .op = "GetObject", .method = "GET", .path = path,
			      .bucket = bucket, .keep_body = true, .headers = &h, .n_headers = 1 };
	struct aws_result r;
	const char *other;
	int rc;

	snprintf(range, sizeof(range), "bytes=0-%zu", max);   /* max + 1 bytes: "too big" */
	rc = aws_do(&x->client, &c, &r, e);
	*status = r.status;
	other = http_headers_get(&r.headers, "x-amz-bucket-region");
	*region = rc && other ? xstrdup(other) : NULL;
	*data = NULL;
	*len = 0;
	if (!rc) {
		*data = r.body ? r.body : xstrdup("");
		*len = r.body_len;
		r.body = NULL;
	}
	aws_result_free(&r);
	free(path);
	return rc;
}

int s3_delete(struct aws_ctx *x, const char *bucket, const char *key, struct herr *e)
{
	char *path = key_path(key);
	struct aws_call c = { .svc = &aws_s3, .op = "DeleteObject", .method = "DELETE",
			      .path = path, .bucket = bucket };
	struct aws_result r;
	int rc = aws_do(&x->client, &c, &r, e);

	if (rc && (r.status == 404)) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	aws_result_free(&r);
	free(path);
	return rc;
}

int s3_delete_prefix(struct aws_ctx *x, const char *bucket, const char *prefix, int *n,
		     struct herr *e)
{
	struct sbuf q;
	struct aws_call c = { .svc = &aws_s3, .op = "ListObjectsV2", .method = "GET",
			      .bucket = bucket };
	struct aws_result r;
	json_t *items, *it;
	size_t i;
	int rc;

	*n = 0;
	sbuf_init(&q);
	aws_query_add(&q, "list-type", "2");
	aws_query_add(&q, "prefix", prefix);
	c.query = q.s;
	rc = aws_do(&x->client, &c, &r, e);
	sbuf_free(&q);
	if (rc) {
		if (r.status == 404) {
			herr_clear(e);
			rc = HOIST_OK;
		}
		aws_result_free(&r);
		return rc;
	}
	items = xml_list(r.data, "Contents");
	json_array_foreach(items, i, it) {
		const char *key = json_string_value(json_object_get(it, "Key"));

		if (!key || rc)
			continue;
		rc = s3_delete(x, bucket, key, e);
		if (!rc)
			++*n;
	}
	json_decref(items);
	aws_result_free(&r);
	return rc;
}
