/*
 * stage_arg.c — turning the [stage] argument (or --all) into opened stages,
 * running a command on each (--all: side by side, stage_parallel.c), and
 * printing the results: the --json contract of hoist(1) lives here (one
 * document per run; one array under --all, in file order; errors as
 * {"error": {"exit_status", "message"}} with the status unchanged).
 */
#include "cli.h"
#include "stage_ops.h"
#include "stage_parallel.h"

#include "../core/err.h"
#include "../core/interrupt.h"
#include "../core/log.h"
#include "../core/settings.h"
#include "../core/stage.h"
#include "../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* --all's results, shown in file order as soon as the stages before are done. */
struct all_run {
	const struct stage_cmd *sc;
	void *ctx;
	struct stage *stages;
	struct stage_result *res;
	bool *have;
	size_t n, shown;
	json_t *arr;
};

static void show_ready(struct all_run *a)
{
	while (a->shown < a->n && a->have[a->shown]) {
		size_t i = a->shown++;

		if (a->sc->streams || (!out_get()->json && a->sc->show))
			show(a->sc, a->ctx, &a->stages[i], &a->res[i]);
		else
			json_array_append_new(a->arr, all_element(a->sc, &a->stages[i], &a->res[i]));
	}
}

static void stage_done(size_t i, struct stage_result *r, void *arg)
{
	struct all_run *a = arg;

	a->res[i] = *r;
	a->have[i] = true;
	show_ready(a);
}

/* Processes side by side (stage_parallel.c), unless one at a time is all there can be. */
static int run_stages(struct all_run *a, struct herr *e)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = cli_g.jobs > 0 ? cli_g.jobs : cpus > 0 ? (int)cpus : 1;
	size_t i;

	if (jobs > (int)a->n)
		jobs = (int)a->n;
	/* streams print as they go; a prompt needs the terminal to itself */
	if (jobs > 1 && !a->sc->streams && !(a->sc->prompts && !out_get()->yes))
		return cli_stages_parallel(a->sc, a->ctx, a->stages, a->n, jobs, stage_done, a, e);
	for (i = 0; i < a->n && !intr_signal(); i++) {
		struct stage_result r;

		cli_stage_run(a->sc, a->ctx, &a->stages[i], &r);
		if (r.rc && a->n > 1)
			out_error(&r.e);
		stage_done(i, &r, a);
	}
	return HOIST_OK;
}

/*
 * --all: every stage runs, a failure does not stop the others, and the exit
 * status is the worst of them.  Each failing stage's error is printed with
 * its output; the error returned sums them up.
 */
static int run_all(const struct stage_cmd *sc, void *ctx, struct herr *e)
{
	struct settings s = { 0 };
	struct all_run a = { .sc = sc, .ctx = ctx, .arr = json_array() };
	struct herr se = { 0 };
	struct sbuf failed;
	size_t i, nfailed = 0;
	int rc, worst = HOIST_OK;

	sbuf_init(&failed);
	rc = settings_load(&s, cli_g.settings_path, e);
	if (!rc)
		rc = open_all(&s, &a.stages, &a.n, e);
	if (rc)
		goto out;
	a.res = xcalloc(a.n ? a.n : 1, sizeof(*a.res));
	a.have = xcalloc(a.n ? a.n : 1, sizeof(*a.have));
	rc = run_stages(&a, &se);
	for (i = 0; i < a.n; i++) {   /* not run: could not be started, or interrupted */
		if (a.have[i])
			continue;
		if (!rc && !intr_check(&se))
			herr_set(&se, HOIST_FAIL, "not run");
		herr_prefix(&se, "stage %s: ", a.stages[i].name);
		stage_done(i, &(struct stage_result){ .rc = se.code, .e = se,
			.doc = out_json_error_doc(&se) }, &a);
		json_object_set_new(a.res[i].doc, "stage", json_string(a.stages[i].name));
	}
	for (i = 0; i < a.n; i++) {
		if (!a.res[i].rc)
			continue;
		worst = a.res[i].rc > worst ? a.res[i].rc : worst;
		sbuf_printf(&failed, "%s%s", nfailed++ ? ", " : "", a.stages[i].name);
		if (a.n == 1)
			*e = a.res[i].e;
	}
	if (nfailed && a.n > 1)
		herr_set(e, worst, "%zu of %zu stages failed: %s", nfailed, a.n, failed.s);
	rc = worst;
	/* Stages ran, or none did: a settings error prints {"error"} from main. */
	if (json_array_size(a.arr))
		out_json(a.arr, sc->json_flags);
out:
	json_decref(a.arr);
	for (i = 0; i < a.n; i++) {
		json_decref(a.res ? a.res[i].doc : NULL);
		stage_close(&a.stages[i]);
	}
	free(a.res);
	free(a.have);
	free(a.stages);
	sbuf_free(&failed);
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
