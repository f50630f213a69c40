/*
 * cmd_rollback.c — `hoist rollback [stage] [-n N]`: point the stage back N
 * versions (code and configuration); prints the URL.
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../providers/provider.h"

#include <stdlib.h>

static int n_opt = 1;

const struct opt rollback_opts[] = {
	{ "num-rollback", 'n', OPT_INT, &n_opt, "N", "how many versions back (default 1)" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

static int rollback_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	const struct provider *p;
	char *url = NULL;
	int rc;

	rc = cli_provider(st, &p, e);
	if (rc)
		return rc;
	if (!p->rollback)
		return cli_no_op(p, "rollback", e);
	rc = p->rollback(st, n_opt, &url, e);
	if (rc)
		return herr_prefix(e, "rollback %s: ", st->name);
	*doc = cli_live_doc("rollback", st, url);
	free(url);
	return HOIST_OK;
}

static void show(const struct stage *st, json_t *doc, void *ctx)
{
	cli_show_live("Rolled back! Your hoist deployment is live", doc);
}

static const struct stage_cmd rollback = { .run = rollback_stage, .show = show };

int cmd_rollback(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	char **pos = NULL;
	int npos = 0, rc;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		return HOIST_OK;
	if (!rc && npos > 1)
		rc = herr_set(&e, HOIST_USAGE, "too many arguments; usage: hoist rollback %s",
			      self->usage);
	if (!rc && n_opt < 1)
		rc = herr_set(&e, HOIST_USAGE, "-n needs a number of versions >= 1, not %d", n_opt);
	if (!rc)
		rc = cli_each_stage(npos ? pos[0] : NULL, &rollback, NULL, &e);
	if (rc)
		out_error(&e);
	free(pos);
	return rc;
}
