/*
 * aws.h — what the AWS provider's service files share: the per-command
 * context (one signed client, the stage, the names derived from it) and the
 * entry points each part of the provider offers the others.
 *
 * Nothing is stored locally: every operation rediscovers the stage's
 * resources from AWS by their deterministic names (SPEC §2):
 *   function    stage->function_name
 *   role        <function>-HoistLambdaExecutionRole (unless role_arn / role_name)
 *   REST/HTTP API  named <function>, tagged hoist:stage=<function>
 *   rules       <function>-<event name> (≤ 64 chars, hash prefix when longer)
 *   bucket      s3_bucket setting, else hoist-<account-id>-<region>
 */
#ifndef HOIST_AWS_H
#define HOIST_AWS_H

#include "aws_call.h"
#include "../../core/beside.h"
#include "../../core/settings_keys.h"

#include <jansson.h>
#include <stdbool.h>

struct herr;
struct stage;

struct aws_ctx {
	struct aws_client client;
	const struct stage *st;
	const char *region;        /* points into client.cfg */
	char *account_id;          /* from function_arn or STS, fetched once (aws_account_id) */
	char *function_arn;        /* unqualified ARN once known (lambda.c fills it) */
	/*
	 * Answers read once per command and remembered while they cannot have
	 * changed: each is dropped or replaced where hoist itself changes what
	 * it describes (the generations count hoist's writes, aws_call.h).
	 */
	json_t *cfg;               /* the function's configuration seen settled (lambda.c) … */
	unsigned cfg_gen;          /* … while client.fn_writes is still this */
	json_t *policy;            /* the function's resource policy statements (frontdoor.c) … */
	unsigned policy_gen;       /* … while client.policy_writes is still this */
	bool role_read;            /* GetRole of iam_role_name answered (iam.c): */
	char *role_arn;            /*   its ARN, NULL when absent */
	bool role_policy_read;     /* GetRolePolicy answered: */
	json_t *role_policy;       /*   the inline policy, NULL when absent */
	char *bucket_ok;           /* the artifacts bucket HeadBucket or CreateBucket found ours */
	json_t *rule_names;        /* ListRuleNamesByTarget of rule_target (events.c) … */
	char *rule_target;
	unsigned rule_names_gen;   /* … while client.events_writes is still this */
};

int aws_ctx_open(struct aws_ctx *x, const struct stage *st, struct herr *e);
void aws_ctx_close(struct aws_ctx *x);
/* x's context for another thread: a client of its own (`http`, taken), what x knows copied. */
void aws_ctx_copy(const struct aws_ctx *x, struct aws_ctx *copy, struct http_client *http);
/* Free a copy: its client and what it read. */
void aws_ctx_copy_free(struct aws_ctx *copy);
/* The account id (cached in x); HOIST_FAIL when STS cannot be reached. */
int aws_account_id(struct aws_ctx *x, const char **id, struct herr *e);
/*
 * The reads a deploy or update needs whatever the package holds, made while
 * it is being built (ops.c): the account, the execution role and its policy,
 * the artifacts bucket (`bucket`); the role and its policy beside the
 * account and the bucket.  Remembered in x; a failure is left for the step
 * that needs the answer to report, so nothing is said twice.
 */
void aws_prefetch(struct aws_ctx *x, bool bucket);

/*
 * Reads made beside the command's own calls (core/beside.h), each on a copy
 * of x with an HTTP client of its own (the process's connections shared)
 * that knows the account, the function's ARN and the role (when read) and
 * has no other answer remembered yet.  `read` only reads; what it learns
 * goes into the copy's remembered answers, or into what `arg` points to, and
 * nothing is shown from its thread.  aws_beside_join keeps in x each remembered answer x did
 * not get meanwhile.  A prefetch (aws_beside_start) reports nothing: a read
 * that failed is made again by the step that needs its answer, which says
 * why.  A field added to struct aws_ctx is adopted (or freed) in ctx.c.
 */
struct aws_beside {
	struct aws_ctx copy;
	void (*prefetch)(struct aws_ctx *x);          /* aws_beside_start's */
	void (*read)(struct aws_ctx *x, void *arg);   /* aws_beside_read's */
	void *arg;
	bool borrowed;   /* no client of its own could be made: x's, in the join */
	struct beside job;
};
void aws_beside_read(struct aws_ctx *x, struct aws_beside *b,
		     void (*read)(struct aws_ctx *x, void *arg), void *arg);
void aws_beside_start(struct aws_ctx *x, struct aws_beside *b, void (*read)(struct aws_ctx *x));
void aws_beside_join(struct aws_ctx *x, struct aws_beside *b);

/*
 * Front door (apigw.c, apigwv2.c, function_url.c): create or converge the
 * stage's HTTP entry points for x->function_arn per the settings
 * (apigateway_enabled / apigateway_version / function_url_enabled, cors,
 * binary_support, api_key_required, iam_authorization, authorizer), including
 * the Lambda permissions they need.  *url is the primary URL (allocated).
 */
int aws_frontdoor_ensure(struct aws_ctx *x, char **url, struct herr *e);
/* Describe what exists into `status` (keys "api", "url", "function_url"…); never fails on absence. */
int aws_frontdoor_status(struct aws_ctx *x, json_t *status, struct herr *e);
/* The primary URL if the front door exists; *url = NULL when it does not. */
int aws_frontdoor_url(struct aws_ctx *x, char **url, struct herr *e);
/*
 * Is the front door the last converge made still there (the no-change
 * update)?  The wanted APIs' stages and the function URL exist, with their
 * Lambda permissions in `stmts` (the function's policy), and none that is no
 * longer wanted: one read per front door.  *url as aws_frontdoor_ensure.
 */
int aws_frontdoor_present(struct aws_ctx *x, const json_t *stmts, char **url, bool *present,
			  struct herr *e);
/* Delete every front-door resource of the stage that exists. */
int aws_frontdoor_remove(struct aws_ctx *x, struct herr *e);

/*
 * Events (events.c, issue 6): converge EventBridge rules/targets, the single
 * Lambda permission for them, and event sources with the settings; remove
 * them all; describe them.
 */
int aws_events_ensure(struct aws_ctx *x, struct herr *e);
int aws_events_remove(struct aws_ctx *x, struct herr *e);
int aws_events_status(struct aws_ctx *x, json_t *status, struct herr *e);
/*
 * Are the rules and event sources the last converge made still there (the
 * no-change update)?  Their permissions in `stmts`, the rule names by
 * ListRuleNamesByTarget, the SQS/Kinesis/DynamoDB mappings by
 * ListEventSourceMappings: at most two reads.
 */
int aws_events_present(struct aws_ctx *x, const json_t *stmts, bool *present, struct herr *e);
/* The names of the rules that target the function into x, when rules are
   wanted (an aws_beside read). */
void aws_events_read(struct aws_ctx *x);

/*
 * The provider operations behind aws.c's table.  ops.c:
 * deploy, update, status, invoke, rollback, undeploy, and the slim-bundle
 * location the package step bakes into the handler.  events.c, logs.c,
 * certify.c: schedule, unschedule, tail, certify.
 */
struct deploy_args;
struct invoke_args;
struct undeploy_args;
struct tail_args;
struct certify_args;
int aws_deploy(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e);
int aws_deployed(const struct stage *st, char **url, struct herr *e);
int aws_update(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e);
int aws_status(const struct stage *st, json_t **status, struct herr *e);
int aws_invoke(const struct stage *st, const struct invoke_args *a, json_t **result,
	       struct herr *e);
int aws_rollback(const struct stage *st, int versions_back, char **url, struct herr *e);
int aws_undeploy(const struct stage *st, const struct undeploy_args *a, struct herr *e);
int aws_slim_location(const struct stage *st, char **location, struct herr *e);
struct request_args;
struct http_response;
int aws_request(const struct stage *st, const struct request_args *a, struct http_response *rs,
		struct herr *e);

/* The stage lock's marker in S3 (lock.c; provider.h says what they promise). */
int aws_lock_put(const struct stage *st, const char *mark, const char *replace, char **held,
		 struct herr *e);
int aws_lock_delete(const struct stage *st, const char *mark, struct herr *e);
int aws_lock_get(const struct stage *st, char **held, struct herr *e);

/* The settings keys AWS declares itself (settings.c). */
extern const struct settings_honour aws_settings[];

/*
 * Asynchronous tasks (tasks.c): the SNS topic (async_source "sns") and the
 * DynamoDB response table (async_response_table) when async_resources is
 * true; removed by undeploy.  aws_tasks_topic_arn allocates.
 */
int aws_tasks_ensure(struct aws_ctx *x, struct herr *e);
/* Are they all there (topic, subscription, permission in `stmts`, table)?  Reads only. */
int aws_tasks_present(struct aws_ctx *x, const json_t *stmts, bool *ok, struct herr *e);
int aws_tasks_remove(struct aws_ctx *x, struct herr *e);
char *aws_tasks_topic_arn(const struct aws_ctx *x, const char *account);

/*
 * A stage Zappa deployed (takeover.c): is there Zappa's CloudFormation stack
 * <function> (and its REST API's id, allocated, when api_id is given); adopt
 * its REST API as the stage's (update); delete the stack and wait until it
 * is gone (undeploy).
 */
int aws_zappa_deployed(struct aws_ctx *x, bool *yes, char **api_id, struct herr *e);
int aws_zappa_adopt(struct aws_ctx *x, struct herr *e);
int aws_zappa_remove(struct aws_ctx *x, struct herr *e);

/* Custom domain (domain.c, issue 6): the domain URL if mapped, else NULL. */
int aws_domain_url(struct aws_ctx *x, char **url, struct herr *e);
int aws_domain_remove(struct aws_ctx *x, struct herr *e);

/* The provider operations of issue 6 (events.c, logs.c, certify.c), for aws.c's table. */
struct tail_args;
struct certify_args;
int aws_op_schedule(const struct stage *st, json_t **scheduled, struct herr *e);
int aws_op_unschedule(const struct stage *st, struct herr *e);
int aws_op_tail(const struct stage *st, const struct tail_args *a, struct herr *e);
int aws_op_certify(const struct stage *st, const struct certify_args *a, char **url,
		   struct herr *e);

#endif
