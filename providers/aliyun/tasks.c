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
 * async_response_table set and no role_arn, hoist makes the function a RAM
 * role (ram.c, hoist-fc-<function>, trusted by fc.aliyuncs.com) whose one
 * policy grants exactly: oss:GetObject on the remote_env object,
 * oss:GetObject and oss:PutObject under the stage's response prefix,
 * fc:InvokeFunction on the function itself (any qualifier: @task), and
 * log:PostLogStoreLogs on the stage's logstore (a function with its own
 * role delivers its logs with it).  manage_roles false instead: exit 2
 * naming what role_arn must grant.
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
#include <strings.h>

static int need_role(struct ali_ctx *x, const char *remote, const char *table, struct herr *e)
{
	char *bucket = NULL;
	int rc;

	if (settings_str(x->st->settings, "role_arn") ||
	    settings_bool(x->st->settings, "manage_roles", true))
		return HOIST_OK;
	if ((rc = oss_bucket_name(x, &bucket, e)))
		return rc;
	herr_set(e, HOIST_USAGE, "%s needs the function to call %s itself, which Function "
		 "Compute's service-linked role does not allow, and manage_roles is false; set "
		 "role_arn to a RAM role FC can assume", remote ? "remote_env" :
		 "async_response_table", remote ? "OSS" : "OSS and Function Compute");
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

static json_t *grant(json_t *actions, json_t *resources)
{
	return json_pack("{s:s, s:o, s:o}", "Effect", "Allow", "Action", actions, "Resource",
			 resources);
}

/* The policy of the role hoist makes: exactly what the function calls itself. */
static int role_doc(struct ali_ctx *x, const char *remote, const char *table, char **doc,
		    struct herr *e)
{
	const char *acct, *fn = x->st->function_name;
	char *bucket = NULL, *project = NULL, *logstore = NULL, *a;
	json_t *st = json_array(), *d;
	int rc = ali_account_id(x, &acct, e);

	*doc = NULL;
	if (!rc && table)
		rc = oss_bucket_name(x, &bucket, e);
	if (!rc)
		rc = sls_names(x, &project, &logstore, e);
	if (rc)
		goto out;
	a = xasprintf("acs:fc:%s:%s:functions/%s", x->region, acct, fn);
	json_array_append_new(st, grant(json_pack("[s]", "fc:InvokeFunction"),
					 json_pack("[s, s+]", a, a, "/*")));
	free(a);
	if (remote)   /* oss://bucket/key */
		json_array_append_new(st, grant(json_pack("[s]", "oss:GetObject"),
						 json_pack("[s+]", "acs:oss:*:*:", remote + 6)));
	if (table)
		json_array_append_new(st, grant(json_pack("[s, s]", "oss:GetObject",
							  "oss:PutObject"),
						 json_pack("[s++++++]", "acs:oss:*:*:", bucket, "/",
							   fn, "/async-responses/", table, "/*")));
	a = xasprintf("acs:log:%s:%s:project/%s/logstore/%s", x->region, acct, project, logstore);
	json_array_append_new(st, grant(json_pack("[s]", "log:PostLogStoreLogs"),
					 json_pack("[s]", a)));
	free(a);
	d = json_pack("{s:s, s:O}", "Version", "1", "Statement", st);
	*doc = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
out:
	json_decref(st);
	free(bucket);
	free(project);
	free(logstore);
	return rc;
}

int ali_tasks_role(struct ali_ctx *x, struct herr *e)
{
	const char *remote = settings_str(x->st->settings, "remote_env");
	const char *table = settings_str(x->st->settings, "async_response_table");
	char *doc = NULL;
	int rc;

	if ((!remote && !table) || settings_str(x->st->settings, "role_arn") ||
	    !settings_bool(x->st->settings, "manage_roles", true))
		return HOIST_OK;
	rc = role_doc(x, remote, table, &doc, e);
	if (!rc)
		rc = ram_function_role_ensure(x, doc, &x->fn_role, e);
	free(doc);
	return rc;
}

bool ali_tasks_is_our_role(const struct ali_ctx *x, const char *arn)
{
	char *name = ram_function_role_name(x);
	const char *slash = arn ? strrchr(arn, '/') : NULL;
	bool ours = slash && !strcasecmp(slash + 1, name) &&
		    !strncmp(arn, "acs:ram::", 9);

	free(name);
	return ours;
}

int ali_tasks_role_remove(struct ali_ctx *x, struct herr *e)
{
	return ram_function_role_remove(x, e);
}
