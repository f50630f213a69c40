/*
 * sls.c — Simple Log Service (API 0.6.0, "LOG"-signed): the project and
 * logstore the function's logConfig names (FC answers 400 for a missing
 * one, so they are created first), the full-text index queries need, log
 * queries (GetLogs, repeated while SLS reports the query Incomplete) and
 * counts (GetHistograms: the 24-hour invocations and errors of `status`,
 * from FC's request-metrics lines).
 *
 * Names: sls_project, else hoist-<account>-<region> (project names are
 * unique across all of SLS, hence the account id); sls_logstore, else the
 * function name.  Each stage has its own logstore in the shared project.
 */
#include "aliyun.h"

#include "../../core/clock.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define INCOMPLETE_TRIES 20

int sls_names(struct ali_ctx *x, char **project, char **logstore, struct herr *e)
{
	const char *p = settings_str(x->st->settings, "sls_project");
	const char *l = settings_str(x->st->settings, "sls_logstore"), *acct;
	int rc;

	*project = *logstore = NULL;
	if (!p && (rc = ali_account_id(x, &acct, e)) != HOIST_OK)
		return rc;
	*project = p ? xstrdup(p) : xasprintf("hoist-%s-%s", acct, x->region);
	*logstore = xstrdup(l ? l : x->st->function_name);
	return HOIST_OK;
}

static int sls_do(struct ali_ctx *x, struct ali_call *c, const char *absent, json_t **out,
		  struct ali_result *keep, struct herr *e)
{
	struct ali_result r;
	int rc;

	if (out)
		*out = NULL;
	c->svc = &ali_sls;
	rc = ali_do(&x->client, c, &r, e);
	if (rc && absent && ali_error_is(&r, absent)) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc && out) {
		*out = json_incref(r.data);
	}
	if (keep)
		*keep = r;
	else
		ali_result_free(&r);
	return rc;
}

static char *logstore_path(const char *logstore, const char *rest)
{
	char *l = ali_path_escape(logstore), *p = xasprintf("/logstores/%s%s", l, rest ? rest : "");

	free(l);
	return p;
}

static int ensure_project(struct ali_ctx *x, const char *project, struct herr *e)
{
	struct ali_call get = { .action = "GetProject", .method = "GET", .path = "/",
				.project = project };
	json_t *have = NULL, *body;
	int rc = sls_do(x, &get, "ProjectNotExist", &have, NULL, e);

	if (rc || have) {
		json_decref(have);
		return rc;
	}
	out_step("Creating SLS project %s", project);
	body = json_pack("{s:s, s:s}", "projectName", project, "description",
			 "Function Compute logs of hoist stages");
	{
		struct ali_call c = { .action = "CreateProject", .method = "POST", .path = "/",
				      .json = body };

		rc = sls_do(x, &c, "ProjectAlreadyExist", NULL, NULL, e);
	}
	json_decref(body);
	return rc;
}

static int ensure_logstore(struct ali_ctx *x, const char *project, const char *logstore,
			   struct herr *e)
{
	char *path = logstore_path(logstore, NULL);
	struct ali_call get = { .action = "GetLogStore", .method = "GET", .path = path,
				.project = project };
	json_t *have = NULL, *body;
	int rc = sls_do(x, &get, "LogStoreNotExist", &have, NULL, e);

	free(path);
	if (rc || have) {
		json_decref(have);
		return rc;
	}
	out_step("Creating SLS logstore %s/%s", project, logstore);
	body = json_pack("{s:s, s:i, s:i, s:b, s:i}", "logstoreName", logstore, "ttl", 30,
			 "shardCount", 2, "autoSplit", 1, "maxSplitShard", 64);
	{
		struct ali_call c = { .action = "CreateLogStore", .method = "POST",
				      .path = "/logstores", .json = body, .project = project };

		rc = sls_do(x, &c, "LogStoreAlreadyExist", NULL, NULL, e);
	}
	json_decref(body);
	return rc;
}

/* The full-text index queries need (tail --filter, the FCLogs topic). */
static int ensure_index(struct ali_ctx *x, const char *project, const char *logstore,
			struct herr *e)
{
	char *path = logstore_path(logstore, "/index");
	struct ali_call get = { .action = "GetIndex", .method = "GET", .path = path,
				.project = project };
	json_t *have = NULL, *body;
	int rc = sls_do(x, &get, "IndexConfigNotExist", &have, NULL, e);

	if (rc || have) {
		json_decref(have);
		free(path);
		return rc;
	}
	out_info("creating the full-text index of %s/%s", project, logstore);
	body = json_pack("{s:{s:[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s], s:b, s:b}}",
			 "line", "token", ",", " ", "'", "\"", ";", "=", "(", ")", "[", "]", "{",
			 "}", "?", "@", "&", "<", ">", "/", ":", "\n", "\t", "\r",
			 "caseSensitive", 0, "chn", 0);
	{
		struct ali_call c = { .action = "CreateIndex", .method = "POST", .path = path,
				      .json = body, .project = project };

		rc = sls_do(x, &c, "IndexAlreadyExist", NULL, NULL, e);
	}
	json_decref(body);
	free(path);
	return rc;
}

int sls_ensure_step(struct ali_ctx *x, const char *project, const char *logstore,
		    enum sls_step step, struct herr *e)
{
	switch (step) {
	case SLS_PROJECT:
		return ensure_project(x, project, e);
	case SLS_LOGSTORE:
		return ensure_logstore(x, project, logstore, e);
	default:
		return ensure_index(x, project, logstore, e);
	}
}

int sls_ensure(struct ali_ctx *x, const char *project, const char *logstore, struct herr *e)
{
	int rc = HOIST_OK;

	for (enum sls_step s = SLS_PROJECT; !rc && s <= SLS_INDEX; s++)
		rc = sls_ensure_step(x, project, logstore, s, e);
	return rc;
}

/* A GET repeated while x-log-progress says Incomplete; *out the last complete answer. */
static int complete_get(struct ali_ctx *x, struct ali_call *c, json_t **out, struct herr *e)
{
	for (int n = 0;; n++) {
		struct ali_result r;
		const char *progress;
		int rc = sls_do(x, c, NULL, NULL, &r, e);

		if (rc) {
			ali_result_free(&r);
			return rc;
		}
		progress = http_headers_get(&r.headers, "x-log-progress");
		if (!progress || strcmp(progress, "Incomplete") || n >= INCOMPLETE_TRIES) {
			if (progress && !strcmp(progress, "Incomplete"))
				out_warn("SLS %s stayed Incomplete after %d tries; using what it "
					 "returned", c->action, n + 1);
			*out = json_incref(r.data);
			ali_result_free(&r);
			return HOIST_OK;
		}
		ali_result_free(&r);
		out_debug("SLS %s: Incomplete, asking again", c->action);
		clock_sleep_ms(n ? 100L * n : 0);
	}
}

int sls_get_logs(struct ali_ctx *x, const char *project, const char *logstore, long long from,
		 long long to, const char *query, long long offset, int line, json_t **logs,
		 struct herr *e)
{
	char *path = logstore_path(logstore, NULL), f[24], t[24], o[24], l[8];
	json_t *q;
	int rc;

	snprintf(f, sizeof(f), "%lld", from);
	snprintf(t, sizeof(t), "%lld", to);
	snprintf(o, sizeof(o), "%lld", offset);
	snprintf(l, sizeof(l), "%d", line);
	q = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "log", "from", f, "to", t,
		      "query", query ? query : "*", "line", l, "offset", o, "reverse", "false");
	{
		struct ali_call c = { .action = "GetLogs", .method = "GET", .path = path,
				      .query = q, .project = project };

		rc = complete_get(x, &c, logs, e);
	}
	if (!rc && !json_is_array(*logs)) {
		json_decref(*logs);
		*logs = NULL;
		rc = herr_set(e, HOIST_FAIL, "SLS GetLogs on %s/%s: the answer is not a list of logs",
			      project, logstore);
	}
	json_decref(q);
	free(path);
	return rc;
}

int sls_count(struct ali_ctx *x, const char *project, const char *logstore, long long from,
	      long long to, const char *query, long long *count, struct herr *e)
{
	char *path = logstore_path(logstore, "/index"), f[24], t[24];
	json_t *q, *buckets = NULL, *b;
	size_t i;
	int rc;

	*count = 0;
	snprintf(f, sizeof(f), "%lld", from);
	snprintf(t, sizeof(t), "%lld", to);
	q = json_pack("{s:s, s:s, s:s, s:s}", "type", "histogram", "from", f, "to", t, "query",
		      query);
	{
		struct ali_call c = { .action = "GetHistograms", .method = "GET", .path = path,
				      .query = q, .project = project };

		rc = complete_get(x, &c, &buckets, e);
	}
	json_array_foreach(buckets, i, b)
		*count += json_integer_value(json_object_get(b, "count"));
	json_decref(buckets);
	json_decref(q);
	free(path);
	return rc;
}

int sls_remove(struct ali_ctx *x, bool *removed, struct herr *e)
{
	char *project = NULL, *logstore = NULL, *path;
	json_t *left = NULL;
	int rc;

	*removed = false;
	if ((rc = sls_names(x, &project, &logstore, e)) != HOIST_OK)
		return rc;
	path = logstore_path(logstore, NULL);
	{
		struct ali_call get = { .action = "GetLogStore", .method = "GET", .path = path,
					.project = project };
		json_t *have = NULL;

		rc = sls_do(x, &get, "LogStoreNotExist", &have, NULL, e);
		if (!rc && !have) {
			herr_clear(e);
		} else if (!rc) {
			struct ali_call del = { .action = "DeleteLogStore", .method = "DELETE",
						.path = path, .project = project };

			rc = sls_do(x, &del, "LogStoreNotExist", NULL, NULL, e);
			*removed = !rc;
		}
		json_decref(have);
	}
	/* The project is hoist's own (no sls_project): drop it once no logstore is left. */
	if (!rc && !settings_str(x->st->settings, "sls_project")) {
		struct ali_call list = { .action = "ListLogStores", .method = "GET",
					 .path = "/logstores", .project = project };

		rc = sls_do(x, &list, "ProjectNotExist", &left, NULL, e);
		if (!rc && left && !json_array_size(json_object_get(left, "logstores"))) {
			struct ali_call del = { .action = "DeleteProject", .method = "DELETE",
						.path = "/", .project = project };

			rc = sls_do(x, &del, "ProjectNotExist", NULL, NULL, e);
			if (!rc)
				out_step("Deleted SLS project %s (no logstore left)", project);
		}
	}
	json_decref(left);
	free(path);
	free(project);
	free(logstore);
	return rc;
}
