/*
 * cloud_call.h — what the clouds' request pipelines (aws_call.c,
 * ali_call.c, tc_call.c) share around their own encoding and signing:
 * opening a session (credentials and region resolved, one HTTP client for
 * connection reuse) and the error a failed call reports.
 */
#ifndef HOIST_CLOUD_CALL_H
#define HOIST_CLOUD_CALL_H

#include "cloud_config.h"

#include <jansson.h>

struct herr;
struct http_client;

/* A cloud's config loader: aws_config_load, ali_config_load, tc_config_load. */
typedef int (*cloud_config_loader)(struct cloud_config *cfg, const json_t *settings,
				   struct herr *e);

/*
 * Resolve the stage's config with `load`, say where the credentials came
 * from ("<cloud> credentials from …, region …") and open the HTTP client.
 * On failure nothing is left to free.
 */
int cloud_session_open(struct cloud_config *cfg, struct http_client **http, const char *cloud,
		       cloud_config_loader load, const json_t *settings, struct herr *e);
void cloud_session_close(struct cloud_config *cfg, struct http_client **http);

/* What a failed call answered. */
struct cloud_failure {
	const char *service;      /* as named in messages: "Lambda", "FC", "SCF" */
	const char *action;       /* "GetFunction" */
	const char *code;         /* the error code ("HTTP404" when the answer had none) */
	const char *message;      /* may be "" */
	const char *request_id;   /* may be NULL */
	long status;
};

/*
 * HOIST_FAIL "<service> <action> failed: <code>: <message>"; when the code
 * says the keys were refused (`keys_refused`), a hint naming where they came
 * from and `permission` (what they must be allowed to call); the HTTP status
 * and request id when there is one.
 */
int cloud_call_failed(struct herr *e, const struct cloud_failure *f, bool keys_refused,
		      const char *cloud, const struct cloud_config *cfg, const char *permission);

#endif
