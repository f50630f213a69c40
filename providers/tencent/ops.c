/*
 * ops.c — the Tencent provider's operations: deploy, update, status,
 * invoke, rollback, undeploy.  Each reads what exists (nothing is stored
 * locally), then converges it:
 *
 *   CLS logset/topic → function $LATEST (code only when its hash changed,
 *   configuration only when it differs) → a published version when
 *   anything changed → the stage alias on it → timers on the alias → the
 *   task response bucket (tasks.c) → old versions pruned → the function URL
 *   on the alias; remote_env and role_arn are checked first (tasks.c), and
 *   the execution role hoist manages (cam.c) converges before the function.
 *
 * SCF returns no code hash, so hoist keeps the package's SHA-256 in the
 * function's Description ("hoist code sha256 <hex>", after the user's
 * lambda_description) and in every version it publishes.  A code change
 * first drops the marker, then uploads, then writes the new marker with
 * the configuration: a run interrupted in between uploads again rather than
 * trusting a stale hash.  A no-change update makes read calls only.
 * Any step can fail and the command be run again: what exists is reused.
 */
#include "tencent.h"

#include "../invoke.h"
#include "../provider.h"

#include "../../core/digest.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/stagelock.h"
#include "../../core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The archive to send, whatever its origin (fresh package or --zip FILE). */
struct art {
	const char *zip;
	unsigned long long size;
	char sha_hex[65];
	bool objstore;
	bool sent;   /* uploaded to cos_code_key while the pre-flight ran */
};

/* ---- the archive ---------------------------------------------------------- */

static int art_from(const struct stage *st, const struct package_info *pi, struct art *a,
		    const struct package_limits *lim, struct herr *e)
{
	int rc;

	memset(a, 0, sizeof(*a));
	a->zip = pi->zip_path;
	if (!pi->sha256_hex[0]) {               /* --zip FILE (limits checked): hash it here */
		char b64[45];

		if ((rc = digest_sha256_file(pi->zip_path, a->sha_hex, b64, &a->size, e)))
			return rc;
		a->objstore = package_via_objstore(lim, a->size);
		return HOIST_OK;
	}
	a->size = pi->zip_size;
	memcpy(a->sha_hex, pi->sha256_hex, sizeof(a->sha_hex));
	a->objstore = package_via_objstore(lim, a->size);
	return HOIST_OK;
}

/* ---- the desired configuration ---------------------------------------------- */

static const char *user_description(const struct stage *st)
{
	return settings_str(st->settings, "lambda_description") ?: "";
}

/* The Description with the code marker for `sha` (none for NULL); allocates. */
static char *description(const struct stage *st, const char *sha)
{
	const char *u = user_description(st);

	if (!sha || !*sha)
		return xstrdup(u);
	return xasprintf("%s%s" TC_CODE_MARK "%s", u, *u ? "\n" : "", sha);
}

/* The code hash a Description carries, "" when none (copied into out[65]). */
static void marker_of(const char *desc, char out[65])
{
	const char *m = desc ? strstr(desc, TC_CODE_MARK) : NULL;

	out[0] = '\0';
	if (m && strlen(m + strlen(TC_CODE_MARK)) >= 64)
		snprintf(out, 65, "%.64s", m + strlen(TC_CODE_MARK));
}

static char *runtime_of(const struct stage *st)
{
	const char *r = settings_str(st->settings, "runtime") ?: "python3.10";

	return xasprintf("P%s", r + 1);      /* python3.10 → Python3.10 */
}

static json_t *env_vars(const struct stage *st)
{
	json_t *vars = json_array(), *v;
	const char *k;

	json_object_foreach(json_object_get(st->settings, "environment_variables"), k, v)
		if (json_is_string(v))
			json_array_append_new(vars, json_pack("{s:s, s:O}", "Key", k, "Value", v));
	return vars;     /* jansson keeps object keys in insertion order; compare sorted */
}

/*
 * "qcs::cam::uin/1:roleName/NAME" or "NAME" → NAME (SCF's Role takes the
 * name), else the role hoist manages (cam.c), else none.
 */
static const char *role_of(const struct tc_ctx *x)
{
	const char *r = settings_str(x->st->settings, "role_arn");
	const char *n = r ? strstr(r, "roleName/") : NULL;

	return n ? n + 9 : r ? r : x->role ? x->role : "";
}

/* dead_letter_arn "qcs::cmq:<region>:uin/<uin>:queueName/<name>" (or topicName). */
static json_t *dead_letter(const struct stage *st)
{
	const char *a = settings_str(st->settings, "dead_letter_arn"), *q;

	if (!a)
		return NULL;
	if ((q = strstr(a, ":queueName/")))
		return json_pack("{s:s, s:s}", "Type", "queue", "Name", q + 11);
	q = strstr(a, ":topicName/");
	return json_pack("{s:s, s:s}", "Type", "topic", "Name", q ? q + 11 : a);
}

static json_t *layers(const struct stage *st)
{
	json_t *out = json_array(), *l;
	size_t i;

	json_array_foreach(json_object_get(st->settings, "layers"), i, l) {
		const char *s = json_string_value(l), *colon = s ? strrchr(s, ':') : NULL;

		if (colon)
			json_array_append_new(out, json_pack("{s:s%, s:I}", "LayerName", s,
				(size_t)(colon - s), "LayerVersion", (json_int_t)atoll(colon + 1)));
	}
	return out;
}

/*
 * The function's configuration as UpdateFunctionConfiguration takes it:
 * every field, with empty values where a setting is absent (so removing a
 * setting converges).
 */
static json_t *desired_config(const struct tc_ctx *x, const char *sha, const char *logset,
			      const char *topic)
{
	const json_t *s = x->st->settings, *vpc = json_object_get(s, "vpc_config");
	char *desc = description(x->st, sha), *rt = runtime_of(x->st);
	json_t *c, *dlq = dead_letter(x->st);

	c = json_pack("{s:s, s:I, s:I, s:{s:o}, s:{s:s, s:s}, s:s, s:s, s:s, s:o, s:s}",
		      "Description", desc,
		      "MemorySize", (json_int_t)settings_int(s, "memory_size", 512),
		      "Timeout", (json_int_t)settings_int(s, "timeout_seconds", 30),
		      "Environment", "Variables", env_vars(x->st),
		      "VpcConfig", "VpcId", json_string_value(json_object_get(vpc, "VpcId")) ?: "",
		      "SubnetId", json_string_value(json_object_get(vpc, "SubnetId")) ?: "",
		      "Role", role_of(x), "ClsLogsetId", logset ? logset : "",
		      "ClsTopicId", topic ? topic : "", "Layers", layers(x->st), "Runtime", rt);
	json_object_set_new(c, "DeadLetterConfig", dlq ? dlq : json_pack("{s:s, s:s}", "Type", "",
									 "Name", ""));
	free(desc);
	free(rt);
	return c;
}

static int var_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Key")) ?: "",
		      json_string_value(json_object_get(*(json_t *const *)b, "Key")) ?: "");
}

/* A configuration (desired, or GetFunction's) in one comparable form; new reference. */
static json_t *normal_config(const json_t *c)
{
	const json_t *vpc = json_object_get(c, "VpcConfig"), *dlq = json_object_get(c, "DeadLetterConfig");
	const json_t *vars = json_object_get(json_object_get(c, "Environment"), "Variables"), *v;
	json_t *sorted = json_array(), *lays = json_array(), **tmp;
	size_t i, n = json_array_size(vars);

	tmp = xcalloc(n + 1, sizeof(*tmp));
	json_array_foreach(vars, i, v)
		tmp[i] = json_pack("{s:s, s:s}", "Key", tc_str(v, "Key") ?: "",
				   "Value", tc_str(v, "Value") ?: "");
	qsort(tmp, n, sizeof(*tmp), var_cmp);
	for (i = 0; i < n; i++)
		json_array_append_new(sorted, tmp[i]);
	free(tmp);
	json_array_foreach(json_object_get(c, "Layers"), i, v)
		json_array_append_new(lays, json_pack("{s:s, s:I}", "LayerName",
			tc_str(v, "LayerName") ?: "", "LayerVersion",
			(json_int_t)json_integer_value(json_object_get(v, "LayerVersion"))));
	return json_pack("{s:s, s:O?, s:O?, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}",
		"Description", tc_str(c, "Description") ?: "",
		"MemorySize", json_object_get(c, "MemorySize"),
		"Timeout", json_object_get(c, "Timeout"),
		"Variables", sorted,
		"VpcId", tc_str(vpc, "VpcId") ?: "", "SubnetId", tc_str(vpc, "SubnetId") ?: "",
		"Role", tc_str(c, "Role") ?: "", "ClsLogsetId", tc_str(c, "ClsLogsetId") ?: "",
		"ClsTopicId", tc_str(c, "ClsTopicId") ?: "", "Layers", lays,
		"Runtime", tc_str(c, "Runtime") ?: "",
		"DeadLetterType", tc_str(dlq, "Type") ?: "", "DeadLetterName", tc_str(dlq, "Name") ?: "");
}

static bool config_differs(const json_t *want, const json_t *have)
{
	json_t *a = normal_config(want), *b = normal_config(have);
	bool diff = !json_equal(a, b);
	const char *k;
	json_t *v;

	if (diff && out_get()->verbosity > 0)
		json_object_foreach(a, k, v)
			if (!json_equal(v, json_object_get(b, k)))
				out_info("configuration: %s changes", k);
	json_decref(a);
	json_decref(b);
	return diff;
}

static json_t *tags_of(const struct stage *st)
{
	json_t *t = json_array(), *v;
	const char *k;

	json_object_foreach(json_object_get(st->settings, "tags"), k, v)
		if (json_is_string(v))
			json_array_append_new(t, json_pack("{s:s, s:O}", "Key", k, "Value", v));
	return t;
}

/* ---- the code --------------------------------------------------------------- */

/*
 * Where SCF takes the code from: inline (*inline_zip = the zip, streamed as
 * base64) or COS (uploaded here; the Cos* fields go into `into`, as the Code
 * block of CreateFunction or the UpdateFunctionCode body; *key set: delete
 * it once SCF has copied it).
 */
static int code_source(struct tc_ctx *x, const struct art *a, json_t *into,
		       const char **inline_zip, char **bucket, char **key, struct herr *e)
{
	char sz[32];
	int rc;

	*inline_zip = NULL;
	*bucket = *key = NULL;
	if (!a->objstore) {
		out_step("Uploading %s (%s) to SCF", path_base(a->zip),
			 str_size(a->size, sz, sizeof(sz)));
		*inline_zip = a->zip;
		return HOIST_OK;
	}
	*bucket = cos_bucket_name(x);
	*key = cos_code_key(x, a->sha_hex);
	rc = HOIST_OK;
	if (!a->sent) {
		out_info("package of %s: going through COS", str_size(a->size, sz, sizeof(sz)));
		rc = cos_bucket_ensure(x, *bucket, e);
		if (!rc)
			rc = cos_upload(x, *bucket, *key, a->zip, a->sha_hex, e);
	}
	if (!rc) {
		char *obj = xasprintf("/%s", *key);

		json_object_set_new(into, "CosBucketName", json_string(*bucket));
		json_object_set_new(into, "CosObjectName", json_string(obj));
		json_object_set_new(into, "CosBucketRegion", json_string(x->region));
		free(obj);
	}
	return rc;
}

/* SCF has copied the code: the uploaded zip is not needed any more. */
static void drop_uploaded(struct tc_ctx *x, char *bucket, char *key)
{
	struct herr e2 = { 0 };

	if (bucket && key && cos_delete(x, bucket, key, &e2))
		out_warn("could not delete cos://%s/%s: %s", bucket, key, e2.msg);
	free(bucket);
	free(key);
}

/* ---- versions and the alias ------------------------------------------------------ */

/* Is published version `v` the same code and configuration as $LATEST (`latest`)? */
static int version_matches(struct tc_ctx *x, const char *v, const json_t *latest, bool *same,
			   struct herr *e)
{
	json_t *fv = NULL;
	int rc = scf_get(x, v, &fv, e);

	*same = false;
	if (!rc && fv) {
		json_t *a = normal_config(fv), *b = normal_config(latest);

		*same = json_equal(a, b);
		json_decref(a);
		json_decref(b);
	}
	json_decref(fv);
	return rc;
}

/*
 * Point the alias at a version holding $LATEST: the one it has when that
 * matches, else the newest published one when it matches (a publish whose
 * alias move was lost), else a new one.  `changed`: $LATEST was just
 * written, so publish without looking; else `known`, when given, is
 * $LATEST as converge_function read it.
 */
static int publish_and_point(struct tc_ctx *x, bool changed, const json_t *known,
			     struct herr *e)
{
	char *cur = NULL, *ver = NULL, *desc, sha[65];
	json_t *latest = NULL, *vs = NULL;
	bool same = false;
	int rc = HOIST_OK;

	if (!changed && known)   /* $LATEST as this run read it, nothing written since */
		latest = json_incref((json_t *)known);
	else
		rc = scf_wait(x, &latest, e);

	if (!rc)
		rc = scf_alias_get(x, &cur, e);
	if (!rc && !changed && cur)
		rc = version_matches(x, cur, latest, &same, e);
	if (rc || same)
		goto out;
	if (!changed) {
		rc = scf_versions(x, &vs, e);
		if (!rc && json_array_size(vs)) {
			const char *newest = tc_str(json_array_get(vs, json_array_size(vs) - 1),
						    "Version");

			if (!cur || strcmp(cur, newest))
				rc = version_matches(x, newest, latest, &same, e);
			if (!rc && same)
				ver = xstrdup(newest);
		}
	}
	if (!rc && !ver) {
		marker_of(tc_str(latest, "Description"), sha);
		desc = xasprintf(TC_CODE_MARK "%s", sha);
		rc = scf_publish(x, desc, &ver, e);
		free(desc);
		if (!rc)
			out_step("Published version %s of %s", ver, x->fn);
	}
	if (!rc) {
		out_step("Pointing alias %s at version %s", x->alias, ver);
		rc = scf_alias_set(x, ver, cur != NULL, e);
	}
out:
	free(cur);
	free(ver);
	json_decref(vs);
	json_decref(latest);
	return rc;
}

/* Delete the oldest published versions beyond num_retained_versions, never the alias's. */
static int prune(struct tc_ctx *x, struct herr *e)
{
	long long keep = settings_int(x->st->settings, "num_retained_versions", 0);
	json_t *vs = NULL;
	char *cur = NULL;
	size_t n, i;
	int rc;

	if (keep <= 0)
		return HOIST_OK;
	rc = scf_versions(x, &vs, e);
	if (!rc)
		rc = scf_alias_get(x, &cur, e);
	n = json_array_size(vs);
	for (i = 0; !rc && n > (size_t)keep && i < n - (size_t)keep; i++) {
		const char *v = tc_str(json_array_get(vs, i), "Version");

		if (cur && !strcmp(v, cur))
			continue;
		out_info("deleting old version %s", v);
		rc = scf_delete_version(x, v, e);
	}
	free(cur);
	json_decref(vs);
	return rc;
}

/* ---- create / converge --------------------------------------------------------- */

static int create_function(struct tc_ctx *x, const struct art *a, bool *existed,
			   struct herr *e)
{
	char *logset = NULL, *topic = NULL, *bucket = NULL, *key = NULL;
	const char *zip = NULL;
	json_t *body = NULL, *code = json_object();
	int rc;

	/* Logs and artifacts first: a problem there stops before the function exists. */
	rc = cls_ensure(x, &logset, &topic, e);
	if (!rc)
		rc = code_source(x, a, code, &zip, &bucket, &key, e);
	if (rc)
		goto out;
	body = desired_config(x, a->sha_hex, logset, topic);
	if (!json_array_size(json_object_get(body, "Layers")))
		json_object_del(body, "Layers");
	if (!*tc_str(json_object_get(body, "DeadLetterConfig"), "Type"))
		json_object_del(body, "DeadLetterConfig");
	if (!*tc_str(json_object_get(body, "VpcConfig"), "VpcId"))
		json_object_del(body, "VpcConfig");
	if (!*tc_str(body, "Role"))
		json_object_del(body, "Role");
	json_object_set(body, "Code", code);
	json_object_set_new(body, "Handler", json_string(TC_HANDLER));
	json_object_set_new(body, "Type", json_string("Event"));
	json_object_set_new(body, "Tags", tags_of(x->st));
	out_step("Creating SCF function %s", x->fn);
	rc = scf_create(x, body, zip, existed, e);
	if (!rc && !*existed)
		rc = scf_wait(x, NULL, e);
	if (!rc && !*existed) {
		drop_uploaded(x, bucket, key);
		bucket = key = NULL;
	}
out:
	free(bucket);
	free(key);
	free(logset);
	free(topic);
	json_decref(body);
	json_decref(code);
	return rc;
}

/*
 * Bring the function's $LATEST to the package and settings: code only when
 * its hash changed, configuration only when it differs; *changed says
 * something was written.
 */
static int converge_function(struct tc_ctx *x, const struct art *a, bool no_upload,
			     json_t **latest, bool *changed, struct herr *e)
{
	char *logset = NULL, *topic = NULL, have[65];
	json_t *cur = *latest, *want = NULL;
	bool code = false;
	int rc;

	*changed = false;
	*latest = NULL;
	rc = cls_ensure(x, &logset, &topic, e);
	if (!rc && !scf_settled(cur)) {
		json_decref(cur);
		cur = NULL;
		rc = scf_wait(x, &cur, e);
	}
	if (rc)
		goto out;
	marker_of(tc_str(cur, "Description"), have);
	code = a && !no_upload && strcmp(have, a->sha_hex);
	if (code) {
		char *bucket = NULL, *key = NULL;
		const char *zip = NULL;
		json_t *body = json_object();

		if (*have) {         /* drop the marker first: an interrupted run re-uploads */
			json_t *p = json_pack("{s:s}", "Description", user_description(x->st));

			rc = scf_update_config(x, p, e);
			json_decref(p);
		}
		if (!rc)
			rc = code_source(x, a, body, &zip, &bucket, &key, e);
		if (!rc) {
			out_step("Updating the code of %s", x->fn);
			rc = scf_update_code(x, body, zip, e);
		}
		if (!rc)
			drop_uploaded(x, bucket, key);
		else {
			free(bucket);
			free(key);
		}
		json_decref(body);
	} else if (a && !no_upload) {
		out_step("Code unchanged (sha256 %.12s…); not uploading", a->sha_hex);
	}
	if (rc)
		goto out;
	want = desired_config(x, code ? a->sha_hex : have, logset, topic);
	if (code || config_differs(want, cur)) {
		out_step("Updating the configuration of %s", x->fn);
		rc = scf_update_config(x, want, e);
		*changed = !rc;
	} else {
		out_info("configuration unchanged");
		*latest = json_incref(cur);   /* nothing written: $LATEST as read */
	}
out:
	json_decref(want);
	json_decref(cur);
	free(logset);
	free(topic);
	return rc;
}

/*
 * Timers, the task response bucket, old versions, then the function URL: the
 * steps once the alias is right.
 */
static int finish(struct tc_ctx *x, char **url, struct herr *e)
{
	json_t *ts = NULL;
	int rc = scf_triggers(x, &ts, e);

	if (!rc)
		rc = tc_timers_ensure(x, ts, NULL, e);
	if (!rc)
		rc = tc_tasks_ensure(x, e);
	if (!rc)
		rc = prune(x, e);
	/* The URL last: a stage with its URL is one a deploy finished (tc_deploy). */
	if (!rc)
		rc = tc_url_ensure(x, ts, url, e);
	json_decref(ts);
	return rc;
}

/* Settings hoist checks against the account before changing anything. */
static int precheck(const struct stage *st, struct herr *e)
{
	if (!settings_bool(st->settings, "function_url_enabled", true))
		return herr_set(e, HOIST_USAGE, "%s: function_url_enabled is false, but a tencent "
				"stage's only HTTP front door is its function URL (API Gateway was "
				"retired)", st->name);
	return HOIST_OK;
}

/* What deploy and update start with, while the package is being built: checks, the context. */
static int begin(const struct stage *st, struct tc_ctx *x, struct herr *e)
{
	int rc;

	if ((rc = precheck(st, e)) != HOIST_OK)
		return rc;
	return tc_ctx_open(x, st, e);
}

/*
 * The package, once built (packaging's error if it failed), and its
 * pre-flight's verdict: nothing about the stage is written before.  While
 * the pre-flight still runs, when the function `fn` (NULL: none yet) will
 * get new code: with `upload`, a zip bound for COS is uploaded when hoist's
 * bucket is there already (upload_early.c: art->sent); with `lock`, the
 * stage lock is taken (its marker is hoist's own, removed at the end
 * whatever the verdict; an upload takes it too), and the function *fn is
 * read again meanwhile (replaced): the read its first write need not make.
 */
static int package_ready(struct tc_ctx *x, const struct deploy_args *a, json_t **fn,
			 bool lock, bool upload, struct art *art, struct herr *e)
{
	int rc = deploy_package_built(a, e);
	struct tc_early up;
	json_t *now = NULL;
	char have[65] = "";
	bool code, locked;

	up.up.started = false;
	if (!rc)
		rc = art_from(x->st, a->pkg, art, &tencent_provider.limits, e);
	if (*fn)
		marker_of(tc_str(*fn, "Description"), have);
	code = !rc && !a->no_upload && strcmp(have, art->sha_hex);
	if (code && upload && art->objstore)
		rc = tc_early_upload_start(x, &up, art->zip, art->size, art->sha_hex, e);
	locked = !rc && (up.up.started || (code && lock && *fn));
	if (locked && !up.up.started)
		rc = stage_before_write(x->st, e);
	/* locked: the function read again meanwhile, so that its first write need not */
	if (!rc && locked && *fn && !(rc = scf_get(x, NULL, &now, e)) && now) {
		json_decref(*fn);
		*fn = now;
		x->fn_read_locked = scf_settled(now);
	}
	if (!rc)
		rc = deploy_package(a, e);   /* the pre-flight's verdict */
	art->sent = upload_early_end(&up.up, rc == HOIST_OK);
	return rc;
}

/*
 * The stage's function (*fn, NULL if none) and, when a deploy finished it —
 * it has its alias and its function URL, which deploy creates last — the
 * URL (*url allocated, else NULL).  Reads only.
 */
static int stage_url(struct tc_ctx *x, json_t **fn, char **url, struct herr *e)
{
	json_t *ts = NULL;
	char *ver = NULL;
	int rc = scf_get(x, NULL, fn, e);

	*url = NULL;
	if (!rc && *fn)
		rc = scf_alias_get(x, &ver, e);
	if (!rc && ver && !(rc = scf_triggers(x, &ts, e)))
		*url = tc_url_of(x, ts, NULL);
	json_decref(ts);
	free(ver);
	return rc;
}

int tc_deployed(const struct stage *st, char **url, struct herr *e)
{
	struct tc_ctx x;
	json_t *fn = NULL;
	int rc;

	*url = NULL;
	if ((rc = begin(st, &x, e)) != HOIST_OK)
		return rc;
	rc = stage_url(&x, &fn, url, e);
	json_decref(fn);
	tc_ctx_close(&x);
	return rc;
}

/*
 * Zappa's touch: one GET of touch_path once the stage is live, so the first
 * visitor does not pay the cold start.  Sent through SCF Invoke on the alias
 * as the function URL's event (templates/python/hoist_events.py, "tencent");
 * whatever happens is a line on stderr, never a failed deploy.
 */
static void touch(struct tc_ctx *x, const char *url)
{
	const char *path = settings_str(x->st->settings, "touch_path") ?: "/";
	const char *h = strstr(url, "://") ? strstr(url, "://") + 3 : url;
	char *host = xasprintf("%.*s", (int)strcspn(h, "/"), h);
	json_t *ev, *res = NULL, *ret;
	struct herr e2 = { 0 };
	long long status;

	if (!settings_bool(x->st->settings, "touch", true)) {
		free(host);
		return;
	}
	ev = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{}, s:s}", "httpMethod", "GET", "path", path,
		       "headers", "host", host, "user-agent", "hoist-touch", "queryString",
		       "body", "");
	out_info("Touching %s (GET %s through SCF Invoke)", x->fn, path);
	if (scf_invoke(x, ev, &res, &e2)) {
		out_warn("touch: GET %s could not be sent: %s", path, e2.msg);
	} else if (json_integer_value(json_object_get(res, "InvokeResult")) != 0) {
		out_warn("touch: GET %s failed in the function: %s; see 'hoist tail %s'", path,
			 tc_str(res, "ErrMsg") ?: "", x->st->name);
	} else {
		ret = json_loads(tc_str(res, "RetMsg") ?: "", JSON_DECODE_ANY, NULL);
		status = json_integer_value(json_object_get(ret, "statusCode"));
		if (status >= 500)
			out_warn("touch: GET %s answered HTTP %lld; see 'hoist tail %s'", path,
				 status, x->st->name);
		else
			out_info("touch: GET %s answered HTTP %lld", path, status);
		json_decref(ret);
	}
	herr_clear(&e2);
	json_decref(res);
	json_decref(ev);
	free(host);
}

int tc_deploy(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e)
{
	struct tc_ctx x;
	struct art art;
	json_t *fn = NULL, *latest = NULL;
	char *old = NULL;
	bool existed = false, changed = false;
	int rc;

	*url = NULL;
	if ((rc = begin(st, &x, e)) != HOIST_OK)
		return rc;
	if ((rc = tc_tasks_check(&x, e)) != HOIST_OK)
		goto done;
	/* Reads only while the package is being built (package_ready: then the rest). */
	rc = stage_url(&x, &fn, &old, e);
	if (!rc && (rc = package_ready(&x, a, &fn, false, !old, &art, e)) != HOIST_OK)
		goto done;                       /* packaging failed: nothing was created */
	if (rc)
		goto out;
	if (old) {
		rc = stage_already_deployed(e, st, old);
		goto out;
	}
	if (x.role)
		rc = tc_role_ensure(&x, &x.role_fresh, e);
	if (!rc && fn) {
		out_step("Function %s exists (an earlier deploy stopped half-way); finishing it",
			 x.fn);
		existed = true;
	} else if (!rc) {
		rc = create_function(&x, &art, &existed, e);
	}
	if (!rc && existed) {
		latest = json_incref(fn);   /* NULL when it appeared during create: read then */
		rc = converge_function(&x, &art, false, &latest, &changed, e);
	}
	if (!rc)
		rc = publish_and_point(&x, !existed || changed, latest, e);
	if (!rc)
		rc = finish(&x, url, e);
	if (!rc)
		touch(&x, *url);
out:
	if (rc && rc != HOIST_USAGE && !strstr(e->msg, "already deployed"))
		stage_deploy_kept_hint(e, st);
done:
	free(old);
	json_decref(latest);
	json_decref(fn);
	tc_ctx_close(&x);
	return rc;
}

/* ---- reads made ahead (core/readahead.h) ------------------------------------------ */

/*
 * What an update reads after the function, each chain on a thread of its
 * own, run by the very functions the update calls (a reader sends only
 * reads: one that would write stops there).  Their answers wait for the
 * update's own reads of the same requests.
 */
static void ahead_role_and_logs(struct tc_ctx *x)
{
	char *logset = NULL, *topic = NULL;
	struct herr e = { 0 };
	bool fresh;

	if (!x->role || !tc_role_ensure(x, &fresh, &e))
		cls_ensure(x, &logset, &topic, &e);
	free(logset);
	free(topic);
}

static void ahead_alias(struct tc_ctx *x)
{
	struct herr e = { 0 };
	json_t *fv = NULL;
	char *cur = NULL;

	if (!scf_alias_get(x, &cur, &e) && cur)
		scf_get(x, cur, &fv, &e);   /* version_matches' */
	json_decref(fv);
	free(cur);
}

static void ahead_finish(struct tc_ctx *x)
{
	struct herr e = { 0 };
	char *url = NULL;

	finish(x, &url, &e);
	free(url);
}

static void read_ahead(struct tc_ctx *x)
{
	tc_read_ahead(x, ahead_role_and_logs);
	tc_read_ahead(x, ahead_alias);
	tc_read_ahead(x, ahead_finish);
}

int tc_update(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e)
{
	struct tc_ctx x;
	struct art art;
	json_t *fn = NULL;
	bool changed = false;
	int rc;

	*url = NULL;
	if ((rc = begin(st, &x, e)) != HOIST_OK)
		return rc;
	/* Reads only while the package is being built (package_ready: then the rest). */
	rc = tc_tasks_check(&x, e);
	if (!rc)
		read_ahead(&x);
	if (!rc)
		rc = scf_get(&x, NULL, &fn, e);
	if (!rc && !fn)
		rc = tc_not_deployed(&x, e);
	if (!rc)
		rc = package_ready(&x, a, &fn, true, true, &art, e);
	if (!rc && x.role)
		rc = tc_role_ensure(&x, &x.role_fresh, e);
	if (!rc)
		rc = converge_function(&x, &art, a->no_upload, &fn, &changed, e);
	if (!rc)
		rc = publish_and_point(&x, changed, fn, e);
	if (!rc)
		rc = finish(&x, url, e);
	if (!rc && changed)          /* nothing changed: nothing to warm */
		touch(&x, *url);
	json_decref(fn);
	tc_ctx_close(&x);
	return rc;
}

/* The deployed function ($LATEST), its published versions and the alias's version. */
static int deployed(struct tc_ctx *x, json_t **fn, json_t **vs, char **alias_version,
		    struct herr *e)
{
	int rc = scf_get(x, NULL, fn, e);

	*vs = NULL;
	*alias_version = NULL;
	if (!rc && !*fn)
		rc = tc_not_deployed(x, e);
	if (!rc)
		rc = scf_versions(x, vs, e);
	if (!rc)
		rc = scf_alias_get(x, alias_version, e);
	return rc;
}

/* ---- status -------------------------------------------------------------------- */

/* Sum of QCE/SCF_V2 `metric` for the function over the last 24 hours. */
static int metric_24h(struct tc_ctx *x, const char *metric, long long *sum, struct herr *e)
{
	time_t now = x->opened + 8 * 3600, then = now - 86400;   /* Beijing time, +08:00 */
	char a[32], b[32];
	struct tm tm;
	struct tc_result r;
	json_t *p, *dp, *v;
	size_t i, j;
	int rc;

	gmtime_r(&then, &tm);
	strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	gmtime_r(&now, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	p = json_pack("{s:s, s:s, s:[{s:[{s:s, s:s}, {s:s, s:s}]}], s:i, s:s, s:s}",
		      "Namespace", "QCE/SCF_V2", "MetricName", metric, "Instances", "Dimensions",
		      "Name", "functionName", "Value", x->fn, "Name", "namespace", "Value", "default",
		      "Period", 86400, "StartTime", a, "EndTime", b);
	rc = tc_call(x, &tc_monitor, "GetMonitorData", p, &r, e);
	*sum = 0;
	json_array_foreach(json_object_get(r.data, "DataPoints"), i, dp)
		json_array_foreach(json_object_get(dp, "Values"), j, v)
			*sum += (long long)json_number_value(v);
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

/* What status reads after the function, each part on a thread of its own (tc_read_ahead). */
static void ahead_status_versions(struct tc_ctx *x)
{
	json_t *vs = NULL;
	struct herr e = { 0 };

	scf_versions(x, &vs, &e);
	json_decref(vs);
}

static void ahead_status_alias(struct tc_ctx *x)
{
	struct herr e = { 0 };
	char *ver = NULL;

	scf_alias_get(x, &ver, &e);
	free(ver);
}

static void ahead_status_triggers(struct tc_ctx *x)
{
	struct herr e = { 0 };
	json_t *ts = NULL;
	char *domain = NULL;

	scf_triggers(x, &ts, &e);
	json_decref(ts);
	herr_clear(&e);
	tc_domain_url(x, &domain, &e);
	free(domain);
}

static void ahead_status_invocations(struct tc_ctx *x)
{
	struct herr e = { 0 };
	long long n;

	metric_24h(x, "Invocation", &n, &e);
}

static void ahead_status_errors(struct tc_ctx *x)
{
	struct herr e = { 0 };
	long long n;

	metric_24h(x, "Error", &n, &e);
}

int tc_status(const struct stage *st, json_t **status, struct herr *e)
{
	struct tc_ctx x;
	json_t *fn = NULL, *vs = NULL, *ts = NULL, *j = NULL, *nums, *v;
	char *ver = NULL, *url = NULL, *domain = NULL, sha[65];
	long long inv = 0, errs = 0;
	struct herr e2 = { 0 };
	bool cam = false;
	size_t i;
	int rc;

	*status = NULL;
	if ((rc = tc_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	tc_read_ahead(&x, ahead_status_versions);
	tc_read_ahead(&x, ahead_status_alias);
	tc_read_ahead(&x, ahead_status_triggers);
	tc_read_ahead(&x, ahead_status_invocations);
	tc_read_ahead(&x, ahead_status_errors);
	rc = deployed(&x, &fn, &vs, &ver, e);
	if (!rc)
		rc = scf_triggers(&x, &ts, e);
	if (rc)
		goto out;
	marker_of(tc_str(fn, "Description"), sha);
	json_array_foreach(vs, i, v)        /* the code that serves: the alias's version's */
		if (ver && !strcmp(tc_str(v, "Version") ?: "", ver))
			marker_of(tc_str(v, "Description"), sha);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:O?, s:O?, s:s?, s:s, s:s?, s:s}",
		      "stage", st->name, "function", x.fn, "kind", "SCF event function",
		      "alias", x.alias, "runtime", tc_str(fn, "Runtime"),
		      "memory_size", json_object_get(fn, "MemorySize"),
		      "timeout", json_object_get(fn, "Timeout"), "state", tc_str(fn, "Status"),
		      "code_sha256", sha, "last_modified", tc_str(fn, "ModTime"),
		      "region", x.region);
	nums = json_array();
	json_array_foreach(vs, i, v)
		json_array_append_new(nums, json_integer(atoll(tc_str(v, "Version") ?: "0")));
	json_object_set_new(j, "versions", nums);
	if (ver)
		json_object_set_new(j, "version", json_integer(atoll(ver)));
	url = tc_url_of(&x, ts, &cam);
	if (url) {
		json_object_set_new(j, "url", json_string(url));
		json_object_set_new(j, "function_url", json_string(url));
		json_object_set_new(j, "auth", json_string(cam ? "CAM" : "NONE"));
	}
	if (tc_domain_url(&x, &domain, &e2) == HOIST_OK && domain)
		json_object_set_new(j, "domain_url", json_string(domain));
	else if (e2.code)
		out_warn("custom domain: %s", e2.msg);
	herr_clear(&e2);
	json_object_set_new(j, "schedules", tc_timers_status(&x, ts));
	if (metric_24h(&x, "Invocation", &inv, &e2) || metric_24h(&x, "Error", &errs, &e2)) {
		out_warn("Cloud Monitor metrics unavailable: %s", e2.msg);
	} else {
		json_object_set_new(j, "invocations_24h", json_integer(inv));
		json_object_set_new(j, "errors_24h", json_integer(errs));
	}
	*status = j;
	j = NULL;
out:
	free(domain);
	free(url);
	free(ver);
	json_decref(j);
	json_decref(ts);
	json_decref(vs);
	json_decref(fn);
	tc_ctx_close(&x);
	return rc;
}

/* ---- invoke ---------------------------------------------------------------------- */

int tc_invoke(const struct stage *st, const struct invoke_args *a, json_t **result,
	      struct herr *e)
{
	struct tc_ctx x;
	json_t *ev = NULL, *res = NULL, *ans = NULL, *fn = NULL;
	const char *log;
	int rc;

	*result = NULL;
	if ((rc = invoke_event(a, &ev, e)) != HOIST_OK)
		return rc;
	if ((rc = tc_ctx_open(&x, st, e)) != HOIST_OK)
		goto out0;
	rc = scf_get(&x, NULL, &fn, e);
	if (!rc && !fn)
		rc = tc_not_deployed(&x, e);
	if (!rc) {
		out_info("Invoking %s:%s", x.fn, x.alias);
		rc = scf_invoke(&x, ev, &res, e);
	}
	if (rc)
		goto out;
	if (json_integer_value(json_object_get(res, "InvokeResult")) != 0) {
		json_t *err = json_loads(tc_str(res, "ErrMsg") ?: "", JSON_DECODE_ANY, NULL);
		const char *m = tc_str(err, "errorMessage");

		ans = json_pack("{s:s}", "error", m ? m : tc_str(res, "ErrMsg") ?: "the function failed");
		json_decref(err);
	} else {
		json_t *ret = json_loads(tc_str(res, "RetMsg") ?: "null", JSON_DECODE_ANY, NULL);

		if (!ret)
			ret = json_string(tc_str(res, "RetMsg") ?: "");
		if (a->payload || !json_is_object(ret))
			ans = json_pack("{s:O}", "result", ret);
		else
			ans = json_deep_copy(ret);
		json_decref(ret);
	}
	log = tc_str(res, "Log");
	if (log && *log)
		json_object_set_new(ans, "output", json_string(log));
	*result = ans;
out:
	json_decref(fn);
	json_decref(res);
	tc_ctx_close(&x);
out0:
	json_decref(ev);
	return rc;
}

/* ---- rollback ------------------------------------------------------------------------- */

int tc_rollback(const struct stage *st, int back, char **url, struct herr *e)
{
	struct tc_ctx x;
	json_t *fn = NULL, *vs = NULL, *ts = NULL;
	char *cur = NULL;
	size_t n, at = 0;
	bool found = false;
	const char *target;
	int rc;

	*url = NULL;
	if ((rc = tc_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = deployed(&x, &fn, &vs, &cur, e);
	if (rc)
		goto out;
	n = json_array_size(vs);
	for (size_t i = 0; cur && i < n; i++)
		if (!strcmp(tc_str(json_array_get(vs, i), "Version"), cur)) {
			at = i;
			found = true;
		}
	if (!found) {
		rc = herr_set(e, HOIST_FAIL, "alias %s of %s points at %s, which is not a published "
			      "version", x.alias, x.fn, cur ? cur : "nothing");
		herr_hint(e, "run 'hoist update %s' to publish one", st->name);
		goto out;
	}
	if ((size_t)back > at) {
		rc = herr_set(e, HOIST_FAIL, "cannot roll back %d version%s: alias %s is on version "
			      "%s and %zu older version%s kept", back, back == 1 ? "" : "s", x.alias,
			      cur, at, at == 1 ? " is" : "s are");
		herr_hint(e, "num_retained_versions limits how many are kept");
		goto out;
	}
	target = tc_str(json_array_get(vs, at - (size_t)back), "Version");
	out_step("Pointing alias %s at version %s (was %s)", x.alias, target, cur);
	rc = scf_alias_set(&x, target, true, e);
	if (!rc)
		rc = scf_triggers(&x, &ts, e);
	if (!rc && !(*url = tc_url_of(&x, ts, NULL)))
		*url = xasprintf("%s:%s", x.fn, x.alias);
out:
	free(cur);
	json_decref(ts);
	json_decref(vs);
	json_decref(fn);
	tc_ctx_close(&x);
	return rc;
}

/* ---- undeploy ------------------------------------------------------------------------ */

static int remove_artifacts(struct tc_ctx *x, struct herr *e)
{
	char *bucket = cos_bucket_name(x), *prefix = xasprintf("%s/", x->fn);
	int n = 0, rc = cos_delete_prefix(x, bucket, prefix, &n, e);

	if (!rc && n)
		out_step("Deleted %d artifact%s from cos://%s/%s", n, n == 1 ? "" : "s", bucket,
			 prefix);
	if (!rc) {   /* the lock's take-over claims (lock.c) */
		char *key = tc_lock_key(x), *claims = xasprintf("%s.takeover/", key);

		rc = cos_delete_prefix(x, bucket, claims, &n, e);
		free(claims);
		free(key);
	}
	free(prefix);
	free(bucket);
	return rc;
}

int tc_undeploy(const struct stage *st, const struct undeploy_args *a, struct herr *e)
{
	struct tc_ctx x;
	json_t *fn = NULL, *ts = NULL, *t;
	size_t i;
	int rc;

	if ((rc = tc_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = tc_domain_remove(&x, e);
	if (!rc)
		rc = scf_get(&x, NULL, &fn, e);
	if (!rc && fn)
		rc = scf_triggers(&x, &ts, e);
	json_array_foreach(ts, i, t) {
		if (rc)
			break;
		out_step("Deleting %s trigger %s", tc_str(t, "Type"), tc_str(t, "TriggerName"));
		rc = scf_trigger_delete(&x, t, e);
	}
	if (!rc && fn)
		rc = scf_alias_delete(&x, e);
	if (!rc && fn) {
		out_step("Deleting SCF function %s", x.fn);
		rc = scf_delete(&x, e);
	}
	if (!rc && !settings_str(st->settings, "role_arn") &&
	    settings_bool(st->settings, "manage_roles", true))
		rc = tc_role_remove(&x, e);
	if (!rc)
		rc = remove_artifacts(&x, e);
	if (!rc && a->remove_logs)
		rc = cls_remove(&x, e);
	if (rc)
		herr_hint(e, "what is left can be removed by running 'hoist undeploy %s' again",
			  st->name);
	json_decref(ts);
	json_decref(fn);
	tc_ctx_close(&x);
	return rc;
}
