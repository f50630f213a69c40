/*
 * stage_arg.c — turning the [stage] argument (or --all) into opened stages.
 */
#include "cli.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/settings.h"
#include "../core/stage.h"

#include <stdlib.h>

int cli_open_stage(const char *arg, struct settings *s, struct stage *st, struct herr *e)
{
	const char *name;
	int rc;

	rc = settings_load(s, cli_g.settings_path, e);
	if (rc)
		return rc;
	rc = settings_pick_stage(s, arg, &name, e);
	if (!rc)
		rc = stage_open(st, s, name, e);
	if (rc)
		settings_free(s);
	return rc;
}

int cli_each_stage(const char *arg, int (*fn)(struct stage *st, void *ctx), void *ctx,
		   struct herr *e)
{
	struct settings s = { 0 };
	const char **names = NULL;
	size_t n, i;
	int rc;

	if (!cli_g.all) {
		struct stage st = { 0 };

		rc = cli_open_stage(arg, &s, &st, e);
		if (rc)
			return rc;
		rc = fn(&st, ctx);
		stage_close(&st);
		settings_free(&s);
		return rc;
	}
	if (arg)
		return herr_set(e, HOIST_USAGE, "give a stage name or --all, not both");
	rc = settings_load(&s, cli_g.settings_path, e);
	if (rc)
		return rc;
	n = settings_stage_names(&s, &names);
	for (i = 0; i < n && !rc; i++) {
		struct stage st = { 0 };

		rc = stage_open(&st, &s, names[i], e);
		if (!rc)
			rc = fn(&st, ctx);
		stage_close(&st);
	}
	free(names);
	settings_free(&s);
	return rc;
}

int cli_stage_command(const struct cmd *self, int argc, char **argv,
		      int (*fn)(struct stage *st, void *ctx))
{
	struct herr e = { 0 };
	char **pos = NULL;
	int npos = 0, rc;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		return HOIST_OK;
	if (!rc && npos > 1)
		rc = herr_set(&e, HOIST_USAGE, "too many arguments; usage: hoist %s %s",
			      self->name, self->usage);
	if (!rc)
		rc = cli_each_stage(npos ? pos[0] : NULL, fn, &e, &e);
	if (rc)
		out_error(&e);
	free(pos);
	return rc;
}
