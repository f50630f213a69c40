/*
 * beside.h — a call run on a thread of its own, beside what the caller does
 * meanwhile: the independent reads of a provider made at once rather than
 * one after another (against a cloud each is a round trip; side by side
 * they cost the longest of them).
 *
 * The thread blocks SIGINT, SIGTERM and SIGHUP, so the handlers run on the
 * caller's thread, whose calls they interrupt; the call sees the signal at
 * its own safe points (interrupt.h).  When no thread can be had, the call
 * runs in beside_join, on the caller's thread: later, never different.
 * What the call touches must be its own until beside_join returns.
 */
#ifndef HOIST_BESIDE_H
#define HOIST_BESIDE_H

#include <pthread.h>
#include <stdbool.h>

struct beside {
	void (*fn)(void *arg);
	void *arg;
	pthread_t thread;
	bool running;   /* on its thread (else beside_join runs it) */
};

/* Start fn(arg) beside the caller. */
void beside_start(struct beside *b, void (*fn)(void *arg), void *arg);
/* Wait for it (or run it now): when this returns, fn has returned. */
void beside_join(struct beside *b);

#endif
