/*
 * stage.c — one stage, opened: the resolved settings plus the names every
 * provider derives from them (the function name, the project directory).
 */
#include "stage.h"

#include "err.h"
#include "path.h"
#include "settings.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>

int stage_open(struct stage *st, const struct settings *s, const char *name, struct herr *e)
{
	json_t *res = NULL;
	char *raw;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = settings_resolve(s, name, &res, e);
	if (rc)
		return rc;
	st->settings = res;
	st->name = xstrdup(name);
	st->project_name = xstrdup(settings_str(res, "project_name"));
	raw = xasprintf("%s-%s", st->project_name, name);
	st->function_name = str_slug(raw);   /* "_" and anything else odd become "-" */
	free(raw);
	st->project_dir = xstrdup(s->dir);
	st->settings_path = path_join(s->dir, path_base(s->path));
	st->provider = settings_str(res, "provider");
	return HOIST_OK;
}

void stage_close(struct stage *st)
{
	free(st->name);
	free(st->function_name);
	free(st->project_name);
	free(st->project_dir);
	free(st->settings_path);
	json_decref(st->settings);
	memset(st, 0, sizeof(*st));
}
