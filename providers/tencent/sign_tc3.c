/*
 * sign_tc3.c — TC3-HMAC-SHA256 (see sign_tc3.h): canonical request, string
 * to sign, the derived key and the Authorization header.
 */
#include "sign_tc3.h"

#include "../../core/digest.h"
#include "../../core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	digest_hmac_sha256(key, klen, msg, strlen(msg), out);
}

int tc3_sign(const struct tc3_req *r, const char *id, const char *secret, struct tc3_out *o)
{
	char payload[65], crhash[65], *k0, *sts;
	unsigned char kdate[32], ksvc[32], ksign[32], sig[32];
	size_t hostlen;
	struct tm tm;

	memset(o, 0, sizeof(*o));
	if (!r->method || !r->host || !r->service || !r->content_type || !id || !secret)
		return -1;
	if (r->payload_hash)
		snprintf(payload, sizeof(payload), "%s", r->payload_hash);
	else
		digest_sha256_hex(r->body ? r->body : "", r->body ? r->body_len : 0, payload);
	hostlen = strcspn(r->host, ":");
	o->canonical_request = xasprintf("%s\n%s\n%s\ncontent-type:%s\nhost:%.*s\n\n"
					 "content-type;host\n%s", r->method,
					 r->path && *r->path ? r->path : "/",
					 r->query ? r->query : "", r->content_type, (int)hostlen,
					 r->host, payload);
	digest_sha256_hex(o->canonical_request, strlen(o->canonical_request), crhash);
	gmtime_r(&r->timestamp, &tm);
	strftime(o->date, sizeof(o->date), "%Y-%m-%d", &tm);
	sts = xasprintf("TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s",
			(long long)r->timestamp, o->date, r->service, crhash);
	k0 = xasprintf("TC3%s", secret);
	hmac(k0, strlen(k0), o->date, kdate);
	hmac(kdate, 32, r->service, ksvc);
	hmac(ksvc, 32, "tc3_request", ksign);
	hmac(ksign, 32, sts, sig);
	digest_hex(sig, 32, o->signature, false);
	o->authorization = xasprintf("TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, "
				     "SignedHeaders=content-type;host, Signature=%s", id, o->date,
				     r->service, o->signature);
	memset(k0, 0, strlen(k0));
	free(k0);
	free(sts);
	return 0;
}

void tc3_out_free(struct tc3_out *o)
{
	free(o->authorization);
	free(o->canonical_request);
	memset(o, 0, sizeof(*o));
}
