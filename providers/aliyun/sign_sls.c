/*
 * sign_sls.c — the SLS "LOG" signature (see sign_sls.h for the algorithm).
 */
#include "sign_sls.h"

#include "../../core/digest.h"
#include "../../core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void sls_date(long long epoch, char buf[32])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
					    "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
		 mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int name_cmp(const void *a, const void *b)
{
	const struct ali_kv *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static const char *header(const struct sls_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value ? r->headers[i].value : "";
	return "";
}

static bool signed_name(const char *n)
{
	return strcasestr(n, "x-log-") || strcasestr(n, "x-acs-");
}

int sls_sign(const struct sls_req *r, const char *ak, const char *sk, struct sls_out *out)
{
	struct ali_kv *v;
	struct sbuf s;
	unsigned char mac[32];
	size_t n = 0;
	char *b64;

	memset(out, 0, sizeof(*out));
	if (!r->method || !r->path || !ak || !sk)
		return -1;
	sbuf_init(&s);
	sbuf_printf(&s, "%s\n%s\n%s\n%s\n", r->method, header(r, "content-md5"),
		    header(r, "content-type"), header(r, "date"));
	v = xcalloc(r->n_headers + r->n_query + 1, sizeof(*v));
	for (size_t i = 0; i < r->n_headers; i++)
		if (signed_name(r->headers[i].name))
			v[n++] = r->headers[i];
	qsort(v, n, sizeof(*v), name_cmp);
	for (size_t i = 0; i < n; i++)
		sbuf_printf(&s, "%s:%s\n", v[i].name, v[i].value ? v[i].value : "");
	sbuf_adds(&s, r->path);
	if (r->n_query)   /* no query: r->query may be NULL (UBSan) */
		memcpy(v, r->query, r->n_query * sizeof(*v));
	qsort(v, r->n_query, sizeof(*v), name_cmp);
	for (size_t i = 0; i < r->n_query; i++) {
		sbuf_printf(&s, "%s%s", i ? "&" : "?", v[i].name);
		if (v[i].value)
			sbuf_printf(&s, "=%s", v[i].value);
	}
	free(v);
	digest_hmac_sha256(sk, strlen(sk), s.s, s.len, mac);
	b64 = digest_base64(mac, 32);
	out->authorization = xasprintf("LOG %s:%s", ak, b64);
	out->string_to_sign = sbuf_detach(&s);
	free(b64);
	return 0;
}

void sls_out_free(struct sls_out *out)
{
	free(out->authorization);
	free(out->string_to_sign);
	memset(out, 0, sizeof(*out));
}
