/*
 * sign_sls.h — Simple Log Service's own request signature ("LOG", v1 with
 * hmac-sha256), as @alicloud/gateway-sls's getAuthorization computes it:
 *
 *   StringToSign = METHOD "\n"
 *                  content-md5 (upper-case hex MD5 of the body, or "") "\n"
 *                  content-type (or "") "\n"
 *                  date (RFC 1123, the Date header) "\n"
 *                  for every header whose name contains "x-log-" or "x-acs-",
 *                    sorted by name: name ":" value "\n"
 *                  path ["?" sorted key "=" value joined "&"]   (values raw,
 *                    not percent-encoded; a NULL value: just the key)
 *   Authorization = "LOG " AK ":" base64(HMAC-SHA256(secret, StringToSign))
 *
 * Requests also carry x-log-apiversion: 0.6.0, x-log-signaturemethod:
 * hmac-sha256, x-log-bodyrawsize and, with an STS token,
 * x-acs-security-token — all of them signed by the rule above.
 */
#ifndef HOIST_SIGN_SLS_H
#define HOIST_SIGN_SLS_H

#include "sign_acs3.h"

struct sls_req {
	const char *method;
	const char *path;                    /* "/logstores/x/logs", decoded */
	const struct ali_kv *query;          /* decoded */
	size_t n_query;
	const struct ali_kv *headers;        /* every header sent (names as sent) */
	size_t n_headers;
};

struct sls_out {
	char *authorization;                 /* allocated */
	char *string_to_sign;                /* allocated */
};

int sls_sign(const struct sls_req *r, const char *access_key_id, const char *secret,
	     struct sls_out *out);
void sls_out_free(struct sls_out *out);

/* "Thu, 26 Oct 2023 10:22:32 GMT" into buf[30]. */
void sls_date(long long epoch, char buf[32]);

#endif
