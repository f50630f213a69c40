/*
 * sign_acs3.c — ACS3-HMAC-SHA256 (see sign_acs3.h for the algorithm).
 */
#include "sign_acs3.h"

#include "../../core/digest.h"
#include "../../core/str.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void acs3_date(long long epoch, char buf[21])
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int kv_cmp(const void *a, const void *b)
{
	const struct ali_kv *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value ? x->value : "", y->value ? y->value : "");
}

/* pathname with the SDK's three substitutions. */
static void canonical_uri(struct sbuf *b, const char *p)
{
	for (; *p; p++) {
		if (*p == '+')
			sbuf_adds(b, "%20");
		else if (*p == '*')
			sbuf_adds(b, "%2A");
		else if (!strncmp(p, "%7E", 3)) {
			sbuf_addc(b, '~');
			p += 2;
		} else
			sbuf_addc(b, *p);
	}
}

static void canonical_query(struct sbuf *b, const struct acs3_req *r)
{
	struct ali_kv *q = xcalloc(r->n_query + 1, sizeof(*q));

	if (r->n_query)   /* no query: r->query may be NULL (UBSan) */
		memcpy(q, r->query, r->n_query * sizeof(*q));
	qsort(q, r->n_query, sizeof(*q), kv_cmp);
	for (size_t i = 0; i < r->n_query; i++) {
		char *v = q[i].value ? digest_pct_encode(q[i].value, strlen(q[i].value), false)
				     : xstrdup("");

		sbuf_printf(b, "%s%s=%s", i ? "&" : "", q[i].name, v);
		free(v);
	}
	free(q);
}

static char *lower_trim(const char *s, bool lower)
{
	const char *end;
	char *o;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	o = xasprintf("%.*s", (int)(end - s), s);
	for (char *p = o; lower && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return o;
}

/* Signed headers: host, content-type, x-acs-*; lower-cased, sorted, merged. */
static void canonical_headers(struct sbuf *b, struct sbuf *names, const struct acs3_req *r)
{
	struct ali_kv *h = xcalloc(r->n_headers + 1, sizeof(*h));
	size_t n = 0;

	for (size_t i = 0; i < r->n_headers; i++) {
		char *name = lower_trim(r->headers[i].name, true);

		if (strcmp(name, "host") && strcmp(name, "content-type") &&
		    !str_starts(name, "x-acs-")) {
			free(name);
			continue;
		}
		h[n].name = name;
		h[n++].value = lower_trim(r->headers[i].value ? r->headers[i].value : "", false);
	}
	qsort(h, n, sizeof(*h), kv_cmp);
	for (size_t i = 0; i < n; i++) {
		bool same = i > 0 && !strcmp(h[i - 1].name, h[i].name);

		if (same) {
			sbuf_printf(b, ",%s", h[i].value);
			continue;
		}
		sbuf_printf(b, "%s%s:%s", i ? "\n" : "", h[i].name, h[i].value);
		sbuf_printf(names, "%s%s", names->len ? ";" : "", h[i].name);
	}
	if (n)
		sbuf_addc(b, '\n');
	for (size_t i = 0; i < n; i++) {
		free((char *)h[i].name);
		free((char *)h[i].value);
	}
	free(h);
}

int acs3_sign(const struct acs3_req *r, const char *ak, const char *sk, struct acs3_out *out)
{
	struct sbuf cr, names;
	char hash[65], *sts;
	unsigned char mac[32];

	memset(out, 0, sizeof(*out));
	if (!r->method || !r->pathname || !ak || !sk)
		return -1;
	sbuf_init(&cr);
	sbuf_init(&names);
	sbuf_printf(&cr, "%s\n", r->method);
	canonical_uri(&cr, r->pathname);
	sbuf_addc(&cr, '\n');
	canonical_query(&cr, r);
	sbuf_addc(&cr, '\n');
	canonical_headers(&cr, &names, r);
	sbuf_printf(&cr, "\n%s\n%s", names.s ? names.s : "", r->payload_hash ? r->payload_hash : "");
	digest_sha256_hex(cr.s, cr.len, hash);
	sts = xasprintf("ACS3-HMAC-SHA256\n%s", hash);
	digest_hmac_sha256(sk, strlen(sk), sts, strlen(sts), mac);
	digest_hex(mac, 32, out->signature, false);
	out->authorization = xasprintf("ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,"
				       "Signature=%s", ak, names.s ? names.s : "", out->signature);
	out->canonical_request = sbuf_detach(&cr);
	sbuf_free(&names);
	free(sts);
	return 0;
}

void acs3_out_free(struct acs3_out *out)
{
	free(out->authorization);
	free(out->canonical_request);
	memset(out, 0, sizeof(*out));
}
