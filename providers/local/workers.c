/*
 * workers.c — the pool of persistent Python workers behind the gateway.
 *
 * Each worker is `<python> -I -S worker.py` (templates/local/worker.py)
 * started in an unpacked version directory: one cold start per worker, then
 * one event after another.  Requests go in on the worker's fd 3 and answers
 * come back on its fd 4 as length-prefixed JSON frames; whatever the app
 * prints on fd 1 and 2 arrives on a third pipe and becomes stage-log lines.
 *
 * Ownership is simple: a worker on the idle list belongs to the pool (under
 * its mutex); a checked-out worker belongs to the one thread running an
 * event through it; a worker on the grave list is stopped and freed by
 * pool_tick.  A generation number separates the current version's workers
 * from retired ones, so a reload never interrupts a request: stale workers
 * finish what they run and are retired when handed back.
 */
#include "local.h"

#include "../../core/err.h"
#include "../../core/path.h"
#include "../../core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define STARTUP_TIMEOUT_MS 60000
#define MAX_FRAME (64u << 20)

struct worker {
	struct worker *next;
	pid_t pid;
	int in_fd, out_fd, log_fd;
	long gen;
	struct version_cfg *cfg;
	char src[32];
	struct sbuf line;
	bool dead;
};

/* ---- versions --------------------------------------------------------- */

int version_cfg_load(const char *dir, long v, struct version_cfg **out, struct herr *e)
{
	char *p = xasprintf("%s/versions/%ld.json", dir, v);
	json_error_t je;
	json_t *s = json_load_file(p, 0, &je);
	struct version_cfg *c;
	json_t *x;

	if (!s || !json_is_object(s)) {
		json_decref(s);
		herr_set(e, HOIST_FAIL, "cannot read %s: %s", p, je.text);
		free(p);
		return HOIST_FAIL;
	}
	free(p);
	c = xcalloc(1, sizeof(*c));
	c->version = v;
	c->dir = local_version_dir(dir, v);
	c->settings = s;
	x = json_object_get(s, "local_concurrency");
	c->concurrency = json_is_integer(x) ? (int)json_integer_value(x) : 2;
	if (c->concurrency < 1)
		c->concurrency = 1;
	if (c->concurrency > 64)
		c->concurrency = 64;
	x = json_object_get(s, "timeout_seconds");
	c->timeout_s = json_is_integer(x) ? (int)json_integer_value(x) : 30;
	if (c->timeout_s < 1)
		c->timeout_s = 1;
	x = json_object_get(s, "memory_size");
	c->memory_mb = json_is_integer(x) ? (int)json_integer_value(x) : 512;
	*out = c;
	return HOIST_OK;
}

void version_cfg_free(struct version_cfg *c)
{
	if (!c)
		return;
	free(c->dir);
	json_decref(c->settings);
	free(c);
}

/* ---- one worker ------------------------------------------------------- */

/* Turn what the app printed into stage-log lines; `all` flushes a partial line. */
static void drain_log(struct worker *w, bool all)
{
	char buf[8192];
	ssize_t n;
	char *nl;

	while ((n = read(w->log_fd, buf, sizeof(buf))) > 0)
		sbuf_add(&w->line, buf, (size_t)n);
	while (w->line.len && (nl = memchr(w->line.s, '\n', w->line.len))) {
		size_t k = (size_t)(nl - w->line.s);

		stagelog_raw(w->src, w->line.s, k);
		memmove(w->line.s, nl + 1, w->line.len - k - 1);
		w->line.len -= k + 1;
		w->line.s[w->line.len] = '\0';
	}
	if (w->line.len && (all || w->line.len > 16384)) {
		stagelog_raw(w->src, w->line.s, w->line.len);
		sbuf_reset(&w->line);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Close the request pipe (the worker exits on EOF), reap it, free it. */
static void worker_stop(struct worker *w)
{
	int status, i;

	close_fd(&w->in_fd);
	for (i = 0; i < 200 && w->pid > 0; i++) {
		if (waitpid(w->pid, &status, WNOHANG) == w->pid) {
			w->pid = 0;
			break;
		}
		if (w->dead || i == 150)
			kill(w->pid, SIGKILL);
		drain_log(w, false);
		usleep(10000);
	}
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		waitpid(w->pid, &status, 0);
	}
	drain_log(w, true);
	close_fd(&w->out_fd);
	close_fd(&w->log_fd);
	sbuf_free(&w->line);
	free(w);
}

/*
 * The largest frame a worker may send: 64 MiB, or HOIST_LOCAL_MAX_FRAME
 * bytes (tests).  Answers are held to LOCAL_MAX_RESPONSE long before that.
 */
static size_t max_frame(void)
{
	const char *s = getenv("HOIST_LOCAL_MAX_FRAME");
	long long v = s ? atoll(s) : 0;

	return v > 0 ? (size_t)v : MAX_FRAME;
}

/*
 * Read one frame before `deadline` (epoch ms) while logging the worker's output.
 * 0 ok, -1 the worker went away, -2 timeout, -3 garbage, -4 a frame of *big
 * bytes, over max_frame().
 */
static int read_frame(struct worker *w, int64_t deadline, json_t **out, size_t *big)
{
	unsigned char head[4];
	size_t got = 0, need = 4, len = 0;
	char *body = NULL;
	json_error_t je;

	*out = NULL;
	for (;;) {
		struct pollfd pf[2] = { { w->out_fd, POLLIN, 0 }, { w->log_fd, POLLIN, 0 } };
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0) {
			free(body);
			return -2;
		}
		r = poll(pf, 2, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno != EINTR) {
			free(body);
			return -1;
		}
		if (pf[1].revents)
			drain_log(w, false);
		if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		{
			char *dst = body ? body + got : (char *)head + got;
			ssize_t n = read(w->out_fd, dst, need - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				free(body);
				return -1;
			}
			got += (size_t)n;
		}
		if (got < need)
			continue;
		if (!body) {
			len = (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
			if (len > max_frame()) {
				*big = len;
				return -4;
			}
			body = xmalloc(len + 1);
			got = 0;
			need = len;
			if (len)
				continue;
		}
		*out = json_loadb(body, len, 0, &je);
		free(body);
		return *out ? 0 : -3;
	}
}

static int write_frame(struct worker *w, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	size_t n = strlen(s);
	unsigned char head[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
				  (unsigned char)(n >> 8), (unsigned char)n };
	int rc = path_fd_write_all(w->in_fd, head, 4);

	if (!rc)
		rc = path_fd_write_all(w->in_fd, s, n);
	free(s);
	return rc;
}

/* fork + exec one worker; it is not ready until worker_await_ready says so. */
static struct worker *worker_launch(struct pool *p, struct version_cfg *cfg, long gen)
{
	int req[2], resp[2], out[2], devnull;
	char *argv[] = { p->python, "-I", "-S", p->worker_py, NULL };
	struct worker *w;
	sigset_t none;
	pid_t pid;

	if (pipe2(req, O_CLOEXEC) < 0)
		return NULL;
	if (pipe2(resp, O_CLOEXEC) < 0) {
		close(req[0]);
		close(req[1]);
		return NULL;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(req[0]);
		close(req[1]);
		close(resp[0]);
		close(resp[1]);
		return NULL;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigemptyset(&none);
	pid = fork();
	if (pid == 0) {
		/* Child: async-signal-safe calls only. */
		int a = fcntl(req[0], F_DUPFD, 10), b = fcntl(resp[1], F_DUPFD, 10);
		int c = fcntl(out[1], F_DUPFD, 10);

		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		if (a < 0 || b < 0 || c < 0 || dup2(devnull, 0) < 0 || dup2(c, 1) < 0 ||
		    dup2(c, 2) < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0)
			_exit(127);
		close_range(5, ~0U, 0);
		if (chdir(cfg->dir) < 0)
			_exit(127);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	close(req[0]);
	close(resp[1]);
	close(out[1]);
	if (devnull >= 0)
		close(devnull);
	if (pid < 0) {
		close(req[1]);
		close(resp[0]);
		close(out[0]);
		return NULL;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	w = xcalloc(1, sizeof(*w));
	w->pid = pid;
	w->in_fd = req[1];
	w->out_fd = resp[0];
	w->log_fd = out[0];
	w->gen = gen;
	w->cfg = cfg;
	snprintf(w->src, sizeof(w->src), "worker-%ld", (long)pid);
	sbuf_init(&w->line);
	return w;
}

/* Wait for the worker's ready frame; on failure *err_json says why (new ref). */
static int worker_await_ready(struct worker *w, json_t **err_json)
{
	int64_t deadline = now_ms() + STARTUP_TIMEOUT_MS;
	json_t *f = NULL;
	size_t big = 0;
	int r = read_frame(w, deadline, &f, &big);

	if (r == 0 && json_is_true(json_object_get(f, "ready"))) {
		json_decref(f);
		return 0;
	}
	drain_log(w, true);
	if (r == 0) {
		*err_json = f;
	} else {
		int st = 0;

		if (r == -2)
			kill(w->pid, SIGKILL);
		waitpid(w->pid, &st, 0);
		w->pid = 0;
		*err_json = json_pack("{s:s}", "error",
			r == -2 ? "the app did not finish importing within 60 seconds" :
			WIFEXITED(st) && WEXITSTATUS(st) == 127 ?
			"the worker could not start (is the python interpreter still there?)" :
			"the worker exited before it was ready (see the stage log)");
	}
	w->dead = true;
	return -1;
}

/* ---- the pool --------------------------------------------------------- */

int pool_init(struct pool *p, const char *python, const char *worker_py,
	      const char *function_name, const char *stage_name)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->reload_mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->python = xstrdup(python);
	p->worker_py = xstrdup(worker_py);
	p->function_name = xstrdup(function_name);
	p->stage_name = xstrdup(stage_name);
	return 0;
}

/* Launch cfg->concurrency workers at once and wait for all; *list gets them. */
static int start_generation(struct pool *p, struct version_cfg *cfg, long gen,
			    struct worker **list, json_t **err_json)
{
	struct worker *ws[64] = { 0 };
	int n = cfg->concurrency, i, rc = 0;

	*list = NULL;
	for (i = 0; i < n; i++) {
		ws[i] = worker_launch(p, cfg, gen);
		if (!ws[i]) {
			*err_json = json_pack("{s:s}", "error", strerror(errno));
			rc = -1;
			break;
		}
	}
	for (i = 0; i < n && ws[i]; i++)
		if (!rc && worker_await_ready(ws[i], err_json))
			rc = -1;
	for (i = 0; i < n && ws[i]; i++) {
		if (rc) {
			ws[i]->dead = true;
			worker_stop(ws[i]);
		} else {
			ws[i]->next = *list;
			*list = ws[i];
		}
	}
	return rc;
}

int pool_start(struct pool *p, struct version_cfg *cfg, json_t **err_json)
{
	struct worker *list;

	if (start_generation(p, cfg, 1, &list, err_json))
		return -1;
	pthread_mutex_lock(&p->mu);
	p->gen = 1;
	p->idle = list;
	p->live = p->want = cfg->concurrency;
	p->cfg = cfg;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int pool_reload(struct pool *p, struct version_cfg *cfg, json_t **err_json)
{
	struct worker *list, *w;
	long gen;

	pthread_mutex_lock(&p->reload_mu);
	pthread_mutex_lock(&p->mu);
	gen = p->gen + 1;
	pthread_mutex_unlock(&p->mu);
	if (start_generation(p, cfg, gen, &list, err_json)) {
		pthread_mutex_unlock(&p->reload_mu);
		return -1;
	}
	pthread_mutex_lock(&p->mu);
	while ((w = p->idle)) {
		p->idle = w->next;
		w->next = p->grave;
		p->grave = w;
	}
	p->idle = list;
	p->gen = gen;
	p->live = p->want = cfg->concurrency;
	if (p->nold < (int)(sizeof(p->old) / sizeof(p->old[0])))
		p->old[p->nold++] = p->cfg;
	p->cfg = cfg;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_mutex_unlock(&p->reload_mu);
	return 0;
}

static struct worker *checkout(struct pool *p, int64_t deadline)
{
	struct worker *w = NULL;

	pthread_mutex_lock(&p->mu);
	while (!p->idle && !p->stopping) {
		struct timespec ts = { .tv_sec = deadline / 1000,
				       .tv_nsec = (deadline % 1000) * 1000000 };

		if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT)
			break;
	}
	if (p->idle && !p->stopping) {
		w = p->idle;
		p->idle = w->next;
		w->next = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	return w;
}

static void checkin(struct pool *p, struct worker *w)
{
	pthread_mutex_lock(&p->mu);
	if (w->dead || w->gen != p->gen || p->stopping) {
		if (w->gen == p->gen && w->dead)
			p->live--;
		w->next = p->grave;
		p->grave = w;
	} else {
		w->next = p->idle;
		p->idle = w;
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
}

static long vm_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void report(struct worker *w, const char *rid, double ms, long rss_kb)
{
	stagelog(w->src, "END RequestId: %s", rid);
	stagelog(w->src, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\t"
		 "Memory Size: %d MB\tMax Memory Used: %ld MB", rid, ms, ceil(ms),
		 w->cfg->memory_mb, (rss_kb + 1023) / 1024);
}

int pool_invoke(struct pool *p, json_t *event, const char *request_id, json_t **result,
		char **why)
{
	int64_t t0 = now_ms(), deadline;
	struct timespec a, b;
	struct worker *w;
	json_t *req, *f = NULL;
	int timeout_s, r, code;
	size_t big = 0;
	long rss;
	double ms;

	*result = NULL;
	*why = NULL;
	pthread_mutex_lock(&p->mu);
	timeout_s = p->cfg ? p->cfg->timeout_s : 30;
	pthread_mutex_unlock(&p->mu);
	w = checkout(p, t0 + (int64_t)timeout_s * 1000);
	if (!w) {
		*why = xstrdup("no worker became free in time");
		return 503;
	}
	timeout_s = w->cfg->timeout_s;
	clock_gettime(CLOCK_MONOTONIC, &a);
	deadline = now_ms() + (int64_t)timeout_s * 1000;
	drain_log(w, true);
	stagelog(w->src, "START RequestId: %s Version: %ld", request_id, w->cfg->version);
	req = json_pack("{s:s, s:O, s:I, s:s, s:i, s:I, s:I}", "id", request_id, "event", event,
			"deadline_ms", (json_int_t)deadline, "function_name", p->function_name,
			"memory_mb", w->cfg->memory_mb, "version", (json_int_t)w->cfg->version,
			"max_response_bytes", (json_int_t)LOCAL_MAX_RESPONSE);
	r = write_frame(w, req) ? -1 : read_frame(w, deadline, &f, &big);
	json_decref(req);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	drain_log(w, true);
	if (r == 0) {
		rss = (long)json_integer_value(json_object_get(f, "max_rss_kb"));
		if (json_is_true(json_object_get(f, "ok"))) {
			*result = json_incref(json_object_get(f, "result"));
			code = 0;
		} else {
			const char *err = json_string_value(json_object_get(f, "error"));

			*result = json_incref(f);
			*why = xstrdup(err ? err : "the handler raised an exception");
			code = 502;
		}
		json_decref(f);
		report(w, request_id, ms, rss);
	} else if (r == -2) {
		rss = vm_hwm_kb(w->pid);
		kill(w->pid, SIGKILL);
		w->dead = true;
		stagelog(w->src, "%s Task timed out after %d.00 seconds", request_id, timeout_s);
		report(w, request_id, ms, rss);
		*why = xasprintf("the function did not answer within %d seconds", timeout_s);
		code = 504;
	} else {
		int st = 0;

		w->dead = true;
		kill(w->pid, SIGKILL);
		if (waitpid(w->pid, &st, 0) == w->pid)
			w->pid = 0;
		if (r == -4)   /* the worker was well; its answer was not deliverable */
			*why = xasprintf("the answer (%zu bytes) is over the local gateway's worker "
					 "frame limit (%zu bytes)", big, max_frame());
		else if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			*why = xasprintf("the worker died (signal %d)", WTERMSIG(st));
		else if (WIFEXITED(st))
			*why = xasprintf("the worker exited with status %d", WEXITSTATUS(st));
		else
			*why = xstrdup("the worker died");
		stagelog(w->src, "RequestId: %s Error: %s%s", request_id, r == -4 ? "" :
			 "Runtime exited: ", *why);
		report(w, request_id, ms, 0);
		code = 502;
	}
	checkin(p, w);
	return code;
}

void pool_tick(struct pool *p)
{
	struct worker *grave, *w, *next;
	struct version_cfg *cfg;
	long gen;
	int need;

	pthread_mutex_lock(&p->mu);
	grave = p->grave;
	p->grave = NULL;
	for (w = p->idle; w; w = w->next)
		drain_log(w, false);
	need = p->stopping ? 0 : p->want - p->live;
	cfg = p->cfg;
	gen = p->gen;
	pthread_mutex_unlock(&p->mu);

	for (w = grave; w; w = next) {
		next = w->next;
		worker_stop(w);
	}
	while (need-- > 0 && cfg) {
		json_t *err = NULL;

		w = worker_launch(p, cfg, gen);
		if (!w)
			return;
		if (worker_await_ready(w, &err)) {
			stagelog("gateway", "a replacement worker failed to start: %s",
				 json_string_value(json_object_get(err, "error")));
			json_decref(err);
			worker_stop(w);
			return;
		}
		pthread_mutex_lock(&p->mu);
		if (gen == p->gen && !p->stopping) {
			w->next = p->idle;
			p->idle = w;
			p->live++;
			pthread_cond_signal(&p->cv);
		} else {
			w->next = p->grave;
			p->grave = w;
		}
		pthread_mutex_unlock(&p->mu);
	}
}

void pool_stop(struct pool *p)
{
	struct worker *w, *next, *list = NULL;
	int i;

	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	for (w = p->idle; w; w = next) {
		next = w->next;
		w->next = list;
		list = w;
	}
	for (w = p->grave; w; w = next) {
		next = w->next;
		w->next = list;
		list = w;
	}
	p->idle = p->grave = NULL;
	pthread_mutex_unlock(&p->mu);
	for (w = list; w; w = next) {
		next = w->next;
		worker_stop(w);
	}
	version_cfg_free(p->cfg);
	for (i = 0; i < p->nold; i++)
		version_cfg_free(p->old[i]);
	p->cfg = NULL;
	p->nold = 0;
	free(p->python);
	free(p->worker_py);
	free(p->function_name);
	free(p->stage_name);
}

int pool_worker_pids(struct pool *p, json_t *arr)
{
	struct worker *w;
	int n = 0;

	pthread_mutex_lock(&p->mu);
	for (w = p->idle; w; w = w->next, n++)
		json_array_append_new(arr, json_integer(w->pid));
	pthread_mutex_unlock(&p->mu);
	return n;
}
