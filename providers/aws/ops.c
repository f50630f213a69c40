/*
 * ops.c — the AWS provider's operations: deploy, update, status, invoke,
 * rollback, undeploy, and the slim-bundle location the package step asks
 * for.  Each reads what exists (nothing is stored locally), then converges
 * it: role → artifacts → function (code, configuration, tags) → front door
 * (frontdoor.c) → rules (events.c) → task resources (tasks.c), these three
 * while the function settles → the new version published → old versions
 * pruned → the stage digest; remote_env is checked before anything changes.  Any
 * step can fail and the command be run again: what exists is reused, what
 * is unchanged is not sent again.  After a deploy or update with a front
 * door, `touch` warms the function with one API Gateway-shaped GET of
 * touch_path through Lambda Invoke (the container the API uses).
 */
#include "deploy.h"
#include "ev_common.h"
#include "frontdoor.h"

#include "../invoke.h"
#include "../provider.h"

#include "../../core/digest.h"
#include "../../core/err.h"
#include "../../core/http.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/remote_env.h"
#include "../../core/zip_add.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/stagelock.h"
#include "../../core/str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const struct provider aws_provider;

/* Does a zip of `size` go through S3 (core/package.h: objstore_from)? */
static bool via_s3(unsigned long long size)
{
	return package_via_objstore(&aws_provider.limits, size);
}

/* The archive to send, whatever its origin (fresh package or --zip FILE). */
struct art {
	const char *zip;
	unsigned long long size;
	char sha_hex[65], sha_b64[45];
	bool objstore, slim;
	bool sent;   /* in S3 at s3_zip_key already: uploaded while the pre-flight ran */
	const char *tar;
	unsigned long long tar_size;
	char tar_hex[65];
};

/* ---- small helpers ------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Size and SHA-256 (hex and base64) of a zip hoist did not build itself. */
static int file_sha256(const char *path, struct art *a, struct herr *e)
{
	return digest_sha256_file(path, a->sha_hex, a->sha_b64, &a->size, e);
}

static int art_from(const struct package_info *pi, struct art *a, struct herr *e)
{
	int rc;

	memset(a, 0, sizeof(*a));
	a->zip = pi->zip_path;
	if (!pi->sha256_b64[0]) {               /* --zip FILE: hash it here */
		if ((rc = file_sha256(pi->zip_path, a, e)) != HOIST_OK)
			return rc;
		a->objstore = via_s3(a->size);
		return HOIST_OK;
	}
	a->size = pi->zip_size;
	memcpy(a->sha_hex, pi->sha256_hex, sizeof(a->sha_hex));
	memcpy(a->sha_b64, pi->sha256_b64, sizeof(a->sha_b64));
	a->objstore = via_s3(pi->zip_size);   /* over the inline limit too */
	a->slim = pi->slim;
	a->tar = pi->tar_path;
	a->tar_size = pi->tar_size;
	memcpy(a->tar_hex, pi->tar_sha256_hex, sizeof(a->tar_hex));
	return HOIST_OK;
}

/* Does the function run hoist's handler (else another tool deployed it: a takeover)? */
static bool hoist_function(const json_t *fn)
{
	const char *h = json_string_value(json_object_get(json_object_get(fn, "Configuration"),
							  "Handler"));

	return h && !strcmp(h, AWS_HANDLER);
}

/* Does hoist's own deployed function `fn` get new code from `art`? */
static bool new_code(const struct deploy_args *a, const struct art *art, const json_t *fn)
{
	const json_t *cfg = json_object_get(fn, "Configuration");

	return fn && !a->no_upload && art->sha_hex[0] && hoist_function(fn) &&
	       strcmp(art->sha_b64, jstr(cfg, "CodeSha256") ?: "");
}

/*
 * Will the code object go through S3 (a new function, or new code for one
 * of hoist's own; not a takeover, whose first code is another zip; not a
 * slim package, whose bundle is converged on its own)?  Then it is uploaded
 * while the pre-flight runs (upload_early.c).
 */
static bool early_wanted(const struct deploy_args *a, const struct art *art, const json_t *fn)
{
	return !a->no_upload && art->objstore && !art->slim && art->sha_hex[0] &&
	       (!fn || new_code(a, art, fn));
}

/*
 * The package (deploy_package), into *art; while its pre-flight runs, the
 * stage lock is taken when the deployed function gets new code, and the code
 * object is uploaded when it will be needed (early_wanted): art->sent.
 */
static int package_ready(struct aws_ctx *x, const struct deploy_args *a, const json_t *fn,
			 struct art *art, struct herr *e)
{
	struct aws_early up;
	int rc = deploy_package_built(a, e);

	up.up.started = false;
	if (!rc)
		rc = art_from(a->pkg, art, e);
	if (!rc && early_wanted(a, art, fn))
		rc = aws_early_upload_start(x, &up, art->zip, art->size, art->sha_hex, e);
	else if (!rc && new_code(a, art, fn))
		rc = stage_before_write(x->st, e);
	if (!rc)
		rc = deploy_package(a, e);   /* the pre-flight's verdict */
	art->sent = upload_early_end(&up.up, rc == HOIST_OK);
	return rc;
}

static bool frontdoor_wanted(const struct stage *st)
{
	return settings_bool(st->settings, "apigateway_enabled", true) ||
	       settings_bool(st->settings, "function_url_enabled", false);
}

static int not_deployed(const struct aws_ctx *x, struct herr *e)
{
	return stage_not_deployed(e, x->st, "Lambda function", x->region);
}

/* The deployed function (GetFunction) and its published versions; not deployed is an error. */
static int deployed_function(struct aws_ctx *x, json_t **fn, json_t **versions, struct herr *e)
{
	int rc = lambda_get(x, NULL, fn, e);

	if (!rc && !*fn)
		rc = not_deployed(x, e);
	if (!rc)
		rc = lambda_versions(x, versions, e);
	return rc;
}

static const char *arch_of(const struct stage *st)
{
	const char *a = settings_str(st->settings, "architecture");

	return a ? a : "x86_64";
}

/* ---- the desired configuration ------------------------------------------- */

static json_t *env_vars(const struct stage *st)
{
	json_t *vars = json_object(), *v;
	const char *k;

	json_object_foreach(json_object_get(st->settings, "environment_variables"), k, v)
		if (json_is_string(v))
			json_object_set(vars, k, v);
	json_object_foreach(json_object_get(st->settings, "aws_environment_variables"), k, v)
		if (json_is_string(v))
			json_object_set(vars, k, v);
	return vars;
}

static json_t *str_list(const json_t *a)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v))
			json_array_append(out, v);
	return out;
}

/*
 * The function's configuration as UpdateFunctionConfiguration takes it.
 * `complete`: every field, with empty values where a setting is absent (so
 * removing a setting converges); else only what is set (CreateFunction).
 */
static json_t *desired_config(const struct aws_ctx *x, const char *role, bool complete)
{
	const json_t *s = x->st->settings;
	const json_t *vpc = json_object_get(s, "vpc_config");
	const json_t *efs = json_object_get(s, "efs_config");   /* [{Arn, LocalMountPath}] */
	const char *dlq = settings_str(s, "dead_letter_arn");
	const char *desc = settings_str(s, "lambda_description");
	const char *kms = settings_str(s, "aws_kms_key_arn");
	const char *snap = settings_str(s, "snap_start");
	json_t *c = json_object(), *vars = env_vars(x->st), *layers;

	json_object_set_new(c, "Role", json_string(role));
	json_object_set_new(c, "Handler", json_string(AWS_HANDLER));
	json_object_set_new(c, "Runtime", json_string(settings_str(s, "runtime") ?: "python3.12"));
	json_object_set_new(c, "MemorySize", json_integer(settings_int(s, "memory_size", 512)));
	json_object_set_new(c, "Timeout", json_integer(settings_int(s, "timeout_seconds", 30)));
	json_object_set_new(c, "Description", json_string(desc ? desc : ""));
	if (complete || json_object_size(vars))
		json_object_set_new(c, "Environment", json_pack("{s:O}", "Variables", vars));
	if (complete || json_object_size(vpc))
		json_object_set_new(c, "VpcConfig", json_pack(
			"{s:o, s:o}", "SubnetIds", str_list(json_object_get(vpc, "SubnetIds")),
			"SecurityGroupIds", str_list(json_object_get(vpc, "SecurityGroupIds"))));
	if (complete || json_array_size(efs))
		json_object_set_new(c, "FileSystemConfigs", efs ? json_deep_copy(efs) : json_array());
	json_object_set_new(c, "TracingConfig", json_pack("{s:s}", "Mode",
		settings_bool(s, "xray_tracing", false) ? "Active" : "PassThrough"));
	if (complete || dlq)
		json_object_set_new(c, "DeadLetterConfig", json_pack("{s:s}", "TargetArn",
								     dlq ? dlq : ""));
	layers = str_list(json_object_get(s, "layers"));
	if (complete || json_array_size(layers))
		json_object_set(c, "Layers", layers);
	json_decref(layers);
	json_object_set_new(c, "EphemeralStorage", json_pack("{s:I}", "Size",
		(json_int_t)settings_int(s, "ephemeral_storage", 512)));
	if (complete || kms)   /* "": back to Lambda's own key */
		json_object_set_new(c, "KMSKeyArn", json_string(kms ? kms : ""));
	if (snap)   /* absent: left alone unless it must be switched off (snap_reset) */
		json_object_set_new(c, "SnapStart", json_pack("{s:s}", "ApplyOn", snap));
	json_decref(vars);
	return c;
}

static json_t *sorted(json_t *a)
{
	size_t n = json_array_size(a), i, j;

	for (i = 1; i < n; i++)   /* tiny lists: insertion sort */
		for (j = i; j > 0 && strcmp(json_string_value(json_array_get(a, j - 1)) ?: "",
					   json_string_value(json_array_get(a, j)) ?: "") > 0; j--) {
			json_t *t = json_incref(json_array_get(a, j));

			json_array_set(a, j, json_array_get(a, j - 1));
			json_array_set_new(a, j - 1, t);
		}
	return a;
}

static const char *snap_of(const json_t *c)
{
	return jstr(json_object_get(c, "SnapStart"), "ApplyOn") ?: "None";
}

/* A function with SnapStart on whose settings no longer ask for it: switch it off. */
static void snap_reset(json_t *want, const json_t *have)
{
	if (!json_object_get(want, "SnapStart") && strcmp(snap_of(have), "None"))
		json_object_set_new(want, "SnapStart", json_pack("{s:s}", "ApplyOn", "None"));
}

/* A configuration (desired, or GetFunctionConfiguration's) in one comparable form. */
static json_t *normal_config(const json_t *c)
{
	const json_t *vpc = json_object_get(c, "VpcConfig"), *l;
	json_t *vars = json_object_get(json_object_get(c, "Environment"), "Variables");
	json_t *layers = json_array(), *fs = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(c, "Layers"), i, l)
		json_array_append_new(layers, json_string(json_is_string(l) ? json_string_value(l)
							  : jstr(l, "Arn") ?: ""));
	json_array_foreach(json_object_get(c, "FileSystemConfigs"), i, l)
		json_array_append_new(fs, json_pack("{s:s, s:s}", "Arn", jstr(l, "Arn") ?: "",
						    "LocalMountPath", jstr(l, "LocalMountPath") ?: ""));
	v = json_pack("{s:s, s:s, s:s, s:O, s:O, s:s, s:O, s:o, s:o, s:s, s:s, s:o, s:I, s:s, s:s, "
		      "s:o}",
		      "Role", jstr(c, "Role") ?: "", "Handler", jstr(c, "Handler") ?: "",
		      "Runtime", jstr(c, "Runtime") ?: "",
		      "MemorySize", json_object_get(c, "MemorySize") ?: json_null(),
		      "Timeout", json_object_get(c, "Timeout") ?: json_null(),
		      "Description", jstr(c, "Description") ?: "",
		      "Environment", vars ? vars : json_object(),
		      "SubnetIds", sorted(str_list(json_object_get(vpc, "SubnetIds"))),
		      "SecurityGroupIds", sorted(str_list(json_object_get(vpc, "SecurityGroupIds"))),
		      "Tracing", jstr(json_object_get(c, "TracingConfig"), "Mode") ?: "PassThrough",
		      "DeadLetter", jstr(json_object_get(c, "DeadLetterConfig"), "TargetArn") ?: "",
		      "Layers", layers,
		      "Ephemeral", (json_int_t)(json_integer_value(json_object_get(
			      json_object_get(c, "EphemeralStorage"), "Size")) ?: 512),
		      "KMSKeyArn", jstr(c, "KMSKeyArn") ?: "",
		      "SnapStart", snap_of(c), "FileSystems", fs);
	if (!vars)   /* json_pack's O took a reference of the temporary object */
		json_decref(json_object_get(v, "Environment"));
	return v;
}

static bool config_differs(const json_t *want, const json_t *have)
{
	json_t *a = normal_config(want), *b = normal_config(have);
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

/* ---- artifacts ----------------------------------------------------------- */

/* The slim bundle's .tar.gz in S3, uploaded when its hash changed; *sent says so. */
static int ensure_slim_tar(struct aws_ctx *x, const struct art *a, bool *sent, struct herr *e)
{
	char *bucket = NULL, *key = s3_slim_key(x), *have = NULL;
	int rc;

	*sent = false;
	rc = s3_bucket_name(x, &bucket, e);
	if (!rc)
		rc = s3_bucket_ensure(x, bucket, e);
	if (!rc)
		rc = s3_object_sha(x, bucket, key, &have, e);
	if (!rc && (!have || strcmp(have, a->tar_hex))) {
		rc = s3_upload(x, bucket, key, a->tar, a->tar_size, a->tar_hex, e);
		*sent = !rc;
	} else if (!rc) {
		out_info("slim bundle unchanged in s3://%s/%s", bucket, key);
	}
	free(have);
	free(key);
	free(bucket);
	return rc;
}

/*
 * The code as Lambda takes it: inline ZipFile (the mark where the zip's
 * base64 is streamed; *inline_zip names the file), or uploaded to S3 over
 * the inline limit (then bucket and key are set: delete it once Lambda has it).
 */
static int code_source(struct aws_ctx *x, const struct art *a, json_t *into,
		       const char **inline_zip, char **bucket, char **key, struct herr *e)
{
	int rc;

	*bucket = *key = NULL;
	*inline_zip = NULL;
	if (!a->objstore) {
		char sz[32];

		out_step("Uploading %s (%s) to Lambda", path_base(a->zip),
			 str_size(a->size, sz, sizeof(sz)));
		json_object_set_new(into, "ZipFile", http_body_mark());
		*inline_zip = a->zip;
		return HOIST_OK;
	}
	rc = s3_bucket_name(x, bucket, e);
	if (!rc && !a->sent)
		rc = s3_bucket_ensure(x, *bucket, e);
	if (!rc) {
		*key = s3_zip_key(x, a->sha_hex);
		if (!a->sent)
			rc = s3_upload(x, *bucket, *key, a->zip, a->size, a->sha_hex, e);
	}
	if (!rc) {
		json_object_set_new(into, "S3Bucket", json_string(*bucket));
		json_object_set_new(into, "S3Key", json_string(*key));
	}
	return rc;
}

/*
 * Lambda has copied the code: the uploaded zip is not needed any more (as
 * Zappa), unless delete_s3_zip is false.
 */
static void drop_uploaded(struct aws_ctx *x, char *bucket, char *key)
{
	struct herr e2 = { 0 };

	if (bucket && key && !settings_bool(x->st->settings, "delete_s3_zip", true))
		out_info("delete_s3_zip is false: keeping s3://%s/%s", bucket, key);
	else if (bucket && key && s3_delete(x, bucket, key, &e2))
		out_warn("could not delete s3://%s/%s: %s", bucket, key, e2.msg);
	free(bucket);
	free(key);
}

/* UpdateFunctionCode with the archive `a` (inline, or through S3 over the limit). */
static int upload_code(struct aws_ctx *x, const struct art *a, struct herr *e)
{
	json_t *body = json_pack("{s:[s]}", "Architectures", arch_of(x->st));
	char *bucket = NULL, *key = NULL;
	const char *zip = NULL;
	int rc;

	rc = code_source(x, a, body, &zip, &bucket, &key, e);
	if (!rc) {
		out_step("Updating the code of %s", x->st->function_name);
		rc = lambda_update_code(x, body, zip, e);
	}
	if (!rc) {
		drop_uploaded(x, bucket, key);
	} else {
		free(bucket);
		free(key);
	}
	json_decref(body);
	return rc;
}

/* "handler.lambda_handler" → "handler.py" and "from hoist_handler import handler as lambda_handler". */
static bool handover_module(const char *handler, char **file, char **text)
{
	const char *dot = handler ? strchr(handler, '.') : NULL;
	const char *p;

	*file = *text = NULL;
	if (!dot || dot == handler || !dot[1] || strchr(dot + 1, '.') ||
	    !strcmp(handler, AWS_HANDLER))
		return false;
	for (p = handler; *p; p++)
		if (p != dot && !(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				  (*p >= '0' && *p <= '9')))
			return false;
	*file = xasprintf("%.*s.py", (int)(dot - handler), handler);
	*text = xasprintf("# Written by hoist while it took over this function from the tool "
			  "that deployed it:\n# the old handler name, hoist's handler.\n"
			  "from hoist_handler import handler as %s\n", dot + 1);
	return true;
}

/*
 * A function another tool deployed (Zappa: "handler.lambda_handler") keeps
 * calling its handler until its configuration changes, and hoist's package
 * does not have that module: between the two updates every invocation would
 * fail.  So the first code sent is the package plus a module of the old
 * name handing over to hoist_handler; the configuration then switches the
 * handler, and the clean package follows (*clean_after).  A package that
 * has a module of that name already is sent as it is.
 */
static int handover_code(struct aws_ctx *x, const struct art *a, const char *handler,
			 bool *clean_after, struct herr *e)
{
	const char *tmp = getenv("TMPDIR");
	char *file = NULL, *text = NULL, *dir = NULL, *zip = NULL;
	struct art h;
	bool had = false;
	int rc = HOIST_OK;

	*clean_after = false;
	memset(&h, 0, sizeof(h));
	if (!handover_module(handler, &file, &text))
		return HOIST_OK;
	dir = xasprintf("%s/hoist-handover-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		rc = herr_set(e, HOIST_FAIL, "cannot create a temporary directory: %s",
			      strerror(errno));
		goto out;
	}
	zip = path_join(dir, "code.zip");
	rc = zip_add_copy(a->zip, zip, file, text, strlen(text), &had, e);
	if (!rc && !had)
		rc = file_sha256(zip, &h, e);
	if (!rc && !had) {
		out_step("Taking over %s from the handler %s: sending the code with %s handing over "
			 "to hoist's handler first", x->st->function_name, handler, file);
		h.zip = zip;
		h.objstore = via_s3(h.size);
		rc = upload_code(x, &h, e);
		*clean_after = !rc;
	}
	path_rmtree(dir, NULL);
out:
	free(zip);
	free(dir);
	free(file);
	free(text);
	return rc;
}

/* ---- create / converge --------------------------------------------------- */

/* lambda_concurrency, or -1 when unset; and what GetFunction says the function has. */
static long long want_concurrency(const struct stage *st)
{
	return settings_int(st->settings, "lambda_concurrency", -1);
}

static long long have_concurrency(const json_t *fn)
{
	const json_t *v = json_object_get(json_object_get(fn, "Concurrency"),
					  "ReservedConcurrentExecutions");

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static int create_function(struct aws_ctx *x, const struct art *a, struct herr *e)
{
	char *role = NULL, *bucket = NULL, *key = NULL;
	const char *zip = NULL;
	json_t *body = NULL, *code = json_object(), *cfg = NULL, *tags;
	struct art via = *a;
	bool created, sent, missing = false;
	int rc = HOIST_OK;

	/*
	 * A role about to be created is refused by Lambda until IAM has
	 * propagated it (seconds), and each refused CreateFunction would send
	 * the whole zip again: the code goes through S3 then, so a retry is a
	 * small request.
	 */
	if (!via.objstore && (rc = iam_role_missing(x, &missing, e)) == HOIST_OK && missing) {
		out_info("the execution role is new: the code goes through S3, so waiting out IAM "
			 "propagation does not upload it again");
		via.objstore = true;
	}
	/* Artifacts first: a bucket problem stops the deploy before anything is created. */
	if (!rc && a->slim)
		rc = ensure_slim_tar(x, a, &sent, e);
	if (!rc)
		rc = code_source(x, &via, code, &zip, &bucket, &key, e);
	if (!rc)
		rc = iam_role_ensure(x, a->slim, &role, &created, e);
	if (rc)
		goto out;
	body = desired_config(x, role, false);
	json_object_set(body, "Code", code);
	json_object_set_new(body, "Architectures", json_pack("[s]", arch_of(x->st)));
	json_object_set_new(body, "PackageType", json_string("Zip"));
	json_object_set_new(body, "Publish", json_true());
	tags = settings_strmap(x->st->settings, "tags");
	if (json_object_size(tags))
		json_object_set(body, "Tags", tags);
	json_decref(tags);
	out_step("Creating Lambda function %s", x->st->function_name);
	rc = lambda_create(x, body, zip, &cfg, e);   /* Publish: version 1 with it */
	if (!rc) {
		drop_uploaded(x, bucket, key);
		bucket = key = NULL;
	}
	if (!rc)   /* not waited for: refused while Pending, lambda_do waits and sends it again */
		rc = lambda_concurrency(x, -1, want_concurrency(x->st), e);
out:
	free(bucket);
	free(key);
	json_decref(cfg);
	json_decref(body);
	json_decref(code);
	free(role);
	return rc;
}

#define DIGEST_TAG "hoist:digest"

/*
 * $LATEST is about to change: the stage digest (hoist:digest, see below)
 * stops describing the stage until the run that changes it finishes, so a
 * run stopped before PublishVersion is never taken for an unchanged stage.
 */
static int forget_digest(struct aws_ctx *x, json_t *fn, struct herr *e)
{
	json_t *tags = json_object_get(fn, "Tags");
	int rc = lambda_untag(x, tags, DIGEST_TAG, e);

	if (!rc)
		json_object_del(tags, DIGEST_TAG);   /* fn says what is there now */
	return rc;
}

/*
 * Does $LATEST (`cfg`) differ from the newest published version?  An
 * earlier run may have changed the code or configuration and stopped
 * before PublishVersion (killed, or PublishVersion failing): then this run
 * finds nothing to change against the package, yet the stage still serves
 * the old version.  *unpublished: publish now.
 */
static int latest_unpublished(struct aws_ctx *x, const json_t *cfg, bool *unpublished,
			      struct herr *e)
{
	json_t *vs = NULL, *newest;
	int rc = lambda_versions(x, &vs, e);

	*unpublished = false;
	if (rc)
		return rc;
	newest = json_array_size(vs) ? json_array_get(vs, json_array_size(vs) - 1) : NULL;
	*unpublished = !newest || strcmp(jstr(newest, "CodeSha256") ?: "",
					 jstr(cfg, "CodeSha256") ?: "") ||
		       config_differs(cfg, newest);
	if (*unpublished)
		out_step("$LATEST has changes no published version has (an earlier run stopped "
			 "before publishing); publishing them");
	json_decref(vs);
	return HOIST_OK;
}

/*
 * Bring an existing function to the package and settings: code only when
 * its hash (or architecture, or the slim bundle) changed, configuration only
 * when it differs, tags; *publish: a new version is due, because anything
 * changed or $LATEST is ahead of the newest published version
 * (latest_unpublished) — settle() publishes it once the front door and the
 * rules are converged, while the function settles.
 */
static int converge_function(struct aws_ctx *x, const struct art *a, bool no_upload,
			     json_t *fn, bool *publish, struct herr *e)
{
	char *role = NULL;
	json_t *cfg = NULL, *want = NULL, *tags = NULL;
	const char *have_arch;
	bool created, changed = false, tar_sent = false, clean_after = false;
	int rc;

	rc = iam_role_ensure(x, a && a->slim, &role, &created, e);
	if (!rc)
		rc = lambda_wait(x, &cfg, e);
	if (rc)
		goto out;
	have_arch = json_string_value(json_array_get(json_object_get(cfg, "Architectures"), 0));
	if (a && !no_upload) {
		bool arch_changed = have_arch && strcmp(have_arch, arch_of(x->st));

		if (a->slim)
			rc = ensure_slim_tar(x, a, &tar_sent, e);
		if (!rc && (tar_sent || arch_changed ||
			    strcmp(a->sha_b64, jstr(cfg, "CodeSha256") ?: ""))) {
			struct aws_beside bucket;
			bool ask = a->objstore && !x->bucket_ok;   /* the upload's, meanwhile */

			if (ask)
				aws_beside_start(x, &bucket, s3_bucket_read);
			rc = forget_digest(x, fn, e);   /* $LATEST is about to change */
			if (ask)
				aws_beside_join(x, &bucket);
			if (!rc)
				rc = handover_code(x, a, jstr(cfg, "Handler"), &clean_after, e);
			if (!rc && !clean_after)
				rc = upload_code(x, a, e);
			changed = !rc;
		} else if (!rc) {
			out_step("Code unchanged (CodeSha256 %s); not uploading", a->sha_b64);
		}
	}
	if (rc)
		goto out;
	want = desired_config(x, role, true);
	snap_reset(want, cfg);
	if (config_differs(want, cfg)) {
		out_step("Updating the configuration of %s", x->st->function_name);
		rc = forget_digest(x, fn, e);
		if (!rc)
			rc = lambda_update_config(x, want, e);
		changed = !rc;
	} else {
		out_info("configuration unchanged");
	}
	if (!rc && clean_after) {
		out_step("Updating the code of %s (without the hand-over module)",
			 x->st->function_name);
		rc = upload_code(x, a, e);
	}
	tags = settings_strmap(x->st->settings, "tags");
	if (!rc)
		rc = lambda_tags(x, json_object_get(fn, "Tags"), tags, e);
	if (!rc)
		rc = lambda_concurrency(x, have_concurrency(fn), want_concurrency(x->st), e);
	if (!rc && !changed)
		rc = latest_unpublished(x, cfg, &changed, e);
	*publish = !rc && changed;
out:
	json_decref(tags);
	json_decref(want);
	json_decref(cfg);
	free(role);
	return rc;
}

/* ---- the no-change update ------------------------------------------------ */

/*
 * Keys left out of the digest: what shapes only the package (its hash is
 * compared on its own) or where hoist runs, and the environment variables
 * (compared in the configuration; a hash of secrets has no place in a tag).
 */
static const char *const digest_skip[] = {
	"environment_variables", "aws_environment_variables", "site_packages", "profile_name",
	"exclude", "exclude_glob", "include", "delete_local_zip",
};

/*
 * What the stage was converged to beyond its function's own configuration:
 * hoist's version, the settings and the slim bundle (allocated).  A deploy
 * or update that has converged everything records it as the function's
 * hoist:digest tag; an update that finds it unchanged only checks that what
 * it describes is still there (stage_present, then function_matches).
 */
static char *stage_digest(const struct aws_ctx *x, const struct art *a)
{
	json_t *s = json_deep_copy(x->st->settings), *doc;
	char *h;

	for (size_t i = 0; i < sizeof(digest_skip) / sizeof(*digest_skip); i++)
		json_object_del(s, digest_skip[i]);
	doc = json_pack("{s:s, s:s, s:s, s:o, s:s}", "hoist", HOIST_VERSION, "function",
			x->st->function_name, "region", x->region, "settings", s ? s : json_object(),
			"slim", a->slim ? a->tar_hex : "");
	h = fd_hash(doc);
	json_decref(doc);
	return h;
}

/* Record the digest (one TagResource) unless `have` (the function's tags) has it. */
static int record_digest(struct aws_ctx *x, const json_t *have, const char *digest,
			 struct herr *e)
{
	json_t *want = have ? json_deep_copy(have) : json_object();
	int rc;

	json_object_set_new(want, DIGEST_TAG, json_string(digest));
	rc = lambda_tags(x, have, want, e);
	json_decref(want);
	return rc;
}

static bool tags_match(const json_t *want, const json_t *have)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)want, k, v)
		if (!json_equal(v, json_object_get(have, k)))
			return false;
	json_object_foreach((json_t *)have, k, v)
		if (!json_object_get(want, k) && !str_starts(k, "aws:") && !str_starts(k, "hoist:"))
			return false;
	return true;
}

/*
 * Does the function (GetFunction's answer) already match the package, the
 * settings and the digest, settled?  No call: what converge_function would
 * compare, from what is at hand.
 */
static bool function_matches(const struct aws_ctx *x, const struct art *a, bool no_upload,
			     const json_t *fn, const char *digest)
{
	const json_t *cfg = json_object_get(fn, "Configuration");
	const char *arch = json_string_value(json_array_get(json_object_get(cfg, "Architectures"),
							    0));
	json_t *want, *tags;
	bool same;

	if (strcmp(jstr(cfg, "State") ?: "Active", "Active") ||
	    strcmp(jstr(cfg, "LastUpdateStatus") ?: "Successful", "Successful") ||
	    strcmp(jstr(json_object_get(fn, "Tags"), DIGEST_TAG) ?: "", digest) ||
	    have_concurrency(fn) != want_concurrency(x->st))
		return false;
	if (!no_upload && (strcmp(a->sha_b64, jstr(cfg, "CodeSha256") ?: "") ||
			   (arch && strcmp(arch, arch_of(x->st)))))
		return false;
	want = desired_config(x, jstr(cfg, "Role") ?: "", true);
	snap_reset(want, cfg);
	tags = settings_strmap(x->st->settings, "tags");
	json_object_set_new(tags, DIGEST_TAG, json_string(digest));
	same = !config_differs(want, cfg) && tags_match(tags, json_object_get(fn, "Tags"));
	json_decref(tags);
	json_decref(want);
	return same;
}

/*
 * The no-change update, its reads: is what the last converge made beyond
 * the function still there — its role, its permissions, the front door,
 * the rules and event sources — proven with reads only (GetRole, GetPolicy,
 * one per front door, ListRuleNamesByTarget, ListEventSourceMappings when
 * there are mappings; the role's inline policy, read by aws_prefetch, is
 * compared once the package says whether it is slim).  Asked while the package is still being built, of a
 * function that carries a digest; function_matches decides once it is
 * there.  *url: the live URL when present.
 */
static int stage_present(struct aws_ctx *x, const json_t *fn, char **url, bool *present,
			 struct herr *e)
{
	const json_t *cfg = json_object_get(fn, "Configuration");
	json_t *stmts = NULL;
	bool ok = false;
	int rc;

	*url = NULL;
	*present = false;
	if (!jstr(json_object_get(fn, "Tags"), DIGEST_TAG))
		return HOIST_OK;   /* never finished converging: the full converge it is */
	rc = iam_role_present(x, jstr(cfg, "Role"), &ok, e);
	if (!rc && ok)
		rc = fd_policy(x, NULL, &stmts, e);
	if (!rc && ok) {   /* the front door's read and the rules' side by side */
		struct aws_beside rules;

		aws_beside_start(x, &rules, aws_events_read);
		rc = aws_frontdoor_present(x, stmts, url, &ok, e);
		aws_beside_join(x, &rules);
	}
	if (!rc && ok)
		rc = aws_events_present(x, stmts, &ok, e);
	if (!rc && ok)
		rc = aws_tasks_present(x, stmts, &ok, e);
	json_decref(stmts);
	*present = !rc && ok;
	if (*present && !*url)
		*url = xstrdup(x->function_arn);
	if (!*present) {
		free(*url);
		*url = NULL;
	}
	return rc;
}

/* ---- checks before anything changes -------------------------------------- */

/* Settings of the REST API (v1) and its stage, with the values that ask for nothing. */
static const struct {
	const char *key, *dflt;
} rest_keys[] = {
	{ "cache_cluster_enabled", "false" }, { "cache_cluster_size", "0.5" },
	{ "cache_cluster_ttl", "300" }, { "cache_cluster_encrypted", "false" },
	{ "cloudwatch_log_level", "\"OFF\"" }, { "cloudwatch_data_trace", "false" },
	{ "cloudwatch_metrics_enabled", "false" }, { "payload_minimum_compression_size", "0" },
};

/* A REST API setting on a stage without a REST API cannot be honoured: say so. */
static int rest_keys_check(const struct stage *st, struct herr *e)
{
	const char *ver = settings_str(st->settings, "apigateway_version");
	bool api = settings_bool(st->settings, "apigateway_enabled", true);
	size_t i;

	if (api && (!ver || !strcmp(ver, "v1")))
		return HOIST_OK;
	for (i = 0; i < sizeof(rest_keys) / sizeof(rest_keys[0]); i++) {
		const json_t *v = json_object_get(st->settings, rest_keys[i].key);
		json_t *d;
		bool same;

		if (!v || json_is_null(v))
			continue;
		d = json_loads(rest_keys[i].dflt, JSON_DECODE_ANY, NULL);
		same = json_equal(d, v);
		json_decref(d);
		if (!same) {
			herr_set(e, HOIST_USAGE, "%s: %s configures the API Gateway REST API, which "
				 "this stage does not have (%s)", st->name, rest_keys[i].key,
				 api ? "apigateway_version is v2: an HTTP API"
				     : "apigateway_enabled is false");
			return herr_hint(e, "remove %s, or use apigateway_version v1",
					 rest_keys[i].key);
		}
	}
	return HOIST_OK;
}

/* ---- remote_env ------------------------------------------------------------ */

/* Fetch s3://bucket/key as the deployer (following the bucket to its region). */
static int remote_env_fetch(struct aws_ctx *x, const char *bucket, const char *key,
			    char **data, size_t *len, long *status, struct herr *e)
{
	char *region = NULL;
	int rc = s3_get(x, bucket, key, REMOTE_ENV_MAX, data, len, status, &region, e);

	if (rc && region && strcmp(region, x->region)) {
		struct aws_ctx other;
		struct stage tmp;
		char *again = NULL;

		herr_clear(e);
		rc = acm_ctx_open(x, region, &other, &tmp, e);
		if (!rc) {
			rc = s3_get(&other, bucket, key, REMOTE_ENV_MAX, data, len, status, &again,
				    e);
			acm_ctx_close(&other, &tmp);
		}
		free(again);
	}
	free(region);
	return rc;
}

/*
 * remote_env on AWS: s3://bucket/key must exist and be a JSON object of
 * strings before anything changes (exit 2 otherwise); the handler reads it
 * with the function's role, which iam.c allows to read exactly that object.
 */
static int remote_env_s3_check(struct aws_ctx *x, struct herr *e)
{
	const char *v = settings_str(x->st->settings, "remote_env");
	char *bucket, *key, *data = NULL;
	size_t len = 0;
	long status = 0;
	int rc;

	if (!v || !str_starts(v, "s3://"))
		return HOIST_OK;
	bucket = xasprintf("%.*s", (int)strcspn(v + 5, "/"), v + 5);
	key = xstrdup(v + 5 + strlen(bucket) + 1);
	out_info("Checking remote_env %s", v);
	rc = remote_env_fetch(x, bucket, key, &data, &len, &status, e);
	if (rc && (status == 404 || status == 403 || status == 301 || status == 400)) {
		herr_prefix(e, "remote_env %s cannot be read: ", v);
		e->code = rc = HOIST_USAGE;
		herr_hint(e, "create the object (a JSON object of strings) or fix remote_env in %s",
			  x->st->settings_path);
	} else if (!rc) {
		rc = remote_env_check(v, data, len, e);
	}
	free(data);
	free(key);
	free(bucket);
	return rc;
}

/* ---- touch ---------------------------------------------------------------- */

/* An API Gateway REST (v1) proxy event: GET `path` on the stage at `url`. */
static json_t *touch_event(const struct stage *st, const char *url, const char *path)
{
	const char *h = strstr(url, "://") ? strstr(url, "://") + 3 : url;
	char *host = xasprintf("%.*s", (int)strcspn(h, "/"), h);
	char *ctx_path = xasprintf("/%s%s", st->name, path);
	json_t *ev;

	ev = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:[s], s:[s]}, s:n, s:n, s:n, s:n, "
		       "s:{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}, s:n, s:b}",
		       "resource", "/{proxy+}", "path", path, "httpMethod", "GET",
		       "headers", "Host", host, "User-Agent", "hoist-touch",
		       "multiValueHeaders", "Host", host, "User-Agent", "hoist-touch",
		       "queryStringParameters", "multiValueQueryStringParameters",
		       "pathParameters", "stageVariables",
		       "requestContext", "resourcePath", "/{proxy+}", "httpMethod", "GET",
		       "path", ctx_path, "stage", st->name, "requestId", "hoist-touch",
		       "identity", "sourceIp", "127.0.0.1", "userAgent", "hoist-touch",
		       "body", "isBase64Encoded", 0);
	free(ctx_path);
	free(host);
	return ev;
}

/*
 * Zappa's touch: one GET of touch_path once the stage is live, so the first
 * visitor does not pay the cold start.  Sent through Lambda Invoke as the
 * API would send it; a failure is a warning, never a failed deploy.
 */
static void touch(struct aws_ctx *x, const char *url)
{
	const char *path = settings_str(x->st->settings, "touch_path") ?: "/";
	json_t *ev, *payload = NULL;
	char *log = NULL, *fnerr = NULL;
	struct herr e2 = { 0 };
	long long status;

	if (!settings_bool(x->st->settings, "touch", true) || !frontdoor_wanted(x->st))
		return;
	ev = touch_event(x->st, url, path);
	out_info("Touching %s (GET %s through Lambda Invoke)", x->st->function_name, path);
	if (lambda_invoke(x, ev, &payload, &log, &fnerr, &e2)) {
		out_warn("touch: GET %s could not be sent: %s", path, e2.msg);
	} else if (fnerr) {
		out_warn("touch: GET %s failed in the function (%s): %s; see 'hoist tail %s'",
			 path, fnerr, jstr(payload, "errorMessage") ?: "", x->st->name);
	} else {
		status = json_integer_value(json_object_get(payload, "statusCode"));
		if (status >= 500)
			out_warn("touch: GET %s answered HTTP %lld; see 'hoist tail %s'", path,
				 status, x->st->name);
		else
			out_info("touch: GET %s answered HTTP %lld", path, status);
	}
	herr_clear(&e2);
	free(log);
	free(fnerr);
	json_decref(payload);
	json_decref(ev);
}

/*
 * delete_local_zip: false keeps a copy of the freshly built zip in the
 * project directory as <function>.zip (Zappa leaves its zip there); --zip
 * FILE is the user's own file already.
 */
static void keep_local_zip(const struct stage *st, const struct package_info *pi)
{
	char *name, *dst, *data = NULL;
	size_t len = 0;
	struct herr e2 = { 0 };

	if (settings_bool(st->settings, "delete_local_zip", true) || !pi->sha256_b64[0])
		return;
	name = xasprintf("%s.zip", st->function_name);
	dst = path_join(st->project_dir, name);
	if (path_read(pi->zip_path, &data, &len, &e2) ||
	    path_write_atomic(dst, data, len, &e2))
		out_warn("delete_local_zip is false but the zip could not be kept: %s", e2.msg);
	else
		out_info("delete_local_zip is false: kept %s", dst);
	herr_clear(&e2);
	free(data);
	free(dst);
	free(name);
}

/*
 * Front door, rules, task resources: they need the function's ARN only
 * (they point at the function, not at a version), so they are converged
 * while a function just created or changed settles.
 */
static int finish(struct aws_ctx *x, char **url, struct herr *e)
{
	int rc;

	rc = aws_frontdoor_ensure(x, url, e);
	if (!rc)
		rc = aws_events_ensure(x, e);
	if (!rc)
		rc = aws_tasks_ensure(x, e);
	if (!rc && !*url)
		*url = xstrdup(x->function_arn);
	return rc;
}

/*
 * After finish(): the function settled (a deploy's function Active, an
 * update's LastUpdateStatus Successful; Failed is the run's error), the
 * version converge_function found due published, old versions pruned.
 * Only then is the stage recorded as converged (record_digest).
 */
static int settle(struct aws_ctx *x, bool publish, struct herr *e)
{
	long long keep = settings_int(x->st->settings, "num_retained_versions", 0);
	char *version = NULL;
	int rc;

	if (publish) {   /* PublishVersion waits for the function itself */
		rc = lambda_publish(x, &version, e);
		if (!rc)
			out_info("published version %s", version);
		free(version);
	} else {
		rc = lambda_wait(x, NULL, e);
	}
	if (!rc && keep > 0)
		rc = lambda_prune(x, keep, e);
	return rc;
}

/* The URL of a stage a deploy finished (hoist:digest on its function), else NULL. */
int aws_deployed(const struct stage *st, char **url, struct herr *e)
{
	struct aws_ctx x;
	json_t *fn = NULL;
	int rc;

	*url = NULL;
	if ((rc = rest_keys_check(st, e)) != HOIST_OK)   /* settings errors before any call */
		return rc;
	if ((rc = aws_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = lambda_get(&x, NULL, &fn, e);
	if (!rc && fn && jstr(json_object_get(fn, "Tags"), DIGEST_TAG)) {
		rc = aws_frontdoor_url(&x, url, e);
		if (!rc && !*url)
			*url = xstrdup(x.function_arn);
	}
	json_decref(fn);
	aws_ctx_close(&x);
	return rc;
}

int aws_deploy(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e)
{
	struct aws_ctx x;
	struct art art;
	json_t *fn = NULL;
	char *old = NULL, *digest = NULL;
	bool publish = false;
	int rc;

	*url = NULL;
	if ((rc = rest_keys_check(st, e)) != HOIST_OK)
		return rc;
	if ((rc = aws_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	/* Reads only while the package is being built (deploy_package: then the rest). */
	rc = remote_env_s3_check(&x, e);
	if (!rc)
		rc = lambda_get(&x, NULL, &fn, e);
	if (!rc && !jstr(json_object_get(fn, "Tags"), DIGEST_TAG))   /* else: deployed already */
		aws_prefetch(&x, !fn);
	if (!rc)
		rc = package_ready(&x, a, fn, &art, e);
	if (rc)
		goto out;
	if (fn) {
		bool zappa = false;

		if (!hoist_function(fn) && (rc = aws_zappa_deployed(&x, &zappa, NULL, e)) != HOIST_OK)
			goto out;
		if (zappa) {
			rc = herr_set(e, HOIST_FAIL, "stage '%s' was deployed by Zappa (function %s, "
				      "CloudFormation stack %s); 'hoist update %s' takes it over and "
				      "keeps its URL", st->name, st->function_name, st->function_name,
				      st->name);
			goto out;
		}
		/* Finished stages carry hoist:digest; without it a run stopped half-way. */
		if (jstr(json_object_get(fn, "Tags"), DIGEST_TAG)) {
			if ((rc = aws_frontdoor_url(&x, &old, e)) != HOIST_OK)
				goto out;
			rc = stage_already_deployed(e, st, old ? old : x.function_arn);
			goto out;
		}
		out_step("Function %s exists but no deploy of it finished (an earlier run "
			 "stopped half-way); finishing it", st->function_name);
		rc = converge_function(&x, &art, false, fn, &publish, e);
	} else {
		rc = create_function(&x, &art, e);
		if (rc && strstr(e->msg, "ResourceConflictException") && strstr(e->msg, "exist")) {
			/* created meanwhile (a run without the lock, or an answer lost): converge */
			herr_clear(e);
			rc = lambda_get(&x, NULL, &fn, e);
			if (!rc && fn) {
				out_step("Function %s exists already; converging it",
					 st->function_name);
				rc = converge_function(&x, &art, false, fn, &publish, e);
			} else if (!rc) {
				rc = herr_set(e, HOIST_FAIL, "Lambda says function %s exists and "
					      "that it does not", st->function_name);
			}
		}
	}
	if (!rc)
		rc = finish(&x, url, e);
	if (!rc)
		rc = settle(&x, publish, e);
	if (!rc) {
		digest = stage_digest(&x, &art);
		rc = record_digest(&x, json_object_get(fn, "Tags"), digest, e);
	}
	if (!rc) {
		touch(&x, *url);
		keep_local_zip(st, a->pkg);
	}
	if (rc && !strstr(e->msg, "already deployed") && !strstr(e->msg, "deployed by Zappa"))
		stage_deploy_kept_hint(e, st);
out:
	free(digest);
	free(old);
	json_decref(fn);
	aws_ctx_close(&x);
	return rc;
}

int aws_update(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e)
{
	struct aws_beside side[3];
	struct aws_ctx x;
	struct art art;
	json_t *fn = NULL;
	char *digest = NULL;
	bool same = false, present = false, publish = false;
	int rc;

	*url = NULL;
	if ((rc = rest_keys_check(st, e)) != HOIST_OK)
		return rc;
	if ((rc = aws_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	/*
	 * Reads only while the package is being built (deploy_package: then the
	 * rest); the role, its policy and the function's policy beside the
	 * function's own: a no-change update is these and two more.
	 */
	aws_beside_start(&x, &side[0], iam_role_read_role);
	aws_beside_start(&x, &side[1], iam_role_read_policy);
	aws_beside_start(&x, &side[2], fd_policy_read);
	rc = remote_env_s3_check(&x, e);
	if (!rc)
		rc = lambda_get(&x, NULL, &fn, e);
	for (size_t i = 0; i < sizeof(side) / sizeof(*side); i++)
		aws_beside_join(&x, &side[i]);
	if (!rc && !fn)
		rc = not_deployed(&x, e);
	if (!rc)
		rc = stage_present(&x, fn, url, &present, e);
	if (!rc)
		aws_prefetch(&x, false);
	if (!rc)
		rc = package_ready(&x, a, fn, &art, e);
	if (!rc) {
		digest = stage_digest(&x, &art);
		same = present && function_matches(&x, &art, a->no_upload, fn, digest);
		if (same)   /* its permissions too: read while the package was built */
			rc = iam_policy_matches(&x, art.slim, &same, e);
		if (!same && present)
			out_info("the stage differs from its last deploy: converging everything");
		if (!same) {
			free(*url);
			*url = NULL;
		}
	}
	if (!rc && same) {
		out_step("Nothing changed (code %s, configuration, front door and rules as "
			 "deployed): nothing sent", art.sha_b64[0] ? art.sha_b64 : "as deployed");
		keep_local_zip(st, a->pkg);
		goto out;
	}
	if (!rc && !same && !hoist_function(fn))   /* another tool's function: Zappa's? */
		rc = aws_zappa_adopt(&x, e);
	if (!rc)
		rc = converge_function(&x, &art, a->no_upload, fn, &publish, e);
	if (!rc)
		rc = finish(&x, url, e);
	if (!rc)
		rc = settle(&x, publish, e);
	if (!rc)
		rc = record_digest(&x, json_object_get(fn, "Tags"), digest, e);
	if (!rc) {
		touch(&x, *url);
		keep_local_zip(st, a->pkg);
	}
out:
	free(digest);
	json_decref(fn);
	aws_ctx_close(&x);
	return rc;
}

int aws_slim_location(const struct stage *st, char **location, struct herr *e)
{
	struct aws_ctx x;
	char *bucket = NULL, *key;
	int rc;

	*location = NULL;
	if ((rc = aws_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = s3_bucket_name(&x, &bucket, e);
	if (!rc) {
		key = s3_slim_key(&x);
		*location = xasprintf("s3://%s/%s", bucket, key);
		free(key);
	}
	free(bucket);
	aws_ctx_close(&x);
	return rc;
}

/* ---- status -------------------------------------------------------------- */

/* A stage Zappa deployed and hoist has not taken over yet: say so, with its URL. */
static void zappa_status(struct aws_ctx *x, json_t *j)
{
	struct herr e2 = { 0 };
	char *api = NULL;
	bool zappa = false;

	if (aws_zappa_deployed(x, &zappa, &api, &e2) == HOIST_OK && zappa) {
		json_object_set_new(j, "deployed_by", json_string("zappa"));
		if (api && !json_object_get(j, "url"))
			json_object_set_new(j, "url", json_sprintf(
				"https://%s.execute-api.%s.%s/%s", api, x->region,
				aws_dns_suffix(x->region), x->st->name));
		out_warn("stage '%s' was deployed by Zappa: 'hoist update %s' takes it over and "
			 "keeps its URL", x->st->name, x->st->name);
	}
	herr_clear(&e2);
	free(api);
}

/* A part of the status, read beside the others: what it found, or why it could not. */
struct status_part {
	json_t *doc;      /* the keys it adds */
	char *domain;
	long long sum;
	struct herr e;
	int rc;
};

static void frontdoor_part(struct aws_ctx *x, void *arg)
{
	struct status_part *p = arg;

	p->rc = aws_frontdoor_status(x, p->doc, &p->e);
}

static void domain_part(struct aws_ctx *x, void *arg)
{
	struct status_part *p = arg;

	p->rc = aws_domain_url(x, &p->domain, &p->e);
}

static void events_part(struct aws_ctx *x, void *arg)
{
	struct status_part *p = arg;

	p->rc = aws_events_status(x, p->doc, &p->e);
}

static void invocations_part(struct aws_ctx *x, void *arg)
{
	struct status_part *p = arg;

	p->rc = cw_sum_24h(x, "Invocations", &p->sum, &p->e);
}

static void errors_part(struct aws_ctx *x, void *arg)
{
	struct status_part *p = arg;

	p->rc = cw_sum_24h(x, "Errors", &p->sum, &p->e);
}

/* "version" (the newest published) and "versions" (their numbers, oldest first). */
static void versions_part(struct aws_ctx *x, void *arg)
{
	struct status_part *p = arg;
	json_t *vs = NULL, *nums, *v;
	size_t i;

	if ((p->rc = lambda_versions(x, &vs, &p->e)) != HOIST_OK)
		return;
	nums = json_array();
	json_array_foreach(vs, i, v)
		json_array_append_new(nums, json_integer(atoll(jstr(v, "Version") ?: "0")));
	if (json_array_size(nums))
		json_object_set(p->doc, "version", json_array_get(nums, json_array_size(nums) - 1));
	json_object_set_new(p->doc, "versions", nums);
	json_decref(vs);
}

/*
 * The published versions, the front door, the domain, the rules and the
 * metrics, read side by side once the function is known; added to `j` in
 * that order, a warning for each that could not be read but the versions,
 * whose failure is the status's.
 */
static int status_parts(struct aws_ctx *x, const json_t *fn, json_t *j, struct herr *e)
{
	static void (*const reads[])(struct aws_ctx *, void *) = {
		versions_part, frontdoor_part, domain_part, events_part, invocations_part,
		errors_part,
	};
	enum { VERSIONS, FD, DOMAIN, EVENTS, INV, ERRS, N };
	struct status_part p[N] = { { 0 } };
	struct aws_beside side[N];
	int rc;

	for (int i = 0; i < N; i++) {
		p[i].doc = json_object();
		aws_beside_read(x, &side[i], reads[i], &p[i]);
	}
	for (int i = 0; i < N; i++)
		aws_beside_join(x, &side[i]);
	if ((rc = p[VERSIONS].rc) != HOIST_OK) {
		*e = p[VERSIONS].e;
		goto out;
	}
	json_object_update(j, p[VERSIONS].doc);
	if (p[FD].rc)
		out_warn("front door: %s", p[FD].e.code ? p[FD].e.msg : "status unavailable");
	json_object_update(j, p[FD].doc);
	if (!hoist_function(fn))
		zappa_status(x, j);
	if (!p[DOMAIN].rc && p[DOMAIN].domain)
		json_object_set_new(j, "domain_url", json_string(p[DOMAIN].domain));
	else if (p[DOMAIN].e.code)
		out_warn("custom domain: %s", p[DOMAIN].e.msg);
	if (p[EVENTS].rc)
		out_warn("rules: %s", p[EVENTS].e.msg);
	json_object_update(j, p[EVENTS].doc);
	if (p[INV].rc || p[ERRS].rc) {
		out_warn("CloudWatch metrics unavailable: %s", p[INV].rc ? p[INV].e.msg : p[ERRS].e.msg);
	} else {
		json_object_set_new(j, "invocations_24h", json_integer(p[INV].sum));
		json_object_set_new(j, "errors_24h", json_integer(p[ERRS].sum));
	}
out:
	for (int i = 0; i < N; i++) {
		json_decref(p[i].doc);
		free(p[i].domain);
		herr_clear(&p[i].e);
	}
	return rc;
}

int aws_status(const struct stage *st, json_t **status, struct herr *e)
{
	struct aws_ctx x;
	json_t *fn = NULL, *j = NULL, *cfg;
	int rc;

	*status = NULL;
	if ((rc = aws_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = lambda_get(&x, NULL, &fn, e);
	if (!rc && !fn)
		rc = not_deployed(&x, e);
	if (rc)
		goto out;
	cfg = json_object_get(fn, "Configuration");
	j = json_pack("{s:s, s:s, s:s?, s:s?, s:O?, s:O?, s:s?, s:s?, s:s?, s:s?, s:s}",
		      "stage", st->name, "function", st->function_name,
		      "function_arn", x.function_arn, "runtime", jstr(cfg, "Runtime"),
		      "memory_size", json_object_get(cfg, "MemorySize"),
		      "timeout", json_object_get(cfg, "Timeout"),
		      "state", jstr(cfg, "State"), "last_update_status", jstr(cfg, "LastUpdateStatus"),
		      "code_sha256", jstr(cfg, "CodeSha256"), "last_modified", jstr(cfg, "LastModified"),
		      "region", x.region);
	if ((rc = status_parts(&x, fn, j, e)) != HOIST_OK)
		goto out;
	*status = j;
	j = NULL;
out:
	json_decref(j);
	json_decref(fn);
	aws_ctx_close(&x);
	return rc;
}

/* ---- invoke -------------------------------------------------------------- */

/* Lambda's {"errorMessage", "errorType", "stackTrace"} as the handler's error shape. */
static json_t *runtime_error(const json_t *p, const char *kind)
{
	struct sbuf tb;
	json_t *line;
	size_t i;
	json_t *out;

	sbuf_init(&tb);
	json_array_foreach(json_object_get(p, "stackTrace"), i, line)
		if (json_is_string(line))
			sbuf_printf(&tb, "%s%s", json_string_value(line),
				    str_ends(json_string_value(line), "\n") ? "" : "\n");
	out = json_pack("{s:s++}", "error", jstr(p, "errorType") ?: kind, ": ",
			jstr(p, "errorMessage") ?: (json_is_string(p) ? json_string_value(p) : ""));
	if (tb.len)
		json_object_set_new(out, "traceback", json_string(tb.s));
	sbuf_free(&tb);
	return out;
}

int aws_invoke(const struct stage *st, const struct invoke_args *a, json_t **result,
	       struct herr *e)
{
	struct aws_ctx x;
	json_t *ev = NULL, *payload = NULL, *ans;
	char *log = NULL, *fnerr = NULL;
	int rc;

	*result = NULL;
	if ((rc = invoke_event(a, &ev, e)) != HOIST_OK)
		return rc;
	if ((rc = aws_ctx_open(&x, st, e)) != HOIST_OK)
		goto out0;
	out_info("Invoking %s", st->function_name);
	rc = lambda_invoke(&x, ev, &payload, &log, &fnerr, e);
	if (rc && strstr(e->msg, "ResourceNotFoundException"))
		rc = not_deployed(&x, e);
	if (rc)
		goto out;
	if (fnerr)
		ans = runtime_error(payload, fnerr);
	else if (a->payload || !json_is_object(payload))
		ans = json_pack("{s:O}", "result", payload);
	else
		ans = json_deep_copy(payload);
	if (log && *log)
		json_object_set_new(ans, "output", json_string(log));
	*result = ans;
out:
	free(log);
	free(fnerr);
	json_decref(payload);
	aws_ctx_close(&x);
out0:
	json_decref(ev);
	return rc;
}

/* ---- rollback ------------------------------------------------------------ */

/* Fetch a version's code from Code.Location (a pre-signed URL) into `file`. */
static int download_code(struct aws_ctx *x, const char *url, const char *file, struct herr *e)
{
	struct http_request rq = { .method = "GET", .url = url, .save_to = file,
				   .what = "Lambda code download", .timeout_s = 600 };
	struct http_response rs;
	int rc = http_do(x->client.http, &rq, &rs, e);

	if (!rc && (rs.status < 200 || rs.status >= 300))
		rc = herr_set(e, HOIST_FAIL, "downloading the old version's code failed: HTTP %ld",
			      rs.status);
	http_response_free(&rs);
	return rc;
}

/* The configuration of a published version, as UpdateFunctionConfiguration takes it. */
static json_t *config_of_version(const json_t *c)
{
	json_t *n = normal_config(c), *out;

	out = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:{s:O}, s:{s:O, s:O}, s:{s:O}, "
			"s:{s:O}, s:O, s:{s:O}, s:O}",
			"Role", json_object_get(n, "Role"), "Handler", json_object_get(n, "Handler"),
			"Runtime", json_object_get(n, "Runtime"),
			"MemorySize", json_object_get(n, "MemorySize"),
			"Timeout", json_object_get(n, "Timeout"),
			"Description", json_object_get(n, "Description"),
			"Environment", "Variables", json_object_get(n, "Environment"),
			"VpcConfig", "SubnetIds", json_object_get(n, "SubnetIds"),
			"SecurityGroupIds", json_object_get(n, "SecurityGroupIds"),
			"TracingConfig", "Mode", json_object_get(n, "Tracing"),
			"DeadLetterConfig", "TargetArn", json_object_get(n, "DeadLetter"),
			"Layers", json_object_get(n, "Layers"),
			"EphemeralStorage", "Size", json_object_get(n, "Ephemeral"),
			"KMSKeyArn", json_object_get(n, "KMSKeyArn"));
	json_object_set(out, "FileSystemConfigs", json_object_get(n, "FileSystems"));
	if (strcmp(json_string_value(json_object_get(n, "SnapStart")), "None"))
		json_object_set_new(out, "SnapStart", json_pack("{s:O}", "ApplyOn",
								json_object_get(n, "SnapStart")));
	json_decref(n);
	return out;
}

static int restore_version(struct aws_ctx *x, const json_t *old, const json_t *cur,
			   struct herr *e)
{
	const json_t *ocfg = json_object_get(old, "Configuration");
	const char *loc = jstr(json_object_get(old, "Code"), "Location");
	char *dir = NULL, *file = NULL, *version = NULL;
	json_t *want = NULL;
	int rc = HOIST_OK;

	if (strcmp(jstr(ocfg, "CodeSha256") ?: "", jstr(cur, "CodeSha256") ?: "")) {
		const char *tmp = getenv("TMPDIR");
		struct art a;
		json_t *body = json_object();
		char *bucket = NULL, *key = NULL;
		const char *zip = NULL;

		if (!loc) {
			json_decref(body);
			return herr_set(e, HOIST_FAIL, "GetFunction gave no Code.Location for "
					"version %s", jstr(ocfg, "Version"));
		}
		dir = xasprintf("%s/hoist-rollback-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			json_decref(body);
			rc = herr_set(e, HOIST_FAIL, "cannot create a temporary directory");
			free(dir);
			return rc;
		}
		file = path_join(dir, "code.zip");
		out_step("Fetching the code of version %s", jstr(ocfg, "Version"));
		rc = download_code(x, loc, file, e);
		if (!rc)
			rc = file_sha256(file, &a, e);
		if (!rc) {
			a.zip = file;
			a.objstore = via_s3(a.size);
			json_object_set_new(body, "Architectures", json_pack("[O]", json_array_get(
				json_object_get(ocfg, "Architectures"), 0) ?: json_string("x86_64")));
			rc = code_source(x, &a, body, &zip, &bucket, &key, e);
		}
		if (!rc)
			rc = lambda_update_code(x, body, zip, e);
		if (!rc)
			drop_uploaded(x, bucket, key);
		else {
			free(bucket);
			free(key);
		}
		json_decref(body);
	}
	want = config_of_version(ocfg);
	snap_reset(want, cur);
	if (!rc && config_differs(want, cur))
		rc = lambda_update_config(x, want, e);
	if (!rc)
		rc = lambda_publish(x, &version, e);
	if (!rc)
		out_step("Published version %s with the code and configuration of version %s",
			 version, jstr(ocfg, "Version"));
	json_decref(want);
	free(version);
	if (dir)
		path_rmtree(dir, NULL);
	free(dir);
	free(file);
	return rc;
}

int aws_rollback(const struct stage *st, int back, char **url, struct herr *e)
{
	struct aws_ctx x;
	json_t *fn = NULL, *vs = NULL, *old = NULL, *cur = NULL;
	const char *target;
	size_t n;
	int rc;

	*url = NULL;
	if ((rc = aws_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = deployed_function(&x, &fn, &vs, e);
	if (rc)
		goto out;
	n = json_array_size(vs);
	if ((size_t)back >= n) {
		rc = herr_set(e, HOIST_FAIL, "cannot roll back %d version%s: %s has %zu published "
			      "version%s", back, back == 1 ? "" : "s", st->function_name, n,
			      n == 1 ? "" : "s");
		herr_hint(e, "num_retained_versions limits how many are kept");
		goto out;
	}
	target = jstr(json_array_get(vs, n - 1 - (size_t)back), "Version");
	rc = lambda_get(&x, target, &old, e);
	if (!rc && !old)
		rc = herr_set(e, HOIST_FAIL, "version %s of %s disappeared", target,
			      st->function_name);
	if (!rc)
		rc = lambda_wait(&x, &cur, e);
	if (!rc)
		rc = restore_version(&x, old, cur, e);
	if (!rc)
		rc = aws_frontdoor_url(&x, url, e);
	if (!rc && !*url)
		*url = xstrdup(x.function_arn);
out:
	json_decref(cur);
	json_decref(old);
	json_decref(vs);
	json_decref(fn);
	aws_ctx_close(&x);
	return rc;
}

/* ---- undeploy ------------------------------------------------------------ */

static int remove_artifacts(struct aws_ctx *x, struct herr *e)
{
	char *bucket = NULL, *prefix;
	bool exists = false;
	int rc, n = 0;

	rc = s3_bucket_name(x, &bucket, e);
	if (!rc)
		rc = s3_bucket_exists(x, bucket, &exists, e);
	if (!rc && exists) {
		prefix = xasprintf("%s/", x->st->function_name);
		rc = s3_delete_prefix(x, bucket, prefix, &n, e);
		if (!rc && n)
			out_step("Deleted %d artifact%s from s3://%s/%s", n, n == 1 ? "" : "s",
				 bucket, prefix);
		free(prefix);
	}
	free(bucket);
	return rc;
}

int aws_undeploy(const struct stage *st, const struct undeploy_args *a, struct herr *e)
{
	struct aws_ctx x;
	json_t *fn = NULL;
	bool gone = false;
	int rc;

	if ((rc = aws_ctx_open(&x, st, e)) != HOIST_OK)
		return rc;
	rc = lambda_get(&x, NULL, &fn, e);   /* x.function_arn for the others */
	if (!rc)
		rc = aws_zappa_remove(&x, e);       /* a stage taken over from Zappa: its stack */
	if (!rc)
		rc = aws_frontdoor_remove(&x, e);
	if (!rc && fn)   /* rules target the function: none without it */
		rc = aws_events_remove(&x, e);
	if (!rc)
		rc = aws_tasks_remove(&x, e);
	if (!rc)
		rc = aws_domain_remove(&x, e);
	if (!rc && fn) {
		out_step("Deleting Lambda function %s", st->function_name);
		rc = lambda_delete(&x, &gone, e);
	}
	if (!rc)
		rc = remove_artifacts(&x, e);
	if (!rc && a->remove_logs) {
		char *group = xasprintf("/aws/lambda/%s", st->function_name);

		rc = aws_logs_delete_group(&x, group, &gone, e);
		if (!rc && gone)
			out_step("Deleted log group %s", group);
		free(group);
	}
	if (!rc)
		rc = iam_role_remove(&x, e);
	if (rc)
		herr_hint(e, "what is left can be removed by running 'hoist undeploy %s' again",
			  st->name);
	json_decref(fn);
	aws_ctx_close(&x);
	return rc;
}
