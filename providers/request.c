/*
 * request.c — the part of `hoist request` every provider shares (request.h).
 */
#include "request.h"

#include "../core/err.h"
#include "../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *request_url(const char *base, const char *path)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, base, *path == '/' ? path : "/");
}

int request_send(const struct request_args *a, const struct request_how *how,
		 struct http_response *rs, struct herr *e)
{
	struct http_headers h = { 0 };
	struct http_client *c = http_client_new();
	char *url = request_url(how->base_url, a->path);
	struct http_request rq = {
		.method = a->method ? a->method : "GET",
		.url = url,
		.connect_to = how->connect_to,
		.headers = &h,
		.body = a->body,
		.body_len = a->body_len,
		.max_attempts = 1,
		.timeout_s = how->timeout_s,
		.what = "request",
		.sign = how->sign,
		.ctx = how->ctx,
	};
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (!c) {
		free(url);
		return herr_set(e, HOIST_FAIL, "cannot start an HTTP client");
	}
	for (size_t i = 0; a->headers && i < a->headers->n; i++)
		http_headers_add(&h, a->headers->v[i].name, a->headers->v[i].value);
	for (size_t i = 0; how->extra && i < how->extra->n; i++)
		http_headers_set(&h, how->extra->v[i].name, how->extra->v[i].value);
	rc = http_do(c, &rq, rs, e);
	http_headers_free(&h);
	http_client_free(c);
	free(url);
	return rc;
}
