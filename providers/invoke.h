/*
 * invoke.h — what every provider's invoke op sends to the handler
 * (templates/python/README.md): {"command": "mod.func"} for a function,
 * {"raw_command": "…"} for --raw, {"manage": "…"} for manage, or --payload
 * as given (any JSON).
 */
#ifndef HOIST_PROVIDER_INVOKE_H
#define HOIST_PROVIDER_INVOKE_H

#include "provider.h"

#include <jansson.h>

/* *ev (new reference) for `a`; HOIST_USAGE for a --payload that is not JSON or nothing to run. */
int invoke_event(const struct invoke_args *a, json_t **ev, struct herr *e);

#endif
