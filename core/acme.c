/*
 * acme.c — the ACME v2 client (RFC 8555) behind acme_obtain(): directory,
 * nonces, JWS, account, order, dns-01 authorizations, finalize, download.
 *
 * Requests and replays.  Every ACME request is a POST signed over a fresh
 * anti-replay nonce, so http_do() is asked for exactly one attempt (it could
 * only resend the same JWS, whose nonce is spent) and acme_post() owns the
 * retries: each retry is signed again with a new nonce.
 *   - badNonce (the CA rejected the nonce; Let's Encrypt and pebble do this
 *     on purpose now and then): retry at once, up to BADNONCE_TRIES times,
 *     with the nonce the error response carried.
 *   - 429/5xx and transport errors: up to TRANSIENT_TRIES attempts with
 *     backoff (Retry-After honoured, bounded).
 * A request whose connection broke after sending may have taken effect; the
 * retry is then a second, freshly signed request, never a replay of the
 * first (which the CA would refuse as badNonce anyway).  That is safe for
 * every request made here: the account lookup/creation is keyed on the
 * account key (an existing account answers 200), POST-as-GET fetches change
 * nothing, answering a challenge twice returns its current state, a second
 * newOrder at worst leaves a pending order that expires unused, and a second
 * finalize answers orderNotReady, which finalize() resolves by fetching the
 * order (processing/valid means the first one worked).
 *
 * TXT records: every value presented through set_txt is remembered and
 * removed (present=false) on every exit path; a removal failure is a
 * warning, the original error (if any) wins.
 */
#include "acme.h"

#include "clock.h"

#include "err.h"
#include "http.h"
#include "log.h"
#include "str.h"
#include "x509.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BADNONCE_TRIES 16
#define TRANSIENT_TRIES 4
#define DEFAULT_MAX_WAIT_S 300
#define POLL_FIRST_MS 200
#define POLL_MAX_MS 5000
#define BACKOFF_MS 500
#define RETRY_AFTER_MAX_S 60

#define ERR_PREFIX "urn:ietf:params:acme:error:"

struct acme {
	struct http_client *http;
	EVP_PKEY *key;        /* borrowed */
	json_t *jwk;
	char *thumbprint;
	const char *dir_url;
	char *new_nonce, *new_account, *new_order;
	char *nonce;          /* the next nonce to use, NULL: fetch one */
	char *kid;            /* account URL once known */
	double deadline;      /* monotonic seconds */
};

/* A response, decoded. */
struct reply {
	long status;
	json_t *json;          /* the body when it is JSON */
	char *body;            /* the raw body */
	char *location;
	long retry_after_ms;   /* -1: none */
	char *problem_type;    /* on errors: the problem document's type */
};

/* A TXT value presented through the hook (for cleanup). */
struct txt {
	char *fqdn, *value;
};

/* An authorization waiting for its challenge. */
struct pending {
	char *authz_url, *chal_url, *name;
};

static void reply_free(struct reply *r)
{
	json_decref(r->json);
	free(r->body);
	free(r->location);
	free(r->problem_type);
	memset(r, 0, sizeof(*r));
}

/* ---- small helpers -------------------------------------------------------- */

/* Retry-After: delta-seconds or an HTTP date; -1 when absent/unparsable. */
static long retry_after_ms(const char *v)
{
	struct tm tm = { 0 };
	char *end;
	long s;

	if (!v || !*v)
		return -1;
	s = strtol(v, &end, 10);
	if (end != v && !*end)
		return s < 0 ? -1 : (s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : s) * 1000;
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	s = (long)(timegm(&tm) - time(NULL));
	if (s < 0)
		s = 0;
	return (s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : s) * 1000;
}

static char *names_text(const struct acme_params *p)
{
	struct sbuf b;

	sbuf_init(&b);
	for (size_t i = 0; i < p->n_names; i++)
		sbuf_printf(&b, "%s%s", i ? ", " : "", p->names[i]);
	return sbuf_detach(&b);
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- JWK, thumbprint, JWS ------------------------------------------------- */

static char *bn_b64url(const BIGNUM *bn, int width)
{
	int n = width ? width : BN_num_bytes(bn);
	unsigned char *buf = xmalloc((size_t)n + 1);
	char *s = NULL;

	if (BN_bn2binpad(bn, buf, n) == n)
		s = b64url_encode(buf, (size_t)n);
	free(buf);
	return s;
}

/* EC key: its curve's JOSE name and coordinate size (0: unsupported). */
static int ec_curve(EVP_PKEY *key, const char **crv)
{
	char group[64] = "";
	size_t len = 0;

	if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1)
		return 0;
	if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256")) {
		*crv = "P-256";
		return 32;
	}
	if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384")) {
		*crv = "P-384";
		return 48;
	}
	return 0;
}

static json_t *pair_jwk(const char *k1, char *v1, const char *k2, char *v2, const char *kty,
			const char *crv)
{
	json_t *j = NULL;

	if (v1 && v2) {
		j = json_object();
		if (crv)
			json_object_set_new(j, "crv", json_string(crv));
		json_object_set_new(j, k1, json_string(v1));
		json_object_set_new(j, "kty", json_string(kty));
		json_object_set_new(j, k2, json_string(v2));
	}
	free(v1);
	free(v2);
	return j;
}

json_t *acme_jwk(EVP_PKEY *key, struct herr *e)
{
	BIGNUM *a = NULL, *b = NULL;
	const char *crv = NULL;
	json_t *j = NULL;
	int width;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &a) &&
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &b))
			j = pair_jwk("e", bn_b64url(b, 0), "n", bn_b64url(a, 0), "RSA", NULL);
	} else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && (width = ec_curve(key, &crv))) {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &a) &&
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &b))
			j = pair_jwk("x", bn_b64url(a, width), "y", bn_b64url(b, width), "EC",
				     crv);
	}
	BN_free(a);
	BN_free(b);
	ERR_clear_error();
	if (!j)
		herr_set(e, HOIST_USAGE, "ACME: cannot express the account key as a JWK "
			 "(RSA or EC P-256/P-384 needed)");
	return j;
}

static char *sha256_b64url(const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	return b64url_encode(md, sizeof(md));
}

char *acme_jwk_thumbprint(const json_t *jwk)
{
	/* RFC 7638: required members only, sorted, no whitespace. */
	char *s = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS), *t;

	if (!s)
		return NULL;
	t = sha256_b64url(s, strlen(s));
	free(s);
	return t;
}

char *acme_dns01_value(const char *token, const char *thumbprint)
{
	char *ka = xasprintf("%s.%s", token, thumbprint), *v;

	v = sha256_b64url(ka, strlen(ka));
	free(ka);
	return v;
}

char *acme_dns01_fqdn(const char *name)
{
	if (str_starts(name, "*."))
		name += 2;
	return xasprintf("_acme-challenge.%s", name);
}

/* The JWS algorithm for a key; *width: ECDSA coordinate size (0 for RSA). */
static const char *jws_alg(EVP_PKEY *key, int *width)
{
	const char *crv = NULL;

	*width = 0;
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return "RS256";
	*width = ec_curve(key, &crv);
	return *width == 48 ? "ES384" : "ES256";
}

/* Raw JWS signature bytes over `in`; allocates *sig. */
static int jws_sign(EVP_PKEY *key, const char *in, unsigned char **sig, size_t *sig_len,
		    struct herr *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	size_t der_len = 0;
	int width, rc = HOIST_OK;
	const EVP_MD *md;

	*sig = NULL;
	jws_alg(key, &width);
	md = width == 48 ? EVP_sha384() : EVP_sha256();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &der_len, (const unsigned char *)in, strlen(in)) != 1)
		goto fail;
	der = xmalloc(der_len);
	if (EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)in, strlen(in)) != 1)
		goto fail;
	if (width) {
		/* ECDSA: DER SEQUENCE{r, s} → fixed-width r || s (RFC 7518 §3.4). */
		const unsigned char *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);

		if (!es)
			goto fail;
		*sig = xmalloc(2 * (size_t)width);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), *sig, width);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), *sig + width, width);
		ECDSA_SIG_free(es);
		*sig_len = 2 * (size_t)width;
		free(der);
	} else {
		*sig = der;
		*sig_len = der_len;
	}
	der = NULL;
	goto out;
fail:
	rc = herr_set(e, HOIST_FAIL, "ACME: cannot sign the request: %s",
		      ERR_reason_error_string(ERR_peek_last_error()) ?: "OpenSSL error");
	ERR_clear_error();
out:
	free(der);
	EVP_MD_CTX_free(ctx);
	return rc;
}

char *acme_jws(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
	       const json_t *payload, struct herr *e)
{
	json_t *prot = json_object(), *jws = NULL;
	char *prot_s = NULL, *pay_s = NULL, *prot_b = NULL, *pay_b = NULL, *input = NULL;
	char *sig_b = NULL, *out = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	int width;

	json_object_set_new(prot, "alg", json_string(jws_alg(key, &width)));
	if (nonce)
		json_object_set_new(prot, "nonce", json_string(nonce));
	json_object_set_new(prot, "url", json_string(url));
	if (kid) {
		json_object_set_new(prot, "kid", json_string(kid));
	} else {
		json_t *jwk = acme_jwk(key, e);

		if (!jwk)
			goto out;
		json_object_set_new(prot, "jwk", jwk);
	}
	prot_s = json_dumps(prot, JSON_COMPACT);
	pay_s = payload ? json_dumps(payload, JSON_COMPACT) : xstrdup("");
	prot_b = b64url_encode(prot_s, strlen(prot_s));
	pay_b = b64url_encode(pay_s, strlen(pay_s));
	input = xasprintf("%s.%s", prot_b, pay_b);
	if (jws_sign(key, input, &sig, &sig_len, e) != HOIST_OK)
		goto out;
	sig_b = b64url_encode(sig, sig_len);
	jws = json_pack("{s:s, s:s, s:s}", "protected", prot_b, "payload", pay_b,
			"signature", sig_b);
	out = json_dumps(jws, JSON_COMPACT);
out:
	json_decref(prot);
	json_decref(jws);
	free(prot_s);
	free(pay_s);
	free(prot_b);
	free(pay_b);
	free(input);
	free(sig);
	free(sig_b);
	return out;
}

char *acme_problem_text(const json_t *problem)
{
	const char *type = jstr(problem, "type"), *detail = jstr(problem, "detail");
	json_t *subs = json_object_get(problem, "subproblems"), *sp;
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	sbuf_printf(&b, "%s", type ? type : "(no problem type)");
	if (detail)
		sbuf_printf(&b, ": %s", detail);
	json_array_foreach(subs, i, sp) {
		const char *who = jstr(json_object_get(sp, "identifier"), "value");

		sbuf_printf(&b, "; %s%s%s", who ? who : "", who ? ": " : "",
			    jstr(sp, "type") ? jstr(sp, "type") : "?");
		if (jstr(sp, "detail"))
			sbuf_printf(&b, ": %s", jstr(sp, "detail"));
	}
	return sbuf_detach(&b);
}

/* ---- transport ------------------------------------------------------------ */

static void take_nonce(struct acme *a, const struct http_response *rs)
{
	const char *n = http_headers_get(&rs->headers, "Replay-Nonce");

	if (n && *n) {
		free(a->nonce);
		a->nonce = xstrdup(n);
	}
}

static void fill_reply(struct reply *r, const struct http_response *rs)
{
	const char *ct = http_headers_get(&rs->headers, "Content-Type");
	const char *loc = http_headers_get(&rs->headers, "Location");

	r->status = rs->status;
	r->body = xstrdup(rs->body.s ? rs->body.s : "");
	r->location = loc ? xstrdup(loc) : NULL;
	r->retry_after_ms = retry_after_ms(http_headers_get(&rs->headers, "Retry-After"));
	if (ct && strstr(ct, "json") && rs->body.len)
		r->json = json_loadb(rs->body.s, rs->body.len, 0, NULL);
}

static int get_nonce(struct acme *a, struct herr *e)
{
	struct http_request rq = { .method = "HEAD", .url = a->new_nonce,
				   .what = "ACME newNonce" };
	struct http_response rs;
	int rc;

	if (a->nonce)
		return HOIST_OK;
	rc = http_do(a->http, &rq, &rs, e);
	if (rc == HOIST_OK) {
		take_nonce(a, &rs);
		if (!a->nonce)
			rc = herr_set(e, HOIST_FAIL, "ACME newNonce %s: HTTP %ld without a "
				      "Replay-Nonce header", a->new_nonce, rs.status);
	}
	http_response_free(&rs);
	return rc;
}

/*
 * POST a JWS of `payload` (NULL: POST-as-GET) to `url`.  HOIST_OK with *r
 * filled for a 2xx/3xx answer; an error (r->problem_type set when the CA
 * sent a problem document) otherwise.  Owns nonce handling and retries.
 */
static int acme_post(struct acme *a, const char *what, const char *url, const json_t *payload,
		     const char *accept, struct reply *r, struct herr *e)
{
	struct http_headers hdr = { 0 };
	int badnonce = 0, transient = 0, rc;
	long base = env_number("HOIST_HTTP_BACKOFF_MS", BACKOFF_MS);

	memset(r, 0, sizeof(*r));
	http_headers_add(&hdr, "Content-Type", "application/jose+json");
	if (accept)
		http_headers_add(&hdr, "Accept", accept);
	for (;;) {
		struct http_response rs;
		struct http_request rq = {
			.method = "POST", .url = url, .headers = &hdr, .what = what,
			.max_attempts = 1, .non_idempotent = true, .timeout_s = 60,
		};
		char *jws, *text;
		long wait;

		reply_free(r);
		if ((rc = get_nonce(a, e)) != HOIST_OK)
			break;
		jws = acme_jws(a->key, a->kid, a->nonce, url, payload, e);
		free(a->nonce);
		a->nonce = NULL;  /* spent, whatever happens next */
		if (!jws) {
			rc = e->code ? e->code : HOIST_FAIL;
			break;
		}
		rq.body = jws;
		rq.body_len = strlen(jws);
		rc = http_do(a->http, &rq, &rs, e);
		free(jws);
		if (rc != HOIST_OK) {
			http_response_free(&rs);
			if (++transient >= TRANSIENT_TRIES)
				break;
			out_info("%s: %s; retrying with a fresh nonce", what, e->msg);
			herr_clear(e);
			clock_sleep_ms(base * transient);
			continue;
		}
		take_nonce(a, &rs);
		fill_reply(r, &rs);
		http_response_free(&rs);
		if (r->status < 400)
			break;  /* rc == HOIST_OK */
		if (r->json && jstr(r->json, "type"))
			r->problem_type = xstrdup(jstr(r->json, "type"));
		if (r->problem_type && !strcmp(r->problem_type, ERR_PREFIX "badNonce") &&
		    ++badnonce < BADNONCE_TRIES) {
			out_info("%s: the CA rejected the nonce (badNonce); retrying", what);
			continue;
		}
		if ((r->status == 429 || r->status >= 500) && ++transient < TRANSIENT_TRIES) {
			wait = r->retry_after_ms >= 0 ? r->retry_after_ms : base * transient;
			out_info("%s: HTTP %ld; retrying in %ld ms", what, r->status, wait);
			clock_sleep_ms(wait);
			continue;
		}
		text = r->json ? acme_problem_text(r->json) : xstrdup(r->body);
		rc = herr_set(e, HOIST_FAIL, "%s: HTTP %ld: %s", what, r->status, text);
		free(text);
		break;
	}
	http_headers_free(&hdr);
	return rc;
}

/* POST-as-GET a JSON object. */
static int acme_fetch(struct acme *a, const char *what, const char *url, struct reply *r,
		      struct herr *e)
{
	int rc = acme_post(a, what, url, NULL, NULL, r, e);

	if (rc == HOIST_OK && !json_is_object(r->json))
		rc = herr_set(e, HOIST_FAIL, "%s %s: the answer is not a JSON object", what, url);
	return rc;
}

/* ---- directory and account ------------------------------------------------ */

static int directory(struct acme *a, struct herr *e)
{
	struct http_request rq = { .method = "GET", .url = a->dir_url,
				   .what = "ACME directory" };
	struct http_response rs;
	json_t *d = NULL;
	int rc;

	if ((rc = http_do(a->http, &rq, &rs, e)) != HOIST_OK)
		goto out;
	if (rs.status == 200)
		d = json_loadb(rs.body.s ? rs.body.s : "", rs.body.len, 0, NULL);
	if (!jstr(d, "newNonce") || !jstr(d, "newAccount") || !jstr(d, "newOrder")) {
		rc = herr_set(e, HOIST_FAIL, "ACME directory %s: HTTP %ld, not an ACME "
			      "directory", a->dir_url, rs.status);
		herr_hint(e, "check acme_directory (Let's Encrypt: %s)", ACME_LE_PRODUCTION);
		goto out;
	}
	a->new_nonce = xstrdup(jstr(d, "newNonce"));
	a->new_account = xstrdup(jstr(d, "newAccount"));
	a->new_order = xstrdup(jstr(d, "newOrder"));
out:
	json_decref(d);
	http_response_free(&rs);
	return rc;
}

static int account(struct acme *a, const struct acme_params *p, struct acme_result *res,
		   struct herr *e)
{
	struct reply r;
	json_t *body = json_pack("{s:b}", "onlyReturnExisting", 1);
	int rc;

	rc = acme_post(a, "ACME account lookup", a->new_account, body, NULL, &r, e);
	json_decref(body);
	if (rc != HOIST_OK && r.problem_type &&
	    !strcmp(r.problem_type, ERR_PREFIX "accountDoesNotExist")) {
		herr_clear(e);
		reply_free(&r);
		body = json_pack("{s:b}", "termsOfServiceAgreed", 1);
		if (p->contact && *p->contact) {
			char *mail = str_starts(p->contact, "mailto:") ? xstrdup(p->contact)
					: xasprintf("mailto:%s", p->contact);

			json_object_set_new(body, "contact", json_pack("[s]", mail));
			free(mail);
		}
		rc = acme_post(a, "ACME newAccount", a->new_account, body, NULL, &r, e);
		json_decref(body);
	} else if (rc == HOIST_OK) {
		res->account_existed = true;
	}
	if (rc != HOIST_OK)
		goto out;
	if (!r.location || (jstr(r.json, "status") && strcmp(jstr(r.json, "status"), "valid"))) {
		rc = herr_set(e, HOIST_FAIL, "ACME account: status %s%s",
			      jstr(r.json, "status") ? jstr(r.json, "status") : "unknown",
			      r.location ? "" : " and no account URL");
		herr_hint(e, "use another lets_encrypt_key (this account cannot be used)");
		goto out;
	}
	a->kid = xstrdup(r.location);
	res->account_url = xstrdup(r.location);
	out_info("ACME account %s (%s)", r.location,
		 res->account_existed ? "existing" : "created");
out:
	reply_free(&r);
	return rc;
}

/* ---- authorizations ------------------------------------------------------- */

static int order_failed(const struct acme_params *p, const json_t *problem, const char *fallback,
			struct herr *e)
{
	char *names = names_text(p), *text = problem ? acme_problem_text(problem)
					     : xstrdup(fallback);
	int rc = herr_set(e, HOIST_FAIL, "ACME order for %s failed: %s", names, text);

	free(names);
	free(text);
	return rc;
}

/* Poll `url` until its status leaves every status in `wait_for`; *r holds the last. */
static int poll(struct acme *a, const char *what, const char *url, const char *const *waiting,
		struct reply *r, struct herr *e)
{
	long interval = POLL_FIRST_MS;
	int rc;

	for (;;) {
		const char *st;
		bool wait = false;
		long ms, left;

		if ((rc = acme_fetch(a, what, url, r, e)) != HOIST_OK)
			return rc;
		st = jstr(r->json, "status");
		for (size_t i = 0; st && waiting[i]; i++)
			wait |= !strcmp(st, waiting[i]);
		if (!wait)
			return HOIST_OK;
		ms = r->retry_after_ms >= 0 ? r->retry_after_ms : interval;
		left = (long)((a->deadline - clock_now_s()) * 1000);
		if (left <= 0)
			return herr_set(e, HOIST_FAIL, "%s %s: still %s after the time limit",
					what, url, st);
		clock_sleep_ms(ms < left ? ms : left);  /* one last look at the deadline */
		interval = interval * 2 > POLL_MAX_MS ? POLL_MAX_MS : interval * 2;
		reply_free(r);
	}
}

static void txt_cleanup(const struct acme_params *p, struct txt *txts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct herr e2 = { 0 };

		if (p->set_txt(txts[i].fqdn, txts[i].value, false, p->set_txt_ctx, &e2) !=
		    HOIST_OK)
			out_warn("could not remove the TXT record %s: %s (remove it by hand)",
				 txts[i].fqdn, e2.msg);
		free(txts[i].fqdn);
		free(txts[i].value);
	}
}

/* Read one authorization; publish its dns-01 TXT record when it is pending. */
static int prepare_authz(struct acme *a, const struct acme_params *p, const char *url,
			 struct txt *txts, size_t *n_txt, struct pending *pend, size_t *n_pend,
			 struct herr *e)
{
	struct reply r;
	const char *status, *name;
	json_t *ch, *dns = NULL;
	char *fqdn = NULL, *value = NULL;
	size_t i;
	int rc;

	if ((rc = acme_fetch(a, "ACME authorization", url, &r, e)) != HOIST_OK)
		goto out;
	status = jstr(r.json, "status");
	name = jstr(json_object_get(r.json, "identifier"), "value");
	if (!name)
		name = "?";
	if (status && !strcmp(status, "valid")) {
		out_info("ACME: %s is already authorized", name);
		goto out;
	}
	if (!status || strcmp(status, "pending")) {
		rc = order_failed(p, NULL, status ? status : "authorization without status", e);
		herr_prefix(e, "%s: ", name);
		goto out;
	}
	json_array_foreach(json_object_get(r.json, "challenges"), i, ch)
		if (jstr(ch, "type") && !strcmp(jstr(ch, "type"), "dns-01"))
			dns = ch;
	if (!dns || !jstr(dns, "token") || !jstr(dns, "url")) {
		rc = herr_set(e, HOIST_FAIL, "ACME: the CA offers no dns-01 challenge for %s",
			      name);
		goto out;
	}
	fqdn = acme_dns01_fqdn(name);  /* a wildcard's identifier is the base name */
	value = acme_dns01_value(jstr(dns, "token"), a->thumbprint);
	out_step("Publishing the TXT record %s", fqdn);
	if ((rc = p->set_txt(fqdn, value, true, p->set_txt_ctx, e)) != HOIST_OK) {
		herr_prefix(e, "cannot publish the TXT record %s: ", fqdn);
		/* It may be half-done: clean up this one too. */
	}
	txts[*n_txt].fqdn = fqdn;
	txts[(*n_txt)++].value = value;
	fqdn = value = NULL;
	if (rc == HOIST_OK) {
		pend[*n_pend].authz_url = xstrdup(url);
		pend[*n_pend].chal_url = xstrdup(jstr(dns, "url"));
		pend[(*n_pend)++].name = xstrdup(name);
	}
out:
	free(fqdn);
	free(value);
	reply_free(&r);
	return rc;
}

/* Answer one challenge and wait for its authorization to settle. */
static int validate(struct acme *a, const struct acme_params *p, const struct pending *pd,
		    struct herr *e)
{
	static const char *const waiting[] = { "pending", "processing", NULL };
	json_t *empty = json_object(), *ch, *problem = NULL;
	struct reply r;
	const char *st;
	size_t i;
	int rc;

	rc = acme_post(a, "ACME challenge", pd->chal_url, empty, NULL, &r, e);
	json_decref(empty);
	reply_free(&r);
	if (rc != HOIST_OK)
		return rc;
	if ((rc = poll(a, "ACME authorization", pd->authz_url, waiting, &r, e)) != HOIST_OK)
		goto out;
	st = jstr(r.json, "status");
	if (st && !strcmp(st, "valid")) {
		out_info("ACME: %s validated", pd->name);
		goto out;
	}
	json_array_foreach(json_object_get(r.json, "challenges"), i, ch)
		if (json_object_get(ch, "error"))
			problem = json_object_get(ch, "error");
	rc = order_failed(p, problem, st ? st : "authorization failed", e);
out:
	reply_free(&r);
	return rc;
}

static int authorize(struct acme *a, const struct acme_params *p, const json_t *order,
		     struct herr *e)
{
	json_t *authzs = json_object_get(order, "authorizations"), *u;
	size_t n = json_array_size(authzs), n_txt = 0, n_pend = 0, i;
	struct txt *txts = xcalloc(n + 1, sizeof(*txts));
	struct pending *pend = xcalloc(n + 1, sizeof(*pend));
	int rc = HOIST_OK;

	json_array_foreach(authzs, i, u) {
		if (!json_string_value(u))
			continue;
		rc = prepare_authz(a, p, json_string_value(u), txts, &n_txt, pend, &n_pend, e);
		if (rc != HOIST_OK)
			goto out;
	}
	if (n_pend)
		out_step("Waiting for the certificate authority to check %zu TXT record%s",
			 n_pend, n_pend == 1 ? "" : "s");
	for (i = 0; i < n_pend && rc == HOIST_OK; i++)
		rc = validate(a, p, &pend[i], e);
out:
	txt_cleanup(p, txts, n_txt);
	for (i = 0; i < n_pend; i++) {
		free(pend[i].authz_url);
		free(pend[i].chal_url);
		free(pend[i].name);
	}
	free(txts);
	free(pend);
	return rc;
}

/* ---- order, finalize, download -------------------------------------------- */

static int new_order(struct acme *a, const struct acme_params *p, struct reply *r,
		     struct herr *e)
{
	json_t *ids = json_array(), *body;
	int rc;

	for (size_t i = 0; i < p->n_names; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type", "dns",
						     "value", p->names[i]));
	body = json_pack("{s:o}", "identifiers", ids);
	rc = acme_post(a, "ACME newOrder", a->new_order, body, NULL, r, e);
	json_decref(body);
	if (rc == HOIST_OK && (!r->location || !json_is_object(r->json) ||
			       !jstr(r->json, "finalize")))
		rc = herr_set(e, HOIST_FAIL, "ACME newOrder: the answer has no order URL or "
			      "finalize URL");
	return rc;
}

static int finalize(struct acme *a, const struct acme_params *p, const char *order_url,
		    const char *fin_url, EVP_PKEY *cert_key, struct reply *r, struct herr *e)
{
	static const char *const waiting[] = { "pending", "ready", "processing", NULL };
	unsigned char *der = NULL;
	size_t der_len = 0;
	char *csr;
	json_t *body;
	int rc;

	if ((rc = x509_csr_der(cert_key, p->names, p->n_names, &der, &der_len, e)) != HOIST_OK)
		return rc;
	csr = b64url_encode(der, der_len);
	OPENSSL_free(der);
	body = json_pack("{s:s}", "csr", csr);
	free(csr);
	out_step("Finalizing the order");
	rc = acme_post(a, "ACME finalize", fin_url, body, NULL, r, e);
	json_decref(body);
	if (rc != HOIST_OK && r->problem_type &&
	    !strcmp(r->problem_type, ERR_PREFIX "orderNotReady")) {
		/* A retried finalize whose first attempt went through. */
		herr_clear(e);
		rc = HOIST_OK;
	}
	reply_free(r);
	if (rc != HOIST_OK)
		return rc;
	if ((rc = poll(a, "ACME order", order_url, waiting, r, e)) != HOIST_OK)
		return rc;
	if (!jstr(r->json, "status") || strcmp(jstr(r->json, "status"), "valid") ||
	    !jstr(r->json, "certificate"))
		return order_failed(p, json_object_get(r->json, "error"),
				    jstr(r->json, "status") ? jstr(r->json, "status")
							    : "no status", e);
	return HOIST_OK;
}

/* Split the downloaded chain into leaf + issuers and check it. */
static int take_chain(const struct acme_params *p, EVP_PKEY *cert_key, const char *pem,
		      struct acme_result *res, struct herr *e)
{
	STACK_OF(X509) *sk = NULL;
	struct sbuf chain;
	X509 *leaf;
	int rc;

	if ((rc = x509_chain_parse(pem, strlen(pem), &sk, e)) != HOIST_OK)
		return herr_prefix(e, "ACME certificate download: ");
	leaf = sk_X509_value(sk, 0);
	if (!x509_key_matches(cert_key, leaf)) {
		rc = herr_set(e, HOIST_FAIL, "ACME: the downloaded certificate is not for our key");
		goto out;
	}
	for (size_t i = 0; i < p->n_names; i++) {
		if (!x509_cert_covers(leaf, p->names[i])) {
			rc = herr_set(e, HOIST_FAIL, "ACME: the downloaded certificate does not "
				      "cover %s", p->names[i]);
			goto out;
		}
	}
	sbuf_init(&chain);
	for (int i = 1; i < sk_X509_num(sk); i++) {
		char *c = x509_cert_pem(sk_X509_value(sk, i));

		sbuf_adds(&chain, c ? c : "");
		free(c);
	}
	res->cert_pem = x509_cert_pem(leaf);
	res->chain_pem = sbuf_detach(&chain);
	res->fullchain_pem = xstrdup(pem);
out:
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/* ---- the whole dance ------------------------------------------------------- */

static int check_params(const struct acme_params *p, struct herr *e)
{
	if (!p->n_names)
		return herr_set(e, HOIST_USAGE, "ACME: no domain name to certify");
	if (!p->set_txt)
		return herr_set(e, HOIST_USAGE, "ACME: no DNS hook to publish TXT records");
	if (!p->account_key && !p->account_key_path)
		return herr_set(e, HOIST_USAGE, "ACME needs an account key: set "
				"lets_encrypt_key");
	for (size_t i = 0; i < p->n_names; i++)
		if (!p->names[i] || !*p->names[i] || strchr(p->names[i], ' '))
			return herr_set(e, HOIST_USAGE, "ACME: invalid domain name \"%s\"",
					p->names[i] ? p->names[i] : "");
	return HOIST_OK;
}

static int run(struct acme *a, const struct acme_params *p, struct acme_result *res,
	       struct herr *e)
{
	EVP_PKEY *cert_key = NULL;
	struct reply order = { 0 }, fin = { 0 }, cert = { 0 };
	static const char *const waiting[] = { "pending", NULL };
	const char *st;
	int rc;

	if ((rc = directory(a, e)) != HOIST_OK || (rc = account(a, p, res, e)) != HOIST_OK ||
	    (rc = new_order(a, p, &order, e)) != HOIST_OK)
		goto out;
	res->order_url = xstrdup(order.location);
	a->deadline = clock_now_s() + (p->max_wait_s > 0 ? p->max_wait_s : DEFAULT_MAX_WAIT_S);
	if ((rc = authorize(a, p, order.json, e)) != HOIST_OK)
		goto out;
	reply_free(&fin);
	if ((rc = poll(a, "ACME order", res->order_url, waiting, &fin, e)) != HOIST_OK)
		goto out;
	st = jstr(fin.json, "status");
	if (!st || (strcmp(st, "ready") && strcmp(st, "valid"))) {
		rc = order_failed(p, json_object_get(fin.json, "error"), st ? st : "no status", e);
		goto out;
	}
	reply_free(&fin);
	if ((rc = x509_key_generate(p->cert_key, &cert_key, e)) != HOIST_OK ||
	    (rc = finalize(a, p, res->order_url, jstr(order.json, "finalize"), cert_key, &fin,
			   e)) != HOIST_OK)
		goto out;
	out_step("Downloading the certificate");
	rc = acme_post(a, "ACME certificate download", jstr(fin.json, "certificate"), NULL,
		       "application/pem-certificate-chain", &cert, e);
	if (rc != HOIST_OK || (rc = take_chain(p, cert_key, cert.body, res, e)) != HOIST_OK)
		goto out;
	res->key_pem = x509_key_pem(cert_key);
	if (!res->key_pem)
		rc = herr_set(e, HOIST_FAIL, "cannot encode the certificate key");
out:
	EVP_PKEY_free(cert_key);
	reply_free(&order);
	reply_free(&fin);
	reply_free(&cert);
	return rc;
}

int acme_obtain(const struct acme_params *p, struct acme_result *r, struct herr *e)
{
	struct acme a = { .dir_url = p->directory_url ? p->directory_url : ACME_LE_PRODUCTION };
	EVP_PKEY *owned = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = check_params(p, e)) != HOIST_OK)
		return rc;
	a.key = p->account_key;
	if (!a.key) {
		if ((rc = x509_key_load(p->account_key_path, "lets_encrypt_key", &owned, e)) !=
		    HOIST_OK)
			return rc;
		a.key = owned;
	}
	if (!(a.jwk = acme_jwk(a.key, e))) {
		rc = e->code;
		goto out;
	}
	a.thumbprint = acme_jwk_thumbprint(a.jwk);
	a.http = http_client_new();
	if (!a.http) {
		rc = herr_set(e, HOIST_FAIL, "cannot start the HTTP client");
		goto out;
	}
	out_step("Requesting a certificate for %s from %s", p->names[0], a.dir_url);
	rc = run(&a, p, r, e);
out:
	if (rc != HOIST_OK)
		acme_result_free(r);
	http_client_free(a.http);
	json_decref(a.jwk);
	free(a.thumbprint);
	free(a.new_nonce);
	free(a.new_account);
	free(a.new_order);
	free(a.nonce);
	free(a.kid);
	EVP_PKEY_free(owned);
	return rc;
}

void acme_result_free(struct acme_result *r)
{
	if (r->key_pem)
		OPENSSL_cleanse(r->key_pem, strlen(r->key_pem));
	free(r->key_pem);
	free(r->cert_pem);
	free(r->chain_pem);
	free(r->fullchain_pem);
	free(r->account_url);
	free(r->order_url);
	memset(r, 0, sizeof(*r));
}
