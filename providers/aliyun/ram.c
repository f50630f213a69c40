/*
 * ram.c — Resource Access Management (RPC 2015-05-01, ram.aliyuncs.com):
 * the role API Gateway assumes to invoke the stage's function (an FC event
 * backend needs one: ServiceConfig.FunctionComputeConfig.roleArn).
 *
 * Least privilege: one role per stage, hoist-apigw-<function>, trusted by
 * apigateway.aliyuncs.com only, with one custom policy of the same name
 * that allows fc:InvokeFunction on that function (any qualifier) and
 * nothing else.  Created when missing, the trust policy and the policy
 * document converged when they drift (UpdateRole, CreatePolicyVersion as
 * the default), removed by undeploy.  An unchanged stage costs three reads.
 */
#include "cloudapi.h"

#include "../../core/digest.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define ROLE_PREFIX "hoist-apigw-"
#define NO_ROLE "EntityNotExist.Role"
#define NO_POLICY "EntityNotExist.Policy"

/* RAM names: letters, digits, '.' and '-', at most 64 (roles) and 128 (policies). */
char *ram_gateway_role_name(const struct ali_ctx *x)
{
	const char *fn = x->st->function_name;
	size_t room = 64 - strlen(ROLE_PREFIX);
	char hex[65], *out;

	if (strlen(fn) <= room) {
		out = xasprintf(ROLE_PREFIX "%s", fn);
	} else {
		digest_sha256_hex(fn, strlen(fn), hex);
		out = xasprintf(ROLE_PREFIX "%.*s-%.8s", (int)(room - 9), fn, hex);
	}
	for (char *p = out; *p; p++)
		if (*p == '_')
			*p = '-';
	return out;
}

static int ram(struct ali_ctx *x, const char *action, json_t *q, const char *absent,
	       json_t **out, struct herr *e)
{
	struct ali_call c = { .svc = &ali_ram, .action = action, .query = q };
	int rc = ali_call_json(&x->client, &c, absent, out, e);

	json_decref(q);
	return rc;
}

static char *trust_doc(void)
{
	json_t *d = json_pack("{s:[{s:s, s:s, s:{s:[s]}}], s:s}", "Statement", "Action",
			      "sts:AssumeRole", "Effect", "Allow", "Principal", "Service",
			      "apigateway.aliyuncs.com", "Version", "1");
	char *s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(d);
	return s;
}

static int policy_doc(struct ali_ctx *x, char **doc, struct herr *e)
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

static int role_converge(struct ali_ctx *x, const char *name, char **arn, struct herr *e)
{
	char *trust = trust_doc();
	json_t *have = NULL, *role;
	int rc = ram(x, "GetRole", json_pack("{s:s}", "RoleName", name), NO_ROLE, &have, e);

	if (!rc && !have) {
		out_step("Creating RAM role %s (API Gateway invokes %s with it)", name,
			 x->st->function_name);
		rc = ram(x, "CreateRole", json_pack("{s:s, s:s, s:s}", "RoleName", name,
						    "AssumeRolePolicyDocument", trust,
						    "Description", "hoist: API Gateway invokes the "
						    "stage's function"), NULL, &have, e);
		if (rc && strstr(e->msg, "EntityAlreadyExists.Role")) {   /* a lost answer */
			herr_clear(e);
			rc = ram(x, "GetRole", json_pack("{s:s}", "RoleName", name), NULL, &have, e);
		}
	} else if (!rc && !same_doc(json_string_value(json_object_get(json_object_get(have,
			"Role"), "AssumeRolePolicyDocument")), trust)) {
		out_step("Restoring the trust policy of RAM role %s", name);
		rc = ram(x, "UpdateRole", json_pack("{s:s, s:s}", "RoleName", name,
						    "NewAssumeRolePolicyDocument", trust),
			 NULL, NULL, e);
	}
	role = json_object_get(have, "Role");
	if (!rc) {
		const char *a = json_string_value(json_object_get(role, "Arn"));

		*arn = a ? xstrdup(a) : NULL;
		if (!*arn)
			rc = herr_set(e, HOIST_FAIL, "RAM role %s has no Arn", name);
	}
	json_decref(have);
	free(trust);
	return rc;
}

static int policy_converge(struct ali_ctx *x, const char *name, struct herr *e)
{
	json_t *have = NULL, *attached = NULL, *p;
	char *doc = NULL;
	bool on = false;
	size_t i;
	int rc = policy_doc(x, &doc, e);

	if (!rc)
		rc = ram(x, "GetPolicy", json_pack("{s:s, s:s}", "PolicyName", name, "PolicyType",
						   "Custom"), NO_POLICY, &have, e);
	if (!rc && !have) {
		rc = ram(x, "CreatePolicy", json_pack("{s:s, s:s, s:s}", "PolicyName", name,
						      "PolicyDocument", doc, "Description",
						      "hoist: invoke one function"), NULL, NULL, e);
		if (rc && strstr(e->msg, "EntityAlreadyExists.Policy")) {   /* a lost answer */
			herr_clear(e);
			rc = HOIST_OK;
		}
	} else if (!rc && !same_doc(json_string_value(json_object_get(json_object_get(have,
			"DefaultPolicyVersion"), "PolicyDocument")), doc)) {
		out_step("Restoring RAM policy %s", name);
		rc = ram(x, "CreatePolicyVersion", json_pack("{s:s, s:s, s:s, s:s}", "PolicyName",
							     name, "PolicyDocument", doc,
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
	free(doc);
	return rc;
}

int ram_gateway_role_ensure(struct ali_ctx *x, char **role_arn, struct herr *e)
{
	char *name = ram_gateway_role_name(x);
	int rc = role_converge(x, name, role_arn, e);

	if (!rc)
		rc = policy_converge(x, name, e);
	if (rc) {
		free(*role_arn);
		*role_arn = NULL;
	}
	free(name);
	return rc;
}

int ram_gateway_role_remove(struct ali_ctx *x, struct herr *e)
{
	char *name = ram_gateway_role_name(x);
	json_t *role = NULL, *pol = NULL;
	int rc = ram(x, "GetRole", json_pack("{s:s}", "RoleName", name), NO_ROLE, &role, e);

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
