/*
 * log.c — stderr progress, warnings and errors; stdout results.
 */
#include "log.h"

#include "clock.h"
#include "err.h"
#include "redact.h"
#include "str.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct out_opts opts = { .verbosity = 0 };
static __thread bool muted;   /* out_mute_thread */
static double started = -1;   /* clock_now_s() at the first out_init */
static struct herr last_error;
static bool json_printed, json_error_printed;

void out_mute_thread(void)
{
	muted = true;
}

void out_init(const struct out_opts *o)
{
	opts = *o;
	if (started < 0)
		started = clock_now_s();
}

const struct out_opts *out_get(void)
{
	return &opts;
}

const char *out_c(FILE *stream, const char *ansi)
{
	if (!opts.color)
		return "";
	if (stream == stderr && !opts.err_tty)
		return "";
	if (stream == stdout && !isatty(STDOUT_FILENO))
		return "";
	return ansi;
}

/* One stderr line, with secrets redacted (redact.h) whatever the caller passed. */
static void vline(FILE *f, const char *prefix, const char *color, const char *fmt, va_list ap)
{
	char *text = NULL, *clean;

	char *line;

	if (vasprintf(&text, fmt, ap) < 0)
		return;
	clean = redact_text(text);
	/* one write per line: a package built beside (cli/package_job.c) shares stderr */
	line = prefix ? xasprintf("%s%s%s%s\n", out_c(f, color), prefix, out_c(f, OUT_RESET), clean)
		      : xasprintf("%s\n", clean);
	fputs(line, f);
	fflush(f);
	free(line);
	free(clean);
	free(text);
}

/* On a terminal each step carries the time since hoist started: "[  1.24s] …". */
void out_step(const char *fmt, ...)
{
	char stamp[32];
	va_list ap;

	if (opts.verbosity < 0 || muted)
		return;
	va_start(ap, fmt);
	if (opts.err_tty && started >= 0) {
		snprintf(stamp, sizeof(stamp), "[%6.2fs] ", clock_now_s() - started);
		vline(stderr, stamp, OUT_DIM, fmt, ap);
	} else {
		vline(stderr, NULL, NULL, fmt, ap);
	}
	va_end(ap);
}

void out_info(const char *fmt, ...)
{
	va_list ap;

	if (opts.verbosity < 1 || muted)
		return;
	va_start(ap, fmt);
	vline(stderr, NULL, NULL, fmt, ap);
	va_end(ap);
}

void out_debug(const char *fmt, ...)
{
	va_list ap;

	if (opts.verbosity < 2)
		return;
	va_start(ap, fmt);
	vline(stderr, NULL, NULL, fmt, ap);
	va_end(ap);
}

void out_warn(const char *fmt, ...)
{
	va_list ap;

	if (muted)
		return;
	va_start(ap, fmt);
	vline(stderr, "warning: ", OUT_YELLOW, fmt, ap);
	va_end(ap);
}

void out_error(const struct herr *e)
{
	last_error = *e;
	if (!last_error.code)
		last_error.code = HOIST_FAIL;
	redact_in_place(last_error.msg, sizeof(last_error.msg));
	fprintf(stderr, "%serror:%s %s\n", out_c(stderr, OUT_RED), out_c(stderr, OUT_RESET),
		last_error.msg[0] ? last_error.msg : "unknown error");
	fflush(stderr);
}

void out_result(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

const struct herr *out_last_error(void)
{
	return &last_error;
}

json_t *out_json_error_doc(const struct herr *e)
{
	return json_pack("{s:{s:i, s:s}}", "error", "exit_status", e->code ? e->code : HOIST_FAIL,
			 "message", e->msg[0] ? e->msg : "unknown error");
}

void out_json(const json_t *doc, size_t flags)
{
	char *s = json_dumps(doc, (flags ? flags : JSON_COMPACT) | JSON_ENCODE_ANY);

	fputs(s ? s : "null", stdout);
	fputc('\n', stdout);
	fflush(stdout);
	free(s);
	json_printed = true;
	if (json_is_object(doc) && json_object_get(doc, "error"))
		json_error_printed = true;
	if (json_is_array(doc)) {
		size_t i;
		json_t *x;

		json_array_foreach(doc, i, x)
			if (json_object_get(x, "error"))
				json_error_printed = true;
	}
}

bool out_json_printed(bool errors_only)
{
	return errors_only ? json_error_printed : json_printed;
}

bool out_confirm(const char *question)
{
	char line[64];

	if (opts.yes)
		return true;
	if (!opts.in_tty)
		return false;
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int progress_drawn;

void out_progress(const char *label, unsigned long long done, unsigned long long total)
{
	int width = 30, filled;

	if (!opts.err_tty || opts.no_progress || opts.verbosity < 0 || total == 0 || muted)
		return;
	filled = (int)(done * (unsigned long long)width / total);
	fprintf(stderr, "\r%s [%.*s%*s] %3d%%", label, filled,
		"##############################", width - filled, "",
		(int)(done * 100 / total));
	fflush(stderr);
	progress_drawn = 1;
}

void out_progress_end(void)
{
	if (progress_drawn) {
		fputc('\n', stderr);
		progress_drawn = 0;
	}
}
