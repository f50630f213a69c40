/*
 * invoke.c — the event `hoist invoke` / `hoist manage` send, whatever the
 * provider (invoke.h).
 */
#include "invoke.h"

#include "../core/err.h"

int invoke_event(const struct invoke_args *a, json_t **ev, struct herr *e)
{
	json_error_t je;

	*ev = NULL;
	if (a->payload) {
		*ev = json_loads(a->payload, JSON_DECODE_ANY, &je);
		if (!*ev)
			return herr_set(e, HOIST_USAGE, "--payload is not JSON: %s (column %d)",
					je.text, je.column);
	} else if (a->raw) {
		*ev = json_pack("{s:s}", "raw_command", a->raw);
	} else if (a->manage) {
		*ev = json_pack("{s:s}", "manage", a->manage);
	} else if (a->function) {
		*ev = json_pack("{s:s}", "command", a->function);
	} else {
		return herr_set(e, HOIST_USAGE, "nothing to invoke: give module.function, --raw or "
				"--payload");
	}
	return HOIST_OK;
}
