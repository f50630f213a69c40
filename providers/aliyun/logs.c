/*
 * logs.c — `hoist tail` on Alibaba Cloud: the lines Function Compute writes
 * to the stage's SLS logstore under topic "FCLogs:<function>", read with
 * GetLogs (sls.c repeats a query while SLS says it is Incomplete).
 *
 * The reading loop, and why it looks like this:
 *
 *   SLS lines carry a time in whole seconds and no id, and a query's answer
 *   is at most 100 lines: each poll asks for the window [start, now] oldest
 *   first and pages through it by offset until a short page.  start is
 *   --since at first, then the newest second printed minus an overlap, so
 *   lines that arrive late (SLS indexes with a delay) are still found.
 *   A line is known by its second, topic, instance, request id and text;
 *   what was printed is remembered as a count per key (two identical lines
 *   in the same second are two lines), so every line is printed exactly
 *   once, across pages and polls, oldest first.  Counts older than the
 *   window are forgotten, which bounds memory for an endless tail.
 *
 * Tuning: HOIST_TAIL_POLL_MS (pause between polls when following, default
 * 1000) and HOIST_TAIL_OVERLAP_MS (the re-read window, default 30000), as on
 * AWS.
 */
#include "aliyun.h"

#include "../provider.h"
#include "../../core/clock.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 100

struct tail {
	struct ali_ctx *x;
	const struct tail_args *a;
	char *project, *logstore, *query;
	json_t *printed;     /* key -> {"n": count, "t": second} */
	long long newest;    /* newest second printed, -1 before any */
	long long overlap;   /* seconds */
	bool stop;
};

static const char *field(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k)) ?: "";
}

static char *key_of(const json_t *line)
{
	return xasprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s", field(line, "__time__"),
			 field(line, "__topic__"), field(line, "instanceID"),
			 field(line, "requestId"), field(line, "message"));
}

/* SLS's query for the function's lines, with --filter as a phrase. */
static char *query_for(const struct stage *st, const char *filter)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_printf(&b, "__topic__: \"FCLogs:%s\"", st->function_name);
	if (filter && *filter) {
		sbuf_adds(&b, " and ");
		sbuf_add_quoted(&b, filter);
	}
	return sbuf_detach(&b);
}

static void forget_before(struct tail *t, long long start)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(t->printed, tmp, k, v)
		if (json_integer_value(json_object_get(v, "t")) < start)
			json_object_del(t->printed, k);
}

/* Hand one line to the sink unless it was printed already (counted per key). */
static void emit(struct tail *t, const json_t *line, json_t *counts)
{
	char *key = key_of(line);
	long long sec = atoll(field(line, "__time__"));
	json_t *seen = json_object_get(t->printed, key);
	long long n = json_integer_value(json_object_get(counts, key)) + 1;

	json_object_set_new(counts, key, json_integer(n));
	if (!seen || n > json_integer_value(json_object_get(seen, "n"))) {
		struct log_event le = {
			.time_ms = sec * 1000,
			.stream = json_string_value(json_object_get(line, "instanceID")),
			.message = field(line, "message"),
		};

		json_object_set_new(t->printed, key, json_pack("{s:I, s:I}", "n", (json_int_t)n,
							       "t", (json_int_t)sec));
		if (sec > t->newest)
			t->newest = sec;
		if (t->a->sink(&le, t->a->ctx))
			t->stop = true;
	}
	free(key);
}

static int poll_once(struct tail *t, bool *absent, struct herr *e)
{
	long long start = t->a->since_ms / 1000, to = (long long)time(NULL) + 1, offset = 0;
	json_t *counts = json_object();
	int rc = HOIST_OK;

	if (t->newest >= 0 && t->newest - t->overlap > start)
		start = t->newest - t->overlap;
	while (!t->stop) {
		json_t *lines = NULL, *line;
		size_t i, n;

		rc = sls_get_logs(t->x, t->project, t->logstore, start, to, t->query, offset, PAGE,
				  &lines, e);
		if (rc && strstr(e->msg, "NotExist")) {
			herr_clear(e);
			*absent = true;
			rc = HOIST_OK;
			break;
		}
		if (rc)
			break;
		n = json_array_size(lines);
		json_array_foreach(lines, i, line)
			if (!t->stop)
				emit(t, line, counts);
		json_decref(lines);
		if (n < PAGE)
			break;
		offset += (long long)n;
	}
	json_decref(counts);
	if (!rc && t->newest >= 0)
		forget_before(t, t->newest - t->overlap);
	return rc;
}

int ali_tail(const struct stage *st, const struct tail_args *a, struct herr *e)
{
	struct ali_ctx x;
	struct tail t = { 0 };
	long poll = env_number("HOIST_TAIL_POLL_MS", 1000);
	bool absent = false, warned = false;
	int rc;

	if ((rc = ali_ctx_open(&x, st, e)))
		return rc;
	t.x = &x;
	t.a = a;
	t.printed = json_object();
	t.newest = -1;
	t.overlap = env_number("HOIST_TAIL_OVERLAP_MS", 30000) / 1000;
	t.query = query_for(st, a->filter);
	rc = sls_names(&x, &t.project, &t.logstore, e);
	while (!rc) {
		rc = poll_once(&t, &absent, e);
		if (rc || t.stop)
			break;
		if (absent && !warned) {
			out_info("SLS logstore %s/%s does not exist yet (deploy creates it)",
				 t.project, t.logstore);
			warned = true;
		}
		if (!a->follow)
			break;
		clock_sleep_ms(poll);
	}
	json_decref(t.printed);
	free(t.query);
	free(t.project);
	free(t.logstore);
	ali_ctx_close(&x);
	return rc;
}
