/*
 * logview.c — presentation of log events for `hoist tail` (see logview.h).
 */
#include "logview.h"

#include "err.h"
#include "str.h"

#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int logview_parse_since(const char *s, int64_t now_ms, int64_t *out_ms, struct herr *e)
{
	char *end;
	double n = strtod(s, &end);
	struct tm tm = { 0 };
	const char *p;
	int ms = 0;

	if (end != s && n >= 0) {
		double unit = !*end || !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 :
			      !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400 :
			      !strcmp(end, "w") ? 604800 : -1;

		if (unit > 0 && !strchr(s, '-') && !strchr(s, ':')) {
			*out_ms = now_ms - (int64_t)(n * unit * 1000);
			return 0;
		}
	}
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (!p) {
		memset(&tm, 0, sizeof(tm));
		p = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!p)
		return herr_set(e, HOIST_USAGE, "--since '%s': give a duration (30s, 10m, 2h, 1d) "
				"or a time (2026-01-31T12:00:00Z)", s);
	if (*p == '.') {
		ms = atoi(p + 1);
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p && strcmp(p, "Z") && strcmp(p, "+00:00"))
		return herr_set(e, HOIST_USAGE, "--since '%s': only UTC times (ending in Z) are "
				"accepted", s);
	*out_ms = (int64_t)timegm(&tm) * 1000 + ms;
	return 0;
}

bool logview_is_http(const char *msg)
{
	static regex_t re;
	static int compiled;

	if (!compiled) {
		if (regcomp(&re, "^[^[:space:]]+ [^[:space:]]+ [^[:space:]]+ \\[[^]]+\\] "
			    "\"[A-Z]+ [^\"]*\" [0-9]{3} ", REG_EXTENDED | REG_NOSUB))
			return false;
		compiled = 1;
	}
	return regexec(&re, msg, 0, NULL, 0) == 0;
}

bool logview_is_platform(const char *msg)
{
	/* Lambda: START/END/REPORT/INIT_START; SCF: START/END, "Report RequestId". */
	return str_starts(msg, "START RequestId: ") || str_starts(msg, "END RequestId: ") ||
	       str_starts(msg, "REPORT RequestId: ") || str_starts(msg, "INIT_START ") ||
	       str_starts(msg, "Report RequestId: ");
}

static const char *status_color(const char *msg)
{
	const char *q = strstr(msg, "\" ");

	if (!q)
		return "";
	switch (q[2]) {
	case '2':
	case '3':
		return "\033[32m";
	case '4':
		return "\033[33m";
	default:
		return "\033[31m";
	}
}

int logview_print(const struct logview *v, int64_t time_ms, const char *stream,
		  const char *message)
{
	bool http = logview_is_http(message);
	time_t t = (time_t)(time_ms / 1000);
	struct tm tm;
	char ts[40];
	const char *mc = "";

	if (!v->verbose && logview_is_platform(message))
		return 0;
	if ((v->only_http && !http) || (v->only_non_http && http))
		return 0;
	gmtime_r(&t, &tm);
	if (v->json) {
		char iso[48];
		json_t *j;
		char *s;

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(iso, sizeof(iso), "%s.%03dZ", ts, (int)(time_ms % 1000));
		j = json_pack("{s:s?, s:s, s:I, s:s?, s:s, s:b}", "stage", v->stage, "time", iso,
			      "time_ms", (json_int_t)time_ms, "stream", stream, "message", message,
			      "http", http);
		s = json_dumps(j, JSON_COMPACT);
		fprintf(v->out, "%s\n", s ? s : "{}");
		fflush(v->out);
		free(s);
		json_decref(j);
		return 1;
	}
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	if (v->color)
		mc = http ? status_color(message) :
		     logview_is_platform(message) ? "\033[2m" :
		     strstr(message, "Traceback") || strstr(message, "Error") ? "\033[31m" : "";
	fprintf(v->out, "%s[%s.%03dZ]%s ", v->color ? "\033[2m" : "", ts, (int)(time_ms % 1000),
		v->color ? "\033[0m" : "");
	if (v->verbose && stream)
		fprintf(v->out, "%s%s%s ", v->color ? "\033[36m" : "", stream,
			v->color ? "\033[0m" : "");
	fprintf(v->out, "%s%s%s\n", mc, message, *mc ? "\033[0m" : "");
	fflush(v->out);
	return 1;
}
