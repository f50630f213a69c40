/*
 * package_job.h — the package of a deploy or update, built beside the
 * provider's first calls (package_job.c).
 */
#ifndef HOIST_PACKAGE_JOB_H
#define HOIST_PACKAGE_JOB_H

#include "../core/err.h"
#include "../core/package.h"

#include <stdbool.h>
#include <stdio.h>

struct provider;
struct stage;

struct preflight;

struct package_job {
	struct package_info pi;   /* the package, once package_job_wait succeeded */
	bool preflight;           /* pre-flight the files while they are compressed */
	struct preflight *pf;     /* that pre-flight, while it runs (in the builder) */
	struct preflight *pf_after;   /* decided: its clean-up, once the answer is given */
	struct preflight *pf_early;   /* its Python, started before the files are listed */
	bool pf_done;             /* it ran to an outcome: pf_rc, pf_e (once waited) */
	int pf_rc;
	struct herr pf_e;
	char *tmpdir;             /* where it is built (removed by package_job_done) */
	int pid;                  /* the child building it; 0 once reaped or never forked */
	FILE *answer;             /* the child's package_info, as JSON */
	FILE *pf_answer;          /* then its pre-flight's outcome, as JSON ({}: none) */
	int ready;                /* the parent's read end of the child's "answered" pipe, else -1 */
	char said;                /* what the child said last through it: 'b'uilt, 'a'nswered */
	bool built, waited;
	int go, hold;             /* held: the child's read end, the parent's write end, else -1 */
	int rc;                   /* packaging's outcome, once waited */
	struct herr e;
};

/*
 * Start the stage's package: `zip` when given (--zip FILE), else a fresh one
 * in a temporary directory, using the package cache when `cache`.  With
 * `beside`, it is built in a child process while the caller goes on (the
 * provider's reads); else here, before returning.  With `preflight`, the
 * pre-flight (core/preflight.c) imports the app from the files while they
 * are compressed and j->pf_done says it decided (not for --zip).  An error
 * here is one that stops everything at once (no temporary directory, --zip
 * missing).  `held` (beside only): the child starts the pre-flight's Python
 * and then waits, showing nothing, for package_job_go, so that a check the
 * caller makes meanwhile (deploy: is the stage deployed already?) can still
 * refuse the stage before anything is packaged: package_job_done without a
 * go stops it unseen.
 */
int package_job_start(struct package_job *j, const struct stage *st, const struct provider *p,
		      const char *zip, bool cache, bool beside, bool preflight, bool held,
		      struct herr *e);

/* Let a held child go on ("Packaging …"); nothing when it is not held. */
void package_job_go(struct package_job *j, const struct stage *st);

/*
 * The package, built: HOIST_OK with j->pi filled, or packaging's error (the
 * same on every call).  Its pre-flight may still be running.
 */
int package_job_built(struct package_job *j, struct herr *e);

/*
 * The package and its pre-flight: package_job_built's answer, then the
 * pre-flight's outcome in pf_done, pf_rc, pf_e.
 */
int package_job_wait(struct package_job *j, struct herr *e);

/* Stop the child if it still runs, remove the temporary directory, free j->pi. */
void package_job_done(struct package_job *j);

#endif
