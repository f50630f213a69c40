/*
 * cli.h — what the commands in cli/ share: the command table entry, the
 * declarative option parser, the global options, and stage selection.
 */
#ifndef HOIST_CLI_H
#define HOIST_CLI_H

#include <stdbool.h>

struct herr;
struct settings;
struct stage;

/* Global options (SPEC.md §1); the only mutable global state in hoist. */
struct cli_globals {
	const char *settings_path;  /* -s FILE */
	bool all;                   /* --all */
	bool json, quiet, no_color, yes;
	int verbose;
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

/* Print `hoist <cmd> --help`. */
void cmd_print_help(const struct cmd *c);

/* Apply the parsed global options to core's output settings. */
void cli_apply_globals(void);

/*
 * Load the settings file and open the stage named `arg` (or the only one).
 * On success both are filled and the caller closes them.
 */
int cli_open_stage(const char *arg, struct settings *s, struct stage *st, struct herr *e);

/*
 * Run fn for the stage given (or each stage with --all).  Stops at the first
 * failure and returns its status.
 */
int cli_each_stage(const char *arg, int (*fn)(struct stage *st, void *ctx), void *ctx,
		   struct herr *e);

/*
 * The whole of a command that takes [stage] (or --all) and its options:
 * parse argv, run fn(stage, struct herr *) for each stage, print the error.
 */
int cli_stage_command(const struct cmd *self, int argc, char **argv,
		      int (*fn)(struct stage *st, void *ctx));

/* The command table, NULL-terminated by name. */
extern const struct cmd hoist_commands[];
const struct cmd *cmd_find(const char *name);

#endif
