/*
 * main.c — hoist's entry point and its one table of commands.
 *
 * Like git.c: the table below is the whole list of what hoist can do; each
 * command is a function in its own cli/cmd_<name>.c.  main() parses the
 * global options that come before the command, finds the command (or
 * suggests the closest one), and hands it the rest of argv.
 */
#include "cli.h"
#include "commands.h"

#include "../core/err.h"
#include "../core/interrupt.h"
#include "../core/log.h"
#include "../core/str.h"
#include "../providers/provider.h"

#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cmd hoist_commands[] = {
	{ "init", cmd_init, "[--stage NAME] [--provider NAME] [--app-function MOD.ATTR] [--force]",
	  "write a first hoist.json (asks, or -y and flags); detects the app", init_opts },
	{ "package", cmd_package, "[stage] [-o FILE] [--no-cache]",
	  "build the deployable archive and print its path", package_options },
	{ "deploy", cmd_deploy, "[stage] [--zip FILE] [--no-cache] [--no-preflight]",
	  "package and create the stage; print its live URL", deploy_opts },
	{ "update", cmd_update, "[stage] [--zip FILE] [--no-upload] [--no-cache] [--no-preflight]",
	  "new code and configuration, same URL", update_opts },
	{ "status", cmd_status, "[stage] [--show-secrets]",
	  "show the deployed stage: URL, version, counters, schedules", status_opts },
	{ "tail", cmd_tail, "[stage] [--since 10m] [--filter TEXT] [--http|--non-http] [--no-follow]",
	  "stream the stage's logs", tail_opts },
	{ "schedule", cmd_schedule, "[stage]", "create the timers of events and keep_warm", NULL },
	{ "unschedule", cmd_unschedule, "[stage]", "remove the stage's timers", NULL },
	{ "invoke", cmd_invoke, "[stage] <module.function | --raw CODE | --payload JSON>",
	  "run a function in the deployed runtime", invoke_opts },
	{ "manage", cmd_manage, "[stage] <django command...>",
	  "run a Django management command in the deployed runtime", NULL },
	{ "rollback", cmd_rollback, "[stage] [-n N]", "go back N versions", rollback_opts },
	{ "certify", cmd_certify, "[stage] [--manual]",
	  "certificate and custom domain for the stage", certify_opts },
	{ "undeploy", cmd_undeploy, "[stage] [--remove-logs]",
	  "delete everything the stage created", undeploy_opts },
	{ "request", cmd_request, "[stage] [METHOD] PATH [-d BODY|@FILE] [-H 'K: V']... [--app-code]",
	  "send an HTTP request to the stage's live URL, signed as its front door requires",
	  request_opts },
	{ "settings", cmd_settings, "[stage]",
	  "print the resolved stage settings as JSON", NULL },
	{ "completion", cmd_completion, "bash|zsh|fish",
	  "print a shell completion script", completion_opts },
	{ "help", cmd_help, "[command]", "show help for hoist or a command", NULL },
	{ "version", cmd_version, "", "print hoist's version", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct cmd *cmd_find(const char *name)
{
	const struct cmd *c;

	for (c = hoist_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void print_usage(FILE *f)
{
	const struct cmd *c;

	fprintf(f, "usage: hoist [global options] <command> [<stage>] [command options]\n\n"
		   "Deploy Python web apps to serverless platforms, one stage at a time.\n\n"
		   "Commands:\n");
	for (c = hoist_commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->help);
	fprintf(f, "\nGlobal options:\n"
		   "  -s, --settings FILE  settings file (default: hoist.json, else zappa_settings.json)\n"
		   "      --json           machine-readable output on stdout\n"
		   "  -q, --quiet          only results and errors\n"
		   "  -v, --verbose        more detail (-vv: HTTP traces, secrets redacted)\n"
		   "      --no-color       no colour (also NO_COLOR)\n"
		   "  -y, --yes            never prompt\n"
		   "      --all            every stage in the settings file, side by side\n"
		   "  -j, --jobs N         stages at once under --all (default: processors)\n"
		   "      --force-unlock   take over the stage lock another run left behind\n"
		   "  -h, --help           this help; `hoist <command> --help` for a command\n"
		   "      --version        print the version\n\n"
		   "Exit status: 0 success, 1 operation failed, 2 usage or settings error, 130 interrupted\n"
		   "(143 SIGTERM, 129 SIGHUP).\n"
		   "See hoist(1) and hoist-settings(5).\n");
}

/* --json: {"usage", "commands": [{"name", "usage", "help", "options"}], "global_options"}. */
static void print_usage_json(void)
{
	static const char *const globals[] = {
		"--settings", "--json", "--quiet", "--verbose", "--no-color", "--yes", "--all",
		"--jobs", "--help", "--version",
	};
	json_t *doc = json_pack("{s:s, s:[], s:[]}", "usage",
				"hoist [global options] <command> [<stage>] [command options]",
				"commands", "global_options");
	const struct cmd *c;
	size_t i;

	for (c = hoist_commands; c->name; c++)
		json_array_append_new(json_object_get(doc, "commands"), cmd_help_doc(c));
	for (i = 0; i < sizeof(globals) / sizeof(globals[0]); i++)
		json_array_append_new(json_object_get(doc, "global_options"),
				      json_string(globals[i]));
	out_json(doc, 0);
	json_decref(doc);
}

int cmd_help(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	char **pos = NULL;
	int npos = 0, rc;
	const struct cmd *c;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		return HOIST_OK;
	if (rc) {
		out_error(&e);
		return rc;
	}
	if (npos == 0) {
		if (cli_g.json)
			print_usage_json();
		else
			print_usage(stdout);
		free(pos);
		return HOIST_OK;
	}
	c = cmd_find(pos[0]);
	if (!c) {
		herr_set(&e, HOIST_USAGE, "no such command '%s'; see 'hoist help'", pos[0]);
		free(pos);
		out_error(&e);
		return HOIST_USAGE;
	}
	cmd_print_help(c);
	free(pos);
	return HOIST_OK;
}

/* "hoist 0.1.0", or with --json {"version": "0.1.0"}. */
static void print_version(void)
{
	if (cli_g.json) {
		json_t *doc = json_pack("{s:s}", "version", HOIST_VERSION);

		out_json(doc, 0);
		json_decref(doc);
		return;
	}
	out_result("hoist %s", HOIST_VERSION);
}

int cmd_version(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	char **pos = NULL;
	int npos = 0, rc;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	free(pos);
	if (rc < 0)
		return HOIST_OK;
	if (rc) {
		out_error(&e);
		return rc;
	}
	print_version();
	return HOIST_OK;
}

static int unknown_command(const char *name)
{
	const char *names[64];
	size_t n = 0;
	const struct cmd *c;
	const char *best;
	struct herr e = { 0 };

	for (c = hoist_commands; c->name && n < 64; c++)
		names[n++] = c->name;
	best = str_closest(name, names, n);
	if (best)
		herr_set(&e, HOIST_USAGE, "'%s' is not a hoist command. Did you mean '%s'?\n"
			 "See 'hoist help'.", name, best);
	else
		herr_set(&e, HOIST_USAGE, "'%s' is not a hoist command.\nSee 'hoist help'.", name);
	out_error(&e);
	return HOIST_USAGE;
}

/*
 * The --json contract (hoist(1)): a command that failed without printing
 * its error as a document gets {"error": {"exit_status", "message"}}, so
 * every run prints exactly one document (tail: its error as a last line).
 */
static int finish(int rc)
{
	if (cli_g.json && rc && !out_json_printed(true)) {
		struct herr e = *out_last_error();
		json_t *doc;

		if (!e.code)
			herr_set(&e, rc, "hoist failed (exit status %d)", rc);
		e.code = rc;
		doc = out_json_error_doc(&e);
		out_json(doc, 0);
		json_decref(doc);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct herr e = { 0 };
	const struct cmd *c;
	int i, rc;

	signal(SIGPIPE, SIG_IGN);
	/*
	 * With TZ unset, glibc stats /etc/localtime on every localtime/mktime
	 * (libzip calls one per archive entry); naming that same zone reads it once.
	 */
	setenv("TZ", ":/etc/localtime", 0);
	/*
	 * Large buffers (a compressed file, an HTTP body) are mapped and given
	 * back when freed: with glibc's adaptive threshold, once a 2 MiB buffer
	 * was freed the next ones came from the heap, whose freed memory stays
	 * counted, and peak memory grew with the files packaged.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 << 10);

	/* Hidden entry points: a provider's own daemon (e.g. the local gateway). */
	if (argc > 2 && strcmp(argv[1], "__daemon") == 0) {
		const struct provider *p = provider_find(argv[2]);

		if (!p || !p->daemon)
			return HOIST_USAGE;
		return p->daemon(argc - 2, argv + 2);
	}
	/* SIGINT, SIGTERM, SIGHUP: stop at the next safe point, exit 128 + signal. */
	intr_install();

	/* Global options before the command; the command's parser takes the rest. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--version")) {
			opts_scan_json(argc - i, argv + i);
			cli_apply_globals();
			print_version();
			return HOIST_OK;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			opts_scan_json(argc - i, argv + i);
			cli_apply_globals();
			if (cli_g.json)
				print_usage_json();
			else
				print_usage(stdout);
			return HOIST_OK;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--settings")) {
			if (++i >= argc) {
				herr_set(&e, HOIST_USAGE, "option '%s' needs a FILE", a);
				opts_scan_json(argc, argv);
				cli_apply_globals();
				out_error(&e);
				return finish(HOIST_USAGE);
			}
			cli_g.settings_path = argv[i];
		} else if (str_starts(a, "--settings=")) {
			cli_g.settings_path = a + strlen("--settings=");
		} else if (!strcmp(a, "--json")) {
			cli_g.json = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli_g.quiet = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli_g.verbose++;
		} else if (!strcmp(a, "-vv")) {
			cli_g.verbose += 2;
		} else if (!strcmp(a, "--no-color")) {
			cli_g.no_color = true;
		} else if (!strcmp(a, "-y") || !strcmp(a, "--yes")) {
			cli_g.yes = true;
		} else if (!strcmp(a, "--all")) {
			cli_g.all = true;
		} else if (!strcmp(a, "--force-unlock")) {
			cli_g.force_unlock = true;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--jobs") || str_starts(a, "--jobs=")) {
			const char *v = str_starts(a, "--jobs=") ? a + strlen("--jobs=")
					: i + 1 < argc ? argv[++i] : NULL;

			if (cli_jobs_value(v, &e)) {
				opts_scan_json(argc, argv);
				cli_apply_globals();
				out_error(&e);
				return finish(HOIST_USAGE);
			}
		} else {
			herr_set(&e, HOIST_USAGE, "unknown option '%s'; see 'hoist help'", a);
			opts_scan_json(argc, argv);
			cli_apply_globals();
			out_error(&e);
			return finish(HOIST_USAGE);
		}
	}
	cli_apply_globals();
	if (i >= argc) {
		print_usage(stderr);
		herr_set(&e, HOIST_USAGE, "no command given; see 'hoist help'");
		if (cli_g.json)
			out_error(&e);
		return finish(HOIST_USAGE);
	}
	c = cmd_find(argv[i]);
	if (!c) {
		opts_scan_json(argc - i, argv + i);
		cli_apply_globals();
		return finish(unknown_command(argv[i]));
	}
	cli_g.command = c->name;
	rc = finish(c->fn(c, argc - i, argv + i));
	intr_temp_cleanup();
	return rc;
}
