/*
 * sign_xca.c — API Gateway's X-Ca-Signature (sign_xca.h says exactly what
 * is signed).
 */
#include "sign_xca.h"

#include "../../core/digest.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct param {
	char *name, *value;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct param *)a)->name, ((const struct param *)b)->name);
}

static int by_header(const void *a, const void *b)
{
	return strcmp(((const struct ali_kv *)a)->name, ((const struct ali_kv *)b)->name);
}

/* Add the pairs of "a=1&b=x%20y" to p (first value of a name wins). */
static void parse(const char *s, size_t len, struct param **p, size_t *n)
{
	const char *end = s + len;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s)), *eq;
		size_t part = amp ? (size_t)(amp - s) : (size_t)(end - s);
		char *k, *v;
		bool dup = false;

		eq = memchr(s, '=', part);
		if (part && eq != s) {
			k = digest_pct_decode(s, eq ? (size_t)(eq - s) : part, true);
			v = eq ? digest_pct_decode(eq + 1, part - (size_t)(eq - s) - 1, true)
			       : xstrdup("");
			for (size_t i = 0; i < *n; i++)
				dup |= !strcmp((*p)[i].name, k);
			if (dup) {
				free(k);
				free(v);
			} else {
				*p = xrealloc(*p, (*n + 1) * sizeof(**p));
				(*p)[(*n)++] = (struct param){ k, v };
			}
		}
		s += part + 1;
	}
}

int xca_is_form(const char *ct)
{
	return ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33);
}

char *xca_string_to_sign(const struct xca_req *r)
{
	struct ali_kv *h = xcalloc(r->n_headers + 1, sizeof(*h));
	struct param *p = NULL;
	struct sbuf b;
	size_t n = 0;

	sbuf_init(&b);
	sbuf_printf(&b, "%s\n%s\n%s\n%s\n%s\n", r->method, r->accept ? r->accept : "",
		    r->content_md5 ? r->content_md5 : "", r->content_type ? r->content_type : "",
		    r->date ? r->date : "");
	if (r->n_headers) {
		memcpy(h, r->headers, r->n_headers * sizeof(*h));
		qsort(h, r->n_headers, sizeof(*h), by_header);
	}
	for (size_t i = 0; i < r->n_headers; i++)
		sbuf_printf(&b, "%s:%s\n", h[i].name, h[i].value ? h[i].value : "");
	sbuf_adds(&b, r->path && *r->path ? r->path : "/");
	if (r->query)
		parse(r->query, strlen(r->query), &p, &n);
	if (r->form && xca_is_form(r->content_type))
		parse(r->form, r->form_len, &p, &n);
	if (n)
		qsort(p, n, sizeof(*p), by_name);
	for (size_t i = 0; i < n; i++) {
		sbuf_printf(&b, "%s%s", i ? "&" : "?", p[i].name);
		if (*p[i].value)
			sbuf_printf(&b, "=%s", p[i].value);
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
	free(h);
	return sbuf_detach(&b);
}

char *xca_signature(const char *secret, const char *sts)
{
	unsigned char mac[32];

	digest_hmac_sha256(secret, strlen(secret), sts, strlen(sts), mac);
	return digest_base64(mac, sizeof(mac));
}

char *xca_content_md5(const void *body, size_t len)
{
	unsigned char md[16];

	digest_md5(body, len, md);
	return digest_base64(md, sizeof(md));
}
