/*
 * control.c — the control socket between the CLI and a running gateway.
 *
 * A Unix stream socket, control.sock in the stage directory (mode 0600: only
 * the user who deployed can drive the gateway).  One request per connection:
 * a JSON object with "cmd", then EOF; the answer is one JSON object, then
 * EOF.  Commands:
 *
 *   status                      URL, pid, version, uptime, counters, timers
 *   reload   {"version": N}     start N's workers, switch, retire the old ones
 *   invoke   {"event": {...}}   run one event through a worker
 *   invoke_async {"event": {...}}  queue one event (an asynchronous task from a
 *                               worker, hoist_tasks); answered at once, run on
 *                               the workers, retried twice on failure (Lambda)
 *   schedule {"enabled": bool}  turn the timers on or off
 *   tls {"port", "domain", "base_path"}  (re)start the HTTPS listener (certify)
 *   stop                        answer, then shut the gateway down
 */
#include "local.h"

#include "../../core/err.h"
#include "../../core/path.h"
#include "../../core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_fd = -1;
static pthread_t accept_thread;
static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static int active;

/* sockaddr for dir/control.sock, through /proc/self/fd when the path is long. */
static int sock_addr(const char *dir, struct sockaddr_un *sa, int *dfd)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*dfd = -1;
	if (strlen(dir) + strlen("/control.sock") < sizeof(sa->sun_path)) {
		snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/control.sock", dir);
		return 0;
	}
	*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0)
		return -1;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/control.sock", *dfd);
	return 0;
}

/* Read until EOF (or timeout); allocates. */
static char *read_all(int fd, int timeout_ms)
{
	struct sbuf b;
	char buf[8192];
	int64_t deadline = now_ms() + timeout_ms;

	sbuf_init(&b);
	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
			if (errno == EINTR && left > 0)
				continue;
			sbuf_free(&b);
			return NULL;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sbuf_free(&b);
			return NULL;
		}
		if (n == 0)
			return sbuf_detach(&b);
		sbuf_add(&b, buf, (size_t)n);
	}
}

static void send_json(int fd, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	path_fd_write_all(fd, s, strlen(s));   /* a client gone: nothing to tell */
	free(s);
}

/* ---- commands --------------------------------------------------------- */

static json_t *do_status(struct daemon *d)
{
	json_t *j, *pids = json_array();
	long version;
	int conc;

	pool_worker_pids(&d->pool, pids);
	pthread_mutex_lock(&d->pool.mu);
	version = d->pool.cfg ? d->pool.cfg->version : 0;
	conc = d->pool.want;
	pthread_mutex_unlock(&d->pool.mu);
	pthread_mutex_lock(&d->stats_mu);
	j = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:o}",
		      "ok", 1, "url", d->url, "pid", (json_int_t)getpid(),
		      "version", (json_int_t)version,
		      "started_ms", (json_int_t)d->started_ms,
		      "uptime_s", (json_int_t)((now_ms() - d->started_ms) / 1000),
		      "requests", (json_int_t)d->requests, "errors", (json_int_t)d->errors,
		      "events", (json_int_t)d->events, "concurrency", conc,
		      "idle_workers", pids);
	pthread_mutex_unlock(&d->stats_mu);
	if (gateway_tls_port(d))
		json_object_set_new(j, "https_port", json_integer(gateway_tls_port(d)));
	timers_status(d, j);
	return j;
}

static json_t *do_reload(struct daemon *d, json_t *req)
{
	long v = (long)json_integer_value(json_object_get(req, "version"));
	struct version_cfg *cfg;
	struct herr e = { 0 };
	json_t *err = NULL, *ans;

	if (version_cfg_load(d->dir, v, &cfg, &e))
		return json_pack("{s:b, s:s}", "ok", 0, "error", e.msg);
	stagelog("gateway", "reloading: starting %d worker(s) on version %ld", cfg->concurrency, v);
	if (pool_reload(&d->pool, cfg, &err)) {
		stagelog("gateway", "reload to version %ld failed; still serving the old version", v);
		version_cfg_free(cfg);
		ans = json_pack("{s:b}", "ok", 0);
		json_object_update(ans, err);
		json_decref(err);
		return ans;
	}
	stagelog("gateway", "now serving version %ld", v);
	pthread_mutex_lock(&d->timers_mu);
	if (json_is_boolean(json_object_get(req, "scheduled")))
		d->scheduled = json_is_true(json_object_get(req, "scheduled"));
	json_decref(d->schedule);   /* the new version's settings are the file's */
	d->schedule = NULL;
	pthread_mutex_unlock(&d->timers_mu);
	timers_reset(d);
	return json_pack("{s:b, s:I}", "ok", 1, "version", (json_int_t)v);
}

static json_t *do_invoke(struct daemon *d, json_t *req)
{
	char rid[37], *why = NULL;
	json_t *result = NULL, *ans;
	int code;

	request_id_new(rid);
	code = pool_invoke(&d->pool, json_object_get(req, "event"), rid, &result, &why);
	ans = json_pack("{s:b, s:i, s:s, s:o?}", "ok", code == 0, "code", code,
			"request_id", rid, "result", result);
	if (why)
		json_object_set_new(ans, "error", json_string(why));
	free(why);
	return ans;
}

/* ---- asynchronous invocations ---------------------------------------- */

#define ASYNC_MAX 64                 /* queued or running at once */
#define ASYNC_TRIES 3                /* Lambda: the first attempt and two retries */
#define ASYNC_PAYLOAD_MAX (256 * 1024)

struct async_run {
	struct daemon *d;
	json_t *event;
	char rid[37];
};

static int async_pending;

static void *run_async(void *arg)
{
	struct async_run *a = arg;
	int attempt, code = 0;

	for (attempt = 1; attempt <= ASYNC_TRIES && !a->d->stop; attempt++) {
		json_t *result = NULL;
		char *why = NULL;
		int waited;

		code = pool_invoke(&a->d->pool, a->event, a->rid, &result, &why);
		json_decref(result);
		if (!code) {
			free(why);
			break;
		}
		stagelog("async", "%s attempt %d of %d failed (%d): %s", a->rid, attempt,
			 ASYNC_TRIES, code, why ? why : "");
		free(why);
		for (waited = 0; waited < attempt * 10 && !a->d->stop; waited++)
			usleep(100000);   /* 1 s, then 2 s before the retries */
	}
	json_decref(a->event);
	pthread_mutex_lock(&active_mu);
	active--;
	async_pending--;
	pthread_mutex_unlock(&active_mu);
	free(a);
	return NULL;
}

static json_t *do_invoke_async(struct daemon *d, json_t *req)
{
	json_t *ev = json_object_get(req, "event");
	char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	size_t size = text ? strlen(text) : 0;
	struct async_run *a;
	char rid[37];
	pthread_t t;
	bool full;

	free(text);
	if (!json_is_object(ev))
		return json_pack("{s:b, s:s}", "ok", 0, "error", "invoke_async: no event object");
	if (size > ASYNC_PAYLOAD_MAX)
		return json_pack("{s:b, s:s}", "ok", 0, "error", "RequestEntityTooLargeException: "
				 "the asynchronous payload is over 262144 bytes");
	pthread_mutex_lock(&active_mu);
	full = async_pending >= ASYNC_MAX || d->stop;
	if (!full) {
		async_pending++;
		active++;
	}
	pthread_mutex_unlock(&active_mu);
	if (full)
		return json_pack("{s:b, s:s}", "ok", 0, "error", "TooManyRequestsException: "
				 "too many asynchronous invocations queued");
	a = xcalloc(1, sizeof(*a));
	a->d = d;
	a->event = json_incref(ev);
	request_id_new(a->rid);
	memcpy(rid, a->rid, sizeof(rid));   /* the thread owns and frees a */
	stagelog("async", "%s queued (%zu bytes)", rid, size);
	if (pthread_create(&t, NULL, run_async, a) != 0) {
		pthread_mutex_lock(&active_mu);
		active--;
		async_pending--;
		pthread_mutex_unlock(&active_mu);
		json_decref(a->event);
		free(a);
		return json_pack("{s:b, s:s}", "ok", 0, "error", "cannot start a thread");
	}
	pthread_detach(t);
	return json_pack("{s:b, s:i, s:s}", "ok", 1, "status", 202, "request_id", rid);
}

static json_t *do_schedule(struct daemon *d, json_t *req)
{
	json_t *events = json_object_get(req, "settings");

	pthread_mutex_lock(&d->timers_mu);
	d->scheduled = json_is_true(json_object_get(req, "enabled"));
	if (json_is_object(events)) {
		json_decref(d->schedule);
		d->schedule = json_incref(events);
	}
	pthread_mutex_unlock(&d->timers_mu);
	timers_reset(d);
	stagelog("gateway", "timers %s", d->scheduled ? "scheduled" : "unscheduled");
	return do_status(d);
}

static json_t *do_tls(struct daemon *d, json_t *req)
{
	struct herr e = { 0 };
	json_t *ans;

	if (gateway_tls_reload(d, (int)json_integer_value(json_object_get(req, "port")),
			       json_string_value(json_object_get(req, "domain")),
			       json_string_value(json_object_get(req, "base_path")), &e))
		ans = json_pack("{s:b, s:s}", "ok", 0, "error", e.msg);
	else
		ans = json_pack("{s:b, s:i}", "ok", 1, "https_port", gateway_tls_port(d));
	herr_clear(&e);
	return ans;
}

struct conn {
	struct daemon *d;
	int fd;
};

static void *serve_conn(void *arg)
{
	struct conn *c = arg;
	char *s = read_all(c->fd, 5000);
	json_t *req = s ? json_loads(s, 0, NULL) : NULL, *ans;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	bool stop = false;

	if (!cmd)
		ans = json_pack("{s:b, s:s}", "ok", 0, "error", "bad control request");
	else if (!strcmp(cmd, "status"))
		ans = do_status(c->d);
	else if (!strcmp(cmd, "reload"))
		ans = do_reload(c->d, req);
	else if (!strcmp(cmd, "invoke"))
		ans = do_invoke(c->d, req);
	else if (!strcmp(cmd, "invoke_async"))
		ans = do_invoke_async(c->d, req);
	else if (!strcmp(cmd, "schedule"))
		ans = do_schedule(c->d, req);
	else if (!strcmp(cmd, "tls"))
		ans = do_tls(c->d, req);
	else if (!strcmp(cmd, "stop")) {
		ans = json_pack("{s:b, s:I}", "ok", 1, "pid", (json_int_t)getpid());
		stop = true;
	} else
		ans = json_pack("{s:b, s:s}", "ok", 0, "error", "unknown control command");
	send_json(c->fd, ans);
	json_decref(ans);
	json_decref(req);
	free(s);
	close(c->fd);
	if (stop)
		daemon_request_stop(c->d);
	pthread_mutex_lock(&active_mu);
	active--;
	pthread_mutex_unlock(&active_mu);
	free(c);
	return NULL;
}

static void *accept_loop(void *arg)
{
	struct daemon *d = arg;

	while (!d->stop) {
		struct pollfd pf = { listen_fd, POLLIN, 0 };
		struct conn *c;
		pthread_t t;
		int fd;

		if (poll(&pf, 1, 200) <= 0)
			continue;
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		c = xcalloc(1, sizeof(*c));
		c->d = d;
		c->fd = fd;
		pthread_mutex_lock(&active_mu);
		active++;
		pthread_mutex_unlock(&active_mu);
		if (pthread_create(&t, NULL, serve_conn, c) != 0) {
			close(fd);
			free(c);
			pthread_mutex_lock(&active_mu);
			active--;
			pthread_mutex_unlock(&active_mu);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

int control_start(struct daemon *d, struct herr *e)
{
	struct sockaddr_un sa;
	int dfd;
	mode_t old;

	if (sock_addr(d->dir, &sa, &dfd))
		return herr_set(e, HOIST_FAIL, "cannot open %s: %s", d->dir, strerror(errno));
	unlink(sa.sun_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	old = umask(077);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 16) < 0) {
		umask(old);
		if (dfd >= 0)
			close(dfd);
		return herr_set(e, HOIST_FAIL, "cannot create the control socket in %s: %s",
				d->dir, strerror(errno));
	}
	umask(old);
	if (dfd >= 0)
		close(dfd);
	if (pthread_create(&accept_thread, NULL, accept_loop, d) != 0)
		return herr_set(e, HOIST_FAIL, "cannot start the control thread");
	return HOIST_OK;
}

void control_stop(struct daemon *d)
{
	char *p = local_file(d->dir, "control.sock");
	int i;

	pthread_join(accept_thread, NULL);
	close(listen_fd);
	unlink(p);
	free(p);
	for (i = 0; i < 3000; i++) {
		int n;

		pthread_mutex_lock(&active_mu);
		n = active;
		pthread_mutex_unlock(&active_mu);
		if (!n)
			break;
		usleep(10000);
	}
}

/* ---- client ----------------------------------------------------------- */

int control_call(const char *dir, json_t *req, json_t **resp, int timeout_ms, struct herr *e)
{
	struct sockaddr_un sa;
	int fd, dfd, rc = HOIST_OK;
	char *s = NULL;
	json_error_t je;

	*resp = NULL;
	if (sock_addr(dir, &sa, &dfd))
		return herr_set(e, HOIST_FAIL, "cannot open %s: %s", dir, strerror(errno));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = herr_set(e, HOIST_FAIL, "the gateway of %s is not answering (%s)", dir,
			      strerror(errno));
		goto out;
	}
	send_json(fd, req);
	shutdown(fd, SHUT_WR);
	s = read_all(fd, timeout_ms);
	if (!s) {
		rc = herr_set(e, HOIST_FAIL, "the gateway did not answer within %d s",
			      timeout_ms / 1000);
		goto out;
	}
	*resp = json_loads(s, 0, &je);
	if (!*resp)
		rc = herr_set(e, HOIST_FAIL, "the gateway's answer is not JSON: %s", je.text);
out:
	free(s);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}
