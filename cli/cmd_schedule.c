/*
 * cmd_schedule.c — `hoist schedule [stage]`: (re)create the timers of the
 * stage's `events` and keep_warm; prints the schedules the provider reports
 * and their next fire times on stderr.
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../providers/provider.h"

#include <jansson.h>
#include <stdlib.h>

/* What `schedule` set up: stderr lines, or {"stage", "schedules"} on stdout with --json. */
static void show_schedules(const struct stage *st, json_t *list)
{
	json_t *x;
	size_t i;

	if (out_get()->json) {
		json_t *o = json_pack("{s:s, s:O}", "stage", st->name, "schedules",
				      list ? list : json_null());
		char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

		out_result("%s", s);
		free(s);
		json_decref(o);
	}
	json_array_foreach(list, i, x)
		out_step("  %s  %s  next %s", json_string_value(json_object_get(x, "name")),
			 json_string_value(json_object_get(x, "expression")),
			 json_string_value(json_object_get(x, "next")));
}

static int schedule_stage(struct stage *st, void *ctx)
{
	struct herr *e = ctx;
	const struct provider *p;
	json_t *list = NULL;
	int rc;

	rc = cli_provider(st, &p, e);
	if (rc)
		return rc;
	if (!p->schedule)
		return cli_no_op(p, "schedule", e);
	rc = p->schedule(st, &list, e);
	if (rc)
		return herr_prefix(e, "schedule %s: ", st->name);
	out_step("Scheduled the events of stage '%s':", st->name);
	show_schedules(st, list);
	json_decref(list);
	return HOIST_OK;
}

int cmd_schedule(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, schedule_stage);
}
