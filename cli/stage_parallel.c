/*
 * stage_parallel.c — --all's stages side by side: one child process per
 * stage, at most --jobs at a time (default: the number of processors).
 *
 * A child runs the stage (cli_stage_run: a function of the stage and the
 * options, writing nothing on stdout), prints its own error, and hands its
 * result — exit status, error, JSON document — back through a temporary
 * file.  What it prints on stderr comes through a pipe: on a terminal each
 * line as it comes, prefixed with the stage's name; off one, each stage's
 * lines together under a "== <stage> ==" header once it has finished, so a
 * CI log reads one stage at a time.  Processes, not threads: each stage has
 * its own output settings, HTTP clients, interrupt state and memory, as it
 * would on its own.  Each child is in a process group of its own, so a
 * signal reaches it exactly once, from the parent: a Ctrl-C on the terminal
 * or a SIGTERM sent to hoist's pid alone (a CI runner's timeout) is passed
 * on to every running child, which stops at its next safe point and reports
 * 128 + signal like a lone run.  A second signal makes hoist leave at
 * once; a child whose parent has gone is sent SIGTERM (its own second
 * signal, so it leaves at once too).
 */
#include "cli.h"
#include "stage_parallel.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/interrupt.h"
#include "../core/lazylib.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../core/str.h"
#include "../providers/provider.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct child {
	pid_t pid;
	size_t idx;           /* the stage */
	int err;              /* read end of its stderr pipe; -1 at EOF */
	FILE *result;         /* its result document */
	FILE *group;          /* its stderr lines (off a terminal) */
	struct sbuf partial;  /* a line not finished yet (on a terminal) */
};

/* ---- the child ------------------------------------------------------------ */

static void child_run(const struct stage_cmd *sc, void *ctx, struct stage *st, int err_fd,
		      FILE *result)
{
	struct out_opts o = *out_get();
	struct stage_result r;
	json_t *res;
	int null = open("/dev/null", O_RDONLY);

	/* stdin: no prompts; stdout and stderr: the pipe (run() writes no result on stdout) */
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(err_fd, STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);
	o.no_progress = true;   /* no redraws inside a prefixed line; timings and colour stay */
	o.in_tty = false;
	out_init(&o);
	cli_stage_run(sc, ctx, st, &r);
	if (r.rc)
		out_error(&r.e);
	res = json_pack("{s:i, s:i, s:s, s:O?, s:b}", "rc", r.rc, "code", r.e.code, "message",
			out_last_error()->code ? out_last_error()->msg : r.e.msg, "doc", r.doc,
			"failed_doc", r.failed_doc);
	json_dumpf(res, result, JSON_COMPACT);
	fflush(result);
	json_decref(res);
	json_decref(r.doc);
	intr_temp_cleanup();
	_exit(0);
}

/* ---- the parent ----------------------------------------------------------- */

static int start(struct child *c, size_t idx, const struct stage_cmd *sc, void *ctx,
		 struct stage *st, bool tty, struct herr *e)
{
	int p[2];
	pid_t parent;

	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->result = tmpfile();
	c->group = tty ? NULL : tmpfile();
	if (!c->result || (!tty && !c->group) || pipe(p) != 0) {
		if (c->result)
			fclose(c->result);
		if (c->group)
			fclose(c->group);
		return herr_set(e, HOIST_FAIL, "cannot run stage %s: %s", st->name,
				strerror(errno));
	}
	fflush(stdout);
	fflush(stderr);
	parent = getpid();
	c->pid = fork();
	if (c->pid < 0) {
		close(p[0]);
		close(p[1]);
		fclose(c->result);
		if (c->group)
			fclose(c->group);
		return herr_set(e, HOIST_FAIL, "cannot run stage %s: %s", st->name,
				strerror(errno));
	}
	if (c->pid == 0) {
		close(p[0]);
		/* out of the terminal's group: signals come from the parent, once */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)   /* hoist went before the line above took effect */
			raise(SIGTERM);
		child_run(sc, ctx, st, p[1], c->result);
	}
	close(p[1]);
	c->err = p[0];
	sbuf_init(&c->partial);
	return HOIST_OK;
}

/* Print complete lines of `data` with the stage's prefix (a terminal). */
static void prefixed(struct child *c, const char *prefix, const char *data, size_t n)
{
	const char *nl;

	sbuf_add(&c->partial, data, n);
	while (c->partial.len && (nl = memchr(c->partial.s, '\n', c->partial.len))) {
		size_t len = (size_t)(nl - c->partial.s) + 1;

		fprintf(stderr, "%s%.*s", prefix, (int)len, c->partial.s);
		memmove(c->partial.s, c->partial.s + len, c->partial.len - len);
		c->partial.len -= len;
		c->partial.s[c->partial.len] = '\0';
	}
	fflush(stderr);
}

/* The child has closed its stderr: collect its result (struct stage_result). */
static void finish(struct child *c, const struct stage *st, const char *prefix,
		   struct stage_result *r)
{
	json_t *res;
	int status = 0;
	char buf[65536];
	size_t n;

	intr_waitpid(c->pid, &status);
	if (c->partial.len)
		fprintf(stderr, "%s%s\n", prefix, c->partial.s);
	if (c->group) {
		fprintf(stderr, "== %s ==\n", st->name);
		rewind(c->group);
		while ((n = fread(buf, 1, sizeof(buf), c->group)) > 0)
			fwrite(buf, 1, n, stderr);
		fflush(stderr);
		fclose(c->group);
	}
	memset(r, 0, sizeof(*r));
	rewind(c->result);
	res = json_loadf(c->result, 0, NULL);
	fclose(c->result);
	sbuf_free(&c->partial);
	if (!res) {   /* died before it could answer */
		r->rc = HOIST_FAIL;
		herr_set(&r->e, HOIST_FAIL, "stage %s: the run ended without a result (%s %d)",
			 st->name, WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		res = out_json_error_doc(&r->e);
		r->doc = json_pack("{s:s, s:O}", "stage", st->name, "error",
				   json_object_get(res, "error"));
		json_decref(res);
		return;
	}
	r->rc = (int)json_integer_value(json_object_get(res, "rc"));
	r->e.code = (int)json_integer_value(json_object_get(res, "code"));
	snprintf(r->e.msg, sizeof(r->e.msg), "%s",
		 json_string_value(json_object_get(res, "message")) ?: "");
	r->doc = json_incref(json_object_get(res, "doc"));
	r->failed_doc = json_is_true(json_object_get(res, "failed_doc"));
	json_decref(res);
}

static char *prefix_of(const struct stage *st, size_t width)
{
	return xasprintf("%s%-*s |%s ", out_c(stderr, OUT_CYAN), (int)width, st->name,
			 out_c(stderr, OUT_RESET));
}

int cli_stages_parallel(const struct stage_cmd *sc, void *ctx, struct stage *stages, size_t n,
			int jobs, stage_done_fn done, void *arg, struct herr *e)
{
	struct child *kids = xcalloc((size_t)jobs, sizeof(*kids));
	struct pollfd *pfd = xcalloc((size_t)jobs, sizeof(*pfd));
	char **prefix = xcalloc(n ? n : 1, sizeof(*prefix));
	bool tty = out_get()->err_tty;
	size_t next = 0, running = 0, width = 0, i;
	int rc = HOIST_OK;
	bool passed = false;

	for (i = 0; i < n; i++)
		width = strlen(stages[i].name) > width ? strlen(stages[i].name) : width;
	for (i = 0; i < n; i++)
		prefix[i] = tty ? prefix_of(&stages[i], width) : xstrdup("");
	for (i = 0; i < (size_t)jobs; i++)
		kids[i].err = -1;
	for (i = 0; i < n; i++) {   /* a cloud's stages all make requests: open what they need once */
		const struct provider *p;
		struct herr ignored = { 0 };

		if (cli_provider(&stages[i], &p, &ignored) == HOIST_OK && p->remote) {
			lazylib_preload_net();
			break;
		}
	}
	while (next < n || running) {
		int k;

		for (k = 0; k < jobs && next < n && !rc && !intr_signal(); k++) {
			if (kids[k].err >= 0)
				continue;
			if ((rc = start(&kids[k], next, sc, ctx, &stages[next], tty, e)))
				break;
			next++;
			running++;
		}
		if (!running)
			break;
		if (intr_signal() && !passed) {   /* pass the signal on, once */
			passed = true;
			for (k = 0; k < jobs; k++)
				if (kids[k].err >= 0)
					kill(kids[k].pid, intr_signal());
		}
		for (k = 0; k < jobs; k++) {
			pfd[k].fd = kids[k].err;
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
		}
		if (poll(pfd, (nfds_t)jobs, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = herr_set(e, HOIST_FAIL, "poll: %s", strerror(errno));
			break;
		}
		for (k = 0; k < jobs; k++) {
			char buf[8192];
			ssize_t got;
			struct stage_result r;

			if (kids[k].err < 0 || !(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(kids[k].err, buf, sizeof(buf));
			if (got < 0 && errno == EINTR)
				continue;
			if (got > 0) {
				if (tty)
					prefixed(&kids[k], prefix[kids[k].idx], buf, (size_t)got);
				else
					fwrite(buf, 1, (size_t)got, kids[k].group);
				continue;
			}
			close(kids[k].err);
			kids[k].err = -1;
			running--;
			finish(&kids[k], &stages[kids[k].idx], prefix[kids[k].idx], &r);
			done(kids[k].idx, &r, arg);
		}
	}
	for (i = 0; i < n; i++)
		free(prefix[i]);
	free(prefix);
	free(pfd);
	free(kids);
	return rc;
}
