/*
 * redact.c — the secret-hiding filter every message goes through (redact.h).
 */
#include "redact.h"

#include "http.h"
#include "str.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SECRETS 16
#define MIN_SECRET 8
#define HIDDEN "<redacted>"

/*
 * Registered by any thread (reads made beside the command's own learn
 * secrets too), one at a time; read without a lock: a slot, once set, never
 * changes, and is published whole (release / acquire).
 */
static char *secrets[MAX_SECRETS];
static pthread_mutex_t register_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *secret_slot(int i)
{
	return __atomic_load_n(&secrets[i], __ATOMIC_ACQUIRE);
}

void redact_register(const char *secret)
{
	if (!secret || strlen(secret) < MIN_SECRET)
		return;
	pthread_mutex_lock(&register_mu);
	for (int i = 0; i < MAX_SECRETS; i++) {
		if (secrets[i] && !strcmp(secrets[i], secret))
			break;
		if (!secrets[i]) {
			__atomic_store_n(&secrets[i], xstrdup(secret), __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&register_mu);
}

/* Length of a registered secret starting at p, or 0. */
static size_t secret_at(const char *p)
{
	const char *s;

	for (int i = 0; i < MAX_SECRETS && (s = secret_slot(i)); i++) {
		size_t n = strlen(s);

		if (!strncmp(p, s, n))
			return n;
	}
	return 0;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/*
 * Is the name (n bytes at p) one whose value is secret?  A parameter: any
 * secret-sounding name; a header: Authorization, Cookie, or a hyphenated
 * secret-sounding name (so prose like "credentials: none" stays).
 */
static bool secret_name(const char *p, size_t n, bool header)
{
	char name[128];

	if (n >= sizeof(name))
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	if (!header)
		return http_header_is_secret(name);
	if (!strcasecmp(name, "authorization") || !strcasecmp(name, "cookie") ||
	    !strcasecmp(name, "proxy-authorization"))
		return true;
	return memchr(p, '-', n) && http_header_is_secret(name);
}

/* Pass 1: every registered secret, wherever it is. */
static char *hide_registered(const char *text)
{
	struct sbuf b;
	const char *p = text;

	sbuf_init(&b);
	while (*p) {
		size_t n = secret_at(p);

		if (n) {
			sbuf_adds(&b, HIDDEN);
			p += n;
		} else {
			sbuf_addc(&b, *p++);
		}
	}
	return b.s ? sbuf_detach(&b) : xstrdup("");
}

/* Pass 2: the values of secret headers and parameters. */
char *redact_text(const char *in)
{
	char *text = secret_slot(0) ? hide_registered(in) : NULL;
	const char *p = text ? text : in, *start = p;
	struct sbuf b;
	size_t n;

	sbuf_init(&b);
	while (*p) {
		if (name_char(*p) && (p == start || !name_char(p[-1]))) {
			char before = p == start ? ' ' : p[-1];

			for (n = 0; name_char(p[n]); n++)
				;
			if (p[n] == ':' && secret_name(p, n, true)) {
				sbuf_add(&b, p, n + 1);
				p += n + 1;
				while (*p == ' ' || *p == '\t')
					sbuf_addc(&b, *p++);
				if (*p && *p != '\n' && *p != '\r')
					sbuf_adds(&b, HIDDEN);
				p += strcspn(p, "\r\n");
				continue;
			}
			if (p[n] == '=' && strchr("?&, \t\n'\"", before) && secret_name(p, n, false)) {
				sbuf_add(&b, p, n + 1);
				p += n + 1;
				if (*p && !strchr("& \t\r\n'\",)", *p))
					sbuf_adds(&b, HIDDEN);
				p += strcspn(p, "& \t\r\n'\",)");
				continue;
			}
			sbuf_add(&b, p, n);
			p += n;
			continue;
		}
		sbuf_addc(&b, *p++);
	}
	free(text);
	return b.s ? sbuf_detach(&b) : xstrdup("");
}

void redact_in_place(char *buf, size_t size)
{
	char *r;

	if (!size)
		return;
	r = redact_text(buf);
	snprintf(buf, size, "%s", r);
	free(r);
}
