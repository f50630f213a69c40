/*
 * cmd_invoke.c — `hoist invoke [stage] <module.function | --raw CODE |
 * --payload JSON>`: run a function inside the deployed runtime.  What it
 * printed goes to stderr, its return value to stdout (strings as they are,
 * anything else as JSON); a raised exception prints the traceback, exit 1.
 * Also the runner for `hoist manage` (cli_run_invoke).
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../providers/provider.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *raw_opt, *payload_opt;

const struct opt invoke_opts[] = {
	{ "raw", 0, OPT_STRING, &raw_opt, "CODE",
	  "run Python code in the runtime (its final expression's value on stdout)" },
	{ "payload", 0, OPT_STRING, &payload_opt, "JSON", "send this event as it is" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

/*
 * What the function printed goes to stderr at once (with the traceback of a
 * raised exception, for a human); the document is {"stage", "output",
 * "result"} or, when it raised, {"stage", "output", "traceback", "error"}.
 */
static int invoke_result(json_t *ans, json_t **doc, struct herr *e)
{
	const char *output = json_string_value(json_object_get(ans, "output"));
	const char *tb = json_string_value(json_object_get(ans, "traceback"));
	json_t *err = json_object_get(ans, "error"), *res;

	if (output && *output)
		fprintf(stderr, "%s%s", output, output[strlen(output) - 1] == '\n' ? "" : "\n");
	res = json_is_object(ans) && json_object_get(ans, "result") ?
	      json_object_get(ans, "result") : ans;
	*doc = json_pack("{s:s?}", "output", output);
	if (err && !json_is_null(err)) {
		if (tb && !out_get()->json)
			fprintf(stderr, "%s", tb);
		json_object_set_new(*doc, "traceback", tb ? json_string(tb) : json_null());
		return herr_set(e, HOIST_FAIL, "%s", json_is_string(err) ?
				json_string_value(err) : "the function raised an exception");
	}
	json_object_set(*doc, "result", res ? res : json_null());
	return HOIST_OK;
}

/* stdout: the return value, strings as they are, anything else as JSON. */
static void show(const struct stage *st, json_t *doc, void *ctx)
{
	json_t *res = json_object_get(doc, "result");

	if (json_is_string(res))
		out_result("%s", json_string_value(res));
	else if (res && !json_is_null(res)) {
		char *s = json_dumps(res, JSON_COMPACT | JSON_ENCODE_ANY);

		out_result("%s", s);
		free(s);
	}
}

struct invoke_ctx {
	struct invoke_args a;
	const char *cmd;
};

static int invoke_stage(struct stage *st, void *arg, json_t **doc, struct herr *e)
{
	struct invoke_ctx *c = arg;
	const struct provider *p;
	json_t *ans = NULL;
	int rc;

	rc = cli_provider(st, &p, e);
	if (!rc && !p->invoke)
		rc = cli_no_op(p, c->cmd, e);
	if (!rc)
		rc = p->invoke(st, &c->a, &ans, e);
	if (!rc)
		rc = invoke_result(ans, doc, e);
	json_decref(ans);
	if (rc)
		herr_prefix(e, "%s %s: ", c->cmd, st->name);
	return rc;
}

static const struct stage_cmd invoke = { .run = invoke_stage, .show = show };

int cli_run_invoke(const char *stage, const struct invoke_args *a, const char *cmd,
		   struct herr *e);

int cli_run_invoke(const char *stage, const struct invoke_args *a, const char *cmd,
		   struct herr *e)
{
	struct invoke_ctx c = { *a, cmd };

	return cli_each_stage(stage, &invoke, &c, e);
}

int cmd_invoke(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	struct invoke_args a = { 0 };
	char **pos = NULL, **rest;
	const char *stage;
	int npos = 0, nrest, rc;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		return HOIST_OK;
	if (!rc)
		rc = cli_split_stage(pos, npos, &stage, &rest, &nrest, &e);
	if (rc)
		goto out;
	a.raw = raw_opt;
	a.payload = payload_opt;
	a.function = nrest ? rest[0] : NULL;
	if (nrest > 1 || (!!a.raw + !!a.payload + !!a.function) != 1) {
		rc = herr_set(&e, HOIST_USAGE, "give exactly one of module.function, --raw CODE or "
			      "--payload JSON; usage: hoist invoke %s", self->usage);
		goto out;
	}
	rc = cli_run_invoke(stage, &a, "invoke", &e);
out:
	if (rc)
		out_error(&e);
	free(pos);
	return rc;
}
