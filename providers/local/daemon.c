/*
 * daemon.c — the gateway process: `hoist __daemon local DIR [READY_FD]`.
 *
 * Started (detached, in its own session) by deploy/update.  It writes its
 * pid file, opens the stage log, binds the HTTP port, starts the workers of
 * the current version and reports on READY_FD one JSON line — {"ok": true}
 * or {"ok": false, "error", "traceback"} — so the CLI can tell the user
 * about an app that fails to import.  It then serves until the control
 * socket says stop or it gets SIGTERM/SIGINT, and shuts down in order:
 * HTTP first (in-flight requests finish), then control, timers, workers.
 */
#include "local.h"

#include "../../core/err.h"
#include "../../core/path.h"
#include "../../core/str.h"
#include "../../core/templates.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_t janitor_thread;

static void report(int fd, json_t *j)
{
	char *s;

	if (fd < 0) {
		json_decref(j);
		return;
	}
	s = json_dumps(j, JSON_COMPACT);
	if (write(fd, s, strlen(s)) < 0 || write(fd, "\n", 1) < 0)
		(void)0;
	free(s);
	json_decref(j);
}

void daemon_request_stop(struct daemon *d)
{
	d->stop = true;
	kill(getpid(), SIGTERM);
}

static void *janitor(void *arg)
{
	struct daemon *d = arg;

	while (!d->stop) {
		pool_tick(&d->pool);
		usleep(50000);
	}
	return NULL;
}

static int write_worker_py(const char *dir, char **out, struct herr *e)
{
	const struct template_file *t = template_find("local/worker.py");

	if (!t)
		return herr_set(e, HOIST_FAIL, "this hoist was built without templates/local/worker.py");
	*out = local_file(dir, "worker.py");
	return path_write_private(*out, t->data, t->len, e);
}

/* The HTTPS listener recorded by certify, if any (a failure is logged, not fatal). */
static void start_tls(struct daemon *d)
{
	json_t *st = NULL;
	struct herr e = { 0 };
	int port;

	if (local_state_read(d->dir, &st, NULL))
		return;
	port = (int)json_integer_value(json_object_get(st, "https_port"));
	if (port > 0 && json_string_value(json_object_get(st, "domain")) &&
	    gateway_tls_reload(d, port, json_string_value(json_object_get(st, "domain")),
			       json_string_value(json_object_get(st, "https_base_path")), &e))
		stagelog("gateway", "HTTPS not started: %s", e.msg);
	herr_clear(&e);
	json_decref(st);
}

/* Read state.json into d and the pool; *cfg is the current version. */
static int load(struct daemon *d, struct version_cfg **cfg, struct herr *e)
{
	json_t *st = NULL;
	char *wpy = NULL;
	const char *python, *fn, *stage;
	int rc;

	rc = local_state_read(d->dir, &st, e);
	if (rc)
		return rc;
	python = json_string_value(json_object_get(st, "python"));
	fn = json_string_value(json_object_get(st, "function_name"));
	stage = json_string_value(json_object_get(st, "stage"));
	d->port = (int)json_integer_value(json_object_get(st, "port"));
	d->scheduled = json_is_true(json_object_get(st, "scheduled"));
	if (json_is_object(json_object_get(st, "schedule")))
		d->schedule = json_incref(json_object_get(st, "schedule"));
	if (!python || !fn || !stage || d->port <= 0) {
		rc = herr_set(e, HOIST_FAIL, "%s/state.json is incomplete", d->dir);
		goto out;
	}
	d->url = xasprintf("http://127.0.0.1:%d/%s", d->port, stage);
	rc = write_worker_py(d->dir, &wpy, e);
	if (rc)
		goto out;
	pool_init(&d->pool, python, wpy, fn, stage);
	rc = version_cfg_load(d->dir, (long)json_integer_value(json_object_get(st, "current")),
			      cfg, e);
out:
	free(wpy);
	json_decref(st);
	return rc;
}

static void wait_for_stop(struct daemon *d)
{
	sigset_t set;
	struct timespec ts = { 0, 200 * 1000000 };

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	while (!d->stop) {
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig > 0)
			d->stop = true;
	}
}

int local_daemon_main(int argc, char **argv)
{
	struct daemon d = { 0 };
	struct version_cfg *cfg = NULL;
	struct herr e = { 0 };
	int ready_fd = argc > 2 ? atoi(argv[2]) : -1;
	bool http = false, ctl = false, tim = false, jan = false;
	char *pidf, *logf, pid[32];
	json_t *err = NULL;
	sigset_t set;
	int rc;

	if (argc < 2 || argv[1][0] != '/')
		return HOIST_USAGE;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d.dir = xstrdup(argv[1]);
	d.started_ms = now_ms();
	/* Before any thread: the workers' asynchronous tasks reach the gateway here. */
	{
		char *sock = local_file(d.dir, "control.sock");

		setenv("HOIST_LOCAL_CONTROL", sock, 1);
		free(sock);
	}
	pthread_mutex_init(&d.stats_mu, NULL);
	pthread_mutex_init(&d.timers_mu, NULL);
	pthread_mutex_init(&d.tls_mu, NULL);
	pidf = local_file(d.dir, "gateway.pid");
	logf = local_file(d.dir, "stage.log");
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	rc = path_write_private(pidf, pid, strlen(pid), &e);
	if (!rc)
		rc = stagelog_open(logf, &e);
	if (!rc)
		rc = load(&d, &cfg, &e);
	if (!rc)
		rc = gateway_start(&d, &e);
	http = !rc;
	if (!rc) {
		stagelog("gateway", "starting %d worker(s) for version %ld on %s", cfg->concurrency,
			 cfg->version, d.url);
		if (pool_start(&d.pool, cfg, &err)) {
			rc = herr_set(&e, HOIST_FAIL, "%s",
				      json_string_value(json_object_get(err, "error")) ?:
				      "the workers did not start");
			version_cfg_free(cfg);
		}
		cfg = NULL;
	}
	if (!rc)
		start_tls(&d);
	if (!rc)
		ctl = !(rc = control_start(&d, &e));
	if (!rc)
		tim = !(rc = timers_start(&d, &e));
	if (!rc)
		jan = !(rc = pthread_create(&janitor_thread, NULL, janitor, &d) ? HOIST_FAIL : 0);
	if (rc) {
		json_t *j = json_pack("{s:b, s:s, s:I}", "ok", 0, "error", e.msg, "pid",
				      (json_int_t)getpid());

		if (err)
			json_object_set(j, "traceback", json_object_get(err, "traceback") ?:
					json_null());
		stagelog("gateway", "startup failed: %s", e.msg);
		report(ready_fd, j);
	} else {
		stagelog("gateway", "listening on %s (pid %ld)", d.url, (long)getpid());
		report(ready_fd, json_pack("{s:b, s:I, s:s}", "ok", 1, "pid", (json_int_t)getpid(),
					   "url", d.url));
	}
	if (ready_fd >= 0)
		close(ready_fd);
	if (!rc)
		wait_for_stop(&d);
	pthread_mutex_lock(&d.tls_mu);
	d.stop = true;
	pthread_mutex_unlock(&d.tls_mu);
	if (http)
		gateway_stop(&d);
	if (ctl)
		control_stop(&d);
	if (tim)
		timers_stop(&d);
	if (jan)
		pthread_join(janitor_thread, NULL);
	if (d.pool.python)
		pool_stop(&d.pool);
	version_cfg_free(cfg);
	if (!rc)
		stagelog("gateway", "stopped");
	stagelog_close();
	unlink(pidf);
	json_decref(err);
	json_decref(d.next_fires);
	json_decref(d.schedule);
	free(pidf);
	free(logf);
	free(d.url);
	free(d.dir);
	return rc ? HOIST_FAIL : HOIST_OK;
}
