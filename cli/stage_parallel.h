/*
 * stage_parallel.h — running --all's stages side by side (stage_parallel.c).
 */
#ifndef HOIST_STAGE_PARALLEL_H
#define HOIST_STAGE_PARALLEL_H

#include <stddef.h>

struct herr;
struct stage;
struct stage_cmd;
struct stage_result;

/* Called in the parent as each stage finishes, with its result (the callee owns r->doc). */
typedef void (*stage_done_fn)(size_t idx, struct stage_result *r, void *arg);

/*
 * Run sc on stages[0..n) in child processes, at most `jobs` at a time,
 * their stderr shown prefixed (terminal) or grouped per stage (otherwise);
 * done() gets each result.  HOIST_OK, or an error when a stage could not be
 * started (those not started get no done() call); an interrupt stops
 * starting new ones.
 */
int cli_stages_parallel(const struct stage_cmd *sc, void *ctx, struct stage *stages, size_t n,
			int jobs, stage_done_fn done, void *arg, struct herr *e);

#endif
