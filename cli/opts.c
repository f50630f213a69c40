/*
 * opts.c — the declarative option parser every command uses, and the global
 * options it shares with main().
 *
 * A command lists its options in a `struct opt` table; opts_parse accepts
 * them and the global options anywhere on the line (`hoist deploy dev
 * --json`), `--opt=value` and `--opt value`, `--` to end options, and answers
 * an unknown option with the closest known one.
 */
#include "cli.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/str.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_globals cli_g;

void cli_apply_globals(void)
{
	struct out_opts o = { 0 };
	const char *nc = getenv("NO_COLOR");

	o.verbosity = cli_g.quiet ? -1 : cli_g.verbose;
	o.json = cli_g.json;
	o.color = !cli_g.no_color && !(nc && *nc);
	o.yes = cli_g.yes;
	o.err_tty = isatty(STDERR_FILENO);
	o.in_tty = isatty(STDIN_FILENO);
	out_init(&o);
}

int cli_jobs_value(const char *v, struct herr *e)
{
	char *end;
	long n;

	errno = 0;
	n = v ? strtol(v, &end, 10) : 0;
	if (!v || !*v || *end || errno || n < 1 || n > 256)
		return herr_set(e, HOIST_USAGE, "--jobs needs a number of stages from 1 to 256, not "
				"'%s'", v ? v : "");
	cli_g.jobs = (int)n;
	return HOIST_OK;
}

/* Global options that may also follow the command. */
static int global_opt(const char *a, const char *next, int *used, struct herr *e)
{
	*used = 0;
	if (!strcmp(a, "--json"))
		cli_g.json = true;
	else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
		cli_g.quiet = true;
	else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
		cli_g.verbose++;
	else if (!strcmp(a, "-vv"))
		cli_g.verbose += 2;
	else if (!strcmp(a, "--no-color"))
		cli_g.no_color = true;
	else if (!strcmp(a, "-y") || !strcmp(a, "--yes"))
		cli_g.yes = true;
	else if (!strcmp(a, "--all"))
		cli_g.all = true;
	else if (!strcmp(a, "--force-unlock"))
		cli_g.force_unlock = true;
	else if (str_starts(a, "--jobs="))
		return cli_jobs_value(a + strlen("--jobs="), e);
	else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
		*used = 1;
		return cli_jobs_value(next, e);
	} else if (str_starts(a, "--settings="))
		cli_g.settings_path = a + strlen("--settings=");
	else if (!strcmp(a, "-s") || !strcmp(a, "--settings")) {
		if (!next)
			return herr_set(e, HOIST_USAGE, "option '%s' needs a FILE", a);
		cli_g.settings_path = next;
		*used = 1;
	} else
		return 1;
	return HOIST_OK;
}

static const char *const global_names[] = {
	"--json", "--quiet", "--verbose", "--no-color", "--yes", "--all", "--settings", "--help",
	"--force-unlock", "--jobs",
};

static int unknown_opt(const struct cmd *c, const char *a, struct herr *e)
{
	const char *names[64];
	char *bufs[64];
	size_t n = 0, i, nb = 0;
	const struct opt *o;
	const char *best;
	char key[128];

	for (i = 0; i < sizeof(global_names) / sizeof(global_names[0]); i++)
		names[n++] = global_names[i];
	for (o = c->opts; o && o->long_name && n < 64; o++) {
		bufs[nb] = xasprintf("--%s", o->long_name);
		names[n++] = bufs[nb++];
	}
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(a, "="), a);
	best = str_closest(key, names, n);
	if (best)
		herr_set(e, HOIST_USAGE, "unknown option '%s' for 'hoist %s'; did you mean '%s'?",
			 key, c->name, best);
	else
		herr_set(e, HOIST_USAGE, "unknown option '%s' for 'hoist %s'; see 'hoist %s --help'",
			 key, c->name, c->name);
	for (i = 0; i < nb; i++)
		free(bufs[i]);
	return HOIST_USAGE;
}

static int set_value(const struct opt *o, const char *val, struct herr *e)
{
	char *end;
	long v;

	if (o->type == OPT_STRING) {
		*(const char **)o->dest = val;
		return HOIST_OK;
	}
	if (o->type == OPT_LIST) {
		struct opt_list *l = o->dest;

		l->v = xrealloc(l->v, (size_t)(l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = val;
		return HOIST_OK;
	}
	errno = 0;
	v = strtol(val, &end, 10);
	if (!*val || *end)
		return herr_set(e, HOIST_USAGE, "option '--%s' needs a number, not '%s'",
				o->long_name, val);
	if (errno == ERANGE || v > INT_MAX || v < INT_MIN)
		return herr_set(e, HOIST_USAGE, "option '--%s': %s is too large (at most %d)",
				o->long_name, val, INT_MAX);
	*(int *)o->dest = (int)v;
	return HOIST_OK;
}

static const struct opt *find_long(const struct cmd *c, const char *name, size_t len)
{
	const struct opt *o;

	for (o = c->opts; o && o->long_name; o++)
		if (strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
			return o;
	return NULL;
}

static const struct opt *find_short(const struct cmd *c, char s)
{
	const struct opt *o;

	for (o = c->opts; o && o->long_name; o++)
		if (o->short_name && o->short_name == s)
			return o;
	return NULL;
}

int opts_parse(const struct cmd *c, int argc, char **argv, char ***pos, int *npos,
	       int stop_after, struct herr *e)
{
	char **p = xcalloc((size_t)argc + 1, sizeof(*p));
	int n = 0, i, rest = 0, rc = HOIST_OK;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
		const struct opt *o = NULL;
		const char *val = NULL;
		int used;

		if (rest || a[0] != '-' || !a[1]) {
			p[n++] = argv[i];
			if (stop_after > 0 && n >= stop_after)
				rest = 1;
			continue;
		}
		if (!strcmp(a, "--")) {
			rest = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			opts_scan_json(argc, argv);
			cli_apply_globals();
			cmd_print_help(c);
			free(p);
			return -1;
		}
		if (a[1] == '-') {
			size_t len = strcspn(a + 2, "=");

			o = find_long(c, a + 2, len);
			if (o && a[2 + len] == '=')
				val = a + 3 + len;
			if (o && o->type == OPT_BOOL && val) {
				rc = herr_set(e, HOIST_USAGE, "option '--%s' takes no value", o->long_name);
				goto out;
			}
		} else if (!a[2]) {
			o = find_short(c, a[1]);
		}
		if (!o) {
			rc = global_opt(a, next, &used, e);
			if (rc == 1) {
				rc = unknown_opt(c, a, e);
				goto out;
			}
			if (rc)
				goto out;
			i += used;
			continue;
		}
		if (o->type == OPT_BOOL) {
			*(bool *)o->dest = true;
			continue;
		}
		if (!val) {
			if (!next) {
				rc = herr_set(e, HOIST_USAGE, "option '--%s' needs a value (%s)",
					      o->long_name, o->argname ? o->argname : "VALUE");
				goto out;
			}
			val = next;
			i++;
		}
		rc = set_value(o, val, e);
		if (rc)
			goto out;
	}
out:
	if (rc)
		opts_scan_json(argc - i, argv + i);
	cli_apply_globals();
	if (rc) {
		free(p);
		return rc;
	}
	*pos = p;
	*npos = n;
	return HOIST_OK;
}

void opts_scan_json(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			cli_g.json = true;
}

json_t *cmd_help_doc(const struct cmd *c)
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:[]}", "name", c->name, "usage", c->usage,
				"help", c->help, "options");
	const struct opt *o;

	for (o = c->opts; o && o->long_name; o++) {
		char s[2] = { o->short_name, 0 };

		json_array_append_new(json_object_get(doc, "options"),
				      json_pack("{s:s, s:s?, s:s?, s:s}", "name", o->long_name,
						"short", o->short_name ? s : NULL,
						"argument", o->argname, "help", o->help));
	}
	return doc;
}

void cmd_print_help(const struct cmd *c)
{
	const struct opt *o;

	if (cli_g.json) {
		json_t *doc = cmd_help_doc(c);

		out_json(doc, 0);
		json_decref(doc);
		return;
	}

	printf("usage: hoist %s %s\n\n%s\n", c->name, c->usage, c->help);
	if (c->opts && c->opts->long_name) {
		printf("\nOptions:\n");
		for (o = c->opts; o->long_name; o++) {
			char left[80];

			if (o->short_name)
				snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
					 o->long_name, o->argname ? " " : "",
					 o->argname ? o->argname : "");
			else
				snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
					 o->argname ? " " : "", o->argname ? o->argname : "");
			printf("  %-30s %s\n", left, o->help);
		}
	}
	printf("\nGlobal options: -s FILE, --json, -q, -v, --no-color, -y, --all, -j N, --force-unlock "
	       "(see 'hoist help').\n"
	       "See hoist(1) for details.\n");
}
