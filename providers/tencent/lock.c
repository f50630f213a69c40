/*
 * lock.c — the stage lock's marker on Tencent Cloud (provider.h,
 * core/stagelock.h): the object hoist-locks/<region>/<function>.json in the
 * stage's COS artifacts bucket (created when missing).
 *
 * COS's one conditional write is PUT Object with x-cos-forbid-overwrite:
 * true (409 FileAlreadyExists when the key exists; it has no If-Match on
 * PUT or DELETE), so:
 *
 *   - a free lock is taken by a forbid-overwrite PUT of the marker;
 *   - a stale one (core decided) is taken over by reading it (body, ETag),
 *     then claiming that very marker with a forbid-overwrite PUT of
 *     <marker>.takeover/<etag> — of the runs that read the same stale
 *     marker only one can create that key — and only the winner deletes
 *     the stale marker (after checking it is still there unchanged) and
 *     PUTs its own, again forbid-overwrite.  Claim keys stay (one per
 *     take-over; undeploy removes them); a claim over a minute old (by
 *     COS's clock) was left by a run that died mid-take-over and no longer
 *     counts — the one window where two runs could both go ahead is two of
 *     them meeting such a claim at the same instant;
 *   - release reads the marker and deletes it when it is still ours;
 *   - lock_get reads it (undeploy sweeps a marker a killed run left).
 *
 * A forbid-overwrite PUT that is retried after a lost answer finds its own
 * bytes: that is a success, not someone else's lock.
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct marker_at {
	struct tc_ctx x;
	char *bucket;
	char *key;
};

static int marker_open(struct marker_at *m, const struct stage *st, struct herr *e)
{
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = tc_ctx_open(&m->x, st, e)) != HOIST_OK)
		return rc;
	m->bucket = cos_bucket_name(&m->x);
	m->key = tc_lock_key(&m->x);
	return HOIST_OK;
}

static void marker_close(struct marker_at *m)
{
	free(m->bucket);
	free(m->key);
	tc_ctx_close(&m->x);
}

char *tc_lock_key(const struct tc_ctx *x)
{
	return xasprintf("hoist-locks/%s/%s.json", x->region, x->fn);
}

/*
 * A take-over is a few requests long: a claim older than this (by COS's
 * clock) was left by a run that died in the middle of one.
 */
#define CLAIM_DEAD_S 60

/*
 * Create key with `mark` unless it exists.  *mine: stored now, or it already
 * holds `mark` (our own earlier attempt); otherwise *age is the age of what
 * is there (-1 unknown).
 */
static int put_new(struct marker_at *m, const char *key, const char *mark, bool *mine,
		   long long *age, struct herr *e)
{
	char *body = NULL, *etag = NULL;
	bool stored;
	int rc = cos_put_new(&m->x, m->bucket, key, mark, &stored, e);

	*mine = stored;
	*age = -1;
	if (!rc && !stored) {
		rc = cos_get(&m->x, m->bucket, key, &body, &etag, age, e);
		*mine = !rc && body && !strcmp(body, mark);
	}
	free(body);
	free(etag);
	return rc;
}

/* The stored marker as *held ("" when there is none). */
static int read_held(struct marker_at *m, char **held, struct herr *e)
{
	char *etag = NULL;
	int rc = cos_get(&m->x, m->bucket, m->key, held, &etag, NULL, e);

	if (!rc && !*held)
		*held = xstrdup("");
	free(etag);
	return rc;
}

/* Take over the stale marker `replace`; *held set when that is not what is stored. */
static int take_over(struct marker_at *m, const char *mark, const char *replace, char **held,
		     struct herr *e)
{
	char *body = NULL, *etag = NULL, *claim, *tag;
	long long age;
	bool mine = false;
	int rc = cos_get(&m->x, m->bucket, m->key, &body, &etag, NULL, e);

	if (rc)
		return rc;
	if (!body || strcmp(body, replace)) {        /* gone or changed meanwhile */
		*held = body ? body : xstrdup("");
		free(etag);
		return HOIST_OK;
	}
	/* The claim key names the ETag we read: one claim per stale marker. */
	tag = xstrdup(etag);
	for (char *p = tag; *p; p++)
		if (!isalnum((unsigned char)*p))
			*p = '_';
	claim = xasprintf("%s.takeover/%s", m->key, tag);
	rc = put_new(m, claim, mark, &mine, &age, e);
	if (!rc && (mine || age >= CLAIM_DEAD_S)) {
		char *again = NULL, *etag2 = NULL;

		/* Still the stale marker we claimed?  Then it is ours to delete. */
		rc = cos_get(&m->x, m->bucket, m->key, &again, &etag2, NULL, e);
		if (!rc && again && !strcmp(again, replace) && !strcmp(etag2, etag))
			rc = cos_delete(&m->x, m->bucket, m->key, e);
		free(again);
		free(etag2);
		if (!rc)
			rc = put_new(m, m->key, mark, &mine, &age, e);
	}
	if (!rc && !mine)                            /* another run is or was faster */
		rc = read_held(m, held, e);
	free(claim);
	free(tag);
	free(body);
	free(etag);
	return rc;
}

int tc_lock_put(const struct stage *st, const char *mark, const char *replace, char **held,
		struct herr *e)
{
	struct marker_at m;
	bool mine = false;
	int rc;

	*held = NULL;
	if ((rc = marker_open(&m, st, e)) != HOIST_OK)
		return rc;
	if (replace) {
		rc = take_over(&m, mark, replace, held, e);
	} else {
		long long age;

		rc = put_new(&m, m.key, mark, &mine, &age, e);
		if (!rc && !mine)
			rc = read_held(&m, held, e);
	}
	if (rc) {
		free(*held);
		*held = NULL;
	}
	marker_close(&m);
	return rc;
}

int tc_lock_delete(const struct stage *st, const char *mark, struct herr *e)
{
	struct marker_at m;
	char *body = NULL, *etag = NULL;
	int rc;

	if ((rc = marker_open(&m, st, e)) != HOIST_OK)
		return rc;
	rc = cos_get(&m.x, m.bucket, m.key, &body, &etag, NULL, e);
	if (!rc && body && !strcmp(body, mark))
		rc = cos_delete(&m.x, m.bucket, m.key, e);
	free(body);
	free(etag);
	marker_close(&m);
	return rc;
}

int tc_lock_get(const struct stage *st, char **held, struct herr *e)
{
	struct marker_at m;
	char *etag = NULL;
	int rc;

	*held = NULL;
	if ((rc = marker_open(&m, st, e)) != HOIST_OK)
		return rc;
	rc = cos_get(&m.x, m.bucket, m.key, held, &etag, NULL, e);   /* no bucket: no marker */
	free(etag);
	marker_close(&m);
	return rc;
}
