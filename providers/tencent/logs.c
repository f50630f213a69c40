/*
 * logs.c — `hoist tail` on Tencent: CLS SearchLog over the function's
 * topic (GetFunction's ClsTopicId), times in milliseconds, following
 * Context through every page until ListOver, in ascending time order.
 * PkgId/PkgLogId identify a line for the shared reading loop
 * (providers/logtail.h), which prints each line exactly once, oldest first;
 * --follow polls again from a short overlap before the newest line.
 * --filter TEXT becomes a CQL phrase query; --http / --non-http are applied
 * to the lines by the command (core/logview.c).
 * The line is SCF's SCF_Message field of LogJson (else RawLog).
 */
#include "tencent.h"

#include "../logtail.h"
#include "../provider.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The CQL query for --filter: a quoted phrase ("" and \ escaped), else everything. */
static char *query_of(const char *filter)
{
	struct sbuf b;

	if (!filter || !*filter)
		return xstrdup("*");
	sbuf_init(&b);
	sbuf_add_quoted(&b, filter);
	return sbuf_detach(&b);
}

static void add_result(struct logtail *lt, const json_t *r)
{
	json_t *doc = json_loads(tc_str(r, "LogJson") ?: "", 0, NULL);
	const char *msg = tc_str(doc, "SCF_Message") ?: tc_str(r, "RawLog") ?: "";
	char *id = xasprintf("%s/%s", tc_str(r, "PkgId") ?: "", tc_str(r, "PkgLogId") ?: "");

	logtail_add(lt, id, json_integer_value(json_object_get(r, "Time")),
		    tc_str(doc, "SCF_RequestId"), msg);
	free(id);
	json_decref(doc);
}

/* One poll: every page from the window start to now. */
static int poll_once(struct tc_ctx *x, struct logtail *lt, const char *topic,
		     const char *query, struct herr *e)
{
	long long to = (long long)time(NULL) * 1000 + 1000;
	char *context = NULL;
	bool over = false;
	int rc = HOIST_OK;

	while (!rc && !over) {
		json_t *res = NULL, *r;
		size_t i;

		rc = cls_search(x, topic, logtail_start(lt), to, query, &context, &res, &over, e);
		json_array_foreach(res, i, r)
			add_result(lt, r);
		json_decref(res);
	}
	free(context);
	if (!rc)
		logtail_flush(lt);
	return rc;
}

int tc_tail(const struct stage *st, const struct tail_args *a, struct herr *e)
{
	struct tc_ctx x;
	struct logtail lt;
	json_t *fn = NULL;
	char *query = query_of(a->filter);
	const char *topic;
	int rc;

	if ((rc = tc_ctx_open(&x, st, e)) != HOIST_OK) {
		free(query);
		return rc;
	}
	logtail_init(&lt, a);
	rc = scf_get(&x, NULL, &fn, e);
	if (!rc && !fn)
		rc = tc_not_deployed(&x, e);
	topic = tc_str(fn, "ClsTopicId");
	if (!rc && (!topic || !*topic)) {
		rc = herr_set(e, HOIST_FAIL, "SCF function %s ships no logs to CLS (no ClsTopicId)",
			      x.fn);
		herr_hint(e, "'hoist update %s' sets up its CLS topic", st->name);
	}
	while (!rc) {
		rc = poll_once(&x, &lt, topic, query, e);
		if (rc || lt.stop || !a->follow)
			break;
		logtail_pause();
	}
	logtail_free(&lt);
	json_decref(fn);
	free(query);
	tc_ctx_close(&x);
	return rc;
}
