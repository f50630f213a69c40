/*
 * oss.c — Object Storage Service for code too large to send inline: the
 * artifacts bucket (the s3_bucket setting, else hoist-<account>-<region>,
 * created private and Standard in the function's region — FC reads code
 * from a bucket of its own region), the zip uploaded under "<function>/",
 * and cleaning up after undeploy.  Every request is OSS4-signed (ali_call.c).
 */
#include "aliyun.h"

#include "../../core/digest.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"
#include "../../core/xml.h"

#include <stdlib.h>
#include <string.h>

int oss_bucket_name(struct ali_ctx *x, char **bucket, struct herr *e)
{
	const char *b = settings_str(x->st->settings, "s3_bucket"), *acct;
	int rc;

	*bucket = NULL;
	if (b) {
		*bucket = xstrdup(b);
		return HOIST_OK;
	}
	if ((rc = ali_account_id(x, &acct, e)) != HOIST_OK)
		return rc;
	*bucket = xasprintf("hoist-%s-%s", acct, x->region);
	return HOIST_OK;
}

static int oss_do(struct ali_ctx *x, struct ali_call *c, struct ali_result *r, struct herr *e)
{
	c->svc = &ali_oss;
	return ali_do(&x->client, c, r, e);
}

int oss_bucket_exists(struct ali_ctx *x, const char *bucket, bool *exists, struct herr *e)
{
	json_t *q = json_pack("{s:n}", "bucketInfo");
	struct ali_call c = { .action = "GetBucketInfo", .method = "GET", .bucket = bucket,
			      .query = q };
	struct ali_result r;
	int rc = oss_do(x, &c, &r, e);

	*exists = rc == HOIST_OK;
	if (rc && (ali_error_is(&r, "NoSuchBucket") || ali_error_is(&r, "AccessDenied"))) {
		if (ali_error_is(&r, "AccessDenied"))
			out_info("OSS bucket %s belongs to someone else", bucket);
		herr_clear(e);
		rc = HOIST_OK;
	}
	ali_result_free(&r);
	json_decref(q);
	return rc;
}

int oss_bucket_ensure(struct ali_ctx *x, const char *bucket, struct herr *e)
{
	static const char conf[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<CreateBucketConfiguration><StorageClass>Standard</StorageClass>"
		"</CreateBucketConfiguration>";
	const struct ali_kv acl[] = { { "x-oss-acl", "private" } };
	struct ali_call c = { .action = "PutBucket", .method = "PUT", .bucket = bucket,
			      .body = conf, .body_len = sizeof(conf) - 1,
			      .content_type = "application/xml", .headers = acl, .n_headers = 1 };
	struct ali_result r;
	bool exists;
	int rc;

	if ((rc = oss_bucket_exists(x, bucket, &exists, e)) || exists)
		return rc;
	out_step("Creating OSS bucket %s in %s", bucket, x->region);
	rc = oss_do(x, &c, &r, e);
	if (rc && (ali_error_is(&r, "BucketAlreadyExists") || ali_error_is(&r, "AccessDenied"))) {
		herr_hint(e, "the OSS bucket name %s is taken by another account; set s3_bucket to "
			  "a bucket of yours in %s", bucket, x->region);
	}
	ali_result_free(&r);
	return rc;
}

int oss_put_file(struct ali_ctx *x, const char *bucket, const char *key, const char *file,
		 unsigned long long size, struct herr *e)
{
	char sz[32];
	struct ali_call c = { .action = "PutObject", .method = "PUT", .bucket = bucket, .key = key,
			      .body_file = file, .content_type = "application/zip",
			      .progress = "uploading", .timeout_s = 3600 };
	struct ali_result r;
	int rc;

	out_step("Uploading %s to oss://%s/%s", str_size(size, sz, sizeof(sz)), bucket, key);
	rc = oss_do(x, &c, &r, e);
	ali_result_free(&r);
	return rc;
}

char *oss_code_key(const struct ali_ctx *x, const char *crc)
{
	return xasprintf("%s/code-%s.zip", x->st->function_name, crc);
}

int oss_delete(struct ali_ctx *x, const char *bucket, const char *key, struct herr *e)
{
	struct ali_call c = { .action = "DeleteObject", .method = "DELETE", .bucket = bucket,
			      .key = key };
	struct ali_result r;
	int rc = oss_do(x, &c, &r, e);

	if (rc && ali_error_is(&r, "NoSuchKey")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	ali_result_free(&r);
	return rc;
}

/* One page of keys under prefix (ListObjectsV2); *keys new reference, *next allocated or NULL. */
static int list_page(struct ali_ctx *x, const char *bucket, const char *prefix, const char *token,
		     json_t **keys, char **next, struct herr *e)
{
	json_t *q = json_pack("{s:s, s:s, s:s}", "list-type", "2", "prefix", prefix, "max-keys",
			      "1000"), *contents, *o;
	struct ali_call c = { .action = "ListObjectsV2", .method = "GET", .bucket = bucket,
			      .query = q };
	struct ali_result r;
	size_t i;
	int rc;

	if (token)
		json_object_set_new(q, "continuation-token", json_string(token));
	*keys = json_array();
	*next = NULL;
	rc = oss_do(x, &c, &r, e);
	if (!rc) {
		const char *t = json_string_value(json_object_get(r.data, "NextContinuationToken"));

		contents = xml_list(r.data, "Contents");
		json_array_foreach(contents, i, o)
			if (json_string_value(json_object_get(o, "Key")))
				json_array_append(*keys, json_object_get(o, "Key"));
		json_decref(contents);
		if (t && *t && !strcmp(json_string_value(json_object_get(r.data, "IsTruncated")) ?: "",
				      "true"))
			*next = xstrdup(t);
	}
	ali_result_free(&r);
	json_decref(q);
	return rc;
}

static char *xml_escape(const char *s)
{
	struct sbuf b;

	sbuf_init(&b);
	for (; *s; s++) {
		switch (*s) {
		case '&': sbuf_adds(&b, "&amp;"); break;
		case '<': sbuf_adds(&b, "&lt;"); break;
		case '>': sbuf_adds(&b, "&gt;"); break;
		default: sbuf_addc(&b, *s);
		}
	}
	return sbuf_detach(&b);
}

/* DeleteMultipleObjects for one page of keys (quiet). */
static int delete_keys(struct ali_ctx *x, const char *bucket, const json_t *keys, struct herr *e)
{
	struct sbuf b;
	json_t *q = json_pack("{s:n}", "delete"), *k;
	unsigned char md[16];
	char *md5;
	size_t i;
	int rc;

	sbuf_init(&b);
	sbuf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet>");
	json_array_foreach(keys, i, k) {
		char *esc = xml_escape(json_string_value(k));

		sbuf_printf(&b, "<Object><Key>%s</Key></Object>", esc);
		free(esc);
	}
	sbuf_adds(&b, "</Delete>");
	digest_md5(b.s, b.len, md);
	md5 = digest_base64(md, 16);
	{
		const struct ali_kv h[] = { { "Content-MD5", md5 } };
		struct ali_call c = { .action = "DeleteMultipleObjects", .method = "POST",
				      .bucket = bucket, .query = q, .body = b.s, .body_len = b.len,
				      .content_type = "application/xml", .headers = h,
				      .n_headers = 1 };
		struct ali_result r;

		rc = oss_do(x, &c, &r, e);
		ali_result_free(&r);
	}
	free(md5);
	sbuf_free(&b);
	json_decref(q);
	return rc;
}

int oss_delete_prefix(struct ali_ctx *x, const char *bucket, const char *prefix, int *n,
		      struct herr *e)
{
	char *token = NULL, *next = NULL;
	json_t *keys = NULL;
	int rc;

	*n = 0;
	do {
		rc = list_page(x, bucket, prefix, token, &keys, &next, e);
		if (!rc && json_array_size(keys))
			rc = delete_keys(x, bucket, keys, e);
		if (!rc)
			*n += (int)json_array_size(keys);
		json_decref(keys);
		free(token);
		token = next;
	} while (!rc && token);
	free(token);
	return rc;
}
