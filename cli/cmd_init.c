/*
 * cmd_init.c — `hoist init`: write a first hoist.json, Zappa's `zappa init`.
 *
 * On a terminal it asks (stage, provider, region, project name, which app),
 * proposing what the flags say or what core/detect.c found; with -y every
 * question takes its default and no terminal is needed.  Without a terminal
 * and without -y it refuses at once (CI must never hang on a prompt).  An
 * existing settings file is never overwritten without a "yes" or --force.
 * The file is validated by core/settings before it is written and again as
 * written, so `hoist settings` accepts it.  stdout: the file's path.
 */
#include "cli.h"
#include "commands.h"

#include "../core/detect.h"
#include "../core/err.h"
#include "../core/interrupt.h"
#include "../core/log.h"
#include "../core/path.h"
#include "../core/settings.h"
#include "../core/str.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *opt_stage, *opt_provider, *opt_app, *opt_django, *opt_region, *opt_project;
static bool opt_force;

const struct opt init_opts[] = {
	{ "stage", 0, OPT_STRING, &opt_stage, "NAME", "the stage to create (default: dev)" },
	{ "provider", 0, OPT_STRING, &opt_provider, "NAME",
	  "aws, aliyun, tencent or local (default: aws)" },
	{ "app-function", 0, OPT_STRING, &opt_app, "MOD.ATTR",
	  "the WSGI/ASGI app, e.g. app.app (default: detected)" },
	{ "django-settings", 0, OPT_STRING, &opt_django, "MODULE",
	  "Django settings module, e.g. mysite.settings (default: detected)" },
	{ "region", 0, OPT_STRING, &opt_region, "REGION",
	  "cloud region (aws: AWS_REGION, else us-east-1)" },
	{ "project-name", 0, OPT_STRING, &opt_project, "NAME",
	  "project name (default: the directory's name)" },
	{ "force", 0, OPT_BOOL, &opt_force, NULL, "overwrite an existing settings file without asking" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

static const char *const providers[] = { "aws", "aliyun", "tencent", "local" };

/* What goes into the file. */
struct answers {
	char *stage, *provider, *region, *project, *app, *django;
	bool asgi;
};

struct init_ctx {
	const char *path;            /* settings file to write */
	char *dir;                   /* project directory (the file's) */
	bool interactive;
	struct detect_result found;
	struct answers a;
};

/* ---- validators (the same rules core/settings applies) ----------------- */

static bool valid_stage(const char *s)
{
	return settings_valid_stage_name(s);
}

static bool valid_provider(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (!strcmp(s, providers[i]))
			return true;
	return false;
}

/* Letters or digits, and room for "-<stage>" in a 64-character function name. */
static bool valid_project(const char *s)
{
	char *slug = str_slug(s);
	size_t n = strlen(slug);

	free(slug);
	return n > 0 && n <= 60;
}

static bool valid_region(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static bool valid_app(const char *s)
{
	return detect_is_dotted(s, 2);
}

static bool valid_module(const char *s)
{
	return detect_is_dotted(s, 1);
}

static const char *const stage_rule = "use 1-64 letters, digits, '_' or '-', not starting "
				       "with '-'";
static const char *const provider_rule = "choose aws, aliyun, tencent or local";
static const char *const project_rule = "1-60 letters, digits or '-' once slugified";
static const char *const region_rule = "a region name such as us-east-1";
static const char *const app_rule = "module.attribute, e.g. app.app";
static const char *const module_rule = "a Python module path, e.g. mysite.settings";

static int check_flags(struct herr *e)
{
	if (opt_stage && !valid_stage(opt_stage))
		return herr_set(e, HOIST_USAGE, "--stage '%s': %s", opt_stage, stage_rule);
	if (opt_provider && !valid_provider(opt_provider))
		return herr_set(e, HOIST_USAGE, "--provider '%s': %s", opt_provider, provider_rule);
	if (opt_project && !valid_project(opt_project))
		return herr_set(e, HOIST_USAGE, "--project-name '%s': %s", opt_project, project_rule);
	if (opt_region && !valid_region(opt_region))
		return herr_set(e, HOIST_USAGE, "--region '%s': %s", opt_region, region_rule);
	if (opt_region && opt_provider && !strcmp(opt_provider, "local"))
		return herr_set(e, HOIST_USAGE, "--region: the local provider has no region");
	if (opt_app && !valid_app(opt_app))
		return herr_set(e, HOIST_USAGE, "--app-function '%s': %s", opt_app, app_rule);
	if (opt_django && !valid_module(opt_django))
		return herr_set(e, HOIST_USAGE, "--django-settings '%s': %s", opt_django, module_rule);
	return HOIST_OK;
}

/* ---- the terminal ------------------------------------------------------- */

/* One line from stdin, trimmed; end of input is an error (nothing changed). */
static int read_answer(char **out, struct herr *e)
{
	char *line = NULL;
	size_t cap = 0, n;
	ssize_t got;

	fflush(stderr);
	got = getline(&line, &cap, stdin);
	if (got < 0) {
		free(line);
		fputc('\n', stderr);
		if (intr_check(e))   /* Ctrl-C at a question */
			return herr_prefix(e, "init: nothing was changed: ");
		return herr_set(e, HOIST_USAGE, "init: no answer (end of input); nothing was changed");
	}
	n = (size_t)got;
	while (n && isspace((unsigned char)line[n - 1]))
		line[--n] = '\0';
	n = strspn(line, " \t");
	memmove(line, line + n, strlen(line + n) + 1);
	*out = line;
	return HOIST_OK;
}

/*
 * Ask until the answer passes `ok`; an empty answer takes `dflt` (when
 * there is one).  *out is allocated.
 */
static int ask(const char *question, const char *dflt, bool (*ok)(const char *),
	       const char *rule, char **out, struct herr *e)
{
	char *ans;
	int rc;

	for (;;) {
		fprintf(stderr, "%s%s%s", out_c(stderr, OUT_BOLD), question, out_c(stderr, OUT_RESET));
		if (dflt && *dflt)
			fprintf(stderr, " [%s]", dflt);
		fputs(": ", stderr);
		rc = read_answer(&ans, e);
		if (rc)
			return rc;
		if (!*ans && dflt) {
			free(ans);
			ans = xstrdup(dflt);
		}
		if (!ok || ok(ans)) {
			*out = ans;
			return HOIST_OK;
		}
		fprintf(stderr, "  '%s' will not do: %s.\n", ans, rule);
		free(ans);
	}
}

static int ask_yn(const char *question, bool dflt, bool *yes, struct herr *e)
{
	char *ans;
	int rc;

	for (;;) {
		fprintf(stderr, "%s%s%s %s ", out_c(stderr, OUT_BOLD), question,
			out_c(stderr, OUT_RESET), dflt ? "[Y/n]" : "[y/N]");
		rc = read_answer(&ans, e);
		if (rc)
			return rc;
		if (!*ans || strchr("yYnN", ans[0])) {
			*yes = *ans ? (ans[0] == 'y' || ans[0] == 'Y') : dflt;
			free(ans);
			return HOIST_OK;
		}
		free(ans);
		fputs("  Please answer y or n.\n", stderr);
	}
}

/* ---- what is already there ---------------------------------------------- */

static int check_existing(struct init_ctx *c, struct herr *e)
{
	char *zappa = path_join(c->dir, "zappa_settings.json"), *q;
	bool yes = false, has_zappa = !cli_g.settings_path && path_exists(zappa);
	int rc = HOIST_OK;

	free(zappa);
	if (path_exists(c->path)) {
		if (opt_force) {
			out_warn("%s exists; overwriting it (--force)", c->path);
			return HOIST_OK;
		}
		if (!c->interactive)
			return herr_set(e, HOIST_USAGE, "%s already exists; nothing was changed.\n"
					"Edit it (check it with 'hoist settings'), or overwrite it with "
					"'hoist init --force'", c->path);
		q = xasprintf("%s already exists. Overwrite it?", c->path);
		rc = ask_yn(q, false, &yes, e);
		free(q);
		if (!rc && !yes)
			rc = herr_set(e, HOIST_FAIL, "init: not confirmed; %s was not changed", c->path);
		return rc;
	}
	if (!has_zappa)
		return HOIST_OK;
	out_step("zappa_settings.json found: hoist reads it unchanged ('hoist deploy <stage>' "
		 "works as it is) and never modifies it.");
	if (opt_force) {
		out_warn("writing %s anyway (--force); it takes precedence over zappa_settings.json",
			 c->path);
		return HOIST_OK;
	}
	if (!c->interactive)
		return herr_set(e, HOIST_USAGE, "zappa_settings.json exists and hoist uses it as it "
				"is; %s was not written.\nTo write %s anyway (it then takes precedence), "
				"use 'hoist init --force'", c->path, c->path);
	rc = ask_yn("Write hoist.json anyway? It takes precedence over zappa_settings.json.",
		    false, &yes, e);
	if (!rc && !yes)
		rc = herr_set(e, HOIST_FAIL, "init: not confirmed; nothing was written");
	return rc;
}

/* ---- questions ----------------------------------------------------------- */

static const char *region_key(const char *provider)
{
	return !strcmp(provider, "aws") ? "aws_region" : "region";
}

static const char *default_region(const char *provider)
{
	const char *r;

	if (opt_region)
		return opt_region;
	if (!strcmp(provider, "aws")) {
		r = getenv("AWS_REGION");
		if (!r || !*r)
			r = getenv("AWS_DEFAULT_REGION");
		return r && *r && valid_region(r) ? r : "us-east-1";
	}
	if (!strcmp(provider, "aliyun"))
		return "cn-hangzhou";
	if (!strcmp(provider, "tencent"))
		return "ap-guangzhou";
	return NULL;
}

/* The detected ASGI app with this app_function, if any. */
static bool detected_asgi(const struct init_ctx *c, const char *app)
{
	size_t i;

	for (i = 0; i < c->found.n; i++)
		if (c->found.apps[i].kind == DETECT_ASGI && !strcmp(c->found.apps[i].value, app))
			return true;
	return false;
}

static void take_app(struct init_ctx *c, const struct detect_app *d)
{
	if (d->kind == DETECT_DJANGO) {
		c->a.django = xstrdup(d->value);
	} else {
		c->a.app = xstrdup(d->value);
		c->a.asgi = d->kind == DETECT_ASGI;
	}
}

static void describe(const struct detect_app *d, struct sbuf *b)
{
	sbuf_printf(b, "%s %s (%s", d->framework,
		    d->kind == DETECT_DJANGO ? "settings" : "app", d->file);
	if (d->line)
		sbuf_printf(b, ":%u", d->line);
	sbuf_printf(b, ") -> %s", d->value);
}

/* -y: the flags, else the first app found (saying which), else an error. */
static int pick_app_default(struct init_ctx *c, struct herr *e)
{
	struct sbuf b;
	size_t i;

	if (opt_app || opt_django) {
		c->a.app = opt_app ? xstrdup(opt_app) : NULL;
		c->a.django = opt_django ? xstrdup(opt_django) : NULL;
		c->a.asgi = opt_app && detected_asgi(c, opt_app);
		return HOIST_OK;
	}
	if (!c->found.n)
		return herr_set(e, HOIST_USAGE, "no Flask, Django, FastAPI or Starlette app found in "
				"%s; nothing was written.\nName your app: 'hoist -y init "
				"--app-function MODULE.ATTR' (or --django-settings MODULE)", c->dir);
	sbuf_init(&b);
	describe(&c->found.apps[0], &b);
	if (c->found.n == 1) {
		out_step("Found %s", b.s);
	} else {
		out_warn("found %zu apps; using the first: %s", c->found.n, b.s);
		for (i = 1; i < c->found.n; i++) {
			sbuf_reset(&b);
			describe(&c->found.apps[i], &b);
			out_warn("  also found: %s", b.s);
		}
		out_warn("choose another with --app-function MODULE.ATTR or --django-settings MODULE");
	}
	sbuf_free(&b);
	take_app(c, &c->found.apps[0]);
	return HOIST_OK;
}

static bool valid_app_or_empty(const char *s)
{
	return !*s || valid_app(s);
}

/* Nothing detected: ask for app_function, or (empty) for Django settings. */
static int ask_app_by_hand(struct init_ctx *c, struct herr *e)
{
	char *ans;
	int rc;

	fprintf(stderr, "No Flask, Django, FastAPI or Starlette app was found in %s.\n", c->dir);
	rc = ask("Your app's function (module.attribute, e.g. app.app; empty for Django)", NULL,
		 valid_app_or_empty, app_rule, &ans, e);
	if (rc)
		return rc;
	if (*ans) {
		c->a.app = ans;
		c->a.asgi = detected_asgi(c, ans);
		return HOIST_OK;
	}
	free(ans);
	return ask("Django settings module (e.g. mysite.settings)", NULL, valid_module,
		   module_rule, &c->a.django, e);
}

static bool valid_choice_or_app(const char *s)
{
	return valid_app(s) || (strspn(s, "0123456789") == strlen(s) && *s);
}

static int ask_app(struct init_ctx *c, struct herr *e)
{
	struct sbuf b;
	size_t i, n = c->found.n;
	char *ans, *end;
	unsigned long k;
	int rc;

	if (opt_app || opt_django)
		return pick_app_default(c, e);
	if (!n)
		return ask_app_by_hand(c, e);
	sbuf_init(&b);
	fprintf(stderr, "Found %s:\n", n == 1 ? "this app" : "these apps");
	for (i = 0; i < n; i++) {
		sbuf_reset(&b);
		describe(&c->found.apps[i], &b);
		fprintf(stderr, "  %zu) %s\n", i + 1, b.s);
	}
	sbuf_free(&b);
	for (;;) {
		rc = ask("Which one? A number, or another app as module.attribute", "1",
			 valid_choice_or_app, "a number from the list or module.attribute", &ans, e);
		if (rc)
			return rc;
		if (valid_app(ans)) {
			c->a.app = ans;
			c->a.asgi = detected_asgi(c, ans);
			return HOIST_OK;
		}
		k = strtoul(ans, &end, 10);
		free(ans);
		if (k >= 1 && k <= n) {
			take_app(c, &c->found.apps[k - 1]);
			return HOIST_OK;
		}
		fprintf(stderr, "  choose a number from 1 to %zu.\n", n);
	}
}

static int ask_all(struct init_ctx *c, struct herr *e)
{
	const char *dflt = opt_provider ? opt_provider : "aws";
	char *project = opt_project ? xstrdup(opt_project) : detect_project_name(c->dir);
	int rc;

	fprintf(stderr, "Welcome to hoist! This writes %s for your app; Ctrl-C leaves without "
		"changing anything.\n\n", c->path);
	rc = ask("Stage name", opt_stage ? opt_stage : "dev", valid_stage, stage_rule,
		 &c->a.stage, e);
	if (!rc) {
		fprintf(stderr, "Providers: aws (Lambda + API Gateway), aliyun (Function Compute), "
			"tencent (SCF), local (runs on this machine, no cloud account needed).\n");
		rc = ask("Provider", dflt, valid_provider, provider_rule, &c->a.provider, e);
	}
	if (!rc && default_region(c->a.provider))
		rc = ask("Region", default_region(c->a.provider), valid_region, region_rule,
			 &c->a.region, e);
	if (!rc)
		rc = ask("Project name", project, valid_project, project_rule, &c->a.project, e);
	if (!rc)
		rc = ask_app(c, e);
	free(project);
	return rc;
}

static int take_defaults(struct init_ctx *c, struct herr *e)
{
	const char *region;

	c->a.stage = xstrdup(opt_stage ? opt_stage : "dev");
	c->a.provider = xstrdup(opt_provider ? opt_provider : "aws");
	region = default_region(c->a.provider);
	c->a.region = region ? xstrdup(region) : NULL;
	c->a.project = opt_project ? xstrdup(opt_project) : detect_project_name(c->dir);
	return pick_app_default(c, e);
}

static void answers_free(struct answers *a)
{
	free(a->stage);
	free(a->provider);
	free(a->region);
	free(a->project);
	free(a->app);
	free(a->django);
}

/* ---- the file ------------------------------------------------------------ */

static json_t *build(const struct answers *a)
{
	json_t *st = json_object(), *root = json_object();

	json_object_set_new(st, "provider", json_string(a->provider));
	json_object_set_new(st, "project_name", json_string(a->project));
	if (a->app)
		json_object_set_new(st, "app_function", json_string(a->app));
	if (a->django)
		json_object_set_new(st, "django_settings", json_string(a->django));
	if (a->asgi)
		json_object_set_new(st, "app_type", json_string("asgi"));
	if (a->region)
		json_object_set_new(st, region_key(a->provider), json_string(a->region));
	json_object_set_new(root, a->stage, st);
	return root;
}

/* Resolve the stage of `root` as core/settings would once it is in c->path. */
static int validate_in_memory(const struct init_ctx *c, json_t *root, struct herr *e)
{
	struct settings s = { 0 };
	json_t *res = NULL;
	int rc;

	s.root = json_incref(root);
	s.path = xstrdup(c->path);
	s.dir = path_real(c->dir);
	s.warned = json_object();
	if (!s.dir) {
		settings_free(&s);
		return herr_set(e, HOIST_USAGE, "%s: cannot resolve the directory", c->dir);
	}
	rc = settings_resolve(&s, c->a.stage, &res, e);
	json_decref(res);
	settings_free(&s);
	if (rc)
		herr_hint(e, "nothing was written");
	return rc;
}

/* Read the file back through core/settings: what `hoist settings` will do. */
static int validate_written(const struct init_ctx *c, struct herr *e)
{
	struct settings s;
	json_t *res = NULL;
	int rc;

	rc = settings_load(&s, c->path, e);
	if (rc)
		return herr_prefix(e, "init: wrote %s but it does not load: ", c->path);
	rc = settings_resolve(&s, c->a.stage, &res, e);
	json_decref(res);
	settings_free(&s);
	if (rc)
		return herr_prefix(e, "init: wrote %s but it does not validate: ", c->path);
	return HOIST_OK;
}

static int write_file(const struct init_ctx *c, json_t *root, struct herr *e)
{
	char *text = json_dumps(root, JSON_INDENT(4));
	char *data;
	int rc;

	if (!text)
		return herr_set(e, HOIST_FAIL, "init: cannot encode the settings");
	data = xasprintf("%s\n", text);
	rc = path_write_atomic(c->path, data, strlen(data), e);
	free(data);
	free(text);
	if (rc)
		return herr_prefix(e, "init: ");
	return validate_written(c, e);
}

static int confirm_write(const struct init_ctx *c, json_t *root, struct herr *e)
{
	char *text = json_dumps(root, JSON_INDENT(4)), *q;
	bool yes = false;
	int rc;

	fprintf(stderr, "\n%s\n\n", text ? text : "");
	free(text);
	q = xasprintf("Write this to %s?", c->path);
	rc = ask_yn(q, true, &yes, e);
	free(q);
	if (!rc && !yes)
		rc = herr_set(e, HOIST_FAIL, "init: not confirmed; nothing was written");
	return rc;
}

static void report(const struct init_ctx *c, json_t *root)
{
	if (cli_g.json) {
		json_t *o = json_pack("{s:s, s:s, s:O}", "path", c->path, "stage", c->a.stage,
				      "settings", json_object_get(root, c->a.stage));
		out_json(o, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(o);
	} else {
		out_result("%s", c->path);
	}
	out_step("Wrote %s (stage '%s', provider %s). Check it with 'hoist%s%s settings %s'.",
		 c->path, c->a.stage, c->a.provider, cli_g.settings_path ? " -s " : "",
		 cli_g.settings_path ? c->path : "", c->a.stage);
	if (!opt_provider && !c->interactive && !strcmp(c->a.provider, "aws"))
		out_step("hint: provider aws is the default; to try the app on this machine first "
			 "(no cloud account), use 'hoist init --provider local'.");
	out_step("Next: hoist%s%s deploy %s", cli_g.settings_path ? " -s " : "",
		 cli_g.settings_path ? c->path : "", c->a.stage);
}

static int run_init(struct init_ctx *c, struct herr *e)
{
	json_t *root = NULL;
	int rc;

	rc = check_flags(e);
	if (!rc)
		rc = check_existing(c, e);
	if (!rc)
		rc = detect_apps(c->dir, &c->found, e);
	if (!rc)
		rc = c->interactive ? ask_all(c, e) : take_defaults(c, e);
	if (rc)
		return rc;
	root = build(&c->a);
	rc = validate_in_memory(c, root, e);
	if (!rc && c->interactive)
		rc = confirm_write(c, root, e);
	if (!rc)
		rc = write_file(c, root, e);
	if (!rc)
		report(c, root);
	json_decref(root);
	return rc;
}

int cmd_init(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	struct init_ctx c = { 0 };
	char **pos = NULL;
	int npos = 0, rc;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		return HOIST_OK;
	if (rc)
		goto out;
	if (npos) {
		rc = herr_set(&e, HOIST_USAGE, "hoist init takes no stage argument; use "
			      "--stage %s", pos[0]);
		goto out;
	}
	if (!cli_g.yes && !out_get()->in_tty) {
		rc = herr_set(&e, HOIST_USAGE, "hoist init asks questions, but stdin is not a "
			      "terminal; nothing was written.\nRun it non-interactively with -y and "
			      "flags, e.g. 'hoist init -y --provider local --app-function app.app' "
			      "(see 'hoist init --help')");
		goto out;
	}
	c.interactive = !cli_g.yes;
	c.path = cli_g.settings_path ? cli_g.settings_path : "hoist.json";
	c.dir = path_dir(c.path);
	rc = run_init(&c, &e);
out:
	if (rc)
		out_error(&e);
	answers_free(&c.a);
	detect_free(&c.found);
	free(c.dir);
	free(pos);
	return rc;
}
