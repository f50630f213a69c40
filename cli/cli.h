/*
 * cli.h — what the commands in cli/ share: the command table entry, the
 * declarative option parser, the global options, and stage selection.
 */
#ifndef HOIST_CLI_H
#define HOIST_CLI_H

#include "../core/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct herr;
struct settings;
struct stage;

/* Global options (SPEC.md §1); the only mutable global state in hoist. */
struct cli_globals {
	const char *settings_path;  /* -s FILE */
	bool all;                   /* --all */
	bool json, quiet, no_color, yes;
	bool force_unlock;          /* --force-unlock: take over the stage lock */
	int jobs;                   /* --jobs N: stages at once under --all (0: processors) */
	int verbose;
	const char *command;        /* the command being run ("deploy") */
};
extern struct cli_globals cli_g;

enum opt_type { OPT_BOOL, OPT_STRING, OPT_INT, OPT_LIST };

/* OPT_LIST's destination: every occurrence, in order (v allocated; the command frees it). */
struct opt_list {
	const char **v;
	int n;
};

/* One command option; the tables end with an entry whose long_name is NULL. */
struct opt {
	const char *long_name;   /* "since" for --since */
	char short_name;         /* 'n' for -n, or 0 */
	enum opt_type type;
	void *dest;              /* bool *, const char **, int *, or struct opt_list * */
	const char *argname;     /* "FILE" in the help, for OPT_STRING/OPT_INT */
	const char *help;
};

struct cmd {
	const char *name;
	int (*fn)(const struct cmd *self, int argc, char **argv);
	const char *usage;       /* "[stage] [-o FILE]" */
	const char *help;        /* one line */
	const struct opt *opts;  /* command options or NULL */
};

/*
 * Parse argv (argv[0] is the command name) against the command's options and
 * the global options.  Positionals are collected into pos (allocated array,
 * caller frees) unless `stop_after` > 0 positionals were seen, after which
 * everything is positional (for `manage dev migrate --noinput`).
 * Returns -1 when --help was printed (exit 0), HOIST_OK, or HOIST_USAGE.
 */
int opts_parse(const struct cmd *c, int argc, char **argv, char ***pos, int *npos,
	       int stop_after, struct herr *e);

/* Print `hoist <cmd> --help` (--json: the document of cmd_help_doc). */
void cmd_print_help(const struct cmd *c);
/* {"name", "usage", "help", "options": [{"name", "short", "argument", "help"}]}; new reference. */
json_t *cmd_help_doc(const struct cmd *c);

/* Set --json when it is among argv (before "--"), for errors met before argv is parsed. */
void opts_scan_json(int argc, char **argv);

/* --jobs N (1..256) into cli_g.jobs, or a usage error. */
int cli_jobs_value(const char *v, struct herr *e);

/* Apply the parsed global options to core's output settings. */
void cli_apply_globals(void);

/*
 * Load the settings file and open the stage named `arg` (or the only one).
 * On success both are filled and the caller closes them.
 */
int cli_open_stage(const char *arg, struct settings *s, struct stage *st, struct herr *e);

/*
 * A command that acts on [stage] or on every stage (--all).  run() does the
 * work for one opened stage and returns its result as one JSON document
 * (*doc, a new reference; it may also be set on failure, e.g. invoke's
 * output).  run() never writes to stdout, only progress on stderr: one
 * stage's run is a function of (stage, options), which is what lets --all
 * run stages side by side.  show() prints the result for a human (stdout:
 * the result; stderr: a headline): after a success, or after a failure that
 * still produced a document (request's body of an HTTP 500); NULL prints
 * the document.
 */
struct stage_cmd {
	int (*run)(struct stage *st, void *ctx, json_t **doc, struct herr *e);
	void (*show)(const struct stage *st, json_t *doc, void *ctx);
	/* Under --all each element is {"stage": name, <all_key>: doc} (settings);
	 * NULL: the document itself, which carries "stage". */
	const char *all_key;
	size_t json_flags;   /* json_dumps flags for the document; 0: compact */
	/* run() prints its own lines (tail: one JSON object per line with
	 * --json); only a failure adds a document, {"stage", "error"}. */
	bool streams;
	/* run() may ask on the terminal (undeploy): --all runs one stage at a
	 * time then, unless -y. */
	bool prompts;
};

/* What one stage's run produced: exit status, error, and its JSON document. */
struct stage_result {
	int rc;
	struct herr e;
	json_t *doc;   /* result, or {"stage", "error": {…}, …} on failure; owned */
	bool failed_doc;   /* run() failed but produced a document */
};

/*
 * One stage's whole run: sc->run on the opened stage; r->doc is the
 * document --json prints for it (errors included).  Writes nothing on stdout.
 */
void cli_stage_run(const struct stage_cmd *sc, void *ctx, struct stage *st,
		   struct stage_result *r);

/*
 * Run sc for the stage given (or each stage with --all: every stage's
 * settings are checked first, all problems reported at once, before any
 * stage runs; then the stages run side by side, --jobs at a time, and a
 * failure does not stop the others), then print: with --json exactly one
 * document (one array under --all, in file order), else each result for a
 * human.  Returns the worst status with `e` filled (the caller prints it on
 * stderr; under --all each failing stage's own error is printed with its
 * output and `e` names the stages that failed).
 */
int cli_each_stage(const char *arg, const struct stage_cmd *sc, void *ctx, struct herr *e);

/*
 * The whole of a command that takes [stage] (or --all) and its options:
 * parse argv, run sc for each stage, print the error.
 */
int cli_stage_command(const struct cmd *self, int argc, char **argv,
		      const struct stage_cmd *sc, void *ctx);

/* The command table, NULL-terminated by name. */
extern const struct cmd hoist_commands[];
const struct cmd *cmd_find(const char *name);

#endif
