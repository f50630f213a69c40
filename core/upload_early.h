/*
 * upload_early.h — a deploy's code object sent to the cloud's object store
 * (S3, OSS, COS) while the package's pre-flight still runs (provider.h,
 * deploy_package_built).
 *
 * On the critical path of a deploy or update with new code the pre-flight
 * (the app imported by a local Python) and the upload came one after the
 * other; now they overlap.  What makes this safe to do before the pre-flight
 * has passed (the provider sees to the first two):
 *   - only into a bucket that is there already (nothing is created), under
 *     the stage lock (taken first: another run of the stage cannot remove
 *     the object under this one, nor this one under it);
 *   - the object is only that: nothing about the stage refers to it until
 *     the pre-flight passed and the function's code is updated from it;
 *   - a refused pre-flight (or an interrupt) stops the transfer where it is
 *     (http_client_cancel) and removes the object, which may have got there
 *     all the same, so the bucket is as it was.
 * A failed early upload is only a lost head start: the usual step uploads.
 */
#ifndef HOIST_UPLOAD_EARLY_H
#define HOIST_UPLOAD_EARLY_H

#include "beside.h"
#include "err.h"

#include <stdatomic.h>
#include <stdbool.h>

struct http_client;

struct upload_early {
	struct beside job;
	struct http_client *http;                 /* what put sends on: stopped on a refusal */
	int (*put)(void *arg, struct herr *e);    /* the upload, on its thread */
	int (*drop)(void *arg, struct herr *e);   /* removes the object, on the command's */
	void (*done)(void *arg);                  /* frees what the provider's arg holds */
	void *arg;
	char *where;                              /* "oss://bucket/key", for messages */
	atomic_bool unwanted;                     /* the pre-flight refused the package */
	bool started;
	bool tried;                               /* put was called */
	int rc;                                   /* put's outcome, once joined */
	struct herr e;
};

struct stage;

/*
 * The client an upload into a bucket that is there already sends on, once
 * the stage lock is taken (its error is the one returned); *http NULL when
 * none can be had (nothing is uploaded early: the usual step does it).
 */
int upload_early_client(const struct stage *st, struct http_client **http, struct herr *e);
/*
 * Start put(arg), which sends on `http` only, beside the command, saying so
 * (`zip`, `size`, `where`: taken).  put runs muted; drop(arg) is called by
 * upload_early_end when the object must go, done(arg) (may be NULL) last.
 */
void upload_early_start(struct upload_early *u, struct http_client *http,
			int (*put)(void *arg, struct herr *e), int (*drop)(void *arg, struct herr *e),
			void (*done)(void *arg), void *arg, const char *zip,
			unsigned long long size, char *where);
/*
 * The pre-flight's verdict.  `wanted`: wait for the upload; true when the
 * object is there (else it says so: the usual step uploads again).  Not
 * wanted: stop the transfer where it is, wait, remove what may have got
 * there (an interrupt waits for that), false.  Then done(arg).  Nothing
 * started: false, and nothing is called.
 */
bool upload_early_end(struct upload_early *u, bool wanted);

#endif
