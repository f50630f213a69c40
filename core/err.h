/*
 * err.h — errors as values.
 *
 * Every function below cli/ that can fail takes a `struct herr *` and returns
 * an int status: HOIST_OK (0) on success, otherwise the exit status the error
 * deserves (HOIST_FAIL, HOIST_USAGE, HOIST_INTERRUPTED).  The message names
 * what failed, why, and what to do; cli/ prints it and exits with the code.
 */
#ifndef HOIST_ERR_H
#define HOIST_ERR_H

#include <stddef.h>

enum hoist_status {
	HOIST_OK = 0,
	HOIST_FAIL = 1,        /* the operation failed: provider, network, timeout */
	HOIST_USAGE = 2,       /* usage or settings error: nothing was changed */
	HOIST_INTERRUPTED = 130,
};

struct herr {
	int code;
	char msg[16384];   /* room for every problem of a settings file */
};

/* Record an error and return its code (so `return herr_set(e, ...)` works). */
int herr_set(struct herr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend context to an existing message ("deploy dev: " + old message). */
int herr_prefix(struct herr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append a line ("\n" + text), e.g. a hint on what to do next. */
int herr_hint(struct herr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void herr_clear(struct herr *e);

#endif
