/*
 * tail.c — `hoist tail` on the local provider: read the stage log
 * ("<time>\t<source>\t<message>" lines, see stagelog.c), oldest first, from
 * the requested start time, and keep following it while asked to.  The
 * presentation (--http, colours, START/END/REPORT) is core/logview.c's.
 */
#include "local.h"

#include "../provider.h"
#include "../../core/err.h"
#include "../../core/interrupt.h"
#include "../../core/path.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "2026-01-02T03:04:05.678Z" -> epoch ms, or -1. */
static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	int ms = 0;
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!p)
		return -1;
	if (*p == '.')
		ms = atoi(p + 1);
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* Hand one complete line to the sink; non-zero stops. */
static int one_line(char *line, const struct tail_args *a)
{
	char *t1 = strchr(line, '\t'), *t2;
	struct log_event ev = { 0 };

	if (!t1 || !(t2 = strchr(t1 + 1, '\t')))
		return 0;
	*t1 = *t2 = '\0';
	ev.time_ms = parse_time(line);
	ev.stream = t1 + 1;
	ev.message = t2 + 1;
	if (ev.time_ms < a->since_ms)
		return 0;
	if (a->filter && *a->filter && !strstr(ev.message, a->filter))
		return 0;
	return a->sink(&ev, a->ctx);
}

int local_tail(const struct stage *st, const struct tail_args *a, struct herr *e)
{
	char *dir = NULL, *logp;
	json_t *state = NULL;
	struct sbuf pend;
	FILE *f;
	int rc, stop = 0;

	rc = local_open_deployed(st, &dir, &state, e);
	json_decref(state);
	if (rc)
		return rc;
	logp = local_file(dir, "stage.log");
	f = fopen(logp, "r");
	if (!f) {
		rc = a->follow ? HOIST_OK : HOIST_OK;
		if (!a->follow)
			goto out;
	}
	sbuf_init(&pend);
	while (!stop) {
		char buf[65536];
		size_t n;

		if ((rc = intr_check(e)) != HOIST_OK)   /* Ctrl-C ends a follow */
			break;
		if (!f && !(f = fopen(logp, "r"))) {
			if (!path_exists(dir))
				break;
			usleep(200000);
			continue;
		}
		n = fread(buf, 1, sizeof(buf), f);
		if (n) {
			char *nl;

			sbuf_add(&pend, buf, n);
			while (!stop && (nl = memchr(pend.s, '\n', pend.len))) {
				size_t k = (size_t)(nl - pend.s);

				*nl = '\0';
				stop = one_line(pend.s, a);
				memmove(pend.s, nl + 1, pend.len - k - 1);
				pend.len -= k + 1;
				pend.s[pend.len] = '\0';
			}
			continue;
		}
		if (!a->follow)
			break;
		clearerr(f);
		if (!path_exists(logp))
			break;  /* undeployed */
		usleep(200000);
	}
	sbuf_free(&pend);
	if (f)
		fclose(f);
out:
	free(logp);
	free(dir);
	return rc;
}
