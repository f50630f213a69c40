/*
 * request.h — what every provider's `request` op (hoist request) shares:
 * the stage's live URL joined with the caller's path, the caller's method,
 * headers and body, sent exactly once (the answer is the app's, a 5xx
 * included, and a POST is never sent twice), with the provider's additions:
 * extra headers (an API key), a signature hook, an endpoint override.
 */
#ifndef HOIST_PROVIDER_REQUEST_H
#define HOIST_PROVIDER_REQUEST_H

#include "provider.h"

struct request_how {
	const char *base_url;             /* the stage's live URL */
	const char *connect_to;           /* endpoint override (http_request.connect_to) or NULL */
	const struct http_headers *extra; /* headers the front door needs, may be NULL */
	http_sign_fn sign;                /* signs each attempt (rq->url is the real URL), or NULL */
	void *ctx;                        /* sign's context */
	long timeout_s;                   /* 0: the HTTP default */
};

/* base "https://h/dev" or "https://h/" + path "/a?b" → "https://h/dev/a?b"; allocates. */
char *request_url(const char *base, const char *path);

/* Send `a` as described; *rs whatever the status; an error only without a response. */
int request_send(const struct request_args *a, const struct request_how *how,
		 struct http_response *rs, struct herr *e);

#endif
