/*
 * sign_oss4.h — OSS Signature Version 4 (OSS4-HMAC-SHA256), the signature
 * Object Storage Service requires of new accounts and buckets (V1 is
 * closed to them: research/clouds.md §0).
 *
 * As ali-oss's signUtils.authorizationV4 computes it:
 *
 *   CanonicalRequest =
 *     METHOD "\n"
 *     percent-encode("/" bucket "/" key) with "/" kept "\n"
 *       (bucket-level calls: "/bucket/", service-level: "/")
 *     sorted query: encode(key) ["=" encode(value)] joined "&" "\n"
 *       (a bare sub-resource such as "?delete" has no "=")
 *     for content-type, content-md5 and every x-oss-* header, lower-cased
 *       and sorted: name ":" trimmed value "\n"  "\n"
 *     additional signed headers (none) "\n"
 *     the x-oss-content-sha256 value (UNSIGNED-PAYLOAD)
 *   StringToSign = "OSS4-HMAC-SHA256\n" x-oss-date "\n"
 *                  yyyymmdd "/" region "/oss/aliyun_v4_request\n"
 *                  hex(SHA-256(CanonicalRequest))
 *   SigningKey = HMAC chain from "aliyun_v4" secret over yyyymmdd, region,
 *                "oss", "aliyun_v4_request"
 *   Authorization = "OSS4-HMAC-SHA256 Credential=<AK>/<scope>,Signature=<hex>"
 */
#ifndef HOIST_SIGN_OSS4_H
#define HOIST_SIGN_OSS4_H

#include "sign_acs3.h"

#define OSS4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

struct oss4_req {
	const char *method;
	const char *bucket;                  /* NULL: service-level call */
	const char *key;                     /* object key (decoded), NULL: bucket-level */
	const struct ali_kv *query;          /* decoded; value NULL for a bare sub-resource */
	size_t n_query;
	const struct ali_kv *headers;        /* every header sent, x-oss-date and
						x-oss-content-sha256 included */
	size_t n_headers;
	const char *region;                  /* "cn-hangzhou" */
};

struct oss4_out {
	char signature[65];
	char *authorization;
	char *canonical_request;
};

int oss4_sign(const struct oss4_req *r, const char *access_key_id, const char *secret,
	      struct oss4_out *out);
void oss4_out_free(struct oss4_out *out);

/* "20231026T102232Z" for x-oss-date into buf[17]. */
void oss4_date(long long epoch, char buf[17]);

#endif
