/*
 * aws_call.h — one signed AWS API call: endpoint, protocol encoding,
 * SigV4, retries (core/http.c) and error mapping.
 *
 * The per-service files (lambda.c, apigw.c, s3.c, iam.c, …) describe an
 * operation as a struct aws_call and get back a struct aws_result whose
 * `data` is the response as JSON, whatever the wire format:
 *   - JSON protocols (Lambda, API Gateway v1/v2, Logs, EventBridge, ACM):
 *     the response body parsed by jansson;
 *   - XML protocols (S3, Route 53, and the query protocol of IAM, STS,
 *     CloudWatch): the root element as an object; an element with children
 *     becomes an object, a text-only element a string, and repeated child
 *     names an array — use xml_list() (core/xml.h) to read "list of member" shapes.
 * An AWS error (HTTP ≥ 300) becomes HOIST_FAIL with
 *   "<Service> <Operation> failed: <Code>: <Message>"
 * and its code/message kept in the result, so callers can treat e.g.
 * ResourceNotFoundException as "absent" (aws_error_is()).
 */
#ifndef HOIST_AWS_CALL_H
#define HOIST_AWS_CALL_H

#include "credentials.h"
#include "sigv4.h"
#include "../../core/http.h"
#include "../../core/xml.h"

#include <jansson.h>
#include <stdbool.h>

struct herr;
struct stage;

enum aws_protocol {
	AWS_REST_JSON,   /* Lambda, API Gateway */
	AWS_JSON,        /* x-amz-json-1.1 + X-Amz-Target: Logs, EventBridge, ACM */
	AWS_REST_XML,    /* S3, Route 53 */
	AWS_QUERY,       /* Action=…&Version=… form posts: IAM, STS, CloudWatch */
};

struct aws_service {
	const char *id;           /* botocore serviceId: messages, AWS_ENDPOINT_URL_<ID> */
	const char *prefix;       /* endpoint prefix: "lambda", "monitoring" */
	const char *signing;      /* SigV4 service name */
	enum aws_protocol proto;
	const char *target;       /* AWS_JSON: X-Amz-Target prefix */
	const char *version;      /* AWS_QUERY: Version= */
	const char *global_host;  /* global service host ("iam.amazonaws.com"), signed in us-east-1 */
	bool s3;                  /* S3 signing and addressing rules */
	bool json10;              /* AWS_JSON: x-amz-json-1.0 (DynamoDB) instead of 1.1 */
};

extern const struct aws_service aws_lambda, aws_s3, aws_apigateway, aws_apigatewayv2,
	aws_iam, aws_sts, aws_cloudwatch, aws_logs, aws_events, aws_acm, aws_route53, aws_sns,
	aws_dynamodb, aws_cloudformation;

/* A stage's AWS session: config + one HTTP client (connection reuse). */
struct aws_client {
	struct cloud_config cfg;
	struct http_client *http;
	const struct stage *stage;   /* calls that change something: stage_before_write */
	unsigned fn_writes;          /* Lambda writes that may change a function's configuration
					or state (not tags, permissions, concurrency), attempted */
	double fn_write_at;          /* when the last of them was answered (clock_now_s; 0: none):
					a function settles counting from there (lambda_wait) */
	unsigned policy_writes;      /* Lambda writes that may change a function's policy */
	unsigned events_writes;      /* EventBridge writes (rules, targets) */
};

/* Resolve credentials/region (credentials.h) and open the HTTP client. */
int aws_client_open(struct aws_client *c, const json_t *settings, struct herr *e);
void aws_client_close(struct aws_client *c);

struct aws_call {
	const struct aws_service *svc;
	const char *op;           /* operation name: "CreateFunction" (messages, targets, Action) */
	const char *method;       /* REST: "GET"/"POST"/…; JSON and query: NULL (POST) */
	const char *path;         /* REST wire path, already encoded; NULL: "/" */
	const char *query;        /* REST wire query without "?" (aws_query_add) */
	const char *bucket;       /* S3: the bucket (virtual-hosted, or path-style when
				     an endpoint override is set or the name has dots) */
	json_t *json;             /* JSON protocols: request body (borrowed) */
	json_t *params;           /* query protocol: flat {"RoleName": "x",
				     "Tags.member.1.Key": "k"} (borrowed; strings/ints/bools) */
	const char *body;         /* raw body (REST-XML), with body_len */
	size_t body_len;
	struct http_body *stream; /* streamed body (http_body.h): the ZipFile JSON of Lambda
				     code calls, S3 PutObject/UploadPart file ranges; signed
				     with its SHA-256 (computed here if not yet) */
	const char *content_type; /* raw body's type */
	const struct sigv4_header *headers;   /* extra headers (signed) */
	size_t n_headers;
	const char *save_to;      /* stream a 2xx body into this file */
	const char *progress;     /* out_progress label for uploads/downloads */
	bool non_idempotent;      /* create-like call: see check_effect */
	http_check_effect_fn check_effect;   /* did an unknown-outcome call take effect? */
	void *check_ctx;          /* its context (passed as ctx) */
	long timeout_s;
	bool keep_body;           /* also hand over the raw 2xx body (aws_result.body) */
};

struct aws_result {
	long status;              /* HTTP status; 0 when effect_done */
	json_t *data;             /* parsed response (object; may be empty) */
	struct http_headers headers;
	char *error_code;         /* on failure: "ResourceNotFoundException" */
	char *error_message;
	char *request_id;
	bool effect_done;         /* outcome unknown; check_effect said it happened */
	char *body;               /* keep_body: the raw body (NUL-terminated), body_len bytes */
	size_t body_len;
};

/*
 * Make the call.  HOIST_OK for a 2xx answer; HOIST_FAIL for an AWS error
 * (res has error_code/message) or a network failure (no error_code).
 */
int aws_do(struct aws_client *c, const struct aws_call *call, struct aws_result *res,
	   struct herr *e);
void aws_result_free(struct aws_result *res);

/* Did the call fail with this AWS error code? */
bool aws_error_is(const struct aws_result *res, const char *code);

/* Append "name=value" to a wire query string, AWS-encoded. */
void aws_query_add(struct sbuf *q, const char *name, const char *value);

/* Path segment encoder: AWS URI encoding, '/' encoded too; allocates. */
char *aws_path_escape(const char *segment);

#endif
