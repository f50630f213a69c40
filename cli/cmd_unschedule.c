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

static int unschedule_stage(struct stage *st, void *ctx)
{
	struct herr *e = ctx;
	const struct provider *p;
	int rc;

	rc = cli_provider(st, &p, e);
	if (rc)
		return rc;
	if (!p->unschedule)
		return cli_no_op(p, "unschedule", e);
	rc = p->unschedule(st, e);
	if (rc)
		return herr_prefix(e, "unschedule %s: ", st->name);
	out_step("Unscheduled the events of stage '%s'.", st->name);
	return HOIST_OK;
}

int cmd_unschedule(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, unschedule_stage);
}
