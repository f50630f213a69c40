/*
 * tc_call.h — one signed Tencent Cloud API 3.0 call: endpoint, JSON body,
 * TC3 signature on every attempt, retries (core/http.c) and the error that
 * lives in the body.
 *
 * Every API 3.0 service takes `POST /` on <service>.tencentcloudapi.com
 * with the parameters as a JSON object and the headers X-TC-Action,
 * X-TC-Version, X-TC-Region, X-TC-Timestamp (and X-TC-Token with a session
 * token).  Every answer is {"Response": {…, "RequestId"}}, and an error is
 * {"Response": {"Error": {"Code", "Message"}, "RequestId"}}, usually with
 * HTTP 200: tc_do() checks it on every call and turns it into HOIST_FAIL
 *   "<Service> <Action> failed: <Code>: <Message>"
 * keeping the code so callers can treat ResourceNotFound.* as "absent"
 * (tc_error_is).  RequestLimitExceeded* and InternalError* answers, HTTP
 * 429/5xx and transport errors are retried with backoff.
 */
#ifndef HOIST_TENCENT_CALL_H
#define HOIST_TENCENT_CALL_H

#include "credentials.h"
#include "../../core/http.h"
#include "../../core/http_body.h"

#include <jansson.h>
#include <stdbool.h>

struct herr;
struct stage;

struct tc_service {
	const char *name;        /* "scf": host label, signing service, TENCENTCLOUD_ENDPOINT_URL_SCF */
	const char *title;       /* "SCF": messages */
	const char *version;     /* X-TC-Version */
};

extern const struct tc_service tc_scf, tc_cls, tc_cam, tc_ssl, tc_dnspod, tc_monitor;

/*
 * A stage's Tencent session: config + one HTTP client (connection reuse).
 * With `stage` set, a call that changes something (any action but Get*,
 * List*, Describe*, Search*, Invoke) first takes the stage lock's marker
 * (stage_before_write, core/stagelock.h).
 */
struct tc_client {
	struct cloud_config cfg;
	struct http_client *http;
	const struct stage *stage;
};

int tc_client_open(struct tc_client *c, const json_t *settings, struct herr *e);
void tc_client_close(struct tc_client *c);

struct tc_call {
	const struct tc_service *svc;
	const char *action;         /* X-TC-Action: "CreateFunction" */
	const json_t *params;       /* the body (borrowed); NULL: {} */
	const struct http_body *stream;  /* …or a body streamed from a file (hashed:
					    http_body_sha256 done), e.g. a ZipFile */
	const char *progress;       /* out_progress label for a large body */
	bool non_idempotent;        /* create-like: see http.h check_effect */
	http_check_effect_fn check_effect;
	void *check_ctx;
	long timeout_s;
};

struct tc_result {
	json_t *data;               /* the "Response" object (never NULL after tc_do) */
	char *error_code;           /* "ResourceNotFound.Function" on failure */
	char *error_message;
	char *request_id;
	bool effect_done;           /* outcome unknown, check_effect said it happened */
};

/*
 * Make the call.  HOIST_OK with res->data; HOIST_FAIL for a Tencent error
 * (res->error_code set) or a network failure (no error_code).
 */
int tc_do(struct tc_client *c, const struct tc_call *call, struct tc_result *res,
	  struct herr *e);
void tc_result_free(struct tc_result *res);

/* Did the call fail with `code`, or with a code under it ("ResourceNotFound" matches ".Function")? */
bool tc_error_is(const struct tc_result *res, const char *code);

/* The real host of a service: "scf.tencentcloudapi.com"; allocates. */
char *tc_host(const struct tc_service *svc);

#endif
