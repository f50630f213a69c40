/*
 * ram.c — Resource Access Management (RPC 2015-05-01, ram.aliyuncs.com):
 * the roles hoist makes for a stage, each trusted by one service only and
 * with one custom policy of the same name:
 *
 *   hoist-apigw-<function>  API Gateway invokes the function with it (an FC
 *                           event backend needs one: ServiceConfig.
 *                           FunctionComputeConfig.roleArn); it allows
 *                           fc:InvokeFunction on that function, nothing else;
 *   hoist-fc-<function>     the function's own role, when the code calls
 *                           other services itself (remote_env, tasks): the
 *                           document is tasks.c's (ram_function_role_ensure).
 *
 * Created when missing (described "hoist: ..."; a role of that name hoist
 * did not describe is never changed or deleted), the trust policy and the
 * policy document converged when they drift (UpdateRole,
 * CreatePolicyVersion as the default), removed by undeploy.  An unchanged
 * stage costs three reads per role.
 */
#include "cloudapi.h"

#include "../../core/digest.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define GATEWAY_PREFIX "hoist-apigw-"
#define FUNCTION_PREFIX "hoist-fc-"
#define OURS "hoist: "
#define NO_ROLE "EntityNotExist.Role"
#define NO_POLICY "EntityNotExist.Policy"

/* RAM names: letters, digits, '.' and '-', at most 64 (roles) and 128 (policies). */
static char *role_name(const struct ali_ctx *x, const char *prefix)
{
	const char *fn = x->st->function_name;
	size_t room = 64 - strlen(prefix);
	char hex[65], *out;

	if (strlen(fn) <= room) {
		out = xasprintf("%s%s", prefix, fn);
	} else {
		digest_sha256_hex(fn, strlen(fn), hex);
		out = xasprintf("%s%.*s-%.8s", prefix, (int)(room - 9), fn, hex);
	}
	for (char *p = out; *p; p++)
		if (*p == '_')
			*p = '-';
	return out;
}

char *ram_gateway_role_name(const struct ali_ctx *x)
{
	return role_name(x, GATEWAY_PREFIX);
}

char *ram_function_role_name(const struct ali_ctx *x)
{
	return role_name(x, FUNCTION_PREFIX);
}

static int ram(struct ali_ctx *x, const char *action, json_t *q, const char *absent,
	       json_t **out, struct herr *e)
{
	struct ali_call c = { .svc = &ali_ram, .action = action, .query = q };
	int rc = ali_call_json(&x->client, &c, absent, out, e);

	json_decref(q);
	return rc;
}

static char *trust_doc(const char *service)
{
	json_t *d = json_pack("{s:[{s:s, s:s, s:{s:[s]}}], s:s}", "Statement", "Action",
			      "sts:AssumeRole", "Effect", "Allow", "Principal", "Service",
			      service, "Version", "1");
	char *s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(d);
	return s;
}

static int gateway_doc(struct ali_ctx *x, char **doc, struct herr *e)
{
	const char *acct, *fn = x->st->function_name;
	char *a, *b;
	json_t *d;
	int rc = ali_account_id(x, &acct, e);

	*doc = NULL;
	if (rc)
		return rc;
	a = xasprintf("acs:fc:%s:%s:functions/%s", x->region, acct, fn);
	b = xasprintf("%s/*", a);
	d = json_pack("{s:s, s:[{s:s, s:[s], s:[s,s]}]}", "Version", "1", "Statement", "Effect",
		      "Allow", "Action", "fc:InvokeFunction", "Resource", a, b);
	*doc = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	free(a);
	free(b);
	return HOIST_OK;
}

/* Do two policy documents (JSON text) say the same? */
static bool same_doc(const char *a, const char *b)
{
	json_t *ja = json_loads(a ? a : "", 0, NULL), *jb = json_loads(b ? b : "", 0, NULL);
	bool same = ja && jb && json_equal(ja, jb);

	json_decref(ja);
	json_decref(jb);
	return same;
}

/* What hoist converges for one role: its name, the trusted service, what it is for, its policy. */
struct role_want {
	const char *prefix, *service, *purpose, *doc;
	char *name;                      /* role_ensure's: prefix + function */
};

/* A role of that name hoist did not make (its description is not ours): never touched. */
static int not_ours(const json_t *role, const char *name, struct herr *e)
{
	const char *d = json_string_value(json_object_get(role, "Description"));

	if (d && !strncmp(d, OURS, strlen(OURS)))
		return HOIST_OK;
	herr_set(e, HOIST_FAIL, "RAM role %s exists and hoist did not create it; hoist does not "
		 "change or delete it", name);
	return herr_hint(e, "set role_arn to use that role as it is, or delete or rename it");
}

static int role_converge(struct ali_ctx *x, const struct role_want *w, char **arn,
			 struct herr *e)
{
	char *trust = trust_doc(w->service), *desc = xasprintf(OURS "%s", w->purpose);
	json_t *have = NULL, *role;
	int rc = ram(x, "GetRole", json_pack("{s:s}", "RoleName", w->name), NO_ROLE, &have, e);

	if (!rc && !have) {
		out_step("Creating RAM role %s (%s)", w->name, w->purpose);
		rc = ram(x, "CreateRole", json_pack("{s:s, s:s, s:s}", "RoleName", w->name,
						    "AssumeRolePolicyDocument", trust,
						    "Description", desc), NULL, &have, e);
		if (rc && strstr(e->msg, "EntityAlreadyExists.Role")) {   /* a lost answer */
			herr_clear(e);
			rc = ram(x, "GetRole", json_pack("{s:s}", "RoleName", w->name), NULL, &have,
				 e);
			if (!rc)
				rc = not_ours(json_object_get(have, "Role"), w->name, e);
		}
	} else if (!rc && !(rc = not_ours(json_object_get(have, "Role"), w->name, e)) &&
		   !same_doc(json_string_value(json_object_get(json_object_get(have, "Role"),
				"AssumeRolePolicyDocument")), trust)) {
		out_step("Restoring the trust policy of RAM role %s", w->name);
		rc = ram(x, "UpdateRole", json_pack("{s:s, s:s}", "RoleName", w->name,
						    "NewAssumeRolePolicyDocument", trust),
			 NULL, NULL, e);
	}
	role = json_object_get(have, "Role");
	if (!rc) {
		const char *a = json_string_value(json_object_get(role, "Arn"));

		*arn = a ? xstrdup(a) : NULL;
		if (!*arn)
			rc = herr_set(e, HOIST_FAIL, "RAM role %s has no Arn", w->name);
	}
	json_decref(have);
	free(trust);
	free(desc);
	return rc;
}

static int policy_converge(struct ali_ctx *x, const struct role_want *w, struct herr *e)
{
	const char *name = w->name;
	json_t *have = NULL, *attached = NULL, *p;
	char *desc = xasprintf(OURS "%s", w->purpose);
	bool on = false;
	size_t i;
	int rc = ram(x, "GetPolicy", json_pack("{s:s, s:s}", "PolicyName", name, "PolicyType",
					       "Custom"), NO_POLICY, &have, e);

	if (!rc && !have) {
		rc = ram(x, "CreatePolicy", json_pack("{s:s, s:s, s:s}", "PolicyName", name,
						      "PolicyDocument", w->doc, "Description",
						      desc), NULL, NULL, e);
		if (rc && strstr(e->msg, "EntityAlreadyExists.Policy")) {   /* a lost answer */
			herr_clear(e);
			rc = HOIST_OK;
		}
	} else if (!rc && !same_doc(json_string_value(json_object_get(json_object_get(have,
			"DefaultPolicyVersion"), "PolicyDocument")), w->doc)) {
		out_step("Updating RAM policy %s", name);
		rc = ram(x, "CreatePolicyVersion", json_pack("{s:s, s:s, s:s, s:s}", "PolicyName",
							     name, "PolicyDocument", w->doc,
							     "SetAsDefault", "true", "RotateStrategy",
							     "DeleteOldestNonDefaultVersionWhen"
							     "LimitExceeded"), NULL, NULL, e);
	}
	if (!rc)
		rc = ram(x, "ListPoliciesForRole", json_pack("{s:s}", "RoleName", name), NULL,
			 &attached, e);
	json_array_foreach(capi_list(attached, "Policies", "Policy"), i, p)
		on |= !strcmp(json_string_value(json_object_get(p, "PolicyName")) ?: "", name) &&
		      !strcmp(json_string_value(json_object_get(p, "PolicyType")) ?: "", "Custom");
	if (!rc && !on)
		rc = ram(x, "AttachPolicyToRole", json_pack("{s:s, s:s, s:s}", "PolicyType", "Custom",
							    "PolicyName", name, "RoleName", name),
			 NULL, NULL, e);
	json_decref(attached);
	json_decref(have);
	free(desc);
	return rc;
}

static int role_ensure(struct ali_ctx *x, struct role_want *w, char **role_arn,
		       struct herr *e)
{
	int rc;

	w->name = role_name(x, w->prefix);
	rc = role_converge(x, w, role_arn, e);
	if (!rc)
		rc = policy_converge(x, w, e);
	if (rc) {
		free(*role_arn);
		*role_arn = NULL;
	}
	free(w->name);
	return rc;
}

/* The role prefix + function and its policy, when hoist made them. */
static int role_remove(struct ali_ctx *x, const char *prefix, struct herr *e)
{
	char *name = role_name(x, prefix);
	json_t *role = NULL, *pol = NULL;
	int rc = ram(x, "GetRole", json_pack("{s:s}", "RoleName", name), NO_ROLE, &role, e);

	if (!rc && role && not_ours(json_object_get(role, "Role"), name, e)) {
		out_warn("%s; leaving it", e->msg);   /* not ours: nothing to undo */
		herr_clear(e);
		json_decref(role);
		free(name);
		return HOIST_OK;
	}
	if (!rc)
		rc = ram(x, "GetPolicy", json_pack("{s:s, s:s}", "PolicyName", name, "PolicyType",
						   "Custom"), NO_POLICY, &pol, e);
	if (!rc && role && pol)
		rc = ram(x, "DetachPolicyFromRole", json_pack("{s:s, s:s, s:s}", "PolicyType",
							      "Custom", "PolicyName", name,
							      "RoleName", name),
			 "EntityNotExist.Role.Policy", NULL, e);
	if (!rc && pol) {
		out_step("Deleting RAM policy %s", name);
		rc = ram(x, "DeletePolicy", json_pack("{s:s, s:s}", "PolicyName", name,
						      "CascadingDelete", "true"), NO_POLICY, NULL, e);
	}
	if (!rc && role) {
		out_step("Deleting RAM role %s", name);
		rc = ram(x, "DeleteRole", json_pack("{s:s}", "RoleName", name), NO_ROLE, NULL, e);
	}
	json_decref(pol);
	json_decref(role);
	free(name);
	return rc;
}

int ram_gateway_role_ensure(struct ali_ctx *x, char **role_arn, struct herr *e)
{
	char *doc = NULL;
	int rc = gateway_doc(x, &doc, e);
	struct role_want w = { .prefix = GATEWAY_PREFIX, .service = "apigateway.aliyuncs.com",
			       .purpose = "API Gateway invokes the stage's function", .doc = doc };

	*role_arn = NULL;
	if (!rc)
		rc = role_ensure(x, &w, role_arn, e);
	free(doc);
	return rc;
}

int ram_gateway_role_remove(struct ali_ctx *x, struct herr *e)
{
	return role_remove(x, GATEWAY_PREFIX, e);
}

int ram_function_role_ensure(struct ali_ctx *x, const char *doc, char **role_arn,
			     struct herr *e)
{
	struct role_want w = { .prefix = FUNCTION_PREFIX, .service = "fc.aliyuncs.com",
			       .purpose = "the function's own calls (remote_env, tasks)",
			       .doc = doc };

	*role_arn = NULL;
	return role_ensure(x, &w, role_arn, e);
}

int ram_function_role_remove(struct ali_ctx *x, struct herr *e)
{
	return role_remove(x, FUNCTION_PREFIX, e);
}
