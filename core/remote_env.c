/*
 * remote_env.c — the check deploy makes of a stage's remote_env document
 * (whatever provider fetched it), and the local provider's file form.
 */
#include "remote_env.h"

#include "err.h"
#include "path.h"
#include "settings.h"
#include "stage.h"
#include "str.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int remote_env_check(const char *where, const char *data, size_t len, struct herr *e)
{
	json_error_t je;
	json_t *doc, *v;
	const char *k;
	int rc = HOIST_OK;

	if (len > REMOTE_ENV_MAX)
		return herr_set(e, HOIST_USAGE, "remote_env %s is %zu bytes; an environment of "
				"at most %d bytes is expected", where, len, REMOTE_ENV_MAX);
	doc = json_loadb(data, len, 0, &je);
	if (!doc)
		return herr_set(e, HOIST_USAGE, "remote_env %s is not JSON: %s (line %d, column %d)",
				where, je.text, je.line, je.column);
	if (!json_is_object(doc)) {
		rc = herr_set(e, HOIST_USAGE, "remote_env %s must be a JSON object of strings "
			      "({\"NAME\": \"value\"}), not %s", where,
			      json_is_array(doc) ? "an array" : "a single value");
		goto out;
	}
	json_object_foreach(doc, k, v) {
		if (!*k || strchr(k, '=')) {
			rc = herr_set(e, HOIST_USAGE, "remote_env %s: '%s' cannot be an environment "
				      "variable name", where, k);
			break;
		}
		if (!json_is_string(v)) {
			rc = herr_set(e, HOIST_USAGE, "remote_env %s: the value of %s must be a "
				      "string (quote it)", where, k);
			break;
		}
	}
out:
	json_decref(doc);
	return rc;
}

int remote_env_check_file(const struct stage *st, struct herr *e)
{
	const char *v = settings_str(st->settings, "remote_env");
	char *path, *data = NULL;
	size_t len = 0;
	struct herr e2 = { 0 };
	int rc;

	if (!v)
		return HOIST_OK;
	path = *v == '/' ? xstrdup(v) : path_join(st->project_dir, v);
	if (path_read(path, &data, &len, &e2))
		rc = herr_set(e, HOIST_USAGE, "remote_env %s cannot be read: %s", path, e2.msg);
	else
		rc = remote_env_check(path, data, len, e);
	free(data);
	free(path);
	return rc;
}

int remote_env_unreadable(const struct stage *st, const char *url, const char *region,
			  struct herr *e)
{
	herr_prefix(e, "remote_env %s cannot be read: ", url);
	e->code = HOIST_USAGE;
	herr_hint(e, "create the object (a JSON object of strings) in the stage's region (%s), "
		  "or fix remote_env in %s", region, st->settings_path);
	return HOIST_USAGE;
}
