/*
 * stage_arg.c — turning the [stage] argument (or --all) into opened stages,
 * running a command on each, and printing the results: the --json contract
 * of hoist(1) lives here (one document per run; one array under --all;
 * errors as {"error": {"exit_status", "message"}} with the status unchanged).
 */
#include "cli.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/settings.h"
#include "../core/stage.h"
#include "../core/str.h"

#include <stdlib.h>
#include <string.h>

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

void cli_stage_run(const struct stage_cmd *sc, void *ctx, struct stage *st,
		   struct stage_result *r)
{
	json_t *err;

	memset(r, 0, sizeof(*r));
	r->rc = cli_run_locked(sc, st, ctx, &r->doc, &r->e);
	r->failed_doc = r->rc && r->doc;
	if (!r->rc) {
		if (!r->doc)
			r->doc = json_object();
		if (!sc->all_key && json_is_object(r->doc) && !json_object_get(r->doc, "stage"))
			json_object_set_new(r->doc, "stage", json_string(st->name));
		return;
	}
	if (!json_is_object(r->doc)) {
		json_decref(r->doc);
		r->doc = json_object();
	}
	json_object_set_new(r->doc, "stage", json_string(st->name));
	err = out_json_error_doc(&r->e);
	json_object_set(r->doc, "error", json_object_get(err, "error"));
	json_decref(err);
}

/* The element --all puts in its array for one stage. */
static json_t *all_element(const struct stage_cmd *sc, const struct stage *st,
			   struct stage_result *r)
{
	if (!sc->all_key || r->rc)
		return json_incref(r->doc);
	return json_pack("{s:s, s:O}", "stage", st->name, sc->all_key, r->doc);
}

/* Print one stage's result: its document with --json, else for a human. */
static void show(const struct stage_cmd *sc, void *ctx, const struct stage *st,
		 struct stage_result *r)
{
	if (out_get()->json) {
		if (!sc->streams || r->rc)
			out_json(r->doc, sc->json_flags);
	} else if (!r->rc || r->failed_doc) {
		if (sc->show)
			sc->show(st, r->doc, ctx);
		else if (!sc->streams && !r->rc)
			out_json(r->doc, sc->json_flags);
	}
}

static int run_one(const char *arg, const struct stage_cmd *sc, void *ctx, struct herr *e)
{
	struct settings s = { 0 };
	struct stage st = { 0 };
	struct stage_result r;
	int rc;

	rc = cli_open_stage(arg, &s, &st, e);
	if (rc)
		return rc;
	cli_stage_run(sc, ctx, &st, &r);
	show(sc, ctx, &st, &r);
	rc = r.rc;
	if (rc)
		*e = r.e;
	json_decref(r.doc);
	stage_close(&st);
	settings_free(&s);
	return rc;
}

/*
 * --all: open every stage first, so a settings problem anywhere is reported
 * (all of them, in one message) before anything is changed.
 */
static int open_all(struct settings *s, struct stage **stages, size_t *n, struct herr *e)
{
	const char **names = NULL;
	struct sbuf msg;
	struct herr se;
	size_t i, bad = 0;
	int rc = HOIST_OK;

	*n = settings_stage_names(s, &names);
	*stages = xcalloc(*n ? *n : 1, sizeof(**stages));
	sbuf_init(&msg);
	for (i = 0; i < *n; i++) {
		herr_clear(&se);
		if (stage_open(&(*stages)[i], s, names[i], &se) == HOIST_OK)
			continue;
		rc = rc ? rc : se.code;
		sbuf_printf(&msg, "%s%s", bad++ ? "\n" : "", se.msg);
	}
	if (rc)
		herr_set(e, rc, "%s", msg.s);
	sbuf_free(&msg);
	free(names);
	return rc;
}

static int run_all(const struct stage_cmd *sc, void *ctx, struct herr *e)
{
	struct settings s = { 0 };
	struct stage *stages = NULL;
	json_t *arr = json_array();
	size_t n = 0, i;
	int rc;

	rc = settings_load(&s, cli_g.settings_path, e);
	if (!rc)
		rc = open_all(&s, &stages, &n, e);
	for (i = 0; i < n && !rc; i++) {
		struct stage_result r;

		cli_stage_run(sc, ctx, &stages[i], &r);
		if (sc->streams || (!out_get()->json && sc->show))
			show(sc, ctx, &stages[i], &r);
		else
			json_array_append_new(arr, all_element(sc, &stages[i], &r));
		rc = r.rc;
		if (rc)
			*e = r.e;
		json_decref(r.doc);
	}
	/* Stages ran, or none did: a settings error prints {"error"} from main. */
	if (json_array_size(arr))
		out_json(arr, sc->json_flags);
	json_decref(arr);
	for (i = 0; i < n; i++)
		stage_close(&stages[i]);
	free(stages);
	settings_free(&s);
	return rc;
}

int cli_each_stage(const char *arg, const struct stage_cmd *sc, void *ctx, struct herr *e)
{
	if (!cli_g.all)
		return run_one(arg, sc, ctx, e);
	if (arg)
		return herr_set(e, HOIST_USAGE, "give a stage name or --all, not both");
	return run_all(sc, ctx, e);
}

int cli_stage_command(const struct cmd *self, int argc, char **argv,
		      const struct stage_cmd *sc, void *ctx)
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
		rc = cli_each_stage(npos ? pos[0] : NULL, sc, ctx, &e);
	if (rc)
		out_error(&e);
	free(pos);
	return rc;
}
