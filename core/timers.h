/*
 * timers.h — the timers a stage asks for, whatever the cloud: every
 * `events` entry with `expression` or `expressions` (one timer per
 * expression: the second and further get "-2", "-3"… after the event name),
 * then keep_warm (unless false) with keep_warm_expression, each with the
 * payload the handler reads (templates/python/README.md):
 *
 *   {"hoist_event": {"name": "<event>", "function": "mod.func", "kwargs": {…}}}
 *   {"hoist_event": {"name": "keep_warm", "keep_warm": true}}
 *
 * Providers translate the expression and name the timer their own way.
 */
#ifndef HOIST_TIMERS_H
#define HOIST_TIMERS_H

#include <jansson.h>

struct herr;
struct stage;

/*
 * *list (new reference): [{"event", "suffix", "expression", "description",
 * "enabled", "payload"}] in settings order, keep_warm last (suffix
 * "keep_warm").  HOIST_USAGE when two timers would get the same suffix.
 */
int timers_wanted(const struct stage *st, json_t **list, struct herr *e);

/* The next fire time of an AWS-style expression after now, ISO 8601 ("never", "?"); allocates. */
char *timers_next_fire(const char *expr);

#endif
