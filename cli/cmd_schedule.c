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

static int schedule_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	const struct provider *p;
	json_t *list = NULL, *x;
	size_t i;
	int rc;

	rc = cli_provider(st, &p, e);
	if (!rc && !p->schedule)
		rc = cli_no_op(p, "schedule", e);
	if (!rc)
		rc = p->schedule(st, &list, e);
	if (rc)
		return herr_prefix(e, "schedule %s: ", st->name);
	out_step("Scheduled the events of stage '%s':", st->name);
	json_array_foreach(list, i, x)
		out_step("  %s  %s  next %s", json_string_value(json_object_get(x, "name")),
			 json_string_value(json_object_get(x, "expression")),
			 json_string_value(json_object_get(x, "next")));
	*doc = json_pack("{s:s, s:o}", "stage", st->name, "schedules", list ? list : json_array());
	return HOIST_OK;
}

/* stdout: nothing for a human (the schedules are on stderr); --json: {"stage", "schedules"}. */
static const struct stage_cmd schedule = {
	.run = schedule_stage, .show = cli_show_nothing, .json_flags = JSON_COMPACT | JSON_SORT_KEYS
};

int cmd_schedule(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, &schedule, NULL);
}
