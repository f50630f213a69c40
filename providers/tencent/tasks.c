/*
 * tasks.c — Zappa's remote_env and asynchronous tasks on Tencent Cloud (the
 * handler's side is templates/python/hoist_tasks.py and hoist_tencent.py):
 *
 *   remote_env cos://<bucket>-<appid>/key   read by the handler at cold start
 *                                 with the function's own credentials;
 *                                 checked here before anything changes
 *                                 (exists, a JSON object of strings: exit 2
 *                                 otherwise);
 *   tasks                         SCF Invoke with InvocationType Event on
 *                                 the stage's alias, sent by the function;
 *   async_response_table          one object per response id,
 *                                 <function>/async-responses/<table>/<id>.json
 *                                 in the stage's COS bucket (cos.c's
 *                                 cos_bucket_name + "-<appid>");
 *                                 async_resources makes the bucket at deploy
 *                                 and undeploy's artifact clean-up of
 *                                 "<function>/" removes the responses.
 *
 * SCF gives a function credentials (TENCENTCLOUD_SECRETID / SECRETKEY /
 * SESSIONTOKEN in its environment) only for its execution role, the Role
 * of the function: with remote_env or async_response_table set, that is
 * role_arn when set (hoist leaves it alone), else the role cam.c creates
 * with exactly tc_task_grants; with manage_roles false and no role_arn,
 * exit 2 naming what a role must allow.
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/http.h"
#include "../../core/log.h"
#include "../../core/remote_env.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cos://<bucket>-<appid>/key split (settings.c checked the form). */
struct cos_url {
	char *bucket;           /* <bucket>-<appid> */
	const char *appid;      /* points into bucket */
	const char *key;        /* points into the URL */
};

static void cos_url_parse(const char *url, struct cos_url *u)
{
	const char *b = url + strlen("cos://");
	size_t n = strcspn(b, "/");

	u->bucket = xasprintf("%.*s", (int)n, b);
	u->appid = strrchr(u->bucket, '-') ? strrchr(u->bucket, '-') + 1 : "";
	u->key = b[n] ? b + n + 1 : "";
}

/*
 * What the function's role must allow, one entry per grant:
 * {"action": ["name/cos:GetObject", …], "resource": "qcs::…", "why"}.  The
 * AppId and UIN are placeholders until tc_appid has fetched them.
 */
json_t *tc_task_grants(const struct tc_ctx *x)
{
	const char *remote = settings_str(x->st->settings, "remote_env");
	const char *table = settings_str(x->st->settings, "async_response_table");
	const char *appid = x->appid ? x->appid : "<appid>";
	json_t *out = json_array();

	if (remote) {
		struct cos_url u;

		cos_url_parse(remote, &u);
		json_array_append_new(out, json_pack("{s:[s], s:o, s:s}", "action",
			"name/cos:GetObject", "resource", json_sprintf("qcs::cos:%s:uid/%s:%s/%s",
			x->region, u.appid, u.bucket, u.key), "why", "remote_env"));
		free(u.bucket);
	}
	if (table) {
		char *bucket = cos_bucket_name(x);

		json_array_append_new(out, json_pack("{s:[s,s], s:o, s:s}", "action",
			"name/cos:GetObject", "name/cos:PutObject", "resource", json_sprintf(
			"qcs::cos:%s:uid/%s:%s-%s/%s/async-responses/*", x->region, appid, bucket,
			appid, x->fn), "why", "async_response_table"));
		free(bucket);
	}
	json_array_append_new(out, json_pack("{s:[s], s:o, s:s}", "action", "name/scf:InvokeFunction",
		"resource", json_sprintf("qcs::scf:%s:uin/%s:namespace/default/function/%s",
					 x->region, x->uin ? x->uin : "<your uin>", x->fn),
		"why", "asynchronous tasks"));
	return out;
}

/* The grants as hints on e: "allow cos:GetObject and cos:PutObject on … (why)". */
static void grants(struct tc_ctx *x, struct herr *e)
{
	json_t *gs = tc_task_grants(x), *g, *a;
	size_t i, j;

	json_array_foreach(gs, i, g) {
		struct sbuf b;

		sbuf_init(&b);
		json_array_foreach(json_object_get(g, "action"), j, a)
			sbuf_printf(&b, "%s%s", j ? " and " : "", json_string_value(a) + 5);
		herr_hint(e, "allow %s on %s (%s)", b.s, tc_str(g, "resource"), tc_str(g, "why"));
		sbuf_free(&b);
	}
	json_decref(gs);
}

static int need_role(struct tc_ctx *x, const char *remote, const char *table, struct herr *e)
{
	const char *appid;
	int rc;

	if (settings_str(x->st->settings, "role_arn"))
		return HOIST_OK;
	if (settings_bool(x->st->settings, "manage_roles", true)) {
		x->role = tc_role_name(x);      /* cam.c makes it, with exactly these grants */
		return HOIST_OK;
	}
	if (table && (rc = tc_appid(x, &appid, e)) != HOIST_OK)
		return rc;
	herr_set(e, HOIST_USAGE, "%s needs the function to call %s with its own credentials, "
		 "which SCF gives a function only for its execution role, and manage_roles is "
		 "false: set role_arn to a CAM role SCF can assume (carrier scf.qcloud.com)",
		 remote ? "remote_env" : "async_response_table",
		 remote && !table ? "COS" : "COS and SCF");
	grants(x, e);
	return HOIST_USAGE;
}

static int remote_env_cos(struct tc_ctx *x, const char *url, struct herr *e)
{
	struct http_headers h = { 0 };
	struct http_response rs;
	struct cos_url u;
	char range[48];
	int rc;

	cos_url_parse(url, &u);
	snprintf(range, sizeof(range), "bytes=0-%d", REMOTE_ENV_MAX);
	http_headers_add(&h, "Range", range);
	out_info("Checking remote_env %s", url);
	rc = cos_read(x, u.bucket, u.key, &h, &rs, e);
	if (!rc && rs.status >= 400 && rs.status < 500) {
		cos_error("GetObject", &rs, e);
		rc = remote_env_unreadable(x->st, url, x->region, e);
	} else if (!rc && (rs.status < 200 || rs.status >= 300)) {
		rc = cos_error("GetObject", &rs, e);
	} else if (!rc) {
		rc = remote_env_check(url, rs.body.s ? rs.body.s : "", rs.body.len, e);
	}
	http_response_free(&rs);
	http_headers_free(&h);
	free(u.bucket);
	return rc;
}

int tc_tasks_check(struct tc_ctx *x, struct herr *e)
{
	const char *remote = settings_str(x->st->settings, "remote_env");
	const char *table = settings_str(x->st->settings, "async_response_table");
	int rc = HOIST_OK;

	if (remote || table)
		rc = need_role(x, remote, table, e);
	if (!rc && remote)
		rc = remote_env_cos(x, remote, e);
	return rc;
}

int tc_tasks_ensure(struct tc_ctx *x, struct herr *e)
{
	const char *table = settings_str(x->st->settings, "async_response_table");
	char *bucket;
	int rc;

	if (!table || !settings_bool(x->st->settings, "async_resources", true))
		return HOIST_OK;
	bucket = cos_bucket_name(x);
	rc = cos_bucket_ensure(x, bucket, e);
	if (!rc)
		out_info("task responses go to cos://%s-%s/%s/async-responses/%s/", bucket, x->appid,
			 x->fn, table);
	free(bucket);
	return rc;
}
