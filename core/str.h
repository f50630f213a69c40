/*
 * str.h — small string helpers: a growable buffer, slugs, "did you mean".
 */
#ifndef HOIST_STR_H
#define HOIST_STR_H

#include <stdbool.h>
#include <stddef.h>

/* A growable NUL-terminated byte buffer; owner calls sbuf_free. */
struct sbuf {
	char *s;
	size_t len, cap;
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
void sbuf_add(struct sbuf *b, const void *data, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append `s` as a double-quoted phrase, quotes and backslashes escaped (log queries). */
void sbuf_add_quoted(struct sbuf *b, const char *s);
/* Hand the string to the caller (who frees it); the buffer is left empty. */
char *sbuf_detach(struct sbuf *b);

/* Allocating printf; aborts on out-of-memory like the other x* helpers. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xstrdup(const char *s);
/* a + sep + b, allocated (no printf: the package walk makes two per file). */
char *xstrjoin(const char *a, const char *sep, const char *b);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);

bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);

/*
 * Zappa's slug: lower case, runs of anything but [a-z0-9] become one "-",
 * no leading/trailing "-".  Allocates.
 */
char *str_slug(const char *in);

/* Edit distance (Levenshtein) between two strings. */
size_t str_distance(const char *a, const char *b);

/*
 * The candidate closest to `word`, or NULL when none is close enough to be a
 * plausible typo (distance ≤ max(2, len/3), or a unique prefix).
 */
const char *str_closest(const char *word, const char *const *cands, size_t n);

/* Human-readable size: "9.1 MiB" into buf. */
const char *str_size(unsigned long long bytes, char *buf, size_t len);

/*
 * Standard base64 (OpenSSL), padding honoured: an allocated buffer of *len
 * bytes (NUL-terminated too), or NULL when `in` (n bytes) is not base64.
 */
unsigned char *str_b64_decode(const char *in, size_t n, size_t *len);

#endif
