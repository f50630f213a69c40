/*
 * str.c — growable buffers, slugs, edit distance and the x* allocators.
 */
#include "str.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("hoist: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fputs("hoist: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("hoist: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

char *xstrjoin(const char *a, const char *sep, const char *b)
{
	size_t na = strlen(a), ns = strlen(sep), nb = strlen(b) + 1;
	char *s = xmalloc(na + ns + nb);

	memcpy(s, a, na);
	memcpy(s + na, sep, ns);
	memcpy(s + na + ns, b, nb);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;
	int n;

	sbuf_init(&b);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	b.s = xrealloc(b.s, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b.s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return b.s;
}

void sbuf_init(struct sbuf *b)
{
	b->s = NULL;
	b->len = b->cap = 0;
}

void sbuf_free(struct sbuf *b)
{
	free(b->s);
	sbuf_init(b);
}

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

static void grow(struct sbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 64;
	while (b->cap < need)
		b->cap *= 2;
	b->s = xrealloc(b->s, b->cap);
}

void sbuf_add(struct sbuf *b, const void *data, size_t n)
{
	grow(b, n);
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sbuf_add_quoted(struct sbuf *b, const char *s)
{
	sbuf_addc(b, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			sbuf_addc(b, '\\');
		sbuf_addc(b, *p);
	}
	sbuf_addc(b, '"');
}

char *sbuf_detach(struct sbuf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	sbuf_init(b);
	return s;
}

bool str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *str_slug(const char *in)
{
	struct sbuf b;
	int dash = 0;

	sbuf_init(&b);
	for (; *in; in++) {
		char c = *in;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && b.len)
				sbuf_addc(&b, '-');
			dash = 0;
			sbuf_addc(&b, c);
		} else {
			dash = 1;
		}
	}
	return sbuf_detach(&b);
}

size_t str_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), i, j, *row, res;

	row = xmalloc((m + 1) * sizeof(*row));
	for (j = 0; j <= m; j++)
		row[j] = j;
	for (i = 1; i <= n; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= m; j++) {
			size_t up = row[j], best;

			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	res = row[m];
	free(row);
	return res;
}

const char *str_closest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL, *prefix = NULL;
	size_t best_d = (size_t)-1, limit, i, prefixes = 0;

	limit = strlen(word) / 3;
	if (limit < 2)
		limit = 2;
	for (i = 0; i < n; i++) {
		size_t d = str_distance(word, cands[i]);

		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
		if (*word && str_starts(cands[i], word)) {
			prefix = cands[i];
			prefixes++;
		}
	}
	if (best && best_d <= limit)
		return best;
	return prefixes == 1 ? prefix : NULL;
}

const char *str_size(unsigned long long bytes, char *buf, size_t len)
{
	if (bytes >= 1024ULL * 1024 * 1024)
		snprintf(buf, len, "%.1f GiB", (double)bytes / (1024.0 * 1024 * 1024));
	else if (bytes >= 1024ULL * 1024)
		snprintf(buf, len, "%.1f MiB", (double)bytes / (1024.0 * 1024));
	else if (bytes >= 1024)
		snprintf(buf, len, "%.1f KiB", (double)bytes / 1024.0);
	else
		snprintf(buf, len, "%llu B", bytes);
	return buf;
}

unsigned char *str_b64_decode(const char *in, size_t n, size_t *len)
{
	unsigned char *out = xmalloc(n / 4 * 3 + 4);
	int m = n ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)n) : 0;

	if (m < 0) {
		free(out);
		return NULL;
	}
	while (n > 0 && in[n - 1] == '=' && m > 0) {   /* DecodeBlock counts the padding */
		m--;
		n--;
	}
	out[m] = '\0';
	*len = (size_t)m;
	return out;
}
