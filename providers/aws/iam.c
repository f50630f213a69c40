/*
 * iam.c — the stage's Lambda execution role: <function>-HoistLambdaExecutionRole
 * (or `role_name`), trusted by Lambda and API Gateway, with one inline
 * least-privilege policy: its own log group, X-Ray when xray_tracing, the
 * dead-letter target, the EFS access point of efs_config (mount and write),
 * VPC network interfaces when vpc_config, invoking itself (asynchronous
 * tasks), the task topic and response table (async_source sns,
 * async_response_table), exactly the remote_env object, the slim bundle
 * object, and `extra_permissions` as given.  A name longer than IAM's 64
 * characters keeps a prefix and a hash of the function name.  `role_arn` or
 * manage_roles false: hoist uses the role and never changes it.  A role
 * hoist creates is tagged hoist:managed=true; undeploy deletes only those.
 */
#include "deploy.h"
#include "ev_common.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define POLICY_NAME "hoist-permissions"

/*
 * <function>-HoistLambdaExecutionRole, within IAM's 64 characters: a long
 * function name (an explicit project_name) keeps its first characters and
 * gets 8 hex digits of its SHA-1, so the name stays unique and stable.
 */
char *iam_role_name(const struct aws_ctx *x)
{
	const char *n = settings_str(x->st->settings, "role_name");
	const char *fn = x->st->function_name;
	size_t room = 64 - strlen(AWS_ROLE_SUFFIX);
	char *h, *out;

	if (n)
		return xstrdup(n);
	if (strlen(fn) <= room)
		return xasprintf("%s" AWS_ROLE_SUFFIX, fn);
	h = ev_sha1_hex(fn);
	out = xasprintf("%.*s-%.8s" AWS_ROLE_SUFFIX, (int)(room - 9), fn, h);
	free(h);
	return out;
}

static json_t *trust_policy(void)
{
	return json_pack("{s:s, s:[{s:s, s:{s:[s,s]}, s:s}]}", "Version", "2012-10-17",
			 "Statement", "Effect", "Allow", "Principal", "Service",
			 "lambda.amazonaws.com", "apigateway.amazonaws.com",
			 "Action", "sts:AssumeRole");
}

static void allow(json_t *stmts, json_t *actions, json_t *resource)
{
	json_array_append_new(stmts, json_pack("{s:s, s:o, s:o}", "Effect", "Allow",
					       "Action", actions, "Resource", resource));
}

json_t *iam_policy(struct aws_ctx *x, const char *account, bool slim)
{
	const json_t *s = x->st->settings, *v;
	const char *dlq = settings_str(s, "dead_letter_arn");
	json_t *stmts = json_array();
	size_t i;

	allow(stmts, json_pack("[s]", "logs:CreateLogGroup"),
	      json_sprintf("arn:aws:logs:%s:%s:*", x->region, account));
	allow(stmts, json_pack("[s,s]", "logs:CreateLogStream", "logs:PutLogEvents"),
	      json_sprintf("arn:aws:logs:%s:%s:log-group:/aws/lambda/%s:*", x->region, account,
			   x->st->function_name));
	if (settings_bool(s, "xray_tracing", false))
		allow(stmts, json_pack("[s,s]", "xray:PutTraceSegments",
				       "xray:PutTelemetryRecords"), json_string("*"));
	if (dlq && strstr(dlq, ":sns:"))
		allow(stmts, json_pack("[s]", "sns:Publish"), json_string(dlq));
	else if (dlq && strstr(dlq, ":sqs:"))
		allow(stmts, json_pack("[s]", "sqs:SendMessage"), json_string(dlq));
	json_array_foreach(json_object_get(s, "efs_config"), i, v)   /* the access point only */
		json_array_append_new(stmts, json_pack(
			"{s:s, s:[s,s], s:s, s:{s:{s:s}}}", "Effect", "Allow",
			"Action", "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite",
			"Resource", "*", "Condition", "StringEquals",
			"elasticfilesystem:AccessPointArn", json_string_value(json_object_get(v, "Arn"))));
	if (json_object_size(json_object_get(s, "vpc_config")))
		allow(stmts, json_pack("[s,s,s,s,s]", "ec2:CreateNetworkInterface",
				       "ec2:DescribeNetworkInterfaces",
				       "ec2:DeleteNetworkInterface",
				       "ec2:AssignPrivateIpAddresses",
				       "ec2:UnassignPrivateIpAddresses"), json_string("*"));
	/* hoist_tasks: @task invokes the function itself (Event), as in every package. */
	allow(stmts, json_pack("[s]", "lambda:InvokeFunction"),
	      json_sprintf("arn:aws:lambda:%s:%s:function:%s", x->region, account,
			   x->st->function_name));
	if (settings_str(s, "async_source") && !strcmp(settings_str(s, "async_source"), "sns")) {
		char *topic = aws_tasks_topic_arn(x, account);

		allow(stmts, json_pack("[s]", "sns:Publish"), json_string(topic));
		free(topic);
	}
	if (settings_str(s, "async_response_table"))
		allow(stmts, json_pack("[s,s,s]", "dynamodb:GetItem", "dynamodb:PutItem",
				       "dynamodb:UpdateItem"),
		      json_sprintf("arn:aws:dynamodb:%s:%s:table/%s", x->region, account,
				   settings_str(s, "async_response_table")));
	if (settings_str(s, "remote_env") && str_starts(settings_str(s, "remote_env"), "s3://"))
		allow(stmts, json_pack("[s]", "s3:GetObject"),
		      json_sprintf("arn:aws:s3:::%s", settings_str(s, "remote_env") + 5));
	if (slim) {
		char *bucket = NULL, *key = s3_slim_key(x);
		struct herr e2 = { 0 };

		if (s3_bucket_name(x, &bucket, &e2) == HOIST_OK)
			allow(stmts, json_pack("[s]", "s3:GetObject"),
			      json_sprintf("arn:aws:s3:::%s/%s", bucket, key));
		free(bucket);
		free(key);
	}
	json_array_foreach(json_object_get(s, "extra_permissions"), i, v)
		json_array_append(stmts, (json_t *)v);
	return json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement", stmts);
}

static int iam_call(struct aws_ctx *x, const char *op, json_t *params, struct aws_result *r,
		    struct herr *e)
{
	struct aws_call c = { .svc = &aws_iam, .op = op, .params = params };
	int rc = aws_do(&x->client, &c, r, e);

	json_decref(params);
	return rc;
}

static const json_t *result_of(const struct aws_result *r, const char *op)
{
	char *k = xasprintf("%sResult", op);
	const json_t *v = json_object_get(r->data, k);

	free(k);
	return v;
}

/* What hoist now knows the role (`arn`, NULL: absent) and its inline policy (`doc`) to be. */
static void role_known(struct aws_ctx *x, const char *arn)
{
	free(x->role_arn);
	x->role_arn = arn ? xstrdup(arn) : NULL;
	x->role_read = true;
}

static void role_policy_known(struct aws_ctx *x, bool known, const json_t *doc)
{
	json_decref(x->role_policy);
	x->role_policy = known && doc ? json_deep_copy(doc) : NULL;
	x->role_policy_read = known;
}

/* GetRole (once per command: x remembers it): *arn (allocated) or NULL when absent. */
static int get_role(struct aws_ctx *x, const char *name, char **arn, struct herr *e)
{
	struct aws_result r;
	int rc;

	*arn = NULL;
	if (x->role_read) {
		*arn = x->role_arn ? xstrdup(x->role_arn) : NULL;
		return HOIST_OK;
	}
	rc = iam_call(x, "GetRole", json_pack("{s:s}", "RoleName", name), &r, e);
	if (rc && aws_error_is(&r, "NoSuchEntity")) {
		herr_clear(e);
		rc = HOIST_OK;
		role_known(x, NULL);
	} else if (!rc) {
		const char *a = json_string_value(json_object_get(
			json_object_get(result_of(&r, "GetRole"), "Role"), "Arn"));

		*arn = a ? xstrdup(a) : NULL;
		if (!a)
			rc = herr_set(e, HOIST_FAIL, "IAM GetRole %s: no Arn in the answer", name);
		else
			role_known(x, a);
	}
	aws_result_free(&r);
	return rc;
}

static char *policy_text(json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(doc);
	return s;
}

/* The inline policy as stored (URL-decoded JSON text), or NULL; once per command. */
static int get_policy(struct aws_ctx *x, const char *role, json_t **doc, struct herr *e)
{
	struct aws_result r;
	int rc;

	*doc = NULL;
	if (x->role_policy_read) {
		*doc = x->role_policy ? json_deep_copy(x->role_policy) : NULL;
		return HOIST_OK;
	}
	rc = iam_call(x, "GetRolePolicy", json_pack("{s:s, s:s}", "RoleName", role,
						    "PolicyName", POLICY_NAME), &r, e);
	if (rc && aws_error_is(&r, "NoSuchEntity")) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc) {
		const char *t = json_string_value(json_object_get(result_of(&r, "GetRolePolicy"),
								  "PolicyDocument"));
		char *dec = t ? xstrdup(t) : NULL;

		if (dec) {   /* IAM returns the document URL-encoded */
			char *w = dec;

			for (const char *p = dec; *p; p++) {
				if (*p == '%' && p[1] && p[2]) {
					char h[3] = { p[1], p[2], 0 };

					*w++ = (char)strtol(h, NULL, 16);
					p += 2;
				} else {
					*w++ = *p == '+' ? ' ' : *p;
				}
			}
			*w = '\0';
			*doc = json_loads(dec, 0, NULL);
			if (!*doc)
				*doc = json_loads(t, 0, NULL);
		}
		free(dec);
	}
	if (!rc)
		role_policy_known(x, true, *doc);
	aws_result_free(&r);
	return rc;
}

static int put_policy_if_changed(struct aws_ctx *x, const char *role, bool slim,
				 struct herr *e)
{
	const char *account;
	json_t *want, *have = NULL;
	struct aws_result r;
	char *text;
	int rc;

	if ((rc = aws_account_id(x, &account, e)) != HOIST_OK)
		return rc;
	want = iam_policy(x, account, slim);
	if ((rc = get_policy(x, role, &have, e)) != HOIST_OK || json_equal(want, have)) {
		json_decref(want);
		json_decref(have);
		return rc;
	}
	json_decref(have);
	out_step("Setting the permissions of role %s", role);
	role_policy_known(x, false, NULL);   /* whatever becomes of the write */
	text = policy_text(json_incref(want));
	rc = iam_call(x, "PutRolePolicy", json_pack("{s:s, s:s, s:s}", "RoleName", role,
						    "PolicyName", POLICY_NAME, "PolicyDocument", text),
		      &r, e);
	if (!rc)
		role_policy_known(x, true, want);
	json_decref(want);
	free(text);
	aws_result_free(&r);
	return rc;
}

static int create_role(struct aws_ctx *x, const char *name, char **arn, struct herr *e)
{
	char *trust = policy_text(trust_policy());
	struct aws_result r;
	int rc;

	out_step("Creating IAM role %s", name);
	x->role_read = false;   /* whatever becomes of the write */
	role_policy_known(x, false, NULL);
	rc = iam_call(x, "CreateRole", json_pack("{s:s, s:s, s:s, s:s, s:s}", "RoleName", name,
						 "AssumeRolePolicyDocument", trust,
						 "Description", "Lambda execution role (hoist)",
						 "Tags.member.1.Key", "hoist:managed",
						 "Tags.member.1.Value", "true"), &r, e);
	free(trust);
	if (rc && aws_error_is(&r, "EntityAlreadyExists")) {   /* a concurrent or lost create */
		aws_result_free(&r);
		herr_clear(e);
		return get_role(x, name, arn, e);
	}
	if (!rc) {
		const char *a = json_string_value(json_object_get(
			json_object_get(result_of(&r, "CreateRole"), "Role"), "Arn"));

		*arn = xstrdup(a ? a : "");
		role_known(x, *arn);
		role_policy_known(x, true, NULL);   /* a new role has no inline policy */
	}
	aws_result_free(&r);
	return rc;
}

int iam_role_ensure(struct aws_ctx *x, bool slim, char **arn, bool *created, struct herr *e)
{
	const json_t *s = x->st->settings;
	const char *given = settings_str(s, "role_arn");
	char *name;
	int rc;

	*arn = NULL;
	*created = false;
	if (given) {
		*arn = xstrdup(given);
		return HOIST_OK;
	}
	name = iam_role_name(x);
	rc = get_role(x, name, arn, e);
	if (!rc && !*arn && !settings_bool(s, "manage_roles", true)) {
		rc = herr_set(e, HOIST_FAIL, "IAM role %s does not exist and manage_roles is false",
			      name);
		herr_hint(e, "create the role, or set \"role_arn\", or remove \"manage_roles\": "
			  "false from %s", x->st->settings_path);
	} else if (!rc && !*arn) {
		rc = create_role(x, name, arn, e);
		*created = !rc;
	}
	if (!rc && settings_bool(s, "manage_roles", true))
		rc = put_policy_if_changed(x, name, slim, e);
	free(name);
	if (rc) {
		free(*arn);
		*arn = NULL;
	}
	return rc;
}

int iam_role_read(struct aws_ctx *x, struct herr *e)
{
	char *name, *arn = NULL;
	json_t *doc = NULL;
	int rc;

	if (settings_str(x->st->settings, "role_arn"))
		return HOIST_OK;   /* given: never read */
	name = iam_role_name(x);
	rc = get_role(x, name, &arn, e);
	if (!rc && arn && settings_bool(x->st->settings, "manage_roles", true))
		rc = get_policy(x, name, &doc, e);
	json_decref(doc);
	free(arn);
	free(name);
	return rc;
}

void iam_role_read_role(struct aws_ctx *x)
{
	struct herr e = { 0 };
	char *name, *arn = NULL;

	if (settings_str(x->st->settings, "role_arn"))
		return;   /* given: never read */
	name = iam_role_name(x);
	get_role(x, name, &arn, &e);
	herr_clear(&e);
	free(arn);
	free(name);
}

void iam_role_read_policy(struct aws_ctx *x)
{
	struct herr e = { 0 };
	json_t *doc = NULL;
	char *name;

	if (settings_str(x->st->settings, "role_arn") ||
	    !settings_bool(x->st->settings, "manage_roles", true))
		return;   /* not hoist's to converge */
	name = iam_role_name(x);
	get_policy(x, name, &doc, &e);   /* a role that is not there has no policy either */
	herr_clear(&e);
	json_decref(doc);
	free(name);
}

int iam_policy_matches(struct aws_ctx *x, bool slim, bool *same, struct herr *e)
{
	const char *account;
	json_t *want, *have = NULL;
	char *name;
	int rc;

	*same = true;
	if (settings_str(x->st->settings, "role_arn") ||
	    !settings_bool(x->st->settings, "manage_roles", true))
		return HOIST_OK;   /* not hoist's to converge */
	if ((rc = aws_account_id(x, &account, e)) != HOIST_OK)
		return rc;
	name = iam_role_name(x);
	want = iam_policy(x, account, slim);
	rc = get_policy(x, name, &have, e);
	*same = !rc && json_equal(want, have);
	json_decref(have);
	json_decref(want);
	free(name);
	return rc;
}

int iam_role_missing(struct aws_ctx *x, bool *missing, struct herr *e)
{
	char *name, *arn = NULL;
	int rc;

	*missing = false;
	if (settings_str(x->st->settings, "role_arn") ||
	    !settings_bool(x->st->settings, "manage_roles", true))
		return HOIST_OK;   /* given, or must exist: never created here */
	name = iam_role_name(x);
	rc = get_role(x, name, &arn, e);
	*missing = !rc && !arn;
	free(arn);
	free(name);
	return rc;
}

int iam_role_present(struct aws_ctx *x, const char *arn, bool *present, struct herr *e)
{
	char *name, *have = NULL;
	int rc;

	*present = true;
	if (settings_str(x->st->settings, "role_arn"))   /* not hoist's to converge */
		return HOIST_OK;
	name = iam_role_name(x);
	rc = get_role(x, name, &have, e);
	*present = !rc && have && arn && !strcmp(have, arn);
	free(have);
	free(name);
	return rc;
}

static bool tagged_managed(const struct aws_result *r)
{
	json_t *tags = xml_list(json_object_get(result_of(r, "ListRoleTags"), "Tags"), "member"), *t;
	bool yes = false;
	size_t i;

	json_array_foreach(tags, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "Key")) ?: "", "hoist:managed") &&
		    !strcmp(json_string_value(json_object_get(t, "Value")) ?: "", "true"))
			yes = true;
	json_decref(tags);
	return yes;
}

int iam_role_remove(struct aws_ctx *x, struct herr *e)
{
	char *name, *arn = NULL;
	struct aws_result r;
	json_t *names = NULL, *n;
	size_t i;
	int rc;

	if (settings_str(x->st->settings, "role_arn"))
		return HOIST_OK;
	name = iam_role_name(x);
	rc = get_role(x, name, &arn, e);
	if (rc || !arn)
		goto out;
	rc = iam_call(x, "ListRoleTags", json_pack("{s:s}", "RoleName", name), &r, e);
	if (!rc && !tagged_managed(&r)) {
		out_info("IAM role %s was not created by hoist; keeping it", name);
		aws_result_free(&r);
		goto out;
	}
	aws_result_free(&r);
	if (rc)
		goto out;
	rc = iam_call(x, "ListRolePolicies", json_pack("{s:s}", "RoleName", name), &r, e);
	if (!rc)
		names = xml_list(json_object_get(result_of(&r, "ListRolePolicies"), "PolicyNames"),
				 "member");
	aws_result_free(&r);
	x->role_read = false;   /* about to change */
	role_policy_known(x, false, NULL);
	json_array_foreach(names, i, n) {
		if (rc)
			break;
		rc = iam_call(x, "DeleteRolePolicy", json_pack("{s:s, s:s}", "RoleName", name,
							       "PolicyName", json_string_value(n)),
			      &r, e);
		aws_result_free(&r);
	}
	if (!rc) {
		out_step("Deleting IAM role %s", name);
		rc = iam_call(x, "DeleteRole", json_pack("{s:s}", "RoleName", name), &r, e);
		if (rc && aws_error_is(&r, "NoSuchEntity")) {
			herr_clear(e);
			rc = HOIST_OK;
		}
		aws_result_free(&r);
	}
out:
	json_decref(names);
	free(arn);
	free(name);
	return rc;
}
