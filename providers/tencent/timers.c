/*
 * timers.c — `hoist schedule` / `unschedule` on Tencent: one SCF timer
 * trigger per wanted timer (core/timers.h: events + keep_warm), on the stage
 * alias, converging rather than recreating.
 *
 *   TriggerName     "<function>-<suffix>" with characters outside
 *                   [A-Za-z0-9_-] as '-'; longer than 60 characters: cut and
 *                   ended with "-<8 hex of its SHA-1>" (SPEC §2)
 *   TriggerDesc     the expression in Tencent's 7-field cron (seconds …
 *                   year), translated by core/schedule.c (settings.c has
 *                   already refused what SCF cannot express)
 *   CustomArgument  the handler's payload {"hoist_event": {…}} plus the
 *                   original expression (for status), ≤ 4 KB
 *   Enable          OPEN, or CLOSE for "enabled": false
 * A trigger of the alias named "<function>-…" that is no longer wanted is
 * deleted; a changed one is updated in place (UpdateTrigger).
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/schedule.h"
#include "../../core/stage.h"
#include "../../core/str.h"
#include "../../core/timers.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME_MAX_LEN 60
#define ARG_MAX 4096

static char *trigger_name(const char *function, const char *suffix)
{
	char *name = xasprintf("%s-%s", function, suffix), *out;
	unsigned char md[20];
	unsigned int n = 0;
	char hex[9];

	for (char *p = name; *p; p++)
		if (!strchr("_-", *p) && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					   (*p >= '0' && *p <= '9')))
			*p = '-';
	if (strlen(name) <= NAME_MAX_LEN)
		return name;
	EVP_Digest(suffix, strlen(suffix), md, &n, EVP_sha1(), NULL);
	for (int i = 0; i < 4; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	out = xasprintf("%.*s-%s", NAME_MAX_LEN - 9, name, hex);
	free(name);
	return out;
}

static bool ours(const struct tc_ctx *x, const json_t *t)
{
	const char *name = tc_str(t, "TriggerName") ?: "";

	return !strcmp(tc_str(t, "Type") ?: "", "timer") &&
	       !strcmp(tc_str(t, "Qualifier") ?: "", x->alias) &&
	       !strncmp(name, x->fn, strlen(x->fn)) && name[strlen(x->fn)] == '-';
}

/*
 * The trigger wanted for `w` (an entry of timers_wanted): Type, TriggerName,
 * Qualifier, TriggerDesc, Enable, CustomArgument.
 */
static int want_trigger(const struct tc_ctx *x, const json_t *w, json_t **t, struct herr *e)
{
	struct schedule s;
	const char *expr = tc_str(w, "expression") ?: "";
	char *cron = NULL, *name = trigger_name(x->fn, tc_str(w, "suffix")), *arg;
	json_t *payload = json_deep_copy(json_object_get(w, "payload"));
	int rc = schedule_parse(expr, &s, e);

	*t = NULL;
	if (!rc && !(cron = schedule_to_tencent(&s)))
		rc = herr_set(e, HOIST_USAGE, "events: %s cannot run on tencent: %s", expr,
			      schedule_why_not(&s, "tencent"));
	json_object_set_new(json_object_get(payload, "hoist_event"), "expression",
			    json_string(expr));
	arg = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	if (!rc && strlen(arg) > ARG_MAX)
		rc = herr_set(e, HOIST_USAGE, "events: the kwargs of %s make a timer payload of %zu "
			      "bytes; SCF's CustomArgument takes %d", tc_str(w, "event"), strlen(arg),
			      ARG_MAX);
	if (!rc)
		*t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Type", "timer", "TriggerName", name,
			       "Qualifier", x->alias, "TriggerDesc", cron, "Enable",
			       json_is_true(json_object_get(w, "enabled")) ? "OPEN" : "CLOSE",
			       "CustomArgument", arg);
	free(arg);
	free(cron);
	free(name);
	json_decref(payload);
	return rc;
}

static bool same(const json_t *have, const json_t *want)
{
	bool open = json_integer_value(json_object_get(have, "Enable")) == 1 ||
		    !strcmp(tc_str(have, "Enable") ?: "", "OPEN");

	return !strcmp(tc_str(have, "TriggerDesc") ?: "", tc_str(want, "TriggerDesc")) &&
	       !strcmp(tc_str(have, "CustomArgument") ?: "", tc_str(want, "CustomArgument")) &&
	       open == !strcmp(tc_str(want, "Enable"), "OPEN");
}

static const json_t *find(const json_t *triggers, const char *name, const char *qualifier)
{
	const json_t *t;
	size_t i;

	json_array_foreach(triggers, i, t)
		if (!strcmp(tc_str(t, "Type") ?: "", "timer") &&
		    !strcmp(tc_str(t, "TriggerName") ?: "", name) &&
		    !strcmp(tc_str(t, "Qualifier") ?: "", qualifier))
			return t;
	return NULL;
}

json_t *tc_timers_status(const struct tc_ctx *x, const json_t *triggers)
{
	json_t *out = json_array();
	const json_t *t;
	size_t i;

	json_array_foreach(triggers, i, t) {
		json_t *arg, *ev;
		const char *expr;
		bool open;
		char *next;

		if (!ours(x, t))
			continue;
		arg = json_loads(tc_str(t, "CustomArgument") ?: "{}", 0, NULL);
		ev = json_object_get(arg, "hoist_event");
		expr = tc_str(ev, "expression");
		open = json_integer_value(json_object_get(t, "Enable")) == 1;
		next = open ? timers_next_fire(expr ? expr : "") : xstrdup("never (trigger CLOSE)");
		json_array_append_new(out, json_pack("{s:s, s:s?, s:s?, s:s, s:s}", "name",
			tc_str(t, "TriggerName"), "expression", expr, "cron",
			tc_str(t, "TriggerDesc"), "state", open ? "OPEN" : "CLOSE", "next", next));
		free(next);
		json_decref(arg);
	}
	return out;
}

int tc_timers_ensure(struct tc_ctx *x, const json_t *triggers, json_t **scheduled,
		     struct herr *e)
{
	json_t *w = NULL, *wanted = json_array(), *t, *now = NULL;
	const json_t *have;
	size_t i;
	int rc = timers_wanted(x->st, &w, e);

	json_array_foreach(w, i, have) {
		if (rc)
			break;
		rc = want_trigger(x, have, &t, e);
		if (!rc)
			json_array_append_new(wanted, t);
	}
	/* Unwanted ones first: a renamed event never leaves two triggers behind. */
	json_array_foreach(triggers, i, have) {
		bool keep = false;
		size_t j;

		if (rc || !ours(x, have))
			continue;
		json_array_foreach(wanted, j, t)
			keep |= !strcmp(tc_str(t, "TriggerName"), tc_str(have, "TriggerName"));
		if (!keep) {
			out_step("Removing timer %s", tc_str(have, "TriggerName"));
			rc = scf_trigger_delete(x, have, e);
		}
	}
	json_array_foreach(wanted, i, t) {
		if (rc)
			break;
		have = find(triggers, tc_str(t, "TriggerName"), x->alias);
		if (!have) {
			out_step("Scheduling %s (%s)", tc_str(t, "TriggerName"),
				 tc_str(t, "TriggerDesc"));
			rc = scf_trigger_create(x, t, NULL, e);
		} else if (!same(have, t)) {
			out_step("Updating timer %s (%s)", tc_str(t, "TriggerName"),
				 tc_str(t, "TriggerDesc"));
			rc = scf_trigger_update(x, t, e);
		}
	}
	if (!rc && scheduled) {
		rc = scf_triggers(x, &now, e);
		if (!rc)
			*scheduled = tc_timers_status(x, now);
	}
	json_decref(now);
	json_decref(wanted);
	json_decref(w);
	return rc;
}

int tc_timers_remove(struct tc_ctx *x, const json_t *triggers, struct herr *e)
{
	const json_t *t;
	size_t i;
	int rc = HOIST_OK;

	json_array_foreach(triggers, i, t)
		if (!rc && ours(x, t)) {
			out_step("Removing timer %s", tc_str(t, "TriggerName"));
			rc = scf_trigger_delete(x, t, e);
		}
	return rc;
}

int tc_schedule(const struct stage *st, json_t **scheduled, struct herr *e)
{
	struct tc_ctx x;
	json_t *fn = NULL, *ts = NULL;
	int rc;

	*scheduled = NULL;
	if ((rc = tc_ctx_open(&x, st, e)))
		return rc;
	rc = scf_get(&x, NULL, &fn, e);
	if (!rc && !fn)
		rc = tc_not_deployed(&x, e);
	if (!rc)
		rc = scf_triggers(&x, &ts, e);
	if (!rc)
		rc = tc_timers_ensure(&x, ts, scheduled, e);
	json_decref(ts);
	json_decref(fn);
	tc_ctx_close(&x);
	return rc;
}

int tc_unschedule(const struct stage *st, struct herr *e)
{
	struct tc_ctx x;
	json_t *fn = NULL, *ts = NULL;
	int rc;

	if ((rc = tc_ctx_open(&x, st, e)))
		return rc;
	rc = scf_get(&x, NULL, &fn, e);
	if (!rc && fn)
		rc = scf_triggers(&x, &ts, e);
	if (!rc && fn)
		rc = tc_timers_remove(&x, ts, e);
	json_decref(ts);
	json_decref(fn);
	tc_ctx_close(&x);
	return rc;
}
