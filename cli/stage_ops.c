/*
 * stage_ops.c — helpers shared by the provider-generic commands (see
 * stage_ops.h).
 */
#include "stage_ops.h"

#include "cli.h"
#include "package_job.h"

#include "../core/err.h"
#include "../core/interrupt.h"
#include "../core/log.h"
#include "../core/path.h"
#include "../core/preflight.h"
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

/* The package, and its pre-flight once it is built (core/preflight.c). */
struct ready {
	struct package_job job;
	const struct stage *st;
	bool preflight, checked;
	int rc;
	struct herr e;
};

/* The package is ready to upload: built, and (once) pre-flighted; the same answer each time. */
static int wait_package(void *ctx, struct herr *e)
{
	struct ready *r = ctx;
	int rc = package_job_wait(&r->job, e);

	if (rc)
		return rc;
	if (!r->checked) {   /* tried beside the compression, else now on the zip (--zip) */
		r->checked = true;
		if (r->job.pf_done) {
			r->rc = r->job.pf_rc;
			r->e = r->job.pf_e;
		} else {
			r->rc = r->preflight ? preflight_run(r->st, &r->job.pi, &r->e) : HOIST_OK;
		}
	}
	if (r->rc)
		*e = r->e;
	return r->rc;
}

/* The package is built; its pre-flight may still run. */
static int built_package(void *ctx, struct herr *e)
{
	struct ready *r = ctx;

	return package_job_built(&r->job, e);
}

int cli_deploy_run(const struct stage *st, const struct provider *p, const char *zip, bool cache,
		   bool preflight, deploy_check check, struct deploy_args *a, deploy_op op,
		   const char *step, char **url, struct herr *e)
{
	struct ready r = { .st = st, .preflight = preflight };
	bool held = check && p->package_beside && !zip;
	struct herr pe;
	int rc;

	*url = NULL;
	if (check && !held && (rc = check(st, p, e)) != HOIST_OK)
		return rc;
	rc = package_job_start(&r.job, st, p, zip, cache, p->package_beside, preflight, held, e);
	if (!rc && held && (rc = check(st, p, e)) == HOIST_OK)   /* its Python starts meanwhile */
		package_job_go(&r.job, st);
	if (!rc && !p->package_beside)
		rc = wait_package(&r, e);
	if (!rc) {
		a->pkg = &r.job.pi;
		a->pkg_wait = wait_package;
		a->pkg_built = built_package;
		a->pkg_ctx = &r;
		out_step("%s", step);
		rc = op(st, a, url, e);
		/* a package that failed (or its pre-flight) is the first thing to fix */
		if (package_job_wait(&r.job, &pe) != HOIST_OK) {
			*e = pe;
			rc = pe.code;
		} else if (r.checked && r.rc) {
			*e = r.e;
			rc = r.rc;
		}
	}
	package_job_done(&r.job);
	return rc;
}

json_t *cli_live_doc(const char *action, const struct stage *st, const char *url)
{
	const char *domain = settings_str(st->settings, "domain");
	json_t *doc = json_pack("{s:s, s:s?, s:s}", "stage", st->name, "url", url, "action",
				action);

	if (domain && url)
		json_object_set_new(doc, "domain_url", json_sprintf("https://%s", domain));
	return doc;
}

void cli_show_live(const char *headline, json_t *doc)
{
	const char *url = json_string_value(json_object_get(doc, "url"));
	const char *domain = json_string_value(json_object_get(doc, "domain_url"));
	char *text;

	if (!url)
		return;
	/* Zappa's update line: "https://<domain> (<url>)" once a domain is set. */
	text = domain && !strcmp(json_string_value(json_object_get(doc, "action")), "update")
	       ? xasprintf("%s (%s)", domain, url) : xstrdup(url);
	if (isatty(STDOUT_FILENO)) {
		out_result("%s%s:%s %s", out_c(stdout, OUT_GREEN), headline,
			   out_c(stdout, OUT_RESET), text);
		free(text);
		return;
	}
	out_step("%s: %s", headline, text);
	free(text);
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
