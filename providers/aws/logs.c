/*
 * logs.c — `hoist tail` on AWS: the function's CloudWatch Logs group
 * (/aws/lambda/<function>) read with FilterLogEvents, and the group's
 * deletion for `undeploy --remove-logs`.
 *
 * The reading loop (providers/logtail.h) asks FilterLogEvents for
 * startTime = logtail_start() and follows nextToken through every page;
 * eventId is the de-duplication key.  With --no-follow there is one poll.
 */
#include "deploy.h"
#include "ev_common.h"

#include "../logtail.h"
#include "../provider.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

struct tail {
	struct aws_ctx *x;
	const struct tail_args *a;
	char *group;
	struct logtail lt;
};

/* One FilterLogEvents page: *out the answer (new reference), NULL when there is no group. */
static int fetch_page(struct tail *t, int64_t start, const char *token, json_t **out,
		      bool *absent, struct herr *e)
{
	json_t *req = json_pack("{s:s, s:I}", "logGroupName", t->group, "startTime",
				(json_int_t)start);
	int rc;

	if (t->a->filter && *t->a->filter)
		json_object_set_new(req, "filterPattern", json_string(t->a->filter));
	if (token)
		json_object_set_new(req, "nextToken", json_string(token));
	rc = ev_json(t->x, &aws_logs, "FilterLogEvents", req, out, "ResourceNotFoundException", e);
	*absent = !rc && !*out;
	return rc;
}

/* One poll: every page from the window start, new events to the sink in order. */
static int poll_once(struct tail *t, bool *absent, struct herr *e)
{
	int64_t start = logtail_start(&t->lt);
	json_t *out = NULL, *ev;
	char *token = NULL;
	size_t i;
	int rc;

	do {
		rc = fetch_page(t, start, token, &out, absent, e);
		free(token);
		token = NULL;
		if (rc || *absent)
			break;
		json_array_foreach(json_object_get(out, "events"), i, ev)
			logtail_add(&t->lt, json_string_value(json_object_get(ev, "eventId")),
				    json_integer_value(json_object_get(ev, "timestamp")),
				    json_string_value(json_object_get(ev, "logStreamName")),
				    json_string_value(json_object_get(ev, "message")));
		if (json_string_value(json_object_get(out, "nextToken")))
			token = xstrdup(json_string_value(json_object_get(out, "nextToken")));
		json_decref(out);
	} while (token);
	if (!rc)
		logtail_flush(&t->lt);
	return rc;
}

int aws_op_tail(const struct stage *st, const struct tail_args *a, struct herr *e)
{
	struct aws_ctx x;
	struct tail t = { 0 };
	const char *arn;
	bool absent = false, warned = false;
	int rc;

	if ((rc = aws_ctx_open(&x, st, e)))
		return rc;
	t.x = &x;
	t.a = a;
	t.group = xasprintf("/aws/lambda/%s", st->function_name);
	logtail_init(&t.lt, a);
	rc = ev_function_arn(&x, &arn, e);
	while (!rc) {
		rc = poll_once(&t, &absent, e);
		if (rc || t.lt.stop)
			break;
		if (absent && !warned) {
			out_info("log group %s does not exist yet (the function has not run)",
				 t.group);
			warned = true;
		}
		if (!a->follow)
			break;
		logtail_pause();
	}
	logtail_free(&t.lt);
	free(t.group);
	aws_ctx_close(&x);
	return rc;
}

int aws_logs_delete_group(struct aws_ctx *x, const char *group, bool *deleted, struct herr *e)
{
	struct aws_call c = { .svc = &aws_logs, .op = "DeleteLogGroup" };
	struct aws_result res = { 0 };
	int rc;

	*deleted = false;
	c.json = json_pack("{s:s}", "logGroupName", group);
	rc = aws_do(&x->client, &c, &res, e);
	json_decref(c.json);
	if (rc && aws_error_is(&res, "ResourceNotFoundException")) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc) {
		*deleted = true;
	}
	aws_result_free(&res);
	return rc;
}
