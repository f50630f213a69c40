/*
 * local.c — the local provider's descriptor and its small operations:
 * status, schedule/unschedule, invoke, request, undeploy, and the hidden daemon
 * entry.  deploy/update/rollback live in deploy.c, tail in tail.c, certify
 * in tls.c; the gateway process in daemon.c and the files it names.
 */
#include "local.h"

#include "../provider.h"
#include "../request.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void local_kill_strays(const char *dir)
{
	char *prefix = xasprintf("%s/versions/", dir), link[4096], buf[64];
	DIR *d = opendir("/proc");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		long pid = strtol(de->d_name, NULL, 10);
		ssize_t n;

		if (pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(buf, sizeof(buf), "/proc/%ld/cwd", pid);
		n = readlink(buf, link, sizeof(link) - 2);
		if (n <= 0)
			continue;
		link[n] = '/';
		link[n + 1] = '\0';
		if (str_starts(link, prefix))
			kill((pid_t)pid, SIGKILL);
	}
	if (d)
		closedir(d);
	free(prefix);
}

static int local_status(const struct stage *st, json_t **status, struct herr *e)
{
	char *dir = NULL;
	json_t *state = NULL, *req, *resp = NULL;
	int rc;

	*status = NULL;
	rc = local_open_deployed(st, &dir, &state, e);
	if (rc)
		return rc;
	if (local_daemon_pid(dir)) {
		req = json_pack("{s:s}", "cmd", "status");
		rc = control_call(dir, req, &resp, 10000, e);
		json_decref(req);
		if (rc)
			goto out;
		json_object_del(resp, "ok");
		json_object_set_new(resp, "state", json_string("running"));
	} else {
		resp = json_pack("{s:s, s:O, s:b}", "state", "stopped",
				 "version", json_object_get(state, "current"),
				 "scheduled", json_is_true(json_object_get(state, "scheduled")));
		json_object_set_new(resp, "url", json_sprintf("http://127.0.0.1:%d/%s",
			(int)json_integer_value(json_object_get(state, "port")), st->name));
	}
	json_object_set_new(resp, "provider", json_string("local"));
	json_object_set_new(resp, "stage", json_string(st->name));
	json_object_set_new(resp, "function", json_string(st->function_name));
	json_object_set_new(resp, "directory", json_string(dir));
	json_object_set(resp, "python", json_object_get(state, "python"));
	if (json_is_string(json_object_get(state, "https_url")))
		json_object_set(resp, "https_url", json_object_get(state, "https_url"));
	*status = resp;
	resp = NULL;
out:
	json_decref(resp);
	json_decref(state);
	free(dir);
	return rc;
}

/*
 * schedule (on) takes the events and keep_warm of the settings file, as a
 * cloud's rules are made from the file, not from the deployed version.
 */
static int set_scheduled(const struct stage *st, bool on, struct herr *e)
{
	char *dir = NULL;
	json_t *state = NULL, *req, *resp = NULL, *events = NULL;
	int rc;

	rc = local_open_deployed(st, &dir, &state, e);
	if (rc)
		return rc;
	json_object_set_new(state, "scheduled", json_boolean(on));
	if (on) {
		events = json_pack("{s:O?, s:O?, s:O?}", "events",
				   json_object_get(st->settings, "events"), "keep_warm",
				   json_object_get(st->settings, "keep_warm"), "keep_warm_expression",
				   json_object_get(st->settings, "keep_warm_expression"));
		json_object_set(state, "schedule", events);
	}
	rc = local_state_write(dir, state, e);
	if (!rc && local_daemon_pid(dir)) {
		req = json_pack("{s:s, s:b, s:O?}", "cmd", "schedule", "enabled", on,
				"settings", events);
		rc = control_call(dir, req, &resp, 10000, e);
		json_decref(req);
	}
	json_decref(resp);
	json_decref(events);
	json_decref(state);
	free(dir);
	return rc;
}

static int local_schedule(const struct stage *st, json_t **scheduled, struct herr *e)
{
	json_t *status = NULL;
	int rc;

	*scheduled = NULL;
	rc = set_scheduled(st, true, e);
	if (!rc)
		rc = local_status(st, &status, e);
	if (!rc)
		*scheduled = json_incref(json_object_get(status, "schedules"));
	json_decref(status);
	return rc;
}

static int local_unschedule(const struct stage *st, struct herr *e)
{
	return set_scheduled(st, false, e);
}

static json_t *invoke_event(const struct invoke_args *a, struct herr *e)
{
	json_t *ev;
	json_error_t je;

	if (a->payload) {
		ev = json_loads(a->payload, JSON_DECODE_ANY, &je);
		if (!ev)
			herr_set(e, HOIST_USAGE, "--payload is not valid JSON: %s (column %d)", je.text,
				 je.column);
		return ev;
	}
	if (a->raw)
		return json_pack("{s:s}", "raw_command", a->raw);
	if (a->manage)
		return json_pack("{s:s}", "manage", a->manage);
	if (a->function)
		return json_pack("{s:s}", "command", a->function);
	herr_set(e, HOIST_USAGE, "nothing to invoke: give module.function, --raw or --payload");
	return NULL;
}

static int local_invoke(const struct stage *st, const struct invoke_args *a, json_t **result,
			struct herr *e)
{
	char *dir = NULL;
	json_t *state = NULL, *ev, *req, *resp = NULL;
	long long timeout = settings_int(st->settings, "timeout_seconds", 30);
	int rc;

	*result = NULL;
	ev = invoke_event(a, e);
	if (!ev)
		return e->code;
	rc = local_open_deployed(st, &dir, &state, e);
	if (rc)
		goto out;
	if (!local_daemon_pid(dir)) {
		rc = herr_set(e, HOIST_FAIL, "the gateway of stage '%s' is not running", st->name);
		herr_hint(e, "Start it again with 'hoist update %s'.", st->name);
		goto out;
	}
	req = json_pack("{s:s, s:O}", "cmd", "invoke", "event", ev);
	rc = control_call(dir, req, &resp, (int)(timeout + 15) * 1000 * 2, e);
	json_decref(req);
	if (rc)
		goto out;
	if (json_is_true(json_object_get(resp, "ok"))) {
		*result = json_incref(json_object_get(resp, "result"));
	} else {
		json_t *r = json_object_get(resp, "result");
		const char *tb = json_string_value(json_object_get(r, "traceback"));

		rc = herr_set(e, HOIST_FAIL, "invoke failed: %s",
			      json_string_value(json_object_get(resp, "error")));
		if (tb)
			herr_hint(e, "%s", tb);
	}
out:
	json_decref(resp);
	json_decref(state);
	json_decref(ev);
	free(dir);
	return rc;
}

static int local_undeploy(const struct stage *st, const struct undeploy_args *a,
			  struct herr *e)
{
	char *dir = local_stage_dir(st->function_name);
	int rc;

	(void)a;
	if (!path_exists(dir)) {
		rc = herr_set(e, HOIST_FAIL, "stage '%s' is not deployed on the local provider "
			      "(nothing in %s)", st->name, dir);
		free(dir);
		return rc;
	}
	out_step("Stopping the gateway of %s", st->name);
	local_stop_daemon(dir);
	out_step("Removing %s", dir);
	rc = path_rmtree(dir, e);
	free(dir);
	return rc;
}

/* hoist request: the gateway's plain-HTTP URL (nothing to sign on local). */
static int local_request(const struct stage *st, const struct request_args *a,
			 struct http_response *rs, struct herr *e)
{
	char *dir = NULL, *base;
	json_t *state = NULL;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (a->app_code)
		return herr_set(e, HOIST_USAGE, "--app-code is for Alibaba API Gateway stages; "
				"stage %s runs on the local provider", st->name);
	rc = local_open_deployed(st, &dir, &state, e);
	if (rc)
		return rc;
	if (!local_daemon_pid(dir)) {
		rc = herr_set(e, HOIST_FAIL, "the local gateway of stage %s is not running",
			      st->name);
		herr_hint(e, "'hoist update %s' starts it again", st->name);
	} else {
		base = xasprintf("http://127.0.0.1:%d/%s",
				 (int)json_integer_value(json_object_get(state, "port")), st->name);
		rc = request_send(a, &(struct request_how){ .base_url = base,
			.timeout_s = settings_int(st->settings, "timeout_seconds", 30) + 5 }, rs, e);
		free(base);
	}
	json_decref(state);
	free(dir);
	return rc;
}

static int local_daemon(int argc, char **argv)
{
	return local_daemon_main(argc, argv);
}

const struct provider local_provider = {
	.name = "local",
	/*
	 * The gateway runs packages as API Gateway + Lambda would, so their limits:
	 * 262,144,000 bytes unzipped (no slim bundle here), and responses up to
	 * LOCAL_MAX_RESPONSE (workers.c).
	 */
	.limits = { .unzipped = 262144000ULL },
	.deploy = local_deploy,
	.deployed = local_deployed,
	.update = local_update,
	.status = local_status,
	.tail = local_tail,
	.schedule = local_schedule,
	.unschedule = local_unschedule,
	.certify = local_certify,
	.invoke = local_invoke,
	.rollback = local_rollback,
	.undeploy = local_undeploy,
	.request = local_request,
	.daemon = local_daemon,
};
