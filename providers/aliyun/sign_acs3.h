/*
 * sign_acs3.h — Alibaba Cloud's ACS3-HMAC-SHA256 request signature (the V3
 * signature of every OpenAPI product: Function Compute 3.0 ROA calls, the
 * RPC calls of STS, Alibaba Cloud DNS and API Gateway, and FC HTTP triggers
 * whose authType is "function").
 *
 * As @alicloud/openapi-core's getAuthorization computes it:
 *
 *   CanonicalRequest =
 *     METHOD "\n"
 *     pathname as sent ("+" → %20, "*" → %2A, %7E → "~") "\n"
 *     sorted query: key "=" percent-encode(value), joined "&" "\n"
 *     for host, content-type and every x-acs-* header, lower-cased and
 *       sorted: name ":" trimmed value "\n" (repeated names: values
 *       sorted, joined ",") "\n"
 *     those names joined ";" "\n"
 *     HashedRequestPayload   (hex SHA-256 of the body; "" for HTTP triggers)
 *   StringToSign = "ACS3-HMAC-SHA256\n" hex(SHA-256(CanonicalRequest))
 *   Authorization = "ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<names>,
 *                    Signature=<hex HMAC-SHA256(secret, StringToSign)>"
 *
 * Pinned by tests/unit/test_sign_aliyun.c to SPEC §6's vector and to
 * vectors computed with the SDK's own code.
 */
#ifndef HOIST_SIGN_ACS3_H
#define HOIST_SIGN_ACS3_H

#include <stddef.h>

/* A name/value pair (query parameters are given decoded; value NULL: bare key). */
struct ali_kv {
	const char *name;
	const char *value;
};

struct acs3_req {
	const char *method;
	const char *pathname;                /* as sent, already percent-encoded */
	const struct ali_kv *query;          /* decoded; any order */
	size_t n_query;
	const struct ali_kv *headers;        /* every header sent (others are ignored) */
	size_t n_headers;
	const char *payload_hash;            /* hex SHA-256 of the body, or "" */
};

struct acs3_out {
	char signature[65];
	char *authorization;                 /* allocated */
	char *canonical_request;             /* allocated, for -vv and tests */
};

/* Sign; -1 when method, pathname or keys are missing.  Free with acs3_out_free. */
int acs3_sign(const struct acs3_req *r, const char *access_key_id, const char *secret,
	      struct acs3_out *out);
void acs3_out_free(struct acs3_out *out);

/* "2023-10-26T10:22:32Z" for x-acs-date into buf[21]. */
void acs3_date(long long epoch, char buf[21]);

#endif
