/*
 * cmd_unschedule.c — `hoist unschedule [stage]`: remove the stage's timers
 * (events and keep_warm); the function itself stays deployed.
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../providers/provider.h"

#include <stdlib.h>

static int unschedule_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	const struct provider *p;
	int rc;

	rc = cli_provider(st, &p, e);
	if (!rc && !p->unschedule)
		rc = cli_no_op(p, "unschedule", e);
	if (!rc)
		rc = p->unschedule(st, e);
	if (rc)
		return herr_prefix(e, "unschedule %s: ", st->name);
	out_step("Unscheduled the events of stage '%s'.", st->name);
	*doc = json_pack("{s:s, s:s}", "stage", st->name, "action", "unschedule");
	return HOIST_OK;
}

/* stdout: nothing for a human; --json: {"stage", "action": "unschedule"}. */
static const struct stage_cmd unschedule = { .run = unschedule_stage, .show = cli_show_nothing };

int cmd_unschedule(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, &unschedule, NULL);
}
