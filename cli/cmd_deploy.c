/*
 * cmd_deploy.c — `hoist deploy [stage] [--zip FILE]`: package the stage and
 * create it on its provider; prints the live URL (SPEC.md §1).  A stage
 * that already exists is refused ("did you mean update?").
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../providers/provider.h"

#include <stdlib.h>

static const char *zip_opt;
static bool no_cache_opt, no_preflight_opt;

const struct opt deploy_opts[] = {
	{ "zip", 0, OPT_STRING, &zip_opt, "FILE", "deploy this archive instead of packaging" },
	{ "no-cache", 0, OPT_BOOL, &no_cache_opt, NULL,
	  "compress every file afresh; leave the package cache alone" },
	{ "no-preflight", 0, OPT_BOOL, &no_preflight_opt, NULL,
	  "do not import the app from the package before uploading it" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

/* Before packaging: a deployed stage is refused at once. */
static int not_deployed(const struct stage *st, const struct provider *p, struct herr *e)
{
	char *url = NULL;
	int rc = p->deployed ? p->deployed(st, &url, e) : HOIST_OK;

	if (!rc && url)
		rc = stage_already_deployed(e, st, url);
	free(url);
	return rc;
}

static int deploy_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	const struct provider *p;
	struct deploy_args a = { 0 };
	char *step, *url = NULL;
	int rc;

	rc = cli_provider(st, &p, e);
	if (rc)
		return rc;
	if (!p->deploy)
		return cli_no_op(p, "deploy", e);
	step = xasprintf("Deploying %s to %s", st->function_name, p->name);
	rc = cli_deploy_run(st, p, zip_opt, !no_cache_opt, !no_preflight_opt, not_deployed, &a,
			    p->deploy, step, &url, e);
	if (!rc)
		*doc = cli_live_doc("deploy", st, url);
	else
		herr_prefix(e, "deploy %s: ", st->name);
	free(url);
	free(step);
	return rc;
}

static void show(const struct stage *st, json_t *doc, void *ctx)
{
	cli_show_live("Deployment complete!", doc);
}

static const struct stage_cmd deploy = { .run = deploy_stage, .show = show };

int cmd_deploy(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, &deploy, NULL);
}
