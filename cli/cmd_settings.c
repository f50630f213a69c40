/*
 * cmd_settings.c — `hoist settings [stage]`: the fully resolved stage
 * (extends, defaults, validation) as pretty JSON on stdout; with --all an
 * object of every stage.  A settings error prints nothing on stdout.
 */
#include "cli.h"
#include "commands.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/settings.h"

#include <jansson.h>
#include <stdlib.h>

static int print_json(json_t *v)
{
	char *d = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (!d)
		return HOIST_FAIL;
	out_result("%s", d);
	free(d);
	return HOIST_OK;
}

static int resolve_all(const struct settings *s, json_t **out, struct herr *e)
{
	const char **names;
	json_t *all = json_object(), *st;
	size_t n, i;
	int rc = HOIST_OK;

	n = settings_stage_names(s, &names);
	for (i = 0; i < n && !rc; i++) {
		rc = settings_resolve(s, names[i], &st, e);
		if (!rc)
			json_object_set_new(all, names[i], st);
	}
	free(names);
	if (rc)
		json_decref(all);
	else
		*out = all;
	return rc;
}

int cmd_settings(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	struct settings s = { 0 };
	const char *stage;
	json_t *res = NULL;
	char **pos = NULL;
	int npos = 0, rc;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		return HOIST_OK;
	if (rc)
		goto out;
	if (npos > 1) {
		rc = herr_set(&e, HOIST_USAGE, "usage: hoist settings [stage]");
		goto out;
	}
	if (cli_g.all && npos) {
		rc = herr_set(&e, HOIST_USAGE, "give a stage name or --all, not both");
		goto out;
	}
	rc = settings_load(&s, cli_g.settings_path, &e);
	if (rc)
		goto out;
	if (cli_g.all) {
		rc = resolve_all(&s, &res, &e);
	} else {
		rc = settings_pick_stage(&s, npos ? pos[0] : NULL, &stage, &e);
		if (!rc)
			rc = settings_resolve(&s, stage, &res, &e);
	}
	if (!rc)
		rc = print_json(res);
out:
	if (rc && rc != HOIST_OK)
		out_error(&e);
	json_decref(res);
	settings_free(&s);
	free(pos);
	return rc;
}
