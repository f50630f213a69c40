/*
 * tasks.c — Zappa's remote_env and asynchronous tasks on Alibaba Cloud
 * (the handler's side is templates/python/hoist_tasks.py and hoist_aliyun.py):
 *
 *   remote_env oss://bucket/key   read by the handler at cold start with the
 *                                 function's role; checked here before
 *                                 anything changes (exists, a JSON object of
 *                                 strings: exit 2 otherwise);
 *   tasks                         FC InvokeFunction with
 *                                 x-fc-invocation-type Async, sent by the
 *                                 function itself;
 *   async_response_table          one object per response id,
 *                                 <function>/async-responses/<table>/<id>.json
 *                                 in the stage's bucket (s3_bucket, else
 *                                 hoist-<account>-<region>); async_resources
 *                                 makes the bucket at deploy, and undeploy's
 *                                 artifact cleanup of "<function>/" removes
 *                                 the responses.
 *
 * The function calls OSS and FC itself, which FC's service-linked role
 * (ops.c, function_role) does not allow: with remote_env or
 * async_response_table set, role_arn must name a role that does, else exit
 * 2 naming what it must grant.
 */
#include "aliyun.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/remote_env.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int need_role(struct ali_ctx *x, const char *remote, const char *table, struct herr *e)
{
	char *bucket = NULL;
	int rc;

	if (settings_str(x->st->settings, "role_arn"))
		return HOIST_OK;
	if ((rc = oss_bucket_name(x, &bucket, e)))
		return rc;
	herr_set(e, HOIST_USAGE, "%s needs the function to call %s itself, which Function "
		 "Compute's service-linked role does not allow; set role_arn to a RAM role FC can "
		 "assume", remote ? "remote_env" : "async_response_table",
		 remote ? "OSS" : "OSS and Function Compute");
	if (remote)
		herr_hint(e, "grant it oss:GetObject on %s", remote);
	if (table)
		herr_hint(e, "grant it oss:GetObject and oss:PutObject on oss://%s/%s/async-responses/"
			  "*, and fc:InvokeFunction on %s (asynchronous tasks)", bucket,
			  x->st->function_name, x->st->function_name);
	free(bucket);
	return HOIST_USAGE;
}

static int remote_env_oss(struct ali_ctx *x, const char *url, struct herr *e)
{
	char *bucket = xasprintf("%.*s", (int)strcspn(url + 6, "/"), url + 6), range[48];
	const char *key = url + 6 + strlen(bucket) + 1;
	const struct ali_kv h[] = { { "range", range } };
	struct ali_call c = { .svc = &ali_oss, .action = "GetObject", .method = "GET",
			      .bucket = bucket, .key = key, .headers = h, .n_headers = 1 };
	struct ali_result r;
	int rc;

	snprintf(range, sizeof(range), "bytes=0-%d", REMOTE_ENV_MAX);
	out_info("Checking remote_env %s", url);
	rc = ali_do(&x->client, &c, &r, e);
	if (rc && r.status >= 400 && r.status < 500)
		rc = remote_env_unreadable(x->st, url, x->region, e);
	else if (!rc)
		rc = remote_env_check(url, r.raw.s ? r.raw.s : "", r.raw.len, e);
	ali_result_free(&r);
	free(bucket);
	return rc;
}

int ali_tasks_check(struct ali_ctx *x, struct herr *e)
{
	const char *remote = settings_str(x->st->settings, "remote_env");
	const char *table = settings_str(x->st->settings, "async_response_table");
	int rc = HOIST_OK;

	if (remote || table)
		rc = need_role(x, remote, table, e);
	if (!rc && remote)
		rc = remote_env_oss(x, remote, e);
	return rc;
}

int ali_tasks_ensure(struct ali_ctx *x, struct herr *e)
{
	char *bucket = NULL;
	int rc;

	if (!settings_str(x->st->settings, "async_response_table") ||
	    !settings_bool(x->st->settings, "async_resources", true))
		return HOIST_OK;
	rc = oss_bucket_name(x, &bucket, e);
	if (!rc)
		rc = oss_bucket_ensure(x, bucket, e);
	if (!rc)
		out_info("task responses go to oss://%s/%s/async-responses/%s/", bucket,
			 x->st->function_name, settings_str(x->st->settings, "async_response_table"));
	free(bucket);
	return rc;
}
