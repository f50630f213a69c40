/*
 * cam.c — the function's execution role on Tencent Cloud, when hoist
 * manages it (CAM API 2019-01-16).  SCF gives a function credentials only
 * for its execution role (the function's Role), and remote_env and the
 * task responses need the function to call COS and SCF itself: with
 * role_arn unset and manage_roles not false, hoist keeps
 *
 *   role    hoist-<function>-<region> (CAM: 1–128 of [A-Za-z0-9+=,.@_-];
 *           a function name is at most 60), trusted by SCF only
 *           (principal service scf.qcloud.com);
 *   policy  the same name, attached to that role, allowing exactly what
 *           tasks.c's grant list names: cos:GetObject on the remote_env
 *           object, cos:GetObject/PutObject under the stage's
 *           async-responses prefix, scf:InvokeFunction on the function.
 *
 * Both carry the Description TC_ROLE_MARK; a role or policy of that name
 * without it was not made by hoist and is never changed or deleted.  A
 * create whose answer was lost is found again by name (CreateRole answers
 * InvalidParameter.RoleNameInUse, CreatePolicy
 * FailedOperation.PolicyNameInUse), never made twice.  An unchanged stage costs three reads (GetRole,
 * ListAttachedRolePolicies, GetPolicy) and no write.
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TC_ROLE_MARK "hoist: execution role of SCF function "

char *tc_role_name(const struct tc_ctx *x)
{
	return xasprintf("hoist-%s-%s", x->fn, x->region);
}

static char *mark(const struct tc_ctx *x)
{
	return xasprintf(TC_ROLE_MARK "%s in %s", x->fn, x->region);
}

static int cam_p(struct tc_ctx *x, const char *action, json_t *p, struct tc_result *r,
		 struct herr *e)
{
	int rc = tc_call(x, &tc_cam, action, p, r, e);

	json_decref(p);
	return rc;
}

/* A CAM error that says "no such thing" (the codes CAM's SDKs list; ResourceNotFound.*). */
static bool absent(const struct tc_result *r)
{
	return tc_error_is(r, "ResourceNotFound") || tc_error_is(r, "InvalidParameter.RoleNotExist")
	       || tc_error_is(r, "InvalidParameter.PolicyIdNotExist");
}

/* A removal: HOIST_OK when it is done or the thing was not there. */
static int cam_remove(struct tc_ctx *x, const char *action, json_t *p, struct herr *e)
{
	struct tc_result r = { 0 };
	int rc = cam_p(x, action, p, &r, e);

	if (rc && absent(&r)) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	tc_result_free(&r);
	return rc;
}

static char *dumps(const json_t *doc)
{
	return json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
}

/* Does a CAM document string say the same as `want`? */
static bool same_doc(const char *have, const json_t *want)
{
	json_t *h = have ? json_loads(have, 0, NULL) : NULL;
	bool same = h && json_equal(h, want);

	json_decref(h);
	return same;
}

static json_t *trust_doc(void)
{
	return json_pack("{s:s, s:[{s:s, s:s, s:{s:[s]}}]}", "version", "2.0", "statement",
			 "action", "name/sts:AssumeRole", "effect", "allow",
			 "principal", "service", "scf.qcloud.com");
}

/* tasks.c's grants as a CAM policy document (new reference), the AppId and UIN fetched. */
static int grants_doc(struct tc_ctx *x, json_t **doc, struct herr *e)
{
	json_t *gs, *g, *stmts;
	const char *appid;
	size_t i;
	int rc = tc_appid(x, &appid, e);

	*doc = NULL;
	if (rc)
		return rc;
	if (!x->uin)
		return herr_set(e, HOIST_FAIL, "CAM GetUserAppId: no OwnerUin in the answer");
	gs = tc_task_grants(x);
	stmts = json_array();
	json_array_foreach(gs, i, g)
		json_array_append_new(stmts, json_pack("{s:s, s:O, s:[O]}", "effect", "allow",
			"action", json_object_get(g, "action"), "resource",
			json_object_get(g, "resource")));
	json_decref(gs);
	*doc = json_pack("{s:s, s:o}", "version", "2.0", "statement", stmts);
	return HOIST_OK;
}

/* GetRole: *info (new reference) or NULL when there is no such role. */
static int get_role(struct tc_ctx *x, const char *name, json_t **info, struct herr *e)
{
	struct tc_result r;
	int rc = cam_p(x, "GetRole", json_pack("{s:s}", "RoleName", name), &r, e);

	*info = NULL;
	if (rc && absent(&r)) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc) {
		*info = json_incref(json_object_get(r.data, "RoleInfo"));
	}
	tc_result_free(&r);
	return rc;
}

static int not_ours(const char *what, const char *name, struct herr *e)
{
	herr_set(e, HOIST_FAIL, "CAM %s %s exists and was not created by hoist: hoist never "
		 "changes it", what, name);
	return herr_hint(e, "set role_arn to a role SCF can assume (hoist then leaves roles "
			 "alone), or remove %s %s", what, name);
}

/* The role, created when missing; a role of that name hoist did not make is refused. */
static int role_converge(struct tc_ctx *x, const char *name, const char *desc, bool *fresh,
			 struct herr *e)
{
	json_t *trust = trust_doc(), *info = NULL;
	struct tc_result r;
	char *doc;
	int rc = get_role(x, name, &info, e);

	*fresh = false;
	if (!rc && !info) {
		doc = dumps(trust);
		out_step("Creating CAM role %s (trusted by SCF)", name);
		rc = cam_p(x, "CreateRole", json_pack("{s:s, s:s, s:s}", "RoleName", name,
						      "PolicyDocument", doc, "Description", desc),
			   &r, e);
		if (rc && tc_error_is(&r, "InvalidParameter.RoleNameInUse")) {
			herr_clear(e);       /* an earlier answer was lost: read it back */
			rc = get_role(x, name, &info, e);
			if (!rc && !info)
				rc = herr_set(e, HOIST_FAIL, "CAM role %s: in use, yet not found",
					      name);
		}
		*fresh = !rc;
		tc_result_free(&r);
		free(doc);
	}
	if (!rc && info && strcmp(tc_str(info, "Description") ?: "", desc))
		rc = not_ours("role", name, e);
	else if (!rc && info && !same_doc(tc_str(info, "PolicyDocument"), trust)) {
		doc = dumps(trust);
		out_step("Trusting only SCF with CAM role %s", name);
		rc = cam_p(x, "UpdateAssumeRolePolicy", json_pack("{s:s, s:s}", "RoleName", name,
								  "PolicyDocument", doc), &r, e);
		tc_result_free(&r);
		free(doc);
	}
	json_decref(info);
	json_decref(trust);
	return rc;
}

/*
 * The policy named `name`: *id and *attached when the role has it attached,
 * else found among the account's own policies (a create or attach whose
 * answer was lost), *id 0 when there is none; *desc its Description.
 */
static int find_policy(struct tc_ctx *x, const char *role, const char *name, long long *id,
		       bool *attached, char **desc, struct herr *e)
{
	struct tc_result r;
	const json_t *p;
	size_t i;
	int rc;

	*id = 0;
	*attached = false;
	*desc = NULL;
	rc = cam_p(x, "ListAttachedRolePolicies", json_pack("{s:i, s:i, s:s, s:s}", "Page", 1,
			"Rp", 200, "RoleName", role, "PolicyType", "User"), &r, e);
	if (rc && absent(&r)) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	json_array_foreach(json_object_get(r.data, "List"), i, p)
		if (!rc && !strcmp(tc_str(p, "PolicyName") ?: "", name)) {
			*id = json_integer_value(json_object_get(p, "PolicyId"));
			*desc = xstrdup(tc_str(p, "Description") ?: "");
			*attached = true;
		}
	tc_result_free(&r);
	if (rc || *id)
		return rc;
	rc = cam_p(x, "ListPolicies", json_pack("{s:i, s:i, s:s, s:s}", "Rp", 200, "Page", 1,
						"Scope", "Local", "Keyword", name), &r, e);
	json_array_foreach(json_object_get(r.data, "List"), i, p)
		if (!rc && !strcmp(tc_str(p, "PolicyName") ?: "", name)) {
			*id = json_integer_value(json_object_get(p, "PolicyId"));
			*desc = xstrdup(tc_str(p, "Description") ?: "");
		}
	tc_result_free(&r);
	return rc;
}

static int policy_converge(struct tc_ctx *x, const char *role, const char *desc,
			   struct herr *e)
{
	json_t *want = NULL;
	char *have_desc = NULL, *doc = NULL;
	struct tc_result r;
	long long id;
	bool attached;
	int rc = grants_doc(x, &want, e);

	if (!rc)
		rc = find_policy(x, role, role, &id, &attached, &have_desc, e);
	if (rc)
		goto out;
	doc = dumps(want);
	if (id && strcmp(have_desc, desc)) {
		rc = not_ours("policy", role, e);
		goto out;
	}
	if (!id) {
		out_step("Creating CAM policy %s (what the function calls itself)", role);
		rc = cam_p(x, "CreatePolicy", json_pack("{s:s, s:s, s:s}", "PolicyName", role,
							"PolicyDocument", doc, "Description", desc),
			   &r, e);
		if (!rc)
			id = json_integer_value(json_object_get(r.data, "PolicyId"));
		else if (tc_error_is(&r, "FailedOperation.PolicyNameInUse")) {
			herr_clear(e);       /* an earlier answer was lost: find it */
			free(have_desc);
			rc = find_policy(x, role, role, &id, &attached, &have_desc, e);
			if (!rc && !id)
				rc = herr_set(e, HOIST_FAIL, "CAM policy %s: in use, yet not found",
					      role);
		}
		tc_result_free(&r);
		if (rc)
			goto out;
	} else {
		rc = cam_p(x, "GetPolicy", json_pack("{s:I}", "PolicyId", (json_int_t)id), &r, e);
		if (!rc && !same_doc(tc_str(r.data, "PolicyDocument"), want)) {
			tc_result_free(&r);
			out_step("Updating CAM policy %s", role);
			rc = cam_p(x, "UpdatePolicy", json_pack("{s:I, s:s}", "PolicyId",
				   (json_int_t)id, "PolicyDocument", doc), &r, e);
		}
		tc_result_free(&r);
		if (rc)
			goto out;
	}
	if (!attached) {
		out_step("Attaching CAM policy %s to role %s", role, role);
		rc = cam_p(x, "AttachRolePolicy", json_pack("{s:I, s:s}", "PolicyId", (json_int_t)id,
							    "AttachRoleName", role), &r, e);
		tc_result_free(&r);
	}
out:
	free(doc);
	free(have_desc);
	json_decref(want);
	return rc;
}

int tc_role_ensure(struct tc_ctx *x, bool *fresh, struct herr *e)
{
	char *desc = mark(x);
	int rc = role_converge(x, x->role, desc, fresh, e);

	if (!rc)
		rc = policy_converge(x, x->role, desc, e);
	free(desc);
	return rc;
}

int tc_role_remove(struct tc_ctx *x, struct herr *e)
{
	char *name = tc_role_name(x), *desc = mark(x), *pdesc = NULL;
	json_t *info = NULL;
	long long id = 0;
	bool attached = false;
	int rc = get_role(x, name, &info, e);

	if (!rc && info && strcmp(tc_str(info, "Description") ?: "", desc)) {
		out_info("CAM role %s was not created by hoist: left as it is", name);
		goto out;
	}
	if (!rc && info)             /* the policy is made after the role, deleted before */
		rc = find_policy(x, name, name, &id, &attached, &pdesc, e);
	if (!rc && id && strcmp(pdesc, desc)) {
		out_info("CAM policy %s was not created by hoist: left as it is", name);
		id = 0;
	}
	if (!rc && id && attached)
		rc = cam_remove(x, "DetachRolePolicy", json_pack("{s:I, s:s}", "PolicyId",
								 (json_int_t)id, "DetachRoleName",
								 name), e);
	if (!rc && id) {
		out_step("Deleting CAM policy %s", name);
		rc = cam_remove(x, "DeletePolicy", json_pack("{s:[I]}", "PolicyId", (json_int_t)id),
				e);
	}
	if (!rc && info) {
		out_step("Deleting CAM role %s", name);
		rc = cam_remove(x, "DeleteRole", json_pack("{s:s}", "RoleName", name), e);
	}
out:
	json_decref(info);
	free(pdesc);
	free(desc);
	free(name);
	return rc;
}
