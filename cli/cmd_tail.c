/*
 * cmd_tail.c — `hoist tail [stage] [--since 10m] [--filter TEXT] [--http |
 * --non-http] [--follow | --no-follow]`: the stage's logs, oldest first.
 * Follows by default when stdout is a terminal; Ctrl-C ends it (exit 0).
 * Presentation is core/logview.c's; fetching is the provider's.
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/logview.h"
#include "../core/stage.h"
#include "../providers/provider.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *since_opt, *filter_opt;
static bool http_opt, non_http_opt, follow_opt, no_follow_opt;

const struct opt tail_opts[] = {
	{ "since", 0, OPT_STRING, &since_opt, "WHEN",
	  "start this long ago (30s, 10m, 2h, 1d) or at a UTC time (default 100000s)" },
	{ "filter", 0, OPT_STRING, &filter_opt, "TEXT", "only lines containing TEXT" },
	{ "http", 0, OPT_BOOL, &http_opt, NULL, "only HTTP access-log lines" },
	{ "non-http", 0, OPT_BOOL, &non_http_opt, NULL, "only lines that are not HTTP requests" },
	{ "follow", 'f', OPT_BOOL, &follow_opt, NULL, "keep waiting for new lines" },
	{ "no-follow", 0, OPT_BOOL, &no_follow_opt, NULL, "print what there is and exit" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

static int sink(const struct log_event *ev, void *ctx)
{
	logview_print(ctx, ev->time_ms, ev->stream, ev->message);
	return 0;
}

static void on_sigint(int sig)
{
	(void)sig;
	_exit(HOIST_OK);
}

static int tail_stage(struct stage *st, void *arg, json_t **doc, struct herr *e)
{
	struct tail_args *a = arg;
	const struct provider *p;
	int rc;

	((struct logview *)a->ctx)->stage = st->name;
	rc = cli_provider(st, &p, e);
	if (!rc && !p->tail)
		rc = cli_no_op(p, "tail", e);
	if (!rc)
		rc = p->tail(st, a, e);
	if (rc)
		herr_prefix(e, "tail %s: ", st->name);
	return rc;
}

/* The lines are the output: with --json one object per line, no document. */
static const struct stage_cmd tail = { .run = tail_stage, .streams = true };

int cmd_tail(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	struct logview v = { 0 };
	struct tail_args a = { 0 };
	char **pos = NULL;
	int npos = 0, rc;
	struct timespec ts;
	int64_t now;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		return HOIST_OK;
	if (!rc && npos > 1)
		rc = herr_set(&e, HOIST_USAGE, "too many arguments; usage: hoist tail %s",
			      self->usage);
	if (!rc && http_opt && non_http_opt)
		rc = herr_set(&e, HOIST_USAGE, "--http and --non-http exclude each other");
	if (!rc && follow_opt && no_follow_opt)
		rc = herr_set(&e, HOIST_USAGE, "--follow and --no-follow exclude each other");
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (!rc)
		rc = logview_parse_since(since_opt ? since_opt : "100000s", now, &a.since_ms, &e);
	if (rc)
		goto out;
	v.out = stdout;
	v.only_http = http_opt;
	v.only_non_http = non_http_opt;
	v.verbose = out_get()->verbosity > 0;
	v.color = out_get()->color && isatty(STDOUT_FILENO) && !out_get()->json;
	v.json = out_get()->json;
	a.filter = filter_opt;
	a.follow = follow_opt || (!no_follow_opt && isatty(STDOUT_FILENO));
	a.sink = sink;
	a.ctx = &v;
	signal(SIGINT, on_sigint);
	rc = cli_each_stage(npos ? pos[0] : NULL, &tail, &a, &e);
out:
	if (rc)
		out_error(&e);
	free(pos);
	return rc;
}
