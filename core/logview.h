/*
 * logview.h — how `hoist tail` presents log events, for every provider:
 * --since parsing, HTTP/non-HTTP classification (the access-log format of
 * templates/python/README.md), platform lines (START/END/REPORT) hidden
 * unless -v, colour on a terminal.
 */
#ifndef HOIST_LOGVIEW_H
#define HOIST_LOGVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct herr;

/* "30s", "10m", "2h", "1d", "1w" before now, or an ISO 8601 / RFC 3339 time. */
int logview_parse_since(const char *s, int64_t now_ms, int64_t *out_ms, struct herr *e);

/* An access-log line: ^\S+ \S+ \S+ \[[^\]]+\] "[A-Z]+ [^"]*" [0-9]{3} */
bool logview_is_http(const char *msg);
/* A platform line: START/END/REPORT/INIT_START RequestId … (SCF: Report RequestId …) */
bool logview_is_platform(const char *msg);

struct logview {
	FILE *out;
	bool only_http, only_non_http;
	bool verbose;   /* show platform lines and the stream */
	bool color;
	/* --json: one object per line {"stage", "time", "time_ms", "stream", "message", "http"} */
	bool json;
	const char *stage;
};

/* Print one event if it passes the view's filters; returns 1 if printed. */
int logview_print(const struct logview *v, int64_t time_ms, const char *stream,
		  const char *message);

#endif
