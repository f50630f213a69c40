/*
 * cmd_certify.c — `hoist certify [stage] [--manual]`: a certificate and the
 * custom `domain` for the stage; prints the HTTPS URL.
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../providers/provider.h"

#include <stdlib.h>

static bool manual_opt;

const struct opt certify_opts[] = {
	{ "manual", 0, OPT_BOOL, &manual_opt, NULL,
	  "install nothing: print the certificate files or DNS records to install by hand" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

static int certify_stage(struct stage *st, void *ctx)
{
	struct herr *e = ctx;
	const struct provider *p;
	struct certify_args a = { manual_opt };
	char *url = NULL;
	int rc;

	rc = cli_provider(st, &p, e);
	if (rc)
		return rc;
	if (!p->certify)
		return cli_no_op(p, "certify", e);
	rc = p->certify(st, &a, &url, e);
	if (rc)
		return herr_prefix(e, "certify %s: ", st->name);
	if (a.manual && !url)
		return HOIST_OK;   /* the provider printed what to install by hand */
	cli_print_live("Certificate installed! Your domain is live", "certify", st, url);
	free(url);
	return HOIST_OK;
}

int cmd_certify(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, certify_stage);
}
