/*
 * sign_oss4.c — OSS4-HMAC-SHA256 (see sign_oss4.h for the algorithm).
 */
#include "sign_oss4.h"

#include "../../core/digest.h"
#include "../../core/str.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void oss4_date(long long epoch, char buf[17])
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int name_cmp(const void *a, const void *b)
{
	const struct ali_kv *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static char *enc(const char *s, bool keep_slash)
{
	return digest_pct_encode(s, strlen(s), keep_slash);
}

static void canonical_query(struct sbuf *b, const struct oss4_req *r)
{
	struct ali_kv *q = xcalloc(r->n_query + 1, sizeof(*q));

	for (size_t i = 0; i < r->n_query; i++) {
		q[i].name = enc(r->query[i].name, false);
		q[i].value = r->query[i].value ? enc(r->query[i].value, false) : NULL;
	}
	qsort(q, r->n_query, sizeof(*q), name_cmp);
	for (size_t i = 0; i < r->n_query; i++) {
		sbuf_printf(b, "%s%s", i ? "&" : "", q[i].name);
		if (q[i].value)
			sbuf_printf(b, "=%s", q[i].value);
		free((char *)q[i].name);
		free((char *)q[i].value);
	}
	free(q);
}

static char *lower(const char *s)
{
	char *o = xstrdup(s);

	for (char *p = o; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return o;
}

static char *trim(const char *s)
{
	const char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return xasprintf("%.*s", (int)(end - s), s);
}

/* content-type, content-md5, x-oss-*: sorted "name:value\n"; *sha the payload hash. */
static void canonical_headers(struct sbuf *b, const struct oss4_req *r, const char **sha,
			      const char **date)
{
	struct ali_kv *h = xcalloc(r->n_headers + 1, sizeof(*h));
	size_t n = 0;

	for (size_t i = 0; i < r->n_headers; i++) {
		char *name = lower(r->headers[i].name);

		if (strcmp(name, "content-type") && strcmp(name, "content-md5") &&
		    !str_starts(name, "x-oss-")) {
			free(name);
			continue;
		}
		if (!strcmp(name, "x-oss-content-sha256"))
			*sha = r->headers[i].value;
		if (!strcmp(name, "x-oss-date"))
			*date = r->headers[i].value;
		h[n].name = name;
		h[n++].value = trim(r->headers[i].value ? r->headers[i].value : "");
	}
	qsort(h, n, sizeof(*h), name_cmp);
	for (size_t i = 0; i < n; i++) {
		sbuf_printf(b, "%s:%s\n", h[i].name, h[i].value);
		free((char *)h[i].name);
		free((char *)h[i].value);
	}
	free(h);
}

static void hmac_str(const unsigned char *key, size_t klen, const char *msg,
		     unsigned char out[32])
{
	digest_hmac_sha256(key, klen, msg, strlen(msg), out);
}

int oss4_sign(const struct oss4_req *r, const char *ak, const char *sk, struct oss4_out *out)
{
	const char *sha = NULL, *date = NULL;
	char *res, *path, *sts, *k0, hash[65], day[9];
	unsigned char key[32], mac[32];
	struct sbuf cr;

	memset(out, 0, sizeof(*out));
	if (!r->method || !r->region || !ak || !sk)
		return -1;
	sbuf_init(&cr);
	res = xasprintf("/%s%s%s", r->bucket ? r->bucket : "", r->bucket ? "/" : "",
			r->key ? r->key : "");
	path = enc(res, true);
	sbuf_printf(&cr, "%s\n%s\n", r->method, path);
	canonical_query(&cr, r);
	sbuf_addc(&cr, '\n');
	canonical_headers(&cr, r, &sha, &date);
	sbuf_printf(&cr, "\n\n%s", sha ? sha : OSS4_UNSIGNED_PAYLOAD);
	free(path);
	free(res);
	if (!date || strlen(date) < 8) {
		sbuf_free(&cr);
		return -1;
	}
	snprintf(day, sizeof(day), "%.8s", date);
	digest_sha256_hex(cr.s, cr.len, hash);
	sts = xasprintf("OSS4-HMAC-SHA256\n%s\n%s/%s/oss/aliyun_v4_request\n%s", date, day,
			r->region, hash);
	k0 = xasprintf("aliyun_v4%s", sk);
	hmac_str((const unsigned char *)k0, strlen(k0), day, key);
	hmac_str(key, 32, r->region, key);
	hmac_str(key, 32, "oss", key);
	hmac_str(key, 32, "aliyun_v4_request", key);
	hmac_str(key, 32, sts, mac);
	digest_hex(mac, 32, out->signature, false);
	out->authorization = xasprintf("OSS4-HMAC-SHA256 Credential=%s/%s/%s/oss/aliyun_v4_request,"
				       "Signature=%s", ak, day, r->region, out->signature);
	out->canonical_request = sbuf_detach(&cr);
	memset(k0, 0, strlen(k0));
	free(k0);
	free(sts);
	return 0;
}

void oss4_out_free(struct oss4_out *out)
{
	free(out->authorization);
	free(out->canonical_request);
	memset(out, 0, sizeof(*out));
}
