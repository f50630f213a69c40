/*
 * sign_cos.c — the COS sha1 request signature (see sign_cos.h).
 */
#include "sign_cos.h"

#include "../../core/digest.h"
#include "../../core/str.h"

#include <ctype.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const signable[] = {
	"cache-control", "content-disposition", "content-encoding", "content-length",
	"content-md5", "content-type", "expect", "expires", "host", "if-match",
	"if-modified-since", "if-none-match", "if-unmodified-since", "origin", "range",
	"transfer-encoding", "pic-operations",
};

static bool is_signable(const char *name)
{
	if (!strncasecmp(name, "x-cos-", 6) || !strncasecmp(name, "x-ci-", 5))
		return true;
	for (size_t i = 0; i < sizeof(signable) / sizeof(*signable); i++)
		if (!strcasecmp(name, signable[i]))
			return true;
	return false;
}

struct kv {
	char *name;    /* lower(enc(name)) */
	char *value;   /* enc(value) */
};

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->name, ((const struct kv *)b)->name);
}

/* "k=v&k=v" into *pairs and "k;k" into *names, from the signable entries of p. */
static void canon(const struct cos_pair *p, size_t n, bool headers, char **pairs, char **names)
{
	struct kv *v = xcalloc(n + 1, sizeof(*v));
	struct sbuf a, b;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (headers && !is_signable(p[i].name))
			continue;
		v[m].name = digest_pct_encode(p[i].name, strlen(p[i].name), false);
		for (char *c = v[m].name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		v[m].value = digest_pct_encode(p[i].value ? p[i].value : "",
					       p[i].value ? strlen(p[i].value) : 0, false);
		m++;
	}
	qsort(v, m, sizeof(*v), kv_cmp);
	sbuf_init(&a);
	sbuf_init(&b);
	sbuf_adds(&a, "");
	sbuf_adds(&b, "");
	for (size_t i = 0; i < m; i++) {
		sbuf_printf(&a, "%s%s=%s", i ? "&" : "", v[i].name, v[i].value);
		sbuf_printf(&b, "%s%s", i ? ";" : "", v[i].name);
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	*pairs = sbuf_detach(&a);
	*names = sbuf_detach(&b);
}

char *cos_authorization(const struct cos_sign_req *r, const char *id, const char *secret)
{
	char keytime[64], signkey[41], sig[41], digest[41], *params, *pnames, *hdrs, *hnames;
	char *method = xstrdup(r->method), *http, *sts, *out;
	for (char *c = method; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	snprintf(keytime, sizeof(keytime), "%lld;%lld", (long long)r->start, (long long)r->end);
	canon(r->params, r->n_params, false, &params, &pnames);
	canon(r->headers, r->n_headers, true, &hdrs, &hnames);
	http = xasprintf("%s\n/%s\n%s\n%s\n", method, r->key ? r->key : "", params, hdrs);
	digest_sha1_hex(http, strlen(http), digest);
	sts = xasprintf("sha1\n%s\n%s\n", keytime, digest);
	digest_hmac_sha1_hex(secret, strlen(secret), keytime, strlen(keytime), signkey);
	digest_hmac_sha1_hex(signkey, strlen(signkey), sts, strlen(sts), sig);
	out = xasprintf("q-sign-algorithm=sha1&q-ak=%s&q-sign-time=%s&q-key-time=%s&"
			"q-header-list=%s&q-url-param-list=%s&q-signature=%s", id, keytime, keytime,
			hnames, pnames, sig);
	free(method);
	free(params);
	free(pnames);
	free(hdrs);
	free(hnames);
	free(http);
	free(sts);
	return out;
}
