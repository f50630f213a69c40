/*
 * stage_ops.c — helpers shared by the provider-generic commands (see
 * stage_ops.h).
 */
#include "stage_ops.h"

#include "cli.h"

#include "../core/err.h"
#include "../core/interrupt.h"
#include "../core/log.h"
#include "../core/path.h"
#include "../core/settings.h"
#include "../core/stage.h"
#include "../core/stagelock.h"
#include "../core/str.h"
#include "../providers/provider.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_provider(const struct stage *st, const struct provider **p, struct herr *e)
{
	const char *name = st->provider ? st->provider : "aws";

	*p = provider_find(name);
	if (!*p)
		return herr_set(e, HOIST_USAGE, "stage '%s': unknown provider '%s'", st->name, name);
	return HOIST_OK;
}

/* The commands that change a stage, and so hold its lock. */
static bool writes(const char *command)
{
	static const char *const writers[] = {
		"deploy", "update", "schedule", "unschedule", "certify", "rollback", "undeploy",
	};

	for (size_t i = 0; command && i < sizeof(writers) / sizeof(*writers); i++)
		if (!strcmp(command, writers[i]))
			return true;
	return false;
}

int cli_run_locked(const struct stage_cmd *sc, struct stage *st, void *ctx, json_t **doc,
		   struct herr *e)
{
	const struct provider *p;
	struct stage_lock l;
	int rc;

	if (!writes(cli_g.command) || cli_provider(st, &p, e) != HOIST_OK) {
		herr_clear(e);   /* run() reports an unknown provider itself */
		return sc->run(st, ctx, doc, e);
	}
	rc = stage_lock_take(&l, st, p->name, cli_g.command, cli_g.force_unlock, p->lock_put,
			     p->lock_delete, p->lock_get, e);
	if (rc)
		return herr_prefix(e, "%s %s: ", cli_g.command, st->name);
	rc = sc->run(st, ctx, doc, e);
	l.sweep = !rc && !strcmp(cli_g.command, "undeploy");   /* nothing may be left */
	stage_lock_release(&l);
	return rc;
}

int cli_no_op(const struct provider *p, const char *cmd, struct herr *e)
{
	return herr_set(e, HOIST_FAIL, "hoist %s is not available for provider '%s' in this "
			"version", cmd, p->name);
}

int cli_package(const struct stage *st, const struct provider *p, const char *zip, bool cache,
		struct package_info *pi, char **tmpdir, struct herr *e)
{
	const char *tmp = getenv("TMPDIR");
	struct package_opts o = { 0 };
	char *out;
	int rc;

	memset(pi, 0, sizeof(*pi));
	*tmpdir = NULL;
	if (zip) {
		if (!path_exists(zip))
			return herr_set(e, HOIST_USAGE, "--zip %s: no such file", zip);
		if ((rc = package_check_zip(zip, st, &p->limits, e)) != HOIST_OK)
			return rc;
		pi->zip_path = path_real(zip);
		return HOIST_OK;
	}
	*tmpdir = xasprintf("%s/hoist-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(*tmpdir)) {
		free(*tmpdir);
		*tmpdir = NULL;
		return herr_set(e, HOIST_FAIL, "cannot create a temporary directory");
	}
	intr_temp_add(*tmpdir);   /* the zip holds the environment variables */
	out = xasprintf("%s/%s.zip", *tmpdir, st->function_name);
	o.slim_location = p->slim_location;
	o.stage = st;
	o.out_path = out;
	o.limits = &p->limits;
	o.runtime_provided = p->runtime_provided;
	o.cache = cache;
	out_step("Packaging %s", st->function_name);
	rc = package_build(&o, pi, e);
	free(out);
	if (rc)
		herr_prefix(e, "package %s: ", st->name);
	return rc;
}

void cli_package_done(struct package_info *pi, char *tmpdir)
{
	package_info_free(pi);
	if (tmpdir) {
		path_rmtree(tmpdir, NULL);
		intr_temp_forget(tmpdir);
	}
	free(tmpdir);
}

json_t *cli_live_doc(const char *action, const struct stage *st, const char *url)
{
	return json_pack("{s:s, s:s?, s:s}", "stage", st->name, "url", url, "action", action);
}

void cli_show_live(const char *headline, json_t *doc)
{
	const char *url = json_string_value(json_object_get(doc, "url"));

	if (!url)
		return;
	if (isatty(STDOUT_FILENO)) {
		out_result("%s%s:%s %s", out_c(stdout, OUT_GREEN), headline,
			   out_c(stdout, OUT_RESET), url);
		return;
	}
	out_step("%s: %s", headline, url);
	out_result("%s", url);
}

void cli_show_nothing(const struct stage *st, json_t *doc, void *ctx)
{
	(void)st;
	(void)doc;
	(void)ctx;
}

int cli_split_stage(char **pos, int npos, const char **stage, char ***rest, int *nrest,
		    struct herr *e)
{
	struct settings s = { 0 };
	const char **names = NULL;
	size_t n, i;
	int rc;

	*stage = NULL;
	*rest = pos;
	*nrest = npos;
	if (npos == 0 || cli_g.all)
		return HOIST_OK;
	rc = settings_load(&s, cli_g.settings_path, e);
	if (rc)
		return rc;
	n = settings_stage_names(&s, &names);
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], pos[0])) {
			*stage = pos[0];
			*rest = pos + 1;
			*nrest = npos - 1;
		}
	free(names);
	settings_free(&s);
	return HOIST_OK;
}
