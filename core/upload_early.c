/*
 * upload_early.c — the code object uploaded while the pre-flight runs
 * (upload_early.h): the thread, the stop on a refusal, the clean-up.
 */
#include "upload_early.h"

#include "http.h"
#include "interrupt.h"
#include "log.h"
#include "path.h"
#include "stagelock.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>

static void run(void *p)
{
	struct upload_early *u = p;

	out_mute_thread();   /* the command said what it does; it reports the outcome */
	if (atomic_load(&u->unwanted)) {   /* no thread of its own: run in the join, too late */
		u->rc = herr_set(&u->e, HOIST_FAIL, "not wanted any more");
	} else {
		u->tried = true;
		u->rc = u->put(u->arg, &u->e);
	}
}

int upload_early_client(const struct stage *st, struct http_client **http, struct herr *e)
{
	int rc;

	if (!(*http = http_client_new()))
		return HOIST_OK;
	if ((rc = stage_before_write(st, e)) != HOIST_OK) {
		http_client_free(*http);
		*http = NULL;
	}
	return rc;
}

void upload_early_start(struct upload_early *u, struct http_client *http,
			int (*put)(void *arg, struct herr *e), int (*drop)(void *arg, struct herr *e),
			void (*done)(void *arg), void *arg, const char *zip,
			unsigned long long size, char *where)
{
	char sz[32];

	memset(u, 0, sizeof(*u));
	u->http = http;
	u->put = put;
	u->drop = drop;
	u->done = done;
	u->arg = arg;
	u->where = where;
	out_step("Uploading %s to %s (%s) while the pre-flight runs", path_base(zip), where,
		 str_size(size, sz, sizeof(sz)));
	beside_start(&u->job, run, u);
	u->started = true;
}

bool upload_early_end(struct upload_early *u, bool wanted)
{
	struct herr e2 = { 0 };
	bool sent;

	if (!u->started)
		return false;
	if (!wanted) {
		atomic_store(&u->unwanted, true);
		http_client_cancel(u->http);
	}
	beside_join(&u->job);
	sent = u->rc == HOIST_OK;
	if (!sent && wanted)
		out_info("the upload made while the pre-flight ran did not finish (%s): "
			 "uploading again", u->e.msg);
	/*
	 * Nothing may refer to it: the bucket as it was.  A transfer stopped
	 * after its last byte may still be stored, so the object is removed
	 * whenever the upload was tried (removing an absent one is no error).
	 */
	if (u->tried && !wanted) {
		intr_defer(true);
		if (u->drop(u->arg, &e2) != HOIST_OK)
			out_warn("could not remove %s: %s", u->where, e2.msg);
		intr_defer(false);
		sent = false;
	}
	herr_clear(&u->e);
	free(u->where);
	u->where = NULL;
	u->started = false;
	if (u->done)
		u->done(u->arg);
	return sent;
}
