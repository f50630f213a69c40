/*
 * cmd_update.c — `hoist update [stage] [--zip FILE] [--no-upload]`: package the
 * stage and replace its code and configuration; the URL stays the same and
 * is printed (SPEC.md §1).  A stage that does not exist is an error.
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
static bool no_upload_opt, no_cache_opt, no_preflight_opt;

const struct opt update_opts[] = {
	{ "zip", 0, OPT_STRING, &zip_opt, "FILE", "deploy this archive instead of packaging" },
	{ "no-cache", 0, OPT_BOOL, &no_cache_opt, NULL,
	  "compress every file afresh; leave the package cache alone" },
	{ "no-upload", 0, OPT_BOOL, &no_upload_opt, NULL,
	  "update the configuration only, not the code" },
	{ "no-preflight", 0, OPT_BOOL, &no_preflight_opt, NULL,
	  "do not import the app from the package before uploading it" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

static int update_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	const struct provider *p;
	struct deploy_args a = { .no_upload = no_upload_opt };
	char *step, *url = NULL;
	int rc;

	rc = cli_provider(st, &p, e);
	if (rc)
		return rc;
	if (!p->update)
		return cli_no_op(p, "update", e);
	step = xasprintf("Updating %s on %s", st->function_name, p->name);
	rc = cli_deploy_run(st, p, zip_opt, !no_cache_opt, !no_preflight_opt && !no_upload_opt,
			    NULL, &a, p->update, step, &url, e);
	if (!rc)
		*doc = cli_live_doc("update", st, url);
	else
		herr_prefix(e, "update %s: ", st->name);
	free(url);
	free(step);
	return rc;
}

static void show(const struct stage *st, json_t *doc, void *ctx)
{
	cli_show_live("Your updated hoist deployment is live!", doc);
}

static const struct stage_cmd update = { .run = update_stage, .show = show };

int cmd_update(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, &update, NULL);
}
