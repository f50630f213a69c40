/*
 * cors.h — the `cors` setting as every provider's front door reads it: true,
 * or an object with Zappa's cors_options keys (allowed_origin(s),
 * allowed_headers, allowed_methods, expose(d)_headers, allow(ed)_credentials,
 * max_age), with Zappa's defaults for what is left out.
 */
#ifndef HOIST_CORS_H
#define HOIST_CORS_H

#include <jansson.h>
#include <stdbool.h>

struct cors {
	bool on;
	char *origin;        /* "*" or "https://a.example,https://b.example" */
	char *headers;       /* comma-separated */
	char *methods;       /* comma-separated */
	bool credentials;
	char *expose;        /* comma-separated or NULL */
	long long max_age;   /* -1: unset */
};

void cors_read(const json_t *settings, struct cors *c);
void cors_free(struct cors *c);
/* A comma-separated list as a JSON array of trimmed strings (new reference). */
json_t *cors_split(const char *csv);

#endif
