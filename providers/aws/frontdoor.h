/*
 * frontdoor.h — what the front-door files share (private to apigw.c,
 * apigwv2.c, function_url.c and frontdoor.c; ops.c borrows fd_policy and
 * fd_hash for the no-change update): one-call helpers, the Lambda
 * permissions they add (deterministic statement ids, so re-runs converge),
 * the CORS settings, and each front door's ensure/url/status/remove.
 *
 * Every front-door resource is found again by name (the function name) and
 * the tag hoist:stage=<function>; nothing is remembered locally.
 */
#ifndef HOIST_AWS_FRONTDOOR_H
#define HOIST_AWS_FRONTDOOR_H

#include "aws.h"

#include <jansson.h>
#include <stdbool.h>

struct herr;

#define FD_TAG "hoist:stage"
/* Lambda permission statement ids (one per kind; SourceArn names the API). */
#define FD_SID_REST "hoist-apigw"
#define FD_SID_HTTP "hoist-apigw-v2"
#define FD_SID_AUTH "hoist-apigw-authorizer"
#define FD_SID_URL "hoist-function-url"
#define FD_SID_URL_INVOKE "hoist-function-url-invoke"

/*
 * One call.  `body` is consumed (may be NULL).  When the call fails with
 * `absent` (e.g. "NotFoundException"), HOIST_OK with *out = NULL.  *out, if
 * out is given, gets a new reference to the answer.
 */
int fd_do(struct aws_ctx *x, const struct aws_service *svc, const char *op, const char *method,
	  const char *path, const char *query, json_t *body, const char *absent, json_t **out,
	  struct herr *e);
/* The same for a create call: not retried blindly when its outcome is unknown. */
int fd_create(struct aws_ctx *x, const struct aws_service *svc, const char *op,
	      const char *path, json_t *body, http_check_effect_fn check, void *check_ctx,
	      json_t **out, struct herr *e);

const char *fd_str(const json_t *o, const char *key);

/* How an API Gateway listing pages: v1 (limit, position, "item") or v2 (maxResults,
 * nextToken, "items"). */
struct fd_paging {
	const struct aws_service *svc;
	const char *size_q, *token_q;   /* query parameters: page size, next page */
	const char *items, *token;      /* answer members: the page's items, the next page */
};
extern const struct fd_paging fd_pages_v1, fd_pages_v2;
/*
 * Every item of a paged GET listing at `path` (`extra_q`: more query, may be
 * NULL; `absent` as for fd_do) into *items (a new array).
 */
int fd_list_all(struct aws_ctx *x, const struct fd_paging *pg, const char *op,
		const char *path, const char *extra_q, const char *absent, json_t **items,
		struct herr *e);
/*
 * GetStage of the stage on API `api_id` at `path` (consumed): describe it as
 * status["api"] and, when the stage is deployed, hand `api_url` (consumed) to
 * *url — only a deployed stage is a live URL.
 */
int fd_stage_status(struct aws_ctx *x, const struct aws_service *svc, const char *type,
		    const char *api_id, char *path, char *api_url, json_t *status, char **url,
		    struct herr *e);
/* "aws", "aws-cn" or "aws-us-gov" for the context's region. */
const char *fd_partition(const struct aws_ctx *x);
/* The function's unqualified ARN (cached in x->function_arn). */
int fd_function_arn(struct aws_ctx *x, const char **arn, struct herr *e);
/* The first 16 hex digits of SHA-256 over `doc` (sorted, compact); allocates. */
char *fd_hash(const json_t *doc);
/* Does the stage's API carry our tag? (`tags` object from a listing) */
bool fd_tagged(const struct aws_ctx *x, const json_t *tags);

/*
 * Lambda resource policy of `function` (name or ARN): the Statement array
 * (new reference; empty when there is none or the function is absent).
 */
int fd_policy(struct aws_ctx *x, const char *function, json_t **stmts, struct herr *e);
/* The stage's function's policy into x, a failure left to fd_policy (aws_beside read). */
void fd_policy_read(struct aws_ctx *x);

struct fd_perm {
	const char *function;      /* NULL: the stage's function */
	const char *sid;
	const char *action;        /* "lambda:InvokeFunction" */
	const char *principal;     /* "apigateway.amazonaws.com", "*" */
	const char *source_arn;    /* NULL: none */
	const char *url_auth_type; /* FunctionUrlAuthType or NULL */
	bool via_function_url;     /* InvokedViaFunctionUrl */
};

/* Statement `sid` of `stmts`, or NULL; its AWS:SourceArn condition, or NULL. */
const json_t *fd_statement(const json_t *stmts, const char *sid);
const char *fd_source_arn(const json_t *stmt);
/* The API id in the execute-api SourceArn of statement `sid` ("…:ID/…"), or NULL; allocates. */
char *fd_api_of(const json_t *stmts, const char *sid);
/*
 * GetStage of the stage on the API that statement `sid` names (fd_api_of),
 * under `base` ("/restapis/", "/v2/apis/"): *stage (new reference) and its
 * execute-api *url (allocated), both NULL when there is no such API or stage.
 */
int fd_stage_named_by(struct aws_ctx *x, const struct aws_service *svc, const char *base,
		      const json_t *stmts, const char *sid, json_t **stage, char **url,
		      struct herr *e);

/* Make sure the statement exists as described (replacing one that differs). */
int fd_permission(struct aws_ctx *x, const json_t *stmts, const struct fd_perm *p,
		  bool *changed, struct herr *e);
/* Remove statement `sid` of `function` (NULL: the stage's) if `stmts` has it. */
int fd_permission_drop(struct aws_ctx *x, const json_t *stmts, const char *function,
		       const char *sid, struct herr *e);

/*
 * The *_present functions serve the no-change update (aws_frontdoor_present):
 * is what the last converge made still there?  Each makes one read and sets
 * *url when it is; `stmts` is the function's policy (fd_policy).
 */

/* apigw.c — REST API (v1) */
int apigw_ensure(struct aws_ctx *x, char **url, struct herr *e);
int apigw_present(struct aws_ctx *x, const json_t *stmts, char **url, bool *present,
		  struct herr *e);
int apigw_url(struct aws_ctx *x, char **url, json_t *status, struct herr *e);
int apigw_remove(struct aws_ctx *x, bool *removed, struct herr *e);
/* The value of the stage's API key (`api_key` id, else the key named <function>); allocates. */
int apigw_api_key_value(struct aws_ctx *x, char **value, struct herr *e);

/* apigwv2.c — HTTP API (v2) */
int apigwv2_ensure(struct aws_ctx *x, char **url, struct herr *e);
int apigwv2_present(struct aws_ctx *x, const json_t *stmts, char **url, bool *present,
		    struct herr *e);
int apigwv2_url(struct aws_ctx *x, char **url, json_t *status, struct herr *e);
int apigwv2_remove(struct aws_ctx *x, bool *removed, struct herr *e);

/* function_url.c — Lambda function URL */
int function_url_ensure(struct aws_ctx *x, char **url, struct herr *e);
int function_url_get(struct aws_ctx *x, char **url, json_t *status, struct herr *e);
int function_url_present(struct aws_ctx *x, const json_t *stmts, char **url, bool *present,
			 struct herr *e);
int function_url_remove(struct aws_ctx *x, bool *removed, struct herr *e);

#endif
