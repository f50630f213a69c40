/*
 * ali_call.h — one signed Alibaba Cloud API call: the real endpoint's host,
 * where to connect (endpoint overrides), the protocol of each product, the
 * signature (ACS3, OSS4 or SLS's LOG, fresh on every attempt), retries
 * (core/http.c) and error mapping.
 *
 * The service files (fc.c, oss.c, sls.c, sts.c, alidns.c) describe an
 * operation as a struct ali_call and get a struct ali_result whose `data`
 * is the answer as JSON: JSON bodies as parsed (FC, RPC, SLS), XML bodies
 * (OSS) converted by core/xml.h.  An error (HTTP ≥ 300) is HOIST_FAIL with
 *   "<Service> <Action> failed: <Code>: <Message>"
 * and its code kept in the result, so callers can treat "FunctionNotFound"
 * or "NoSuchBucket" as absence (ali_error_is).
 *
 * A call that changes something (any action but Get*, List*, Describe*,
 * Head*, Invoke*) first takes the stage lock's marker (core/stagelock.h,
 * stage_before_write) when the client belongs to a stage.
 *
 * The request is byte-for-byte what the real endpoint gets whatever the
 * override: Host is fcv3.<region>.aliyuncs.com, <bucket>.oss-<region>.
 * aliyuncs.com, <project>.<region>.log.aliyuncs.com, sts.aliyuncs.com,
 * alidns.aliyuncs.com, apigateway.<region>.aliyuncs.com (or an HTTP
 * trigger's own host); an override only changes the scheme, host and port
 * the connection goes to.
 */
#ifndef HOIST_ALI_CALL_H
#define HOIST_ALI_CALL_H

#include "credentials.h"
#include "sign_acs3.h"
#include "../../core/http.h"

#include <jansson.h>
#include <stdbool.h>

struct herr;
struct stage;

enum ali_style {
	ALI_ROA,    /* REST paths, JSON bodies, ACS3: Function Compute 3.0 */
	ALI_RPC,    /* POST "/", parameters in the query, ACS3: STS, DNS, API Gateway */
	ALI_OSS,    /* REST, XML bodies, OSS4 */
	ALI_SLS,    /* REST, JSON bodies, LOG signature */
	ALI_HTTP,   /* a plain HTTPS URL (HTTP trigger, custom domain): ACS3 over an empty payload */
};

struct ali_service {
	const char *id;           /* "FC": ALIBABA_CLOUD_ENDPOINT_URL_<id>, messages */
	enum ali_style style;
	const char *version;      /* x-acs-version (ROA/RPC) */
	const char *host;         /* host, "%s" = region (OSS/SLS hosts are built per call) */
};

extern const struct ali_service ali_fc, ali_oss, ali_sls, ali_sts, ali_alidns, ali_cloudapi,
	ali_trigger, ali_ram, ali_gateway;

/* A stage's Alibaba Cloud session: config + one HTTP client (connection reuse). */
struct ali_client {
	struct cloud_config cfg;
	struct http_client *http;
	const struct stage *stage;   /* calls that change something: stage_before_write */
};

int ali_client_open(struct ali_client *c, const json_t *settings, struct herr *e);
void ali_client_close(struct ali_client *c);

struct ali_call {
	const struct ali_service *svc;
	const char *action;       /* "CreateFunction": x-acs-action and messages */
	const char *method;       /* NULL: POST */
	const char *path;         /* wire path, already percent-encoded; NULL: "/" */
	json_t *query;            /* {"name": "value" | null (bare key)} (borrowed) */
	json_t *json;             /* JSON body (ROA, SLS) (borrowed) */
	json_t *form;             /* RPC form body {"Name": "value"} (borrowed) */
	const char *body;         /* raw body, with body_len */
	size_t body_len;
	const char *body_file;    /* streamed body (OSS PutObject: UNSIGNED-PAYLOAD) */
	const struct http_body *stream;  /* streamed body with its SHA-256 (FC code inline) */
	const char *content_type; /* the raw body's type */
	const struct ali_kv *headers;   /* extra headers (x-fc-*, x-oss-*, x-log-*) */
	size_t n_headers;
	const char *bucket;       /* OSS: the bucket (NULL: service-level call) */
	const char *key;          /* OSS: the object key (decoded; the path is built from it) */
	const char *project;      /* SLS: the project (NULL: region endpoint) */
	const char *host;         /* ALI_HTTP: the URL's host */
	bool sign;                /* ALI_HTTP: sign with ACS3 (authType "function") */
	const char *save_to;      /* stream a 2xx body into this file */
	const char *progress;     /* out_progress label */
	bool non_idempotent;      /* create-like: see check_effect */
	bool no_retry;            /* one attempt (the caller retries itself) */
	http_check_effect_fn check_effect;
	void *check_ctx;
	long timeout_s;
};

struct ali_result {
	long status;              /* HTTP status; 0 when effect_done */
	json_t *data;             /* parsed answer (object, array or string; never NULL) */
	struct sbuf raw;          /* the body as received (ALI_HTTP, InvokeFunction) */
	struct http_headers headers;
	char *error_code;         /* "FunctionNotFound", "NoSuchBucket" … */
	char *error_message;
	char *request_id;
	bool effect_done;
};

/*
 * Make the call: HOIST_OK for a 2xx answer (or any answer with ALI_HTTP);
 * HOIST_FAIL for an error answer (res has error_code/message) or a network
 * failure (no error_code).
 */
int ali_do(struct ali_client *c, const struct ali_call *call, struct ali_result *res,
	   struct herr *e);
void ali_result_free(struct ali_result *res);

/*
 * ali_do for a call whose answer is wanted as JSON: *out (when out is
 * given) a new reference to the answer, NULL when the call took effect over
 * a broken connection; an error whose code is `absent` ("NotFound…") is
 * HOIST_OK with *out = NULL.
 */
int ali_call_json(struct ali_client *c, const struct ali_call *call, const char *absent,
		  json_t **out, struct herr *e);

bool ali_error_is(const struct ali_result *res, const char *code);

/* The real host of a call (what the Host header says); allocates. */
char *ali_host(const struct ali_client *c, const struct ali_call *call);

/* The override's scheme://host[:port] for a service (http_request.connect_to) or NULL. */
char *ali_connect_to(const struct ali_client *c, const struct ali_service *svc);

/* One path segment percent-encoded ('/' too); allocates. */
char *ali_path_escape(const char *segment);

#endif
