/*
 * takeover.c — a stage Zappa deployed, taken over by `hoist update`.
 *
 * Zappa names the function as hoist does (slug of project-stage), so the
 * function is found and converged like any other (ops.c hands its old
 * handler over to hoist's while the code and configuration change).  Its
 * API Gateway REST API lives in a CloudFormation stack named after the
 * function, tagged ZappaProject=<function>, as the resource "Api": hoist
 * adopts that API — it tags it hoist:stage=<function>, which is how
 * apigw.c finds the stage's API — so its id, its URL and any custom
 * domain's base path mapping stay and clients see no change; apigw.c then
 * converges its methods in place (the integrations lose Zappa's role
 * credentials for hoist's Lambda permission) and deploys the stage.
 * Zappa's rules are replaced by events.c, which knows their names.
 *
 * The stack is left in place (it still owns the API: deleting it would
 * delete the API); `hoist undeploy` deletes it and waits until it is gone.
 * `hoist deploy` on such a stage refuses and points at update.
 */
#include "deploy.h"
#include "ev_common.h"
#include "frontdoor.h"

#include "../../core/clock.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"
#include "../../core/xml.h"

#include <stdlib.h>
#include <string.h>

#define ZAPPA_TAG "ZappaProject"
#define STACK_WAIT_POLLS 150

struct zstack {
	bool found;
	char *status;
	char *api_id;        /* the "Api" resource (a v1 REST API), or NULL */
};

static void zstack_free(struct zstack *z)
{
	free(z->status);
	free(z->api_id);
	memset(z, 0, sizeof(*z));
}

/* The stack named after the function, when Zappa made it (its tag says so). */
static int zstack_find(struct aws_ctx *x, struct zstack *z, struct herr *e)
{
	const char *fn = x->st->function_name;
	json_t *out = NULL, *stacks, *s, *tags, *t;
	size_t i;
	int rc;

	memset(z, 0, sizeof(*z));
	rc = ev_query(x, &aws_cloudformation, "DescribeStacks", json_pack("{s:s}", "StackName", fn),
		      &out, "ValidationError", e);
	if (rc && strstr(e->msg, "AccessDenied")) {
		/* Credentials without CloudFormation: no stack hoist could act on. */
		out_warn("cannot look for a CloudFormation stack %s left by Zappa: %s", fn, e->msg);
		herr_clear(e);
		return HOIST_OK;
	}
	if (rc || !out)
		return rc;
	stacks = xml_list(json_object_get(json_object_get(out, "DescribeStacksResult"), "Stacks"),
			  "member");
	s = json_array_get(stacks, 0);
	tags = xml_list(json_object_get(s, "Tags"), "member");
	json_array_foreach(tags, i, t)
		if (!strcmp(fd_str(t, "Key") ?: "", ZAPPA_TAG) && !strcmp(fd_str(t, "Value") ?: "", fn))
			z->found = true;
	if (z->found)
		z->status = xstrdup(fd_str(s, "StackStatus") ?: "?");
	json_decref(tags);
	json_decref(stacks);
	json_decref(out);
	out = NULL;
	if (z->found && strcmp(z->status, "DELETE_IN_PROGRESS"))
		rc = ev_query(x, &aws_cloudformation, "DescribeStackResource", json_pack(
			"{s:s, s:s}", "StackName", fn, "LogicalResourceId", "Api"), &out,
			"ValidationError", e);
	if (!rc && out) {
		const json_t *d = json_object_get(json_object_get(out, "DescribeStackResourceResult"),
						  "StackResourceDetail");

		if (fd_str(d, "PhysicalResourceId") &&
		    !strcmp(fd_str(d, "ResourceType") ?: "", "AWS::ApiGateway::RestApi"))
			z->api_id = xstrdup(fd_str(d, "PhysicalResourceId"));
	}
	json_decref(out);
	return rc;
}

int aws_zappa_deployed(struct aws_ctx *x, bool *yes, char **api_id, struct herr *e)
{
	struct zstack z;
	int rc = zstack_find(x, &z, e);

	*yes = z.found && strcmp(z.status ?: "", "DELETE_IN_PROGRESS");
	if (api_id) {
		*api_id = *yes ? z.api_id : NULL;
		if (*yes)
			z.api_id = NULL;
	}
	zstack_free(&z);
	return rc;
}

static bool wants_rest_api(const struct aws_ctx *x)
{
	const char *v = settings_str(x->st->settings, "apigateway_version");

	return settings_bool(x->st->settings, "apigateway_enabled", true) && (!v || !strcmp(v, "v1"));
}

int aws_zappa_adopt(struct aws_ctx *x, struct herr *e)
{
	const char *fn = x->st->function_name;
	struct zstack z;
	char *path = NULL, *arn = NULL, *esc = NULL;
	json_t *api = NULL;
	int rc;

	if ((rc = zstack_find(x, &z, e)) || !z.found)
		goto out;
	if (!z.api_id) {
		out_warn("Zappa's CloudFormation stack %s has no REST API (\"Api\"); hoist makes "
			 "its own front door", fn);
		goto out;
	}
	if (!wants_rest_api(x)) {
		out_warn("the stage no longer asks for a REST API (v1): Zappa's API %s is left to "
			 "its stack (hoist undeploy removes it)", z.api_id);
		goto out;
	}
	esc = aws_path_escape(z.api_id);
	path = xasprintf("/restapis/%s", esc);
	rc = fd_do(x, &aws_apigateway, "GetRestApi", "GET", path, NULL, NULL, "NotFoundException",
		   &api, e);
	if (rc || !api)
		goto out;
	if (!strcmp(fd_str(json_object_get(api, "tags"), FD_TAG) ?: "", fn)) {
		out_info("REST API %s (Zappa's stack %s) is already the stage's", z.api_id, fn);
		goto out;
	}
	out_step("Taking over the stage Zappa deployed: its REST API %s (CloudFormation stack %s) "
		 "becomes the stage's, so its URL and domain stay", z.api_id, fn);
	free(path);
	free(esc);
	arn = xasprintf("arn:%s:apigateway:%s::/restapis/%s", fd_partition(x), x->region, z.api_id);
	esc = aws_path_escape(arn);
	path = xasprintf("/tags/%s", esc);
	rc = fd_do(x, &aws_apigateway, "TagResource", "PUT", path, NULL,
		   json_pack("{s:{s:s}}", "tags", FD_TAG, fn), NULL, NULL, e);
out:
	json_decref(api);
	free(arn);
	free(esc);
	free(path);
	zstack_free(&z);
	return rc;
}

int aws_zappa_remove(struct aws_ctx *x, struct herr *e)
{
	const char *fn = x->st->function_name;
	struct zstack z;
	int rc, n;

	if ((rc = zstack_find(x, &z, e)) || !z.found)
		goto out;
	if (strcmp(z.status, "DELETE_IN_PROGRESS")) {
		out_step("Deleting CloudFormation stack %s (Zappa's, with its REST API)", fn);
		rc = ev_query(x, &aws_cloudformation, "DeleteStack", json_pack("{s:s}", "StackName",
			      fn), NULL, NULL, e);
	}
	for (n = 0; !rc && z.found && n < STACK_WAIT_POLLS; n++) {
		if (!strcmp(z.status ?: "", "DELETE_FAILED")) {
			rc = herr_set(e, HOIST_FAIL, "CloudFormation could not delete stack %s "
				      "(DELETE_FAILED)", fn);
			herr_hint(e, "see the stack's events in the CloudFormation console, then run "
				  "hoist undeploy again");
			break;
		}
		clock_poll_sleep(n);
		zstack_free(&z);
		rc = zstack_find(x, &z, e);
	}
	if (!rc && z.found)
		rc = herr_set(e, HOIST_FAIL, "CloudFormation stack %s is still %s; run hoist undeploy "
			      "again later", fn, z.status);
out:
	zstack_free(&z);
	return rc;
}
