/*
 * deploy.c — deploy, update and rollback on the local provider (CLI side).
 *
 * A version is a directory versions/<N> holding the unpacked package and a
 * versions/<N>.json holding the stage settings it was deployed with.
 * deploy creates the stage directory and starts the gateway; update adds a
 * version and asks the running gateway to switch to it (workers of the new
 * version start and import the app before any request is routed to them);
 * rollback switches back to a retained version.  update --no-upload makes a
 * configuration-only version: the current version's files (hard links) with
 * the new package's hoist_settings.py and the new settings.
 */
#include "local.h"

#include "../provider.h"
#include "../../core/err.h"
#include "../../core/http.h"
#include "../../core/interrupt.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/remote_env.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 90000

/* ---- choices made at deploy time --------------------------------------- */

/* local_port, else a stable hash of (project directory, stage) into 20000-29999. */
static int stage_port(const struct stage *st)
{
	long long p = settings_int(st->settings, "local_port", 0);
	unsigned h = 2166136261u;
	const char *s;

	if (p > 0 && p < 65536)
		return (int)p;
	for (s = st->project_dir; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h = (h ^ 0) * 16777619u;
	for (s = st->name; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return 20000 + (int)(h % 10000);
}

static int port_free(int port, struct herr *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, rc = HOIST_OK;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = herr_set(e, HOIST_FAIL, "port %d on 127.0.0.1 is not available: %s", port,
			      errno == EADDRINUSE ? "another program is listening on it" :
			      strerror(errno));
		herr_hint(e, "Set \"local_port\" in the stage settings to choose another port.");
	}
	close(fd);
	return rc;
}

/* settings "python", else $VIRTUAL_ENV/bin/python, else python3; absolute. */
static int pick_python(const struct stage *st, char **out, struct herr *e)
{
	const char *set = settings_str(st->settings, "python"), *venv = getenv("VIRTUAL_ENV");
	char *want = set ? xstrdup(set) : venv && *venv ? path_join(venv, "bin/python") :
		     xstrdup("python3");

	*out = path_which(want);
	if (!*out) {
		herr_set(e, HOIST_FAIL, "cannot find the Python interpreter '%s'", want);
		herr_hint(e, "Set \"python\" in the stage settings, or activate the virtualenv.");
		free(want);
		return HOIST_FAIL;
	}
	free(want);
	return HOIST_OK;
}

/* ---- versions ------------------------------------------------------------ */

/* The state tree holds settings with environment variables: 0700 from its root. */
static int private_tree(struct herr *e)
{
	char *d = NULL;
	int rc = path_state_subdir("local", &d, e);

	free(d);
	return rc;
}

static int add_version(const char *dir, const struct stage *st, const struct package_info *pkg,
		       long v, struct herr *e)
{
	char *vd = local_version_dir(dir, v), *vj = xasprintf("%s.json", vd), *s;
	json_t *j = json_deep_copy(st->settings);
	int rc;

	rc = local_unzip(pkg->zip_path, vd, e);
	if (!rc) {
		json_object_set_new(j, "hoist_version", json_integer(v));
		json_object_set_new(j, "hoist_code_sha256", json_string(pkg->sha256_hex));
		json_object_set_new(j, "hoist_deployed_ms", json_integer(now_ms()));
		s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		rc = path_write_private(vj, s, strlen(s), e);
		free(s);
	}
	json_decref(j);
	free(vd);
	free(vj);
	return rc;
}

/*
 * update --no-upload: version v runs the code of version `from` (hard links)
 * with the new package's hoist_settings.py and the new stage settings.
 */
static int add_config_version(const char *dir, const struct stage *st,
			      const struct package_info *pkg, long from, long v, struct herr *e)
{
	char *src = local_version_dir(dir, from), *vd = local_version_dir(dir, v);
	char *fj = xasprintf("%s.json", src), *vj = xasprintf("%s.json", vd), *s;
	json_t *old = json_load_file(fj, 0, NULL), *j = json_deep_copy(st->settings);
	int rc;

	if (!path_is_dir(src) || !json_is_object(old)) {
		rc = herr_set(e, HOIST_FAIL, "the current version %ld is missing from %s", from,
			      dir);
		herr_hint(e, "Run 'hoist update %s' without --no-upload.", st->name);
		goto out;
	}
	rc = local_link_tree(src, vd, e);
	if (!rc)
		rc = local_unzip_entry(pkg->zip_path, "hoist_settings.py", vd, e);
	if (!rc) {
		json_object_set_new(j, "hoist_version", json_integer(v));
		json_object_set(j, "hoist_code_sha256", json_object_get(old, "hoist_code_sha256"));
		json_object_set_new(j, "hoist_code_from_version", json_integer(from));
		json_object_set_new(j, "hoist_deployed_ms", json_integer(now_ms()));
		s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		rc = path_write_private(vj, s, strlen(s), e);
		free(s);
	}
out:
	json_decref(old);
	json_decref(j);
	free(src);
	free(vd);
	free(fj);
	free(vj);
	return rc;
}

static void remove_version(const char *dir, long v)
{
	char *vd = local_version_dir(dir, v), *vj = xasprintf("%s.json", vd);

	path_rmtree(vd, NULL);
	unlink(vj);
	free(vd);
	free(vj);
}

/* num_retained_versions: keep that many newest versions besides the current one. */
static void prune(const char *dir, const struct stage *st, long current)
{
	long long keep = settings_int(st->settings, "num_retained_versions", 0);
	long *v = NULL;
	size_t n = local_versions(dir, &v), i, kept = 0;

	if (keep > 0)
		for (i = n; i-- > 0;) {
			if (v[i] == current)
				continue;
			if (v[i] < current && kept < (size_t)keep) {
				kept++;
				continue;
			}
			if (v[i] > current)
				continue;
			remove_version(dir, v[i]);
			out_info("removed old version %ld (num_retained_versions: %lld)", v[i], keep);
		}
	free(v);
}

/* ---- the daemon ---------------------------------------------------------- */

/* A zombie has exited; its reaper (init, for the detached gateway) may be slow. */
static bool exited(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	if (kill(pid, 0) != 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && (p[1] == ' ') && (p[2] == 'Z' || p[2] == 'X');
}

static void wait_gone(pid_t pid, int ms)
{
	for (; ms > 0 && !exited(pid); ms -= 20) {
		int st;

		waitpid(pid, &st, WNOHANG);
		usleep(20000);
	}
}

/* The last lines of gateway.log, for errors about a gateway that died. */
static void hint_gateway_log(const char *dir, struct herr *e)
{
	char *p = local_file(dir, "gateway.log"), *s = NULL;
	size_t n = 0;

	if (path_read(p, &s, &n, NULL) == HOIST_OK && n)
		herr_hint(e, "gateway log (%s):\n%s", p, n > 2000 ? s + n - 2000 : s);
	free(s);
	free(p);
}

/*
 * Interrupted while the gateway starts: it must not go on starting behind
 * hoist's back.  It writes gateway.pid first thing; kill it and its workers.
 */
static void abort_start(const char *dir)
{
	pid_t pid = 0;

	for (int i = 0; i < 100 && !(pid = local_daemon_pid(dir)); i++)
		usleep(20000);
	if (pid) {
		kill(pid, SIGKILL);
		wait_gone(pid, 2000);
	}
	/* A worker forked just before may not be in versions/ yet: sweep again. */
	for (int i = 0; i < 5; i++) {
		local_kill_strays(dir);
		usleep(40000);
	}
}

/* Start the gateway for `dir` detached and wait for its readiness report. */
static int start_daemon(const char *dir, struct herr *e)
{
	char exe[4096], *logp = local_file(dir, "gateway.log"), *line = NULL;
	json_t *rep = NULL;
	struct sbuf b;
	int rp[2], rc = HOIST_OK, st;
	int64_t deadline = now_ms() + READY_TIMEOUT_MS;
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || pipe2(rp, O_CLOEXEC) < 0) {
		free(logp);
		return herr_set(e, HOIST_FAIL, "cannot start the gateway: %s", strerror(errno));
	}
	exe[n] = '\0';
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR), lf = open(logp, O_WRONLY | O_CREAT | O_APPEND,
							      0600);

		setsid();
		if (fork() != 0)
			_exit(0);
		if (nul < 0 || lf < 0 || dup2(nul, 0) < 0 || dup2(lf, 1) < 0 || dup2(lf, 2) < 0 ||
		    dup2(rp[1], 3) < 0)
			_exit(127);
		close_range(4, ~0U, 0);
		execl(exe, "hoist", "__daemon", "local", dir, "3", (char *)NULL);
		_exit(127);
	}
	close(rp[1]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	sbuf_init(&b);
	for (;;) {
		struct pollfd pf = { rp[0], POLLIN, 0 };
		int64_t left = deadline - now_ms();
		char buf[4096];

		if (intr_signal() || left <= 0)
			break;
		if (poll(&pf, 1, (int)left) <= 0) {
			if (errno == EINTR)
				continue;   /* an interrupt is seen at the top */
			break;
		}
		n = read(rp[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		sbuf_add(&b, buf, (size_t)n);
	}
	close(rp[0]);
	line = sbuf_detach(&b);
	rep = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	if (intr_check(e)) {
		rc = e->code;
		abort_start(dir);
		herr_hint(e, "the gateway was stopped before it served anything");
	} else if (!rep) {
		rc = herr_set(e, HOIST_FAIL, "the gateway did not start (no readiness report within "
			      "%d s)", READY_TIMEOUT_MS / 1000);
		hint_gateway_log(dir, e);
	} else if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *tb = json_string_value(json_object_get(rep, "traceback"));

		rc = herr_set(e, HOIST_FAIL, "the app failed to start: %s",
			      json_string_value(json_object_get(rep, "error")));
		if (tb)
			herr_hint(e, "%s", tb);
		wait_gone((pid_t)json_integer_value(json_object_get(rep, "pid")), 10000);
	}
	json_decref(rep);
	free(line);
	free(logp);
	return rc;
}

int local_start_daemon(const char *dir, struct herr *e)
{
	return start_daemon(dir, e);
}

/* Stop the gateway of `dir` and anything still running from its versions. */
void local_stop_daemon(const char *dir)
{
	pid_t pid = local_daemon_pid(dir);
	json_t *req = json_pack("{s:s}", "cmd", "stop"), *resp = NULL;

	if (pid) {
		if (control_call(dir, req, &resp, 5000, NULL) != HOIST_OK)
			kill(pid, SIGTERM);
		wait_gone(pid, 15000);
		if (!exited(pid)) {
			kill(pid, SIGKILL);
			wait_gone(pid, 2000);
		}
	}
	json_decref(req);
	json_decref(resp);
	local_kill_strays(dir);
}

/* ---- operations ---------------------------------------------------------- */

static char *url_of(int port, const char *stage)
{
	return xasprintf("http://127.0.0.1:%d/%s", port, stage);
}

/*
 * Zappa's touch: one GET of <url><touch_path> once the stage is live, so the
 * first visitor does not pay the cold start.  A failure is only a warning.
 */
static void touch(const struct stage *st, const char *url)
{
	const char *path = settings_str(st->settings, "touch_path") ?: "/";
	char *u;
	struct http_client *c;
	struct http_request rq = { .method = "GET", .max_attempts = 1, .what = "touch" };
	struct http_response rs;
	struct herr e2 = { 0 };

	if (!settings_bool(st->settings, "touch", true))
		return;
	u = xasprintf("%s%s", url, path);
	rq.url = u;
	rq.timeout_s = settings_int(st->settings, "timeout_seconds", 30) + 5;
	c = http_client_new();
	out_info("Touching %s", u);
	if (http_do(c, &rq, &rs, &e2))
		out_warn("touch: GET %s failed: %s", u, e2.msg);
	else if (rs.status >= 500)
		out_warn("touch: GET %s answered HTTP %ld; see 'hoist tail %s'", u, rs.status,
			 st->name);
	else
		out_info("touch: GET %s answered HTTP %ld", u, rs.status);
	http_response_free(&rs);
	herr_clear(&e2);
	http_client_free(c);
	free(u);
}

int local_deployed(const struct stage *st, char **url, struct herr *e)
{
	char *dir = local_stage_dir(st->function_name);
	json_t *state = NULL;

	*url = NULL;
	if (local_state_read(dir, &state, NULL) == HOIST_OK)
		*url = url_of((int)json_integer_value(json_object_get(state, "port")), st->name);
	json_decref(state);
	free(dir);
	return HOIST_OK;
}

int local_deploy(const struct stage *st, const struct deploy_args *a, char **url,
		 struct herr *e)
{
	char *dir = local_stage_dir(st->function_name), *python = NULL, *sp;
	int port = stage_port(st), rc;
	json_t *state = NULL;

	*url = NULL;
	sp = local_file(dir, "state.json");
	if (path_exists(sp)) {
		json_t *old = NULL;
		char *u;

		if (local_state_read(dir, &old, NULL) == HOIST_OK)
			port = (int)json_integer_value(json_object_get(old, "port"));
		json_decref(old);
		u = url_of(port, st->name);
		rc = herr_set(e, HOIST_FAIL, "stage '%s' is already deployed at %s%s", st->name, u,
			      local_daemon_pid(dir) ? "" : " (its gateway is not running)");
		herr_hint(e, "Did you mean 'hoist update %s'?", st->name);
		free(u);
		goto out;
	}
	rc = remote_env_check_file(st, e);
	if (!rc)
		rc = port_free(port, e);
	if (!rc)
		rc = pick_python(st, &python, e);
	if (rc)
		goto out;
	out_step("Unpacking the package into %s", dir);
	rc = private_tree(e);
	if (!rc)
		rc = add_version(dir, st, a->pkg, 1, e);
	if (!rc) {
		state = json_pack("{s:s, s:s, s:s?, s:i, s:s, s:i, s:b, s:I}",
				  "function_name", st->function_name, "stage", st->name,
				  "project_dir", st->project_dir, "port", port, "python", python,
				  "current", 1, "scheduled", 1, "created_ms", (json_int_t)now_ms());
		rc = local_state_write(dir, state, e);
	}
	if (!rc)
		rc = intr_check(e);
	if (!rc) {
		out_step("Starting the gateway on 127.0.0.1:%d (%s)", port, python);
		rc = start_daemon(dir, e);
	}
	if (rc) {
		local_stop_daemon(dir);
		path_rmtree(dir, NULL);
		goto out;
	}
	*url = url_of(port, st->name);
	touch(st, *url);
out:
	json_decref(state);
	free(python);
	free(sp);
	free(dir);
	return rc;
}

/* Point the running (or a restarted) gateway at version v; state.json follows. */
static int switch_to(const char *dir, json_t *state, long v, struct herr *e)
{
	json_t *req, *resp = NULL;
	long old = (long)json_integer_value(json_object_get(state, "current"));
	int rc;

	if (!local_daemon_pid(dir)) {
		out_warn("the gateway was not running; starting it");
		json_object_set_new(state, "current", json_integer(v));
		rc = local_state_write(dir, state, e);
		if (!rc)
			rc = start_daemon(dir, e);
		if (rc) {
			json_object_set_new(state, "current", json_integer(old));
			local_state_write(dir, state, NULL);
		}
		return rc;
	}
	json_object_del(state, "schedule");   /* the new version carries the file's events */
	req = json_pack("{s:s, s:I, s:O}", "cmd", "reload", "version", (json_int_t)v,
			"scheduled", json_object_get(state, "scheduled") ?: json_true());
	rc = control_call(dir, req, &resp, READY_TIMEOUT_MS, e);
	json_decref(req);
	if (rc)
		return rc;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *tb = json_string_value(json_object_get(resp, "traceback"));

		rc = herr_set(e, HOIST_FAIL, "the new version failed to start (the gateway keeps "
			      "serving version %ld): %s", old,
			      json_string_value(json_object_get(resp, "error")));
		if (tb)
			herr_hint(e, "%s", tb);
	} else {
		json_object_set_new(state, "current", json_integer(v));
		rc = local_state_write(dir, state, e);
	}
	json_decref(resp);
	return rc;
}

static int open_deployed(const struct stage *st, char **dir, json_t **state, struct herr *e)
{
	*dir = local_stage_dir(st->function_name);
	if (local_state_read(*dir, state, NULL) != HOIST_OK) {
		herr_set(e, HOIST_FAIL, "stage '%s' is not deployed on the local provider "
			 "(nothing in %s)", st->name, *dir);
		herr_hint(e, "Deploy it first: hoist deploy %s", st->name);
		free(*dir);
		*dir = NULL;
		return HOIST_FAIL;
	}
	return HOIST_OK;
}

int local_open_deployed(const struct stage *st, char **dir, json_t **state, struct herr *e)
{
	return open_deployed(st, dir, state, e);
}

/*
 * What the current version already has: 2 the same code and settings (the
 * gateway serving it, schedules on), 1 the same code, 0 different code.
 */
static int same_as_current(const char *dir, const json_t *state, const struct stage *st,
			   const struct package_info *pkg)
{
	long cur = (long)json_integer_value(json_object_get(state, "current"));
	char *vd = local_version_dir(dir, cur), *vj = xasprintf("%s.json", vd);
	json_t *old = json_load_file(vj, 0, NULL), *settings;
	const char *sha = json_string_value(json_object_get(old, "hoist_code_sha256"));
	const char *k;
	json_t *v;
	void *tmp;
	int same = 0;

	if (sha && pkg->sha256_hex[0] && !strcmp(sha, pkg->sha256_hex) && path_is_dir(vd)) {
		same = 1;
		settings = json_deep_copy(old);
		json_object_foreach_safe(settings, tmp, k, v)
			if (str_starts(k, "hoist_"))
				json_object_del(settings, k);
		if (json_equal(settings, st->settings) && local_daemon_pid(dir) &&
		    json_is_true(json_object_get(state, "scheduled")))
			same = 2;
		json_decref(settings);
	}
	json_decref(old);
	free(vd);
	free(vj);
	return same;
}

int local_update(const struct stage *st, const struct deploy_args *a, char **url,
		 struct herr *e)
{
	char *dir = NULL;
	json_t *state = NULL;
	long *vs = NULL, v;
	size_t n;
	int rc, port, same;

	*url = NULL;
	rc = remote_env_check_file(st, e);
	if (!rc)
		rc = open_deployed(st, &dir, &state, e);
	if (rc)
		return rc;
	port = (int)json_integer_value(json_object_get(state, "port"));
	if (settings_int(st->settings, "local_port", 0) > 0 &&
	    settings_int(st->settings, "local_port", 0) != port)
		out_warn("local_port changed; the gateway keeps port %d until the stage is "
			 "undeployed and deployed again", port);
	n = local_versions(dir, &vs);
	v = n ? vs[n - 1] + 1 : 1;
	free(vs);
	same = a->no_upload ? 0 : same_as_current(dir, state, st, a->pkg);
	if (same == 2) {   /* as the clouds: nothing to upload, nothing to change */
		out_step("Code and configuration unchanged: version %ld keeps serving",
			 (long)json_integer_value(json_object_get(state, "current")));
		*url = url_of(port, st->name);
		goto out;
	}
	json_object_set_new(state, "scheduled", json_true());
	if ((rc = private_tree(e)) != HOIST_OK)
		goto out;
	if (a->no_upload || same) {
		long cur = (long)json_integer_value(json_object_get(state, "current"));

		out_step("%s: version %ld keeps the code of version %ld", a->no_upload ?
			 "Configuration only (--no-upload)" : "Code unchanged", v, cur);
		rc = add_config_version(dir, st, a->pkg, cur, v, e);
	} else {
		out_step("Unpacking version %ld into %s", v, dir);
		rc = add_version(dir, st, a->pkg, v, e);
	}
	if (!rc) {
		out_step("Starting the new workers and switching over");
		rc = switch_to(dir, state, v, e);
	}
	if (rc) {
		remove_version(dir, v);
		goto out;
	}
	prune(dir, st, v);
	*url = url_of(port, st->name);
	touch(st, *url);
out:
	json_decref(state);
	free(dir);
	return rc;
}

int local_rollback(const struct stage *st, int back, char **url, struct herr *e)
{
	char *dir = NULL;
	json_t *state = NULL;
	long *vs = NULL, cur, target = 0;
	size_t n, i;
	int rc, steps = 0;

	*url = NULL;
	if (back < 1)
		return herr_set(e, HOIST_USAGE, "rollback -n needs a number of versions >= 1");
	rc = open_deployed(st, &dir, &state, e);
	if (rc)
		return rc;
	cur = (long)json_integer_value(json_object_get(state, "current"));
	n = local_versions(dir, &vs);
	for (i = n; i-- > 0 && !target;)
		if (vs[i] < cur && ++steps == back)
			target = vs[i];
	if (!target) {
		rc = herr_set(e, HOIST_FAIL, "cannot go back %d version(s) from version %ld: "
			      "only %d older version(s) are retained", back, cur, steps);
		goto out;
	}
	out_step("Rolling back from version %ld to version %ld", cur, target);
	rc = switch_to(dir, state, target, e);
	if (!rc)
		*url = url_of((int)json_integer_value(json_object_get(state, "port")), st->name);
out:
	free(vs);
	json_decref(state);
	free(dir);
	return rc;
}
