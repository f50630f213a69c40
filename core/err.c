/*
 * err.c — the error value every layer passes up to cli/.  Messages are
 * redacted as they are made (redact.h): a provider's error text that quotes
 * a token or a canonical request never carries the secret any further.
 */
#include "err.h"

#include "redact.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int herr_set(struct herr *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	redact_in_place(e->msg, sizeof(e->msg));
	return code;
}

int herr_prefix(struct herr *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	size_t n;
	va_list ap;

	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	if (n + 1 < sizeof(e->msg))
		memcpy(e->msg + n, old, strnlen(old, sizeof(e->msg) - n - 1) + 1);
	e->msg[sizeof(e->msg) - 1] = '\0';
	redact_in_place(e->msg, sizeof(e->msg));
	return e->code;
}

int herr_hint(struct herr *e, const char *fmt, ...)
{
	size_t n = strlen(e->msg);
	va_list ap;

	if (n + 1 >= sizeof(e->msg))
		return e->code;
	e->msg[n++] = '\n';
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	va_end(ap);
	redact_in_place(e->msg, sizeof(e->msg));
	return e->code;
}

void herr_clear(struct herr *e)
{
	e->code = HOIST_OK;
	e->msg[0] = '\0';
}
