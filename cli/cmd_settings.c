/*
 * cmd_settings.c — `hoist settings [stage]`: the fully resolved stage
 * (extends, defaults, validation) as pretty JSON on stdout; with --all an
 * array of {"stage", "settings"}, one element per stage.  A settings error
 * prints nothing on stdout (with --json: the {"error"} document).
 */
#include "cli.h"
#include "commands.h"

#include "../core/err.h"
#include "../core/stage.h"

#include <jansson.h>

static int settings_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	*doc = json_incref(st->settings);
	return HOIST_OK;
}

static const struct stage_cmd settings = {
	.run = settings_stage, .all_key = "settings", .json_flags = JSON_INDENT(2) | JSON_SORT_KEYS
};

int cmd_settings(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, &settings, NULL);
}
