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
	struct herr e = { 0 };
	char **pos = NULL;
	int npos = 0, rc;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		return HOIST_OK;
	if (!rc && npos > 1)
		rc = herr_set(&e, HOIST_USAGE, "too many arguments; usage: hoist unschedule %s",
			      self->usage);
	if (!rc)
		rc = cli_each_stage(npos ? pos[0] : NULL, unschedule_stage, &e, &e);
	if (rc)
		out_error(&e);
	free(pos);
	return rc;
}
