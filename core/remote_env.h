/*
 * remote_env.h — Zappa's remote_env: a JSON object of strings kept outside
 * the settings (S3, OSS, COS, or a file for local) that the handler merges
 * into the environment at cold start.  Deploy checks it first, so a typo in
 * the URL or a broken file is an exit-2 settings error, never a function
 * that starts without its configuration.
 */
#ifndef HOIST_REMOTE_ENV_H
#define HOIST_REMOTE_ENV_H

#include <stddef.h>

struct herr;
struct stage;

#define REMOTE_ENV_MAX (1024 * 1024)   /* bytes: an environment, not a data file */

/*
 * Is `data` (what `where` holds) a JSON object whose values are strings and
 * whose names can be environment variables?  HOIST_USAGE naming what is wrong.
 */
int remote_env_check(const char *where, const char *data, size_t len, struct herr *e);

/*
 * The provider refused to read remote_env `url` (a 4xx, e saying why): e
 * becomes the exit-2 settings error naming it, with what to do.
 */
int remote_env_unreadable(const struct stage *st, const char *url, const char *region,
			  struct herr *e);

/* local: the stage's remote_env file (relative to the project directory), checked. */
int remote_env_check_file(const struct stage *st, struct herr *e);

#endif
