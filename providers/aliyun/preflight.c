/*
 * preflight.c — what the Alibaba Cloud provider checks before it sends
 * anything (exit 2, nothing changed): names FC accepts, the runtime, the VPC
 * configuration, the timer expressions, the dead-letter ARN and the front
 * door settings (API Gateway's need apigateway_enabled; the HTTP trigger's
 * a trigger).
 *
 * Decisions (documented in hoist-settings(5)):
 *   runtime   FC 3.0's built-in Python runtimes are python3.9, python3.10 and
 *             python3.12; the handler runs on them unchanged.  python3.11 and
 *             python3.13 have no FC built-in: an error, never a silent swap.
 *   vpc_config  FC wants one VPC id, its vSwitch ids and one security group.
 *             VpcId/vpcId, VSwitchIds/vSwitchIds, SecurityGroupId/
 *             securityGroupId as written; Zappa's SubnetIds are the vSwitch
 *             ids and a SecurityGroupIds list of exactly one is the group —
 *             anything ambiguous (two groups, both spellings disagreeing, no
 *             VpcId) is an error naming the key.
 */
#include "apigw.h"

#include "../../core/err.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <regex.h>
#include <string.h>

static const char *const runtimes[] = { "python3.9", "python3.10", "python3.12" };

static bool matches(const char *s, const char *rx)
{
	regex_t re;
	bool ok;

	if (regcomp(&re, rx, REG_EXTENDED | REG_NOSUB))
		return false;
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static int check_names(const struct stage *st, struct herr *e)
{
	if (!matches(st->function_name, "^[A-Za-z_][A-Za-z0-9_-]{0,63}$")) {
		herr_set(e, HOIST_USAGE, "%s: the function name '%s' (project_name '%s' + stage) is "
			 "not a Function Compute name: 1-64 letters, digits, '-' or '_', starting "
			 "with a letter", st->name, st->function_name, st->project_name);
		return herr_hint(e, "choose a project_name that starts with a letter and is short "
				 "enough");
	}
	if (!matches(st->name, "^[A-Za-z_][A-Za-z0-9_-]{0,127}$"))
		return herr_set(e, HOIST_USAGE, "stage '%s' cannot name a Function Compute alias "
				"(letters, digits, '-' and '_', starting with a letter)", st->name);
	return HOIST_OK;
}

static int check_runtime(const struct stage *st, struct herr *e)
{
	const char *rt = settings_str(st->settings, "runtime") ?: "python3.12";

	for (size_t i = 0; i < sizeof(runtimes) / sizeof(*runtimes); i++)
		if (!strcmp(rt, runtimes[i]))
			return HOIST_OK;
	herr_set(e, HOIST_USAGE, "%s: runtime %s: Function Compute 3.0 has no such built-in "
		 "runtime (it offers python3.9, python3.10 and python3.12)", st->name, rt);
	return herr_hint(e, "set runtime to python3.12 (or python3.10) and build the "
			 "virtualenv with that Python");
}

static const json_t *either(const json_t *o, const char *a, const char *b, const char **which)
{
	const json_t *va = json_object_get(o, a), *vb = json_object_get(o, b);

	*which = va ? a : b;
	return va ? va : vb;
}

/* FC's vpcConfig for the settings (new reference), NULL when there is none. */
int ali_vpc_config(const struct stage *st, json_t **out, struct herr *e)
{
	const json_t *v = json_object_get(st->settings, "vpc_config"), *vpc, *sw, *sg, *sgs, *subs;
	const char *k_vpc, *k_sw, *k_sg;
	json_t *vsw;

	*out = NULL;
	if (!json_is_object(v) || !json_object_size(v))
		return HOIST_OK;
	vpc = either(v, "VpcId", "vpcId", &k_vpc);
	sw = either(v, "VSwitchIds", "vSwitchIds", &k_sw);
	sg = either(v, "SecurityGroupId", "securityGroupId", &k_sg);
	sgs = json_object_get(v, "SecurityGroupIds");
	subs = json_object_get(v, "SubnetIds");
	if (sw && subs && !json_equal(sw, subs))
		return herr_set(e, HOIST_USAGE, "%s: vpc_config has both %s and SubnetIds, and they "
				"differ; give the vSwitch ids once", st->name, k_sw);
	if (!sw)
		sw = subs, k_sw = "SubnetIds";
	if (sgs && json_array_size(sgs) > 1)
		return herr_set(e, HOIST_USAGE, "%s: vpc_config.SecurityGroupIds has %zu groups; a "
				"Function Compute function takes exactly one (SecurityGroupId)",
				st->name, json_array_size(sgs));
	if (sg && sgs && json_array_size(sgs) &&
	    !json_equal(sg, json_array_get(sgs, 0)))
		return herr_set(e, HOIST_USAGE, "%s: vpc_config gives %s and SecurityGroupIds, and "
				"they differ", st->name, k_sg);
	if (!sg && json_array_size(sgs))
		sg = json_array_get(sgs, 0);
	if (!json_is_string(vpc) || !*json_string_value(vpc))
		return herr_set(e, HOIST_USAGE, "%s: vpc_config needs VpcId (the VPC the function's "
				"vSwitches belong to)", st->name);
	if (!json_array_size(sw))
		return herr_set(e, HOIST_USAGE, "%s: vpc_config names VPC %s but no vSwitch "
				"(VSwitchIds, or Zappa's SubnetIds): Function Compute attaches the "
				"function through at least one vSwitch of the VPC", st->name,
				json_string_value(vpc));
	if (!json_is_string(sg) || !*json_string_value(sg))
		return herr_set(e, HOIST_USAGE, "%s: vpc_config needs SecurityGroupId (one security "
				"group of VPC %s)", st->name, json_string_value(vpc));
	vsw = json_deep_copy(sw);
	*out = json_pack("{s:O, s:o, s:O}", "vpcId", vpc, "vSwitchIds", vsw, "securityGroupId", sg);
	return HOIST_OK;
}

static int check_frontdoor(const struct stage *st, struct herr *e)
{
	const char *dlq = settings_str(st->settings, "dead_letter_arn");
	const char *env = settings_str(st->settings, "apigateway_stage");
	bool gw = ali_apigw_wanted(st), trigger = ali_frontdoor_trigger_wanted(st);

	if (settings_bool(st->settings, "api_key_required", false) && !gw) {
		herr_set(e, HOIST_USAGE, "%s: api_key_required: a Function Compute HTTP trigger has "
			 "no API keys; Alibaba Cloud API Gateway's app authorization does", st->name);
		return herr_hint(e, "set apigateway_enabled: true, or use iam_authorization: true "
				 "for signed requests to the HTTP trigger");
	}
	if (env && strcmp(env, "RELEASE") && !gw)
		return herr_set(e, HOIST_USAGE, "%s: apigateway_stage %s: it is the environment of "
				"Alibaba Cloud API Gateway, and apigateway_enabled is off", st->name,
				env);
	if (settings_bool(st->settings, "iam_authorization", false) && !trigger) {
		herr_set(e, HOIST_USAGE, "%s: iam_authorization: it makes the HTTP trigger take "
			 "signed requests only, and the stage has no HTTP trigger%s", st->name,
			 gw ? " (API Gateway serves it)" : "");
		return herr_hint(e, "use api_key_required: true for API Gateway's app "
				 "authorization, or add function_url_enabled: true");
	}
	if (dlq && !matches(dlq, "^acs:[a-z-]+:[a-z0-9-]*:[0-9]*:.+$"))
		return herr_set(e, HOIST_USAGE, "%s: dead_letter_arn '%s' is not an Alibaba Cloud "
				"ARN (acs:mns:<region>:<account>:/queues/<name>/messages, "
				"acs:fc:<region>:<account>:functions/<name>, or an EventBridge "
				"event bus)", st->name, dlq);
	return HOIST_OK;
}

int ali_check_stage(const struct stage *st, struct herr *e)
{
	json_t *vpc = NULL;
	int rc;

	if ((rc = check_names(st, e)) || (rc = check_runtime(st, e)) ||
	    (rc = ali_vpc_config(st, &vpc, e)) || (rc = check_frontdoor(st, e)) ||
	    (rc = ali_timers_check(st, e)))
		return rc;
	json_decref(vpc);
	return HOIST_OK;
}
