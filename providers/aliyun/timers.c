/*
 * timers.c — `hoist schedule` / `unschedule` on Function Compute 3.0: one
 * timer trigger per timer the stage asks for (core/timers.h: events with
 * expression(s), keep_warm), on the stage's alias, named
 * "hoist-<event name>" (characters FC does not take in a trigger name
 * become "-"), with
 *
 *   triggerConfig {"cronExpression": …, "enable": …, "payload": "<JSON>"}
 *
 * The AWS-style expression (SPEC §2) is translated by core/schedule.c to
 * FC's "@every Nm|Nh" or 6-field cron with seconds first (UTC); one FC
 * cannot express (L, W, #, a year) is an exit-2 error before anything is
 * sent.  The payload is the hoist_event the handler reads (function and
 * kwargs), so the handler needs no lookup.  Event sources (event_source:
 * S3/SNS/SQS ARNs) are AWS's and refused.
 *
 * Converging: triggers of type timer whose name starts with "hoist-" are
 * hoist's; a wanted one that exists with the same config and qualifier is
 * left alone, a different one is updated in place, a missing one created,
 * an unwanted one deleted.
 */
#include "fc.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/schedule.h"
#include "../../core/stage.h"
#include "../../core/str.h"
#include "../../core/timers.h"

#include <stdlib.h>
#include <string.h>

static char *trigger_name(const char *suffix)
{
	char *n = xasprintf(ALI_TIMER_PREFIX "%s", suffix);

	for (char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '-';
	if (strlen(n) > 128)
		n[128] = '\0';
	return n;
}

static int translate(const char *expr, char **fc, struct herr *e)
{
	struct schedule s;
	int rc = schedule_parse(expr, &s, e);

	*fc = NULL;
	if (rc)
		return rc;
	*fc = schedule_to_aliyun(&s);
	if (!*fc)
		return herr_set(e, HOIST_USAGE, "schedule '%s' cannot be an Alibaba Cloud timer: %s",
				expr, schedule_why_not(&s, "aliyun"));
	return HOIST_OK;
}

int ali_timers_check(const struct stage *st, struct herr *e)
{
	json_t *list = NULL, *t, *ev;
	size_t i;
	int rc;

	json_array_foreach(json_object_get(st->settings, "events"), i, ev)
		if (json_object_get(ev, "event_source"))
			return herr_set(e, HOIST_USAGE, "%s: events[%zu] has an event_source; "
					"Function Compute triggers for other services are not "
					"available on aliyun stages (timers are)", st->name, i);
	if ((rc = timers_wanted(st, &list, e)))
		return rc;
	json_array_foreach(list, i, t) {
		char *fc = NULL;

		rc = translate(json_string_value(json_object_get(t, "expression")), &fc, e);
		free(fc);
		if (rc) {
			herr_prefix(e, "%s: events '%s': ", st->name,
				    json_string_value(json_object_get(t, "event")));
			break;
		}
	}
	json_decref(list);
	return rc;
}

/* The triggerConfig for one wanted timer (compact JSON text, keys sorted); allocates. */
static char *config_of(const json_t *t, struct herr *e)
{
	char *fc = NULL, *payload, *out;
	json_t *c;

	if (translate(json_string_value(json_object_get(t, "expression")), &fc, e))
		return NULL;
	payload = json_dumps(json_object_get(t, "payload"), JSON_COMPACT | JSON_SORT_KEYS);
	c = json_pack("{s:s, s:O, s:s}", "cronExpression", fc, "enable",
		      json_object_get(t, "enabled"), "payload", payload);
	out = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	free(payload);
	free(fc);
	return out;
}

/* A trigger's config as comparable JSON (only the keys hoist sets). */
static json_t *timer_config(const char *text)
{
	json_t *c = json_loads(text ? text : "{}", 0, NULL);
	json_t *out = json_pack("{s:O?, s:O?, s:O?}", "cronExpression",
				json_object_get(c, "cronExpression"), "enable",
				json_object_get(c, "enable"), "payload", json_object_get(c, "payload"));

	json_decref(c);
	return out;
}

static bool ours(const json_t *t)
{
	return !strcmp(fc_str(t, "triggerType") ?: "", "timer") &&
	       str_starts(fc_str(t, "triggerName") ?: "", ALI_TIMER_PREFIX);
}

static const json_t *find(const json_t *triggers, const char *name)
{
	const json_t *t;
	size_t i;

	json_array_foreach(triggers, i, t)
		if (!strcmp(fc_str(t, "triggerName") ?: "", name))
			return t;
	return NULL;
}

static int converge_one(struct ali_ctx *x, const json_t *have, const json_t *t,
			json_t *scheduled, struct herr *e)
{
	char *name = trigger_name(json_string_value(json_object_get(t, "suffix")));
	char *config = config_of(t, e), *next;
	const char *desc = json_string_value(json_object_get(t, "description"));
	const json_t *cur = find(have, name);
	int rc = config ? HOIST_OK : e->code;

	if (!rc && !cur) {
		out_step("Creating timer %s (%s)", name,
			 json_string_value(json_object_get(t, "expression")));
		rc = fc_trigger_create(x, name, "timer", config, desc, NULL, e);
	} else if (!rc) {
		json_t *a = timer_config(fc_str(cur, "triggerConfig")), *b = timer_config(config);

		if (!json_equal(a, b) || strcmp(fc_str(cur, "qualifier") ?: "", x->alias)) {
			out_step("Updating timer %s", name);
			rc = fc_trigger_update(x, name, config, desc, NULL, e);
		} else {
			out_info("timer %s unchanged", name);
		}
		json_decref(a);
		json_decref(b);
	}
	if (!rc) {
		next = json_is_true(json_object_get(t, "enabled"))
		       ? timers_next_fire(json_string_value(json_object_get(t, "expression")))
		       : xstrdup("never (disabled)");
		json_array_append_new(scheduled, json_pack("{s:s, s:O, s:s}", "name", name,
				      "expression", json_object_get(t, "expression"), "next", next));
		free(next);
	}
	free(config);
	free(name);
	return rc;
}

int ali_timers_ensure(struct ali_ctx *x, json_t **scheduled, struct herr *e)
{
	json_t *want = NULL, *have = NULL, *t, *list = json_array();
	size_t i;
	int rc;

	if (scheduled)
		*scheduled = NULL;
	rc = timers_wanted(x->st, &want, e);
	if (!rc)
		rc = fc_triggers(x, &have, e);
	json_array_foreach(want, i, t)
		if (!rc)
			rc = converge_one(x, have, t, list, e);
	json_array_foreach(have, i, t) {
		bool wanted = false;
		const json_t *w;
		size_t j;

		if (rc || !ours(t))
			continue;
		json_array_foreach(want, j, w) {
			char *n = trigger_name(json_string_value(json_object_get(w, "suffix")));

			wanted |= !strcmp(n, fc_str(t, "triggerName"));
			free(n);
		}
		if (!wanted) {
			out_step("Deleting timer %s (no longer in the settings)",
				 fc_str(t, "triggerName"));
			rc = fc_trigger_delete(x, fc_str(t, "triggerName"), e);
		}
	}
	if (!rc && scheduled)
		*scheduled = json_incref(list);
	json_decref(list);
	json_decref(want);
	json_decref(have);
	return rc;
}

int ali_timers_remove(struct ali_ctx *x, struct herr *e)
{
	json_t *have = NULL, *t;
	size_t i;
	int rc = fc_triggers(x, &have, e);

	if (rc && strstr(e->msg, "FunctionNotFound")) {
		herr_clear(e);
		return HOIST_OK;
	}
	json_array_foreach(have, i, t) {
		if (rc || !ours(t))
			continue;
		out_step("Deleting timer %s", fc_str(t, "triggerName"));
		rc = fc_trigger_delete(x, fc_str(t, "triggerName"), e);
	}
	json_decref(have);
	return rc;
}

int ali_timers_status(struct ali_ctx *x, json_t *status, struct herr *e)
{
	json_t *have = NULL, *t, *list = json_array();
	size_t i;
	int rc = fc_triggers(x, &have, e);

	json_array_foreach(have, i, t) {
		json_t *c;

		if (!ours(t))
			continue;
		c = json_loads(fc_str(t, "triggerConfig") ?: "{}", 0, NULL);
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "name",
				      fc_str(t, "triggerName"), "expression",
				      fc_str(c, "cronExpression") ?: "", "enabled",
				      !json_is_false(json_object_get(c, "enable"))));
		json_decref(c);
	}
	if (!rc)
		json_object_set(status, "schedules", list);
	json_decref(list);
	json_decref(have);
	return rc;
}
