/*
 * stage.c — one stage, opened: the resolved settings plus the names every
 * provider derives from them (the function name, the project directory), and
 * the errors about its state that every cloud gives alike.
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

int stage_not_deployed(struct herr *e, const struct stage *st, const char *what,
		       const char *region)
{
	herr_set(e, HOIST_FAIL, "stage '%s' is not deployed: there is no %s %s in %s", st->name,
		 what, st->function_name, region);
	return herr_hint(e, "Deploy it first: hoist deploy %s", st->name);
}

int stage_already_deployed(struct herr *e, const struct stage *st, const char *where)
{
	return herr_set(e, HOIST_FAIL, "stage '%s' is already deployed at %s; did you mean "
			"'hoist update %s'?", st->name, where, st->name);
}

int stage_deploy_kept_hint(struct herr *e, const struct stage *st)
{
	return herr_hint(e, "what was created is kept; run 'hoist deploy %s' again to finish",
			 st->name);
}
