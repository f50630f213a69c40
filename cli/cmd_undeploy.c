/*
 * cmd_undeploy.c — `hoist undeploy [stage] [--remove-logs]`: delete every
 * resource the stage created.  Asks first unless -y; without a terminal
 * and without -y it refuses (exit 2) rather than guess.
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/interrupt.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../core/str.h"
#include "../providers/provider.h"

#include <stdlib.h>

static bool remove_logs_opt;

const struct opt undeploy_opts[] = {
	{ "remove-logs", 0, OPT_BOOL, &remove_logs_opt, NULL, "also delete the stage's logs" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

static int undeploy_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	const struct provider *p;
	struct undeploy_args a = { remove_logs_opt };
	char *q;
	int rc;

	rc = cli_provider(st, &p, e);
	if (rc)
		return rc;
	if (!p->undeploy)
		return cli_no_op(p, "undeploy", e);
	if (!out_get()->yes && !out_get()->in_tty) {
		rc = herr_set(e, HOIST_USAGE, "undeploy %s: refusing to delete the stage without "
			      "confirmation", st->name);
		return herr_hint(e, "Run it on a terminal, or add --yes (-y).");
	}
	q = xasprintf("Undeploy stage '%s' (%s on %s)? Everything it created is deleted.",
		      st->name, st->function_name, p->name);
	if (!out_confirm(q)) {
		free(q);
		if (intr_check(e))   /* Ctrl-C at the prompt */
			return herr_prefix(e, "undeploy %s: nothing was changed: ", st->name);
		return herr_set(e, HOIST_FAIL, "undeploy %s: not confirmed; nothing was changed",
				st->name);
	}
	free(q);
	rc = p->undeploy(st, &a, e);
	if (rc)
		return herr_prefix(e, "undeploy %s: ", st->name);
	out_step("Done! Stage '%s' is undeployed.", st->name);
	*doc = json_pack("{s:s, s:s}", "stage", st->name, "action", "undeploy");
	return HOIST_OK;
}

/* stdout: nothing for a human; --json: {"stage", "action": "undeploy"}. */
static const struct stage_cmd undeploy = { .run = undeploy_stage, .show = cli_show_nothing,
					    .prompts = true };

int cmd_undeploy(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, &undeploy, NULL);
}
