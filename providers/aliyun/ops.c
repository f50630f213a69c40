/*
 * ops.c — the Alibaba Cloud provider's operations: deploy, update, status,
 * invoke, rollback, undeploy, schedule and unschedule.  Each reads what
 * exists (nothing is stored locally) and converges it:
 *
 *   logs (SLS project, logstore, index) → code (inline, or through OSS over
 *   the inline limit) and configuration of the function (only what differs)
 *   → tags → a new version when anything changed, and the stage's alias
 *   moved to it → the alias's async config (dead letter) → front door
 *   (HTTP trigger) → timers → the task response bucket (tasks.c) → old
 *   versions pruned; remote_env and role_arn are checked first (tasks.c).
 *
 * An unchanged stage costs reads only: the code is compared by CRC-64
 * (FC's codeChecksum) and the configuration field by field, so `update`
 * with nothing new sends no write call and uploads nothing.  Any step can
 * fail and the command be run again: what exists is reused.
 *
 * The role (decided here, documented in hoist-settings(5)): role_arn when
 * set; else, when the function itself calls other services (remote_env
 * from OSS, task responses in OSS, tasks through InvokeFunction), the role
 * hoist makes for it with exactly those grants (tasks.c, ram.c); else
 * Function Compute's own service-linked role
 * acs:ram::<account>:role/aliyunserviceroleforfc, which FC 3.0 lets a
 * function use for exactly what hoist configures (log delivery to SLS, VPC
 * attachment) and nothing else — least privilege without creating a RAM
 * role.  function_role() is the one place that decides; a function moved
 * off hoist's role has that role removed, and so does undeploy.
 */
#include "fc.h"

#include "../invoke.h"
#include "../provider.h"

#include "../../core/crc64.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/stagelock.h"
#include "../../core/str.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

extern const struct provider aliyun_provider;

/* The archive to send, whatever its origin (fresh package or --zip FILE). */
struct art {
	const char *zip;
	unsigned long long size;
	char crc[24];            /* CRC-64/ECMA-182, decimal (FC's codeChecksum) */
	bool objstore;
	bool sent;   /* uploaded to oss_code_key while the pre-flight ran */
};

/* Does `fn` (NULL: none yet) get new code from `a` (NULL or no_upload: no code sent)? */
static bool new_code(const struct art *a, bool no_upload, const json_t *fn)
{
	return fn && a && !no_upload && strcmp(a->crc, fc_str(fn, "codeChecksum") ?: "");
}

static int art_from(const struct package_info *pi, struct art *a, struct herr *e)
{
	const struct package_limits *l = &aliyun_provider.limits;
	struct stat sb;
	uint64_t crc;
	int rc;

	memset(a, 0, sizeof(*a));
	a->zip = pi->zip_path;
	if (stat(a->zip, &sb) != 0)
		return herr_set(e, HOIST_USAGE, "cannot read %s: %s", a->zip, strerror(errno));
	a->size = (unsigned long long)sb.st_size;
	if (l->objstore_zip && a->size > l->objstore_zip) {
		herr_set(e, HOIST_USAGE, "%s is %llu bytes: Function Compute takes at most %llu bytes "
			 "of zip through OSS (%llu inline); nothing was uploaded", a->zip, a->size,
			 l->objstore_zip, l->inline_zip);
		return herr_hint(e, "exclude what the function does not need (exclude, "
				 "exclude_glob), or use layers");
	}
	a->objstore = package_via_objstore(l, a->size);
	if ((rc = crc64_file(a->zip, &crc, e)) != HOIST_OK)
		return rc;
	snprintf(a->crc, sizeof(a->crc), "%" PRIu64, crc);
	return HOIST_OK;
}

/*
 * The package (deploy_package), into *art; while its pre-flight runs, the
 * stage lock is taken when the deployed function *fn (NULL: none yet) gets
 * new code, and the zip is uploaded to OSS when it goes through there and
 * hoist's bucket exists already (upload_early.c): art->sent.  Locked, *fn
 * is read again meanwhile (replaced), the read its update need not make.
 */
static int package_ready(struct ali_ctx *x, const struct deploy_args *a, json_t **fn,
			 struct art *art, struct herr *e)
{
	struct ali_early up;
	int rc = deploy_package_built(a, e);
	json_t *now = NULL;
	bool code, locked;

	up.up.started = false;
	if (!rc)
		rc = art_from(a->pkg, art, e);
	code = !rc && new_code(art, a->no_upload, *fn);
	if ((code || (!rc && !*fn && !a->no_upload)) && art->objstore)
		rc = ali_early_upload_start(x, &up, art->zip, art->size, art->crc, e);
	locked = !rc && (up.up.started || code);
	if (locked && !up.up.started)
		rc = stage_before_write(x->st, e);
	/* locked: the function read again meanwhile, so that its write need not (fc_update) */
	if (!rc && locked && *fn && !(rc = fc_get(x, NULL, &now, e)) && now) {
		json_decref(*fn);
		*fn = now;
		x->fn_read_locked = fc_settled(now);
	}
	if (!rc)
		rc = deploy_package(a, e);   /* the pre-flight's verdict */
	art->sent = upload_early_end(&up.up, rc == HOIST_OK);
	return rc;
}

static int not_deployed(const struct ali_ctx *x, struct herr *e)
{
	return stage_not_deployed(e, x->st, "Function Compute function", x->region);
}

/* The deployed function, its versions (newest first) and the stage's alias; not deployed is an error. */
static int deployed(struct ali_ctx *x, json_t **fn, json_t **versions, json_t **alias,
		    struct herr *e)
{
	int rc = fc_get(x, NULL, fn, e);

	if (!rc && !*fn)
		rc = not_deployed(x, e);
	if (!rc)
		rc = fc_versions(x, versions, e);
	if (!rc)
		rc = fc_alias_get(x, alias, e);
	return rc;
}

/* ---- the desired configuration ---------------------------------------------------- */

static int function_role(struct ali_ctx *x, char **role, struct herr *e)
{
	const char *arn = settings_str(x->st->settings, "role_arn"), *acct;
	int rc;

	*role = NULL;
	if (arn || x->fn_role) {
		*role = xstrdup(arn ? arn : x->fn_role);
		return HOIST_OK;
	}
	if ((rc = ali_account_id(x, &acct, e)) != HOIST_OK)
		return rc;
	*role = xasprintf("acs:ram::%s:role/aliyunserviceroleforfc", acct);
	return HOIST_OK;
}

/*
 * The function's configuration as UpdateFunction takes it.  `have` (the
 * function as GetFunction gives it, or NULL on create) decides whether a
 * VPC or layers must be cleared explicitly.
 */
static int desired_config(struct ali_ctx *x, const json_t *have, json_t **out, struct herr *e)
{
	const json_t *s = x->st->settings;
	const char *desc = settings_str(s, "lambda_description");
	char *role = NULL, *project = NULL, *logstore = NULL;
	json_t *c, *vpc = NULL, *layers;
	int rc;

	*out = NULL;
	if ((rc = function_role(x, &role, e)) || (rc = sls_names(x, &project, &logstore, e)) ||
	    (rc = ali_vpc_config(x->st, &vpc, e)))
		goto fail;
	c = json_pack("{s:s, s:s, s:I, s:I, s:s, s:o, s:s, s:i, s:b}",
		      "runtime", settings_str(s, "runtime") ?: "python3.12", "handler", ALI_HANDLER,
		      "memorySize", (json_int_t)settings_int(s, "memory_size", 512),
		      "timeout", (json_int_t)settings_int(s, "timeout_seconds", 30),
		      "description", desc ? desc : "", "environmentVariables", settings_strmap(s, "environment_variables"),
		      "role", role, "instanceConcurrency", 1, "internetAccess", 1);
	json_object_set_new(c, "logConfig", json_pack("{s:s, s:s, s:b, s:b, s:s}", "project",
			    project, "logstore", logstore, "enableRequestMetrics", 1,
			    "enableInstanceMetrics", 0, "logBeginRule", "DefaultRegex"));
	if (vpc)
		json_object_set_new(c, "vpcConfig", vpc);
	else if (have && fc_str(json_object_get(have, "vpcConfig"), "vpcId") &&
		 *fc_str(json_object_get(have, "vpcConfig"), "vpcId"))
		json_object_set_new(c, "vpcConfig", json_pack("{s:s, s:[], s:s}", "vpcId", "",
				    "vSwitchIds", "securityGroupId", ""));
	layers = settings_strlist(s, "layers");
	if (json_array_size(layers) || (have && json_array_size(json_object_get(have, "layers"))))
		json_object_set(c, "layers", layers);
	json_decref(layers);
	*out = c;
fail:
	free(role);
	free(project);
	free(logstore);
	return rc;
}

static json_t *sorted_copy(const json_t *a)
{
	json_t *c = a ? json_deep_copy(a) : json_array();
	size_t n = json_array_size(c);

	for (size_t i = 1; i < n; i++)   /* tiny lists: insertion sort */
		for (size_t j = i; j > 0 && strcmp(json_string_value(json_array_get(c, j - 1)) ?: "",
						   json_string_value(json_array_get(c, j)) ?: "") > 0;
		     j--) {
			json_t *t = json_incref(json_array_get(c, j));

			json_array_set(c, j, json_array_get(c, j - 1));
			json_array_set_new(c, j - 1, t);
		}
	return c;
}

/* A configuration (desired, or GetFunction's) in one comparable form. */
static json_t *normal(const json_t *c)
{
	const json_t *vpc = json_object_get(c, "vpcConfig"), *lc = json_object_get(c, "logConfig");
	const json_t *l, *env = json_object_get(c, "environmentVariables");
	json_t *layers = json_array();
	size_t i;

	json_array_foreach(json_object_get(c, "layers"), i, l)
		json_array_append_new(layers, json_string(json_is_string(l) ? json_string_value(l)
							  : fc_str(l, "arn") ?: ""));
	return json_pack("{s:s, s:s, s:O, s:O, s:s, s:O, s:s, s:O, s:s, s:s, s:O, s:s, s:o, "
			 "s:s, s:o}",
			 "runtime", fc_str(c, "runtime") ?: "", "handler", fc_str(c, "handler") ?: "",
			 "memorySize", json_object_get(c, "memorySize") ?: json_null(),
			 "timeout", json_object_get(c, "timeout") ?: json_null(),
			 "description", fc_str(c, "description") ?: "",
			 "environmentVariables", env ? env : json_null(),
			 "role", fc_str(c, "role") ?: "",
			 "instanceConcurrency", json_object_get(c, "instanceConcurrency") ?: json_null(),
			 "logProject", fc_str(lc, "project") ?: "",
			 "logstore", fc_str(lc, "logstore") ?: "",
			 "requestMetrics", json_object_get(lc, "enableRequestMetrics") ?: json_false(),
			 "vpcId", fc_str(vpc, "vpcId") ?: "",
			 "vSwitchIds", sorted_copy(json_object_get(vpc, "vSwitchIds")),
			 "securityGroupId", fc_str(vpc, "securityGroupId") ?: "",
			 "layers", layers);
}

static bool config_differs(const json_t *want, const json_t *have)
{
	json_t *a = normal(want), *b = normal(have);
	bool diff = !json_equal(a, b);

	if (diff && out_get()->verbosity > 0) {
		const char *k;
		json_t *v;

		json_object_foreach(a, k, v)
			if (!json_equal(v, json_object_get(b, k)))
				out_info("configuration: %s changes", k);
	}
	json_decref(a);
	json_decref(b);
	return diff;
}

/* ---- code ------------------------------------------------------------------------ */

/*
 * The code block for CreateFunction/UpdateFunction: inline (the body holds
 * http_body_mark(), *inline_zip is the file to stream) or uploaded to OSS
 * (then *bucket and *key are set: delete the object once FC has the code).
 */
static int code_source(struct ali_ctx *x, const struct art *a, json_t **code,
		       const char **inline_zip, char **bucket, char **key, struct herr *e)
{
	char sz[32];
	int rc;

	*bucket = *key = NULL;
	*inline_zip = NULL;
	if (!a->objstore) {
		out_step("Uploading %s (%s) to Function Compute", a->zip,
			 str_size(a->size, sz, sizeof(sz)));
		*code = json_pack("{s:o, s:s}", "zipFile", http_body_mark(), "checksum", a->crc);
		*inline_zip = a->zip;
		return HOIST_OK;
	}
	rc = oss_bucket_name(x, bucket, e);
	if (!rc && !a->sent) {
		out_info("%s is %s: the code goes through OSS", a->zip,
			 str_size(a->size, sz, sizeof(sz)));
		rc = oss_bucket_ensure(x, *bucket, e);
	}
	if (!rc)
		*key = oss_code_key(x, a->crc);
	if (!rc && !a->sent)
		rc = oss_put_file(x, *bucket, *key, a->zip, a->size, e);
	if (!rc)
		*code = json_pack("{s:s, s:s, s:s}", "ossBucketName", *bucket, "ossObjectName", *key,
				  "checksum", a->crc);
	return rc;
}

static void drop_uploaded(struct ali_ctx *x, char *bucket, char *key)
{
	struct herr e2 = { 0 };

	if (bucket && key && oss_delete(x, bucket, key, &e2))
		out_warn("could not delete oss://%s/%s: %s", bucket, key, e2.msg);
	free(bucket);
	free(key);
}

/* ---- create / converge ------------------------------------------------------------- */

static int logs_ready(struct ali_ctx *x, struct herr *e)
{
	char *project = NULL, *logstore = NULL;
	int rc = sls_names(x, &project, &logstore, e);

	if (!rc)
		rc = sls_ensure(x, project, logstore, e);
	free(project);
	free(logstore);
	return rc;
}

static int converge_function(struct ali_ctx *x, const struct art *a, bool no_upload,
			     json_t **latest, bool *changed, struct herr *e);

static int create_function(struct ali_ctx *x, const struct art *a, struct herr *e)
{
	char *bucket = NULL, *key = NULL;
	const char *zip = NULL;
	json_t *body = NULL, *code = NULL, *tags = settings_strmap(x->st->settings, "tags"), *t = json_array(), *v;
	const char *k;
	int rc;

	rc = desired_config(x, NULL, &body, e);
	if (!rc)
		rc = code_source(x, a, &code, &zip, &bucket, &key, e);
	if (rc)
		goto out;
	json_object_set_new(body, "functionName", json_string(x->st->function_name));
	json_object_set(body, "code", code);
	json_object_foreach(tags, k, v)
		json_array_append_new(t, json_pack("{s:s, s:O}", "Key", k, "Value", v));
	if (json_array_size(t))
		json_object_set(body, "tags", t);
	out_step("Creating Function Compute function %s", x->st->function_name);
	rc = fc_create(x, body, zip, e);
	if (rc && strstr(e->msg, "FunctionAlreadyExists")) {
		/* a retry after an unknown outcome met the first attempt's function */
		json_t *latest = NULL;
		bool changed;

		out_info("function %s exists after all; converging it", x->st->function_name);
		herr_clear(e);
		rc = converge_function(x, a, false, &latest, &changed, e);
		json_decref(latest);
	}
	if (!rc)
		drop_uploaded(x, bucket, key);
	else {
		free(bucket);
		free(key);
	}
	if (!rc)
		rc = fc_wait(x, NULL, e);
out:
	json_decref(t);
	json_decref(tags);
	json_decref(code);
	json_decref(body);
	return rc;
}

/*
 * Bring the function's LATEST to the package and settings: code only when
 * its CRC-64 differs, configuration only when a field differs, tags.
 * *latest: the function as this run read it already (taken; asked again
 * unless settled), or NULL; then LATEST as it stands when nothing was
 * written, else NULL.  *changed: something was written.
 */
static int converge_function(struct ali_ctx *x, const struct art *a, bool no_upload,
			     json_t **latest, bool *changed, struct herr *e)
{
	json_t *fn = *latest, *want = NULL, *code = NULL, *tags = NULL;
	char *bucket = NULL, *key = NULL;
	const char *zip = NULL;
	bool code_changed;
	int rc = HOIST_OK;

	*changed = false;
	*latest = NULL;
	if (!fc_settled(fn)) {
		json_decref(fn);
		fn = NULL;
		rc = fc_wait(x, &fn, e);
	}
	if (rc || (rc = desired_config(x, fn, &want, e)))
		goto out;
	code_changed = new_code(a, no_upload, fn);
	if (a && !no_upload && !code_changed)
		out_step("Code unchanged (codeChecksum %s); not uploading", a->crc);
	if (code_changed) {
		if ((rc = code_source(x, a, &code, &zip, &bucket, &key, e)))
			goto out;
		json_object_set(want, "code", code);
	}
	if (code_changed || config_differs(want, fn)) {
		out_step("Updating %s%s", code_changed ? "the code and configuration of " :
			 "the configuration of ", x->st->function_name);
		rc = fc_update(x, want, zip, e);
		if (!rc)
			drop_uploaded(x, bucket, key);
		else {
			free(bucket);
			free(key);
		}
		*changed = !rc;
		if (!rc && ali_tasks_is_our_role(x, fc_str(fn, "role")) &&
		    !ali_tasks_is_our_role(x, fc_str(want, "role")))
			rc = ali_tasks_role_remove(x, e);   /* no longer used */
	} else {
		out_info("configuration unchanged");
	}
	tags = settings_strmap(x->st->settings, "tags");
	if (!rc)
		rc = fc_tags_converge(x, fc_str(fn, "functionArn") ?: "", json_object_get(fn, "tags"),
				      tags, e);
	if (!rc && !*changed)
		*latest = json_incref(fn);   /* its tags aside, what publish compares */
out:
	json_decref(tags);
	json_decref(code);
	json_decref(want);
	json_decref(fn);
	return rc;
}

/* The dead letter: PutAsyncInvokeConfig destinationConfig.onFailure on the alias. */
static int converge_async(struct ali_ctx *x, struct herr *e)
{
	const char *dlq = settings_str(x->st->settings, "dead_letter_arn");
	json_t *have = NULL, *want;
	const char *cur;
	int rc = fc_async_get(x, &have, e);

	if (rc)
		return rc;
	cur = fc_str(json_object_get(json_object_get(have, "destinationConfig"), "onFailure"),
		     "destination");
	if (dlq && (!cur || strcmp(cur, dlq))) {
		out_step("Failed asynchronous invocations go to %s", dlq);
		want = json_pack("{s:{s:{s:s}}}", "destinationConfig", "onFailure", "destination",
				 dlq);
		rc = fc_async_put(x, want, e);
		json_decref(want);
	} else if (!dlq && have) {
		out_step("Removing the async-invoke config (dead_letter_arn is gone)");
		rc = fc_async_delete(x, e);
	}
	json_decref(have);
	return rc;
}

/*
 * The alias to a version holding LATEST: a new version when LATEST changed
 * (or was never published), else the newest version if the alias points
 * elsewhere (after a rollback), else nothing.  known: LATEST as this run
 * read it with nothing written since (converge_function), or NULL.
 */
static int publish(struct ali_ctx *x, bool changed, const json_t *known, struct herr *e)
{
	json_t *alias = NULL, *versions = NULL, *latest = NULL, *top = NULL, *w = NULL;
	const char *newest;
	char *version = NULL;
	int rc;

	if ((rc = fc_alias_get(x, &alias, e)) || (rc = fc_versions(x, &versions, e)))
		goto out;
	newest = fc_str(json_array_get(versions, 0), "versionId");
	if (!changed && newest) {   /* does the newest version hold LATEST? */
		latest = json_incref((json_t *)known);
		if ((!latest && (rc = fc_get(x, NULL, &latest, e))) ||
		    (rc = fc_get(x, newest, &top, e)))
			goto out;
		changed = !top || strcmp(fc_str(latest, "codeChecksum") ?: "",
					 fc_str(top, "codeChecksum") ?: "") ||
			  config_differs(latest, top);
	}
	if (changed || !newest) {
		if ((rc = fc_publish(x, &version, e)))
			goto out;
		out_step("Published version %s of %s", version, x->st->function_name);
		newest = version;
	}
	if (!alias || strcmp(fc_str(alias, "versionId") ?: "", newest)) {
		out_step("Alias %s -> version %s", x->alias, newest);
		rc = fc_alias_point(x, newest, alias != NULL, e);
	}
out:
	free(version);
	json_decref(w);
	json_decref(top);
	json_decref(latest);
	json_decref(versions);
	json_decref(alias);
	return rc;
}

/* Delete the oldest published versions beyond num_retained_versions, never the alias's. */
static int prune(struct ali_ctx *x, struct herr *e)
{
	long long keep = settings_int(x->st->settings, "num_retained_versions", 0);
	json_t *versions = NULL, *alias = NULL;
	size_t n, i;
	int rc;

	if (keep <= 0)
		return HOIST_OK;
	if ((rc = fc_versions(x, &versions, e)) || (rc = fc_alias_get(x, &alias, e)))
		goto out;
	n = json_array_size(versions);
	for (i = (size_t)keep; !rc && i < n; i++) {
		const char *id = fc_str(json_array_get(versions, i), "versionId");

		if (!id || !strcmp(id, fc_str(alias, "versionId") ?: ""))
			continue;
		out_info("deleting old version %s", id);
		rc = fc_version_delete(x, id, e);
	}
out:
	json_decref(alias);
	json_decref(versions);
	return rc;
}

/* Everything after the function exists: version + alias, dead letter, front door, timers. */
static void read_ahead_finish(struct ali_ctx *x);

static int finish(struct ali_ctx *x, bool changed, const json_t *latest, char **url,
		  struct herr *e)
{
	int rc = publish(x, changed, latest, e);

	if (!rc && changed)
		read_ahead_finish(x);   /* the alias is the function's last write */
	if (!rc)
		rc = converge_async(x, e);
	if (!rc)
		rc = ali_frontdoor_ensure(x, url, e);
	if (!rc)
		rc = ali_timers_ensure(x, NULL, e);
	if (!rc)
		rc = ali_tasks_ensure(x, e);
	if (!rc)
		rc = prune(x, e);
	if (!rc && !*url)
		*url = xasprintf("acs:fc:%s:%s:functions/%s/%s", x->region, x->account_id ?: "",
				 x->st->function_name, x->alias);
	return rc;
}

int ali_deploy(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e)
{
	struct ali_ctx x;
	struct art art;
	json_t *fn = NULL;
	char *old = NULL;
	bool changed = true;
	int rc;

	*url = NULL;
	if ((rc = ali_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = ali_tasks_check(&x, e);
	if (!rc)
		rc = fc_get(&x, NULL, &fn, e);
	if (!rc && fn && (rc = ali_frontdoor_url(&x, &old, NULL, e)) == HOIST_OK &&
	    (old || !ali_frontdoor_any(st))) {
		rc = stage_already_deployed(e, st, old ? old : st->function_name);
		goto out;
	}
	if (!rc)   /* the package was built beside the reads above; nothing written yet */
		rc = package_ready(&x, a, &fn, &art, e);
	if (!rc)
		rc = logs_ready(&x, e);
	if (!rc)
		rc = ali_tasks_role(&x, e);
	if (!rc && fn) {
		out_step("Function %s exists (an earlier deploy stopped half-way); finishing it",
			 st->function_name);
		rc = converge_function(&x, &art, false, &fn, &changed, e);
	} else if (!rc) {
		rc = create_function(&x, &art, e);
	}
	if (!rc)
		rc = finish(&x, changed, fn, url, e);
	if (rc && !strstr(e->msg, "already deployed"))
		stage_deploy_kept_hint(e, st);
out:
	free(old);
	json_decref(fn);
	ali_ctx_close(&x);
	return rc;
}

/* ---- reads made ahead (core/readahead.h) ------------------------------------------ */

/*
 * What an update reads after the function, each chain on a thread of its
 * own, run by the very functions the update calls (a reader sends only
 * reads: one that would write stops there).  Their answers wait for the
 * update's own reads of the same requests.
 */
/* One part of logs_ready: the account (shared by the three readers), then that part. */
static void ahead_log_part(struct ali_ctx *x, enum sls_step step)
{
	char *project = NULL, *logstore = NULL;
	struct herr e = { 0 };

	if (!sls_names(x, &project, &logstore, &e))
		sls_ensure_step(x, project, logstore, step, &e);
	free(project);
	free(logstore);
}

static void ahead_role_and_project(struct ali_ctx *x)
{
	struct herr e = { 0 };

	ali_tasks_role(x, &e);   /* the RAM role the function gets, if hoist makes one */
	ahead_log_part(x, SLS_PROJECT);
}

static void ahead_logstore(struct ali_ctx *x)
{
	ahead_log_part(x, SLS_LOGSTORE);
}

static void ahead_log_index(struct ali_ctx *x)
{
	ahead_log_part(x, SLS_INDEX);
}

static void ahead_alias(struct ali_ctx *x)
{
	json_t *alias = NULL;
	struct herr e = { 0 };

	fc_alias_get(x, &alias, &e);
	json_decref(alias);
}

static void ahead_versions(struct ali_ctx *x)
{
	json_t *versions = NULL, *top = NULL;
	const char *newest;
	struct herr e = { 0 };

	if (!fc_versions(x, &versions, &e) &&
	    (newest = fc_str(json_array_get(versions, 0), "versionId")))
		fc_get(x, newest, &top, &e);   /* publish's: does it hold LATEST? */
	json_decref(top);
	json_decref(versions);
}

static void ahead_async(struct ali_ctx *x)
{
	struct herr e = { 0 };

	converge_async(x, &e);
}

static void ahead_frontdoor(struct ali_ctx *x)
{
	struct herr e = { 0 };
	char *url = NULL;

	ali_frontdoor_ensure(x, &url, &e);
	free(url);
}

static void ahead_timers(struct ali_ctx *x)
{
	struct herr e = { 0 };

	if (!ali_timers_ensure(x, NULL, &e))
		ali_tasks_ensure(x, &e);
}

/*
 * After the function's writes (publish, the alias): the rest of finish()'s
 * reads, side by side again, in a read-ahead of their own (the first ended
 * at the first write).  None of them reads what those writes changed.
 */
static void read_ahead_finish(struct ali_ctx *x)
{
	readahead_readers_end(&x->ahead, x->client.http);
	ali_read_ahead(x, ahead_async);
	ali_read_ahead(x, ahead_frontdoor);
	ali_read_ahead(x, ahead_timers);
}

/*
 * Started at once: the function's reads need no account (FC3's endpoint is
 * the region's alone); the readers that do share one GetCallerIdentity,
 * the command's own when it asked first (core/readahead.h).
 */
static void read_ahead(struct ali_ctx *x)
{
	ali_read_ahead(x, ahead_role_and_project);
	ali_read_ahead(x, ahead_logstore);
	ali_read_ahead(x, ahead_log_index);
	ali_read_ahead(x, ahead_alias);
	ali_read_ahead(x, ahead_versions);
	ali_read_ahead(x, ahead_async);
	ali_read_ahead(x, ahead_frontdoor);
	ali_read_ahead(x, ahead_timers);
}

int ali_update(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e)
{
	struct ali_ctx x;
	struct art art;
	json_t *fn = NULL;
	bool changed = false;
	int rc;

	*url = NULL;
	if ((rc = ali_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	read_ahead(&x);
	rc = ali_tasks_check(&x, e);
	if (!rc)
		rc = fc_get(&x, NULL, &fn, e);
	if (!rc && !fn)
		rc = not_deployed(&x, e);
	if (!rc)   /* the package was built beside the reads above; nothing written yet */
		rc = package_ready(&x, a, &fn, &art, e);
	if (!rc)
		rc = logs_ready(&x, e);
	if (!rc)
		rc = ali_tasks_role(&x, e);
	if (!rc)
		rc = converge_function(&x, &art, a->no_upload, &fn, &changed, e);
	if (!rc)
		rc = finish(&x, changed, fn, url, e);
	json_decref(fn);
	ali_ctx_close(&x);
	return rc;
}

/* ---- status ---------------------------------------------------------------------------- */

/* 24-hour invocations and errors from FC's request-metrics lines in SLS. */
static void metrics(struct ali_ctx *x, json_t *j)
{
	char *project = NULL, *logstore = NULL, *q = NULL, *qe = NULL;
	long long now = (long long)x->opened, inv = 0, errs = 0;
	struct herr e2 = { 0 };

	if (sls_names(x, &project, &logstore, &e2) == HOIST_OK) {
		q = xasprintf("__topic__: \"FCRequestMetrics:/%s\"", x->st->function_name);
		qe = xasprintf("%s and hasFunctionError: true", q);
		if (sls_count(x, project, logstore, now - 86400, now + 1, q, &inv, &e2) ||
		    sls_count(x, project, logstore, now - 86400, now + 1, qe, &errs, &e2)) {
			out_warn("invocation metrics unavailable: %s", e2.msg);
		} else {
			json_object_set_new(j, "invocations_24h", json_integer(inv));
			json_object_set_new(j, "errors_24h", json_integer(errs));
		}
	}
	free(q);
	free(qe);
	free(project);
	free(logstore);
}

/* What status reads after the function, each part on a thread of its own (ali_read_ahead). */
static void ahead_status_versions(struct ali_ctx *x)
{
	json_t *vs = NULL;
	struct herr e = { 0 };

	fc_versions(x, &vs, &e);
	json_decref(vs);
}

static void ahead_status_parts(struct ali_ctx *x)
{
	json_t *scratch = json_object();
	struct herr e = { 0 };

	ali_frontdoor_status(x, scratch, &e);
	json_decref(scratch);
}

static void ahead_status_timers(struct ali_ctx *x)
{
	json_t *scratch = json_object();
	struct herr e = { 0 };
	char *domain = NULL;

	ali_timers_status(x, scratch, &e);
	herr_clear(&e);
	ali_domain_url(x, &domain, &e);
	free(domain);
	json_decref(scratch);
}

static void ahead_status_metrics(struct ali_ctx *x)
{
	json_t *scratch = json_object();

	metrics(x, scratch);
	json_decref(scratch);
}

int ali_status(const struct stage *st, json_t **status, struct herr *e)
{
	struct ali_ctx x;
	json_t *fn = NULL, *vs = NULL, *alias = NULL, *j = NULL, *ids, *v;
	char *domain = NULL;
	struct herr e2 = { 0 };
	size_t i;
	int rc;

	*status = NULL;
	if ((rc = ali_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	ali_read_ahead(&x, ahead_status_versions);
	ali_read_ahead(&x, ahead_alias);
	ali_read_ahead(&x, ahead_status_parts);
	ali_read_ahead(&x, ahead_status_timers);
	ali_read_ahead(&x, ahead_status_metrics);
	if ((rc = deployed(&x, &fn, &vs, &alias, e)))
		goto out;
	j = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:O?, s:O?, s:s?, s:s?, s:s?, s:s?, s:s}",
		      "stage", st->name, "function", st->function_name, "alias", x.alias,
		      "function_arn", fc_str(fn, "functionArn"), "runtime", fc_str(fn, "runtime"),
		      "memory_size", json_object_get(fn, "memorySize"),
		      "timeout", json_object_get(fn, "timeout"), "state", fc_str(fn, "state"),
		      "last_update_status", fc_str(fn, "lastUpdateStatus"),
		      "code_checksum", fc_str(fn, "codeChecksum"),
		      "last_modified", fc_str(fn, "lastModifiedTime"), "region", x.region);
	if (alias)
		json_object_set_new(j, "version", json_string(fc_str(alias, "versionId") ?: ""));
	ids = json_array();
	json_array_foreach(vs, i, v)
		json_array_insert_new(ids, 0, json_string(fc_str(v, "versionId") ?: ""));
	json_object_set_new(j, "versions", ids);
	if (ali_frontdoor_status(&x, j, &e2))
		out_warn("front door: %s", e2.msg);
	herr_clear(&e2);
	if (ali_timers_status(&x, j, &e2))
		out_warn("timers: %s", e2.msg);
	herr_clear(&e2);
	if (ali_domain_url(&x, &domain, &e2) == HOIST_OK && domain)
		json_object_set_new(j, "domain_url", json_string(domain));
	else if (e2.code)
		out_warn("custom domain: %s", e2.msg);
	herr_clear(&e2);
	metrics(&x, j);
	*status = j;
	j = NULL;
out:
	free(domain);
	json_decref(j);
	json_decref(alias);
	json_decref(vs);
	json_decref(fn);
	ali_ctx_close(&x);
	return rc;
}

/* ---- invoke --------------------------------------------------------------------------- */

static char *decoded_log(const char *b64)
{
	size_t n;

	return b64 && *b64 ? (char *)str_b64_decode(b64, strlen(b64), &n) : NULL;
}

int ali_invoke(const struct stage *st, const struct invoke_args *a, json_t **result,
	       struct herr *e)
{
	struct ali_ctx x;
	struct ali_result r = { 0 };
	json_t *ev = NULL, *payload = NULL, *ans;
	char *text = NULL, *log = NULL;
	const char *etype;
	int rc;

	*result = NULL;
	if ((rc = invoke_event(a, &ev, e)) != HOIST_OK)
		return rc;
	if ((rc = ali_ctx_open(&x, st, e)) != HOIST_OK)
		goto out0;
	text = json_dumps(ev, JSON_COMPACT | JSON_ENCODE_ANY);
	out_info("Invoking %s:%s", st->function_name, x.alias);
	rc = fc_invoke(&x, x.alias, text, strlen(text), false, &r, e);
	if (rc && (ali_error_is(&r, "FunctionNotFound") || ali_error_is(&r, "AliasNotFound")))
		rc = not_deployed(&x, e);
	if (rc)
		goto out;
	log = decoded_log(http_headers_get(&r.headers, "x-fc-log-result"));
	etype = http_headers_get(&r.headers, "x-fc-error-type");
	payload = json_loadb(r.raw.s ? r.raw.s : "", r.raw.len, JSON_DECODE_ANY, NULL);
	if (!payload)
		payload = json_stringn(r.raw.s ? r.raw.s : "", r.raw.len);
	if (etype)
		ans = json_pack("{s:s++}", "error", fc_str(payload, "errorType") ?: etype, ": ",
				fc_str(payload, "errorMessage") ?: "");
	else if (a->payload || !json_is_object(payload))
		ans = json_pack("{s:O}", "result", payload);
	else
		ans = json_deep_copy(payload);
	if (log && *log)
		json_object_set_new(ans, "output", json_string(log));
	*result = ans;
out:
	free(log);
	free(text);
	json_decref(payload);
	ali_result_free(&r);
	ali_ctx_close(&x);
out0:
	json_decref(ev);
	return rc;
}

/* ---- rollback --------------------------------------------------------------------------- */

int ali_rollback(const struct stage *st, int back, char **url, struct herr *e)
{
	struct ali_ctx x;
	json_t *vs = NULL, *alias = NULL, *fn = NULL;
	const char *cur, *target;
	size_t n, at = 0;
	int rc;

	*url = NULL;
	if ((rc = ali_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = deployed(&x, &fn, &vs, &alias, e);
	if (!rc && !alias)
		rc = herr_set(e, HOIST_FAIL, "stage '%s' has no alias %s to roll back", st->name,
			      x.alias);
	if (rc)
		goto out;
	cur = fc_str(alias, "versionId") ?: "";
	n = json_array_size(vs);
	while (at < n && strcmp(fc_str(json_array_get(vs, at), "versionId") ?: "", cur))
		at++;
	if (at + (size_t)back >= n) {
		rc = herr_set(e, HOIST_FAIL, "cannot roll back %d version%s: alias %s is at version "
			      "%s and %s has %zu older published version%s", back,
			      back == 1 ? "" : "s", x.alias, cur, st->function_name,
			      at < n ? n - at - 1 : 0, at < n && n - at - 1 == 1 ? "" : "s");
		herr_hint(e, "num_retained_versions limits how many are kept");
		goto out;
	}
	target = fc_str(json_array_get(vs, at + (size_t)back), "versionId");
	out_step("Alias %s: version %s -> %s", x.alias, cur, target);
	rc = fc_alias_point(&x, target, true, e);
	if (!rc)
		rc = ali_frontdoor_url(&x, url, NULL, e);
	if (!rc && !*url)
		*url = xasprintf("%s:%s", st->function_name, x.alias);
out:
	json_decref(fn);
	json_decref(alias);
	json_decref(vs);
	ali_ctx_close(&x);
	return rc;
}

/* ---- undeploy --------------------------------------------------------------------------- */

static int remove_artifacts(struct ali_ctx *x, struct herr *e)
{
	char *bucket = NULL, *prefix;
	bool exists = false;
	int rc, n = 0;

	rc = oss_bucket_name(x, &bucket, e);
	if (!rc)
		rc = oss_bucket_exists(x, bucket, &exists, e);
	if (!rc && exists) {
		prefix = xasprintf("%s/", x->st->function_name);
		rc = oss_delete_prefix(x, bucket, prefix, &n, e);
		if (!rc && n)
			out_step("Deleted %d artifact%s from oss://%s/%s", n, n == 1 ? "" : "s",
				 bucket, prefix);
		free(prefix);
	}
	free(bucket);
	return rc;
}

/* Every trigger, the alias, the async config, every version, then the function. */
static int remove_function(struct ali_ctx *x, struct herr *e)
{
	json_t *ts = NULL, *vs = NULL, *t;
	size_t i;
	int rc = fc_triggers(x, &ts, e);

	json_array_foreach(ts, i, t) {
		if (rc)
			break;
		out_step("Deleting trigger %s", fc_str(t, "triggerName"));
		rc = fc_trigger_delete(x, fc_str(t, "triggerName"), e);
	}
	if (!rc)
		rc = fc_async_delete(x, e);
	if (!rc)
		rc = fc_alias_delete(x, e);
	if (!rc)
		rc = fc_versions(x, &vs, e);
	for (i = json_array_size(vs); !rc && i > 0; i--)
		rc = fc_version_delete(x, fc_str(json_array_get(vs, i - 1), "versionId"), e);
	if (!rc) {
		out_step("Deleting Function Compute function %s", x->st->function_name);
		rc = fc_delete(x, e);
	}
	json_decref(vs);
	json_decref(ts);
	return rc;
}

int ali_undeploy(const struct stage *st, const struct undeploy_args *a, struct herr *e)
{
	struct ali_ctx x;
	json_t *fn = NULL;
	bool gone = false;
	int rc;

	if ((rc = ali_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = fc_get(&x, NULL, &fn, e);
	if (!rc)
		rc = ali_domain_remove(&x, e);   /* the domain routes to the function: first */
	if (!rc)
		rc = ali_frontdoor_remove(&x, e);
	if (!rc && fn)
		rc = remove_function(&x, e);
	if (!rc)
		rc = remove_artifacts(&x, e);
	if (!rc)
		rc = ali_tasks_role_remove(&x, e);
	if (!rc && a->remove_logs) {
		rc = sls_remove(&x, &gone, e);
		if (!rc && gone)
			out_step("Deleted the SLS logstore of %s", st->function_name);
	}
	if (rc)
		herr_hint(e, "what is left can be removed by running 'hoist undeploy %s' again",
			  st->name);
	json_decref(fn);
	ali_ctx_close(&x);
	return rc;
}

/* ---- schedule ----------------------------------------------------------------------------- */

int ali_schedule(const struct stage *st, json_t **scheduled, struct herr *e)
{
	struct ali_ctx x;
	json_t *fn = NULL;
	int rc;

	*scheduled = NULL;
	if ((rc = ali_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = fc_get(&x, NULL, &fn, e);
	if (!rc && !fn)
		rc = not_deployed(&x, e);
	if (!rc)
		rc = ali_timers_ensure(&x, scheduled, e);
	json_decref(fn);
	ali_ctx_close(&x);
	return rc;
}

int ali_unschedule(const struct stage *st, struct herr *e)
{
	struct ali_ctx x;
	int rc;

	if ((rc = ali_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = ali_timers_remove(&x, e);
	ali_ctx_close(&x);
	return rc;
}
