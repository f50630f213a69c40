/*
 * timers.c — the timers a stage asks for (see timers.h).
 */
#include "timers.h"

#include "err.h"
#include "pkg.h"
#include "schedule.h"
#include "stage.h"
#include "str.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int add(json_t *list, const char *event, const char *suffix, const char *expr,
	       const char *desc, bool enabled, json_t *payload, struct herr *e)
{
	json_t *t;
	size_t i;

	json_array_foreach(list, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "suffix")), suffix)) {
			json_decref(payload);
			return herr_set(e, HOIST_USAGE, "events: two schedules are both named '%s'; "
					"give each event a distinct \"name\"", suffix);
		}
	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "event", event,
					      "suffix", suffix, "expression", expr,
					      "description", desc, "enabled", enabled,
					      "payload", payload));
	return HOIST_OK;
}

static int want_event(json_t *list, const struct stage *st, const json_t *ev, struct herr *e)
{
	const char *fn = json_string_value(json_object_get(ev, "function"));
	const char *desc = json_string_value(json_object_get(ev, "description"));
	json_t *expr = json_object_get(ev, "expression"), *exprs = json_object_get(ev, "expressions");
	json_t *kw = json_object_get(ev, "kwargs"), *one, *many;
	char *event = pkg_event_name(json_string_value(json_object_get(ev, "name")), fn);
	bool enabled = !json_is_false(json_object_get(ev, "enabled"));
	size_t i;
	int rc = HOIST_OK;

	many = exprs ? json_incref(exprs) : json_pack("[O]", expr);
	json_array_foreach(many, i, one) {
		char *suffix = i ? xasprintf("%s-%zu", event, i + 1) : xstrdup(event);
		json_t *in = json_pack("{s:s, s:s}", "name", event, "function", fn ? fn : "");
		char *d = desc ? xstrdup(desc) : xasprintf("hoist %s: %s", st->function_name,
							   fn ? fn : event);

		if (json_is_object(kw) && json_object_size(kw))
			json_object_set(in, "kwargs", kw);
		rc = add(list, event, suffix, json_string_value(one) ?: "", d, enabled,
			 json_pack("{s:o}", "hoist_event", in), e);
		free(suffix);
		free(d);
		if (rc)
			break;
	}
	json_decref(many);
	free(event);
	return rc;
}

int timers_wanted(const struct stage *st, json_t **list, struct herr *e)
{
	json_t *events = json_object_get(st->settings, "events"), *ev;
	const char *kwx = json_string_value(json_object_get(st->settings, "keep_warm_expression"));
	size_t i;
	int rc = HOIST_OK;

	*list = json_array();
	json_array_foreach(events, i, ev) {
		if (!json_object_get(ev, "expression") && !json_object_get(ev, "expressions"))
			continue;
		if ((rc = want_event(*list, st, ev, e)))
			break;
	}
	if (!rc && !json_is_false(json_object_get(st->settings, "keep_warm")))
		rc = add(*list, "keep_warm", "keep_warm", kwx ? kwx : "rate(4 minutes)",
			 "hoist keep-warm ping", true,
			 json_pack("{s:{s:s, s:b}}", "hoist_event", "name", "keep_warm",
				   "keep_warm", 1), e);
	if (rc) {
		json_decref(*list);
		*list = NULL;
	}
	return rc;
}

char *timers_next_fire(const char *expr)
{
	struct schedule s;
	struct herr e = { 0 };
	int64_t t;
	struct tm tm;
	time_t tt;
	char buf[32];

	if (schedule_parse(expr, &s, &e))
		return xstrdup("?");
	t = schedule_next(&s, (int64_t)time(NULL));
	if (t < 0)
		return xstrdup("never");
	tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}
