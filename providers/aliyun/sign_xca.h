/*
 * sign_xca.h — the signature Alibaba Cloud API Gateway checks on a call to
 * an APP-authorized API (SPEC §6, seeds 001/002, the gateway's published
 * client-signature rules, the `aliyun-api-gateway` npm client):
 *
 *   StringToSign =
 *     METHOD "\n" Accept "\n" Content-MD5 "\n" Content-Type "\n" Date "\n"
 *     for every header named in X-Ca-Signature-Headers, sorted:
 *       name ":" value "\n"
 *     path [ "?" sorted params: key "=" value, or key alone when the value is
 *            empty, joined "&" ]
 *   X-Ca-Signature = base64(HMAC-SHA256(AppSecret, StringToSign))
 *
 * params are the query's, plus the body's when the body is a form
 * (application/x-www-form-urlencoded), percent-decoded; a name given twice
 * signs with its first value, as the gateway does.  Content-MD5 is
 * base64(MD5(body)) for a body that is not a form.  The signed header names
 * are lower-case; the path is the one sent.
 *
 * Pinned by tests/unit/test_sign_aliyun.c to vectors computed with the
 * aliyun-api-gateway client's own buildStringToSign and sign.
 */
#ifndef HOIST_SIGN_XCA_H
#define HOIST_SIGN_XCA_H

#include "sign_acs3.h"

#include <stddef.h>

struct xca_req {
	const char *method;
	const char *path;                 /* as sent */
	const char *query;                /* raw query string (after '?'), or NULL */
	const char *accept, *content_md5, *content_type, *date;   /* NULL: absent */
	const struct ali_kv *headers;     /* the signed headers, names lower-case */
	size_t n_headers;
	const void *form;                 /* a form body (its params are signed), or NULL */
	size_t form_len;
};

/* The string to sign; allocates. */
char *xca_string_to_sign(const struct xca_req *r);
/* base64(HMAC-SHA256(secret, sts)); allocates. */
char *xca_signature(const char *secret, const char *sts);
/* base64(MD5(body)): the Content-MD5 header; allocates. */
char *xca_content_md5(const void *body, size_t len);
/* Is this Content-Type a form (its params are signed, no Content-MD5)? */
int xca_is_form(const char *content_type);

#endif
