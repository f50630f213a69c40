/*
 * sign_tc3.h — Tencent Cloud API 3.0 signature, TC3-HMAC-SHA256.
 *
 * Every Tencent service hoist calls (SCF, CLS, CAM, SSL, DNSPod, Cloud
 * Monitor) and a CAM-authenticated SCF function URL take it:
 *
 *   CanonicalRequest = METHOD \n path \n query-as-sent \n
 *                      "content-type:<type>\nhost:<host>\n" \n
 *                      "content-type;host" \n hex(SHA-256(body))
 *   StringToSign     = "TC3-HMAC-SHA256" \n timestamp \n
 *                      <UTC date>/<service>/tc3_request \n hex(SHA-256(CanonicalRequest))
 *   key              = HMAC("TC3" + SecretKey, date) → service → "tc3_request"
 *   Authorization    = TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
 *                      SignedHeaders=content-type;host, Signature=<hex>
 *
 * exactly as tencentcloud-sdk-nodejs-common's sign3 builds it (the fake
 * cloud judges hoist's requests with that function; tests/unit/test_tc3.c
 * pins SPEC §6's vector and vectors computed with it).  The host signed is
 * the Host header's name without a port, as sign3 signs the URL's hostname.
 * The service is the real one ("scf", "cls", …) whatever endpoint override
 * the request is sent to.
 */
#ifndef HOIST_TENCENT_SIGN_TC3_H
#define HOIST_TENCENT_SIGN_TC3_H

#include <stddef.h>
#include <time.h>

struct tc3_req {
	const char *method;        /* "POST" (API 3.0), any method for a function URL */
	const char *host;          /* the Host header's value */
	const char *path;          /* canonical URI: "/" for API 3.0, else the path as sent */
	const char *query;         /* the query as sent, without "?", or NULL */
	const char *content_type;  /* "application/json" */
	const void *body;          /* hashed unless payload_hash is given */
	size_t body_len;
	const char *payload_hash;  /* hex SHA-256 of the body, or NULL */
	const char *service;       /* "scf", "cls", "cam", "ssl", "dnspod", "monitor" */
	time_t timestamp;          /* X-TC-Timestamp */
};

struct tc3_out {
	char date[11];             /* "2019-02-25" */
	char signature[65];
	char *authorization;       /* the Authorization header; allocated */
	char *canonical_request;   /* for -vv traces and tests; allocated */
};

/* Sign `r`; 0, or -1 when a field is missing.  Free `o` with tc3_out_free. */
int tc3_sign(const struct tc3_req *r, const char *secret_id, const char *secret_key,
	     struct tc3_out *o);
void tc3_out_free(struct tc3_out *o);

#endif
