/*
 * sigv4.c — AWS Signature Version 4: canonical request, string to sign,
 * signing key derivation and the Authorization header.
 *
 * Follows the rules botocore's SigV4Auth / S3SigV4Auth implement (the fake
 * cloud in tests/fakecloud verifies every request with them); see sigv4.h
 * for the S3 vs. other-services differences.
 */
#include "sigv4.h"

#include "credentials.h"
#include "../../core/digest.h"
#include "../../core/str.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
	digest_sha256_hex(data, len, hex);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	digest_hmac_sha256(key, klen, msg, strlen(msg), out);
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

char *sigv4_uri_encode(const char *s, size_t len, bool keep_slash)
{
	return digest_pct_encode(s, len, keep_slash);
}

/*
 * RFC 3986 remove_dot_segments plus collapsing of empty segments, as AWS
 * (and botocore's normalize_url_path) do for every service but S3.
 */
static char *normalize_path(const char *path)
{
	size_t n = strlen(path), nseg = 0;
	const char **seg = xcalloc(n + 1, sizeof(*seg));
	size_t *seglen = xcalloc(n + 1, sizeof(*seglen));
	struct sbuf b;
	const char *p = path;

	if (!*path) {
		free(seg);
		free(seglen);
		return xstrdup("/");
	}
	while (*p) {
		const char *q = strchr(p, '/');
		size_t l = q ? (size_t)(q - p) : strlen(p);

		if (l == 0 || (l == 1 && p[0] == '.')) {
			/* skip */
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg)
				nseg--;
		} else {
			seg[nseg] = p;
			seglen[nseg++] = l;
		}
		p += l;
		if (*p == '/')
			p++;
	}
	sbuf_init(&b);
	if (path[0] == '/')
		sbuf_addc(&b, '/');
	for (size_t i = 0; i < nseg; i++) {
		if (i)
			sbuf_addc(&b, '/');
		sbuf_add(&b, seg[i], seglen[i]);
	}
	if (path[n - 1] == '/' && nseg)
		sbuf_addc(&b, '/');
	free(seg);
	free(seglen);
	if (!b.len)
		sbuf_adds(&b, "");
	return sbuf_detach(&b);
}

static char *canonical_uri(const struct sigv4_req *r)
{
	const char *path = r->path && *r->path ? r->path : "/";
	char *norm, *enc;

	if (r->s3) {
		/* As sent, but make sure nothing outside the URI alphabet slips through. */
		struct sbuf b;

		sbuf_init(&b);
		for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
			if (unreserved(*p) || *p == '/' || *p == '%')
				sbuf_addc(&b, (char)*p);
			else
				sbuf_printf(&b, "%%%02X", *p);
		}
		return sbuf_detach(&b);
	}
	norm = normalize_path(path);
	enc = sigv4_uri_encode(norm, strlen(norm), true);
	free(norm);
	return enc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "k=v" pairs sorted by key, then value ("k" alone becomes "k="). */
static char *canonical_query(const char *query)
{
	struct sbuf b;
	char *copy, *tok, *save = NULL;
	char **pairs;
	size_t n = 0, cap = 1;

	if (!query || !*query)
		return xstrdup("");
	for (const char *p = query; *p; p++)
		cap += *p == '&';
	pairs = xcalloc(cap, sizeof(*pairs));
	copy = xstrdup(query);
	for (tok = strtok_r(copy, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
		/* Sort on "key\x01value" so "a=1" < "ab=0", as (key, value) tuples do. */
		char *eq = strchr(tok, '=');

		pairs[n++] = eq ? xasprintf("%.*s\x01%s", (int)(eq - tok), tok, eq + 1)
				: xasprintf("%s\x01", tok);
	}
	qsort(pairs, n, sizeof(*pairs), cmp_str);
	sbuf_init(&b);
	for (size_t i = 0; i < n; i++) {
		char *sep = strchr(pairs[i], '\x01');

		*sep = '=';
		if (i)
			sbuf_addc(&b, '&');
		sbuf_adds(&b, pairs[i]);
		free(pairs[i]);
	}
	free(pairs);
	free(copy);
	return sbuf_detach(&b);
}

struct chdr {
	char *name;   /* lower case */
	char *value;  /* trimmed, inner runs of spaces collapsed */
};

static int cmp_chdr(const void *a, const void *b)
{
	return strcmp(((const struct chdr *)a)->name, ((const struct chdr *)b)->name);
}

static char *trim_value(const char *v)
{
	struct sbuf b;
	bool space = false;

	sbuf_init(&b);
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = true;
			continue;
		}
		if (space && b.len)
			sbuf_addc(&b, ' ');
		space = false;
		sbuf_addc(&b, *v);
	}
	if (!b.s)
		sbuf_adds(&b, "");
	return sbuf_detach(&b);
}

static void add_hdr(struct chdr *h, size_t *n, const char *name, const char *value)
{
	char *lname = xstrdup(name);

	for (char *p = lname; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(h[i].name, lname) == 0) {
			/* Repeated header: comma-joined, as botocore does. */
			char *tv = trim_value(value);
			char *joined = xasprintf("%s,%s", h[i].value, tv);

			free(tv);
			free(h[i].value);
			h[i].value = joined;
			free(lname);
			return;
		}
	}
	h[*n].name = lname;
	h[*n].value = trim_value(value);
	(*n)++;
}

static bool is_hdr(const struct sigv4_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return true;
	return false;
}

int sigv4_sign(const struct sigv4_req *r, const struct cloud_creds *c, struct sigv4_out *out)
{
	struct chdr *h;
	size_t nh = 0;
	struct sbuf cr, hl;
	char *uri, *query, *scope, *key0;
	char date[9], crhash[65];
	unsigned char k[32];
	struct tm tm;

	memset(out, 0, sizeof(*out));
	if (!r->method || !r->host || !r->region || !r->service || !c || !c->id ||
	    !c->secret)
		return -1;
	gmtime_r(&r->now, &tm);
	strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date, out->amz_date, 8);
	date[8] = '\0';

	if (r->payload_hash)
		snprintf(out->payload_hash, sizeof(out->payload_hash), "%s", r->payload_hash);
	else
		sigv4_sha256_hex(r->body ? r->body : "", r->body ? r->body_len : 0, out->payload_hash);
	out->send_payload_hash = r->s3 || (r->payload_hash &&
					   strcmp(r->payload_hash, SIGV4_UNSIGNED_PAYLOAD) == 0);

	h = xcalloc(r->n_headers + 4, sizeof(*h));
	for (size_t i = 0; i < r->n_headers; i++) {
		const char *n = r->headers[i].name;

		if (strcasecmp(n, "user-agent") == 0 || strcasecmp(n, "expect") == 0 ||
		    strcasecmp(n, "authorization") == 0 || strcasecmp(n, "content-length") == 0)
			continue;
		add_hdr(h, &nh, n, r->headers[i].value);
	}
	if (!is_hdr(r, "host"))
		add_hdr(h, &nh, "host", r->host);
	if (!is_hdr(r, "x-amz-date"))
		add_hdr(h, &nh, "x-amz-date", out->amz_date);
	if (out->send_payload_hash && !is_hdr(r, "x-amz-content-sha256"))
		add_hdr(h, &nh, "x-amz-content-sha256", out->payload_hash);
	if (c->token && *c->token && !is_hdr(r, "x-amz-security-token"))
		add_hdr(h, &nh, "x-amz-security-token", c->token);
	qsort(h, nh, sizeof(*h), cmp_chdr);

	uri = canonical_uri(r);
	query = canonical_query(r->query);
	sbuf_init(&cr);
	sbuf_init(&hl);
	sbuf_printf(&cr, "%s\n%s\n%s\n", r->method, uri, query);
	for (size_t i = 0; i < nh; i++) {
		sbuf_printf(&cr, "%s:%s\n", h[i].name, h[i].value);
		sbuf_printf(&hl, "%s%s", i ? ";" : "", h[i].name);
	}
	sbuf_printf(&cr, "\n%s\n%s", hl.s, out->payload_hash);
	out->canonical_request = sbuf_detach(&cr);
	sigv4_sha256_hex(out->canonical_request, strlen(out->canonical_request), crhash);

	scope = xasprintf("%s/%s/%s/aws4_request", date, r->region, r->service);
	out->string_to_sign = xasprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s", out->amz_date, scope,
					crhash);
	key0 = xasprintf("AWS4%s", c->secret);
	hmac(key0, strlen(key0), date, k);
	OPENSSL_cleanse(key0, strlen(key0));
	free(key0);
	hmac(k, 32, r->region, k);
	hmac(k, 32, r->service, k);
	hmac(k, 32, "aws4_request", k);
	hmac(k, 32, out->string_to_sign, k);
	digest_hex(k, 32, out->signature, false);
	OPENSSL_cleanse(k, sizeof(k));
	out->authorization = xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
				       "Signature=%s", c->id, scope, hl.s,
				       out->signature);

	for (size_t i = 0; i < nh; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	free(uri);
	free(query);
	free(scope);
	sbuf_free(&hl);
	return 0;
}

void sigv4_out_free(struct sigv4_out *out)
{
	free(out->authorization);
	free(out->canonical_request);
	free(out->string_to_sign);
	memset(out, 0, sizeof(*out));
}
