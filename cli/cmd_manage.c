/*
 * cmd_manage.c — `hoist manage [stage] <django command…>`: a Django
 * management command in the deployed runtime (through the provider's
 * invoke); output as for `hoist invoke`.
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/str.h"
#include "../providers/provider.h"

#include <stdlib.h>

int cli_run_invoke(const char *stage, const struct invoke_args *a, const char *cmd,
		   struct herr *e);

int cmd_manage(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	struct invoke_args a = { 0 };
	char **pos = NULL, **rest;
	const char *stage;
	struct sbuf b;
	int npos = 0, nrest, rc, i;

	sbuf_init(&b);
	/* Everything after the first positional belongs to Django (migrate --noinput). */
	rc = opts_parse(self, argc, argv, &pos, &npos, 1, &e);
	if (rc < 0)
		return HOIST_OK;
	if (!rc)
		rc = cli_split_stage(pos, npos, &stage, &rest, &nrest, &e);
	if (rc)
		goto out;
	if (!nrest) {
		rc = herr_set(&e, HOIST_USAGE, "which management command? usage: hoist manage %s",
			      self->usage);
		goto out;
	}
	for (i = 0; i < nrest; i++) {
		if (i)
			sbuf_addc(&b, ' ');
		sbuf_adds(&b, rest[i]);
	}
	a.manage = b.s;
	rc = cli_run_invoke(stage, &a, "manage", &e);
out:
	if (rc)
		out_error(&e);
	sbuf_free(&b);
	free(pos);
	return rc;
}
