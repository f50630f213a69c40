/*
 * stagelog.c — the stage log: one file per stage, one event per line,
 *
 *     <RFC 3339 UTC time with milliseconds>\t<source>\t<message>
 *
 * written with one O_APPEND write per line so `hoist tail` never sees half a
 * line.  Sources: "gateway", "worker-<pid>", "timer".
 */
#include "local.h"

#include "../../core/err.h"
#include "../../core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rfc3339_ms(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char tmp[32];

	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", tmp, (int)(ms % 1000));
}

int stagelog_open(const char *path, struct herr *e)
{
	log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (log_fd < 0)
		return herr_set(e, HOIST_FAIL, "cannot open the stage log %s: %s", path,
				strerror(errno));
	return HOIST_OK;
}

void stagelog_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

/* Write one line; the message must not contain a newline. */
static void put_line(const char *source, const char *msg, size_t len)
{
	char ts[40];
	struct sbuf b;

	if (log_fd < 0)
		return;
	rfc3339_ms(now_ms(), ts, sizeof(ts));
	sbuf_init(&b);
	sbuf_printf(&b, "%s\t%s\t", ts, source);
	sbuf_add(&b, msg, len);
	sbuf_addc(&b, '\n');
	if (write(log_fd, b.s, b.len) < 0)
		(void)0;  /* nowhere left to report it */
	sbuf_free(&b);
}

void stagelog_raw(const char *source, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;

	if (!len)
		put_line(source, "", 0);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n && p[n - 1] == '\r')
			n--;
		put_line(source, p, n);
		p = nl ? nl + 1 : end;
	}
}

void stagelog(const char *source, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	stagelog_raw(source, s, (size_t)n);
	free(s);
}
