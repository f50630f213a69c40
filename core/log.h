/*
 * log.h — the output API every layer reports through.
 *
 * stdout carries only results (the URL, the archive path, --json output);
 * everything else — steps, warnings, verbose detail, HTTP traces — goes to
 * stderr.  cli/ fills `struct out_opts` once from the global options; below
 * cli/ nobody calls printf directly.
 */
#ifndef HOIST_LOG_H
#define HOIST_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct herr;

struct out_opts {
	int verbosity;  /* -1 quiet, 0 normal, 1 -v, 2 -vv (HTTP traces) */
	bool json;      /* --json: machine output on stdout */
	bool color;     /* colour allowed (not --no-color, NO_COLOR unset) */
	bool yes;       /* -y: never prompt */
	bool err_tty;   /* stderr is a terminal: progress bars, step timings */
	bool in_tty;    /* stdin is a terminal: prompts possible */
	bool no_progress;  /* no progress bars even on a terminal (--all's prefixed lines) */
};

void out_init(const struct out_opts *o);
/*
 * This thread shows nothing from now on but -vv traces: a thread that reads
 * ahead for the command (readahead.h), whose own steps say what happens.
 */
void out_mute_thread(void);
const struct out_opts *out_get(void);

/* A step of the operation ("Uploading dev.zip (9.1 MiB)…"), stderr, not with -q. */
void out_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Detail shown with -v. */
void out_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Trace shown with -vv (HTTP); callers redact secrets first. */
void out_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "warning: …" on stderr, shown even with -q. */
void out_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "error: …" on stderr for a failed operation. */
void out_error(const struct herr *e);
/* A result line on stdout. */
void out_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * --json (hoist(1), "JSON output"): print one document on stdout, compact
 * (or with `flags`, e.g. JSON_INDENT(2)), one line per document unless
 * indented.  out_json_error_doc builds {"error": {"exit_status", "message"}}
 * (new reference).  main() prints the error of a failed command as a
 * document when the command printed none (out_json_printed tells), so every
 * command prints exactly one document, errors included.
 */
void out_json(const json_t *doc, size_t flags);
json_t *out_json_error_doc(const struct herr *e);
bool out_json_printed(bool errors_only);
/* The last error out_error printed (code 0 when none). */
const struct herr *out_last_error(void);

/* ANSI colour helpers: return "" when colour is off for that stream. */
const char *out_c(FILE *stream, const char *ansi);
#define OUT_BOLD "\033[1m"
#define OUT_RED "\033[31m"
#define OUT_GREEN "\033[32m"
#define OUT_YELLOW "\033[33m"
#define OUT_CYAN "\033[36m"
#define OUT_DIM "\033[2m"
#define OUT_RESET "\033[0m"

/* Ask a yes/no question on the terminal; -y answers yes, no terminal answers no. */
bool out_confirm(const char *question);

/* Progress of a long transfer/packaging step; drawn only when stderr is a TTY. */
void out_progress(const char *label, unsigned long long done, unsigned long long total);
void out_progress_end(void);

#endif
