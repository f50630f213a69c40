/*
 * logs.c — `hoist tail` on AWS: the function's CloudWatch Logs group
 * (/aws/lambda/<function>) read with FilterLogEvents, and the group's
 * deletion for `undeploy --remove-logs`.
 *
 * The reading loop, and why it looks like this:
 *
 *   CloudWatch Logs ingests with a delay (seconds, sometimes minutes) and
 *   events keep the timestamp the function gave them, so an event can show
 *   up after newer ones were already returned.  A reader that only asks for
 *   "startTime = newest timestamp seen" misses it; one that re-reads the
 *   whole --since window every poll wastes requests and prints duplicates.
 *
 *   So each poll asks for startTime = max(since, newest - overlap), follows
 *   nextToken through every page (a page boundary never loses an event:
 *   the token is the service's cursor), and drops the events whose eventId
 *   was already printed.  The ids seen are kept only while they can come
 *   back, i.e. while their timestamp is inside the overlap window; older
 *   ids are forgotten, which bounds memory for an endless tail.  An event
 *   that arrives later than the overlap (default 30 s) after newer ones is
 *   not shown — the price of not re-reading everything.
 *
 *   Within a poll the new events are handed to the sink oldest first
 *   (timestamp, then the service's order) exactly once each.  With
 *   --no-follow there is one poll.
 *
 * Tuning (for tests and slow log pipelines):
 *   HOIST_TAIL_POLL_MS     pause between polls when following (default 1000)
 *   HOIST_TAIL_OVERLAP_MS  the re-read window (default 30000)
 */
#include "deploy.h"
#include "ev_common.h"

#include "../provider.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

struct ev {
	int64_t ts;
	size_t order;
	json_t *obj;        /* borrowed from the page it came from */
};

struct tail {
	struct aws_ctx *x;
	const struct tail_args *a;
	char *group;
	json_t *seen;       /* eventId -> timestamp, for the overlap window */
	int64_t newest;     /* newest timestamp printed, -1 before any */
	int64_t overlap;
	bool stop;
};

static int ev_cmp(const void *pa, const void *pb)
{
	const struct ev *a = pa, *b = pb;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Forget ids older than the next window start. */
static void prune_seen(struct tail *t, int64_t start)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(t->seen, tmp, k, v)
		if (json_integer_value(v) < start)
			json_object_del(t->seen, k);
}

/* One FilterLogEvents page; *pages collects the answers (for the events' lifetime). */
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
	int64_t start = t->a->since_ms;
	json_t *pages = json_array(), *out = NULL, *ev;
	struct ev *v = NULL;
	size_t n = 0, cap = 0, i;
	char *token = NULL;
	int rc;

	if (t->newest >= 0 && t->newest - t->overlap > start)
		start = t->newest - t->overlap;
	do {
		rc = fetch_page(t, start, token, &out, absent, e);
		free(token);
		token = NULL;
		if (rc || *absent)
			break;
		json_array_append_new(pages, out);
		json_array_foreach(json_object_get(out, "events"), i, ev) {
			const char *id = json_string_value(json_object_get(ev, "eventId"));

			if (!id || json_object_get(t->seen, id))
				continue;
			json_object_set_new(t->seen, id,
					    json_integer(json_integer_value(json_object_get(ev, "timestamp"))));
			if (n == cap)
				v = xrealloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v));
			v[n].ts = json_integer_value(json_object_get(ev, "timestamp"));
			v[n].order = n;
			v[n].obj = ev;
			n++;
		}
		if (json_string_value(json_object_get(out, "nextToken")))
			token = xstrdup(json_string_value(json_object_get(out, "nextToken")));
	} while (token);
	if (!rc && n) {
		qsort(v, n, sizeof(*v), ev_cmp);
		for (i = 0; i < n && !t->stop; i++) {
			struct log_event le = {
				.time_ms = v[i].ts,
				.stream = json_string_value(json_object_get(v[i].obj, "logStreamName")),
				.id = json_string_value(json_object_get(v[i].obj, "eventId")),
				.message = json_string_value(json_object_get(v[i].obj, "message")),
			};
			char *msg = NULL;
			size_t len = le.message ? strlen(le.message) : 0;

			if (len && le.message[len - 1] == '\n') {   /* Lambda lines end in \n */
				msg = xasprintf("%.*s", (int)(len - 1), le.message);
				le.message = msg;
			}
			if (v[i].ts > t->newest)
				t->newest = v[i].ts;
			if (t->a->sink(&le, t->a->ctx))
				t->stop = true;
			free(msg);
		}
		prune_seen(t, t->newest - t->overlap);
	}
	free(v);
	json_decref(pages);
	return rc;
}

int aws_op_tail(const struct stage *st, const struct tail_args *a, struct herr *e)
{
	struct aws_ctx x;
	struct tail t = { 0 };
	long poll = env_number("HOIST_TAIL_POLL_MS", 1000);
	const char *arn;
	bool absent = false, warned = false;
	int rc;

	if ((rc = aws_ctx_open(&x, st, e)))
		return rc;
	t.x = &x;
	t.a = a;
	t.group = xasprintf("/aws/lambda/%s", st->function_name);
	t.seen = json_object();
	t.newest = -1;
	t.overlap = env_number("HOIST_TAIL_OVERLAP_MS", 30000);
	rc = ev_function_arn(&x, &arn, e);
	while (!rc) {
		rc = poll_once(&t, &absent, e);
		if (rc || t.stop)
			break;
		if (absent && !warned) {
			out_info("log group %s does not exist yet (the function has not run)",
				 t.group);
			warned = true;
		}
		if (!a->follow)
			break;
		clock_sleep_ms(poll);
	}
	json_decref(t.seen);
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
