/*
 * stagelock.h — the stage lock: one run at a time may change a stage.
 *
 * Two parts, both taken for the commands that write (cli/stage_ops.c
 * decides which):
 *
 *   - a local lock: an flock(2) on <state>/hoist/locks/<provider>-<function>
 *     [-<region>].lock (0600, directory 0700), taken before anything else and
 *     released by the kernel whatever way hoist ends.  The file holds the
 *     holder's marker so a refused run can say who and since when.
 *
 *   - a provider-side marker, for runs on other machines (CI runners): a
 *     small JSON document the provider stores under the stage's lock name
 *     (struct provider's lock_put / lock_delete, see provider.h), taken
 *     lazily just before the first call that changes something (providers
 *     call stage_before_write) — so a run that changes nothing writes
 *     nothing, not even the marker — and deleted at the end.  A marker
 *     whose expiry passed (HOIST_LOCK_TTL seconds after it was taken,
 *     default 3600), or left by a run on this machine whose process is gone
 *     (SIGKILL, power loss), is taken over with a warning; --force-unlock
 *     takes over any marker.
 *
 * A refused run changes nothing and fails with
 *   "stage dev is being changed by another run since <time> (<who>); wait
 *    or use --force-unlock".
 */
#ifndef HOIST_STAGELOCK_H
#define HOIST_STAGELOCK_H

#include <stdbool.h>

struct herr;
struct stage;

/*
 * Provider-side marker storage (struct provider's lock_put / lock_delete).
 * put: store `mark` if the stage has no marker (replace == NULL), or in
 *      place of the stored marker only if it is still byte-identical to
 *      `replace`; both atomically.  HOIST_OK with *held = NULL: stored.
 *      HOIST_OK with *held = the marker found (allocated; "" if it vanished
 *      before it could be read): not stored.  Otherwise an error.
 * del: delete the stored marker only if it is still `mark`; absent is fine.
 */
typedef int (*stage_lock_put_fn)(const struct stage *st, const char *mark, const char *replace,
				 char **held, struct herr *e);
typedef int (*stage_lock_del_fn)(const struct stage *st, const char *mark, struct herr *e);
/* get: the stored marker (allocated) or NULL; creates nothing. */
typedef int (*stage_lock_get_fn)(const struct stage *st, char **held, struct herr *e);

enum stage_marker { MARKER_NONE, MARKER_ARMED, MARKER_TAKING, MARKER_HELD, MARKER_RELEASING };

struct stage_lock {
	const struct stage *st;
	const char *command;     /* "deploy" */
	bool force;              /* --force-unlock */
	char *path;              /* the local lock file */
	int fd;                  /* holds the flock, or -1 */
	char *mark;              /* this run's marker (JSON) */
	stage_lock_put_fn put;   /* NULL: the provider has no marker (local) */
	stage_lock_del_fn del;
	stage_lock_get_fn get;
	enum stage_marker marker;
	bool sweep;              /* release: remove a marker a dead run left (undeploy) */
};

/*
 * Take the local lock of `st` for `command` and arm the provider marker
 * (taken by the first stage_before_write).  On success st->lock points to
 * `l` until stage_lock_release.  HOIST_FAIL when another run holds it.
 */
int stage_lock_take(struct stage_lock *l, struct stage *st, const char *provider,
		    const char *command, bool force, stage_lock_put_fn put, stage_lock_del_fn del,
		    stage_lock_get_fn get, struct herr *e);

/*
 * Delete the marker if it was taken (a failure is a warning), drop the local
 * lock.  With l->sweep set (a successful undeploy: nothing of the stage may
 * be left) a marker this run did not take, left by a run that is gone
 * (expired, or its process on this machine dead), is deleted too.
 */
void stage_lock_release(struct stage_lock *l);

/*
 * Providers: call before each request that changes something of the stage.
 * Takes the provider marker the first time; HOIST_OK when the stage has no
 * lock (read-only commands) or it is held.
 */
int stage_before_write(const struct stage *st, struct herr *e);

/* Will the next stage_before_write take the marker (armed, not yet taken)? */
bool stage_lock_pending(const struct stage *st);

#endif
