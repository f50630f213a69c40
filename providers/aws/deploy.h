/*
 * deploy.h — the service layers under the AWS deploy operations (ops.c):
 * IAM execution role (iam.c), S3 artifacts (s3.c), the Lambda function
 * (lambda.c) and CloudWatch metrics (cloudwatch.c).  Each function makes
 * the calls it names and nothing else; ops.c decides the order.
 */
#ifndef HOIST_AWS_DEPLOY_H
#define HOIST_AWS_DEPLOY_H

#include "aws.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../../core/err.h"
#include "../../core/upload_early.h"

#define AWS_HANDLER "hoist_handler.handler"
#define AWS_ROLE_SUFFIX "-HoistLambdaExecutionRole"
#define AWS_MULTIPART_MIN (16ULL * 1024 * 1024)

/* ---- iam.c ---- */

/* The role name hoist manages for the stage (role_name, else <function>-Hoist…); allocates. */
char *iam_role_name(const struct aws_ctx *x);
/* The inline policy the stage's function needs (slim: read its bundle); new reference. */
json_t *iam_policy(struct aws_ctx *x, const char *account, bool slim);
/*
 * The execution role's ARN (allocated): `role_arn` as given; with
 * manage_roles false the existing role; else the role created or converged
 * (trust policy, inline policy, tag hoist:managed=true on creation).
 * *created says it was just created (IAM propagation still under way).
 */
int iam_role_ensure(struct aws_ctx *x, bool slim, char **arn, bool *created, struct herr *e);
/* Is the inline policy of the role hoist manages what iam_role_ensure would put (the no-change update)? */
int iam_policy_matches(struct aws_ctx *x, bool slim, bool *same, struct herr *e);
/* Read the role hoist manages and its inline policy into x (aws_prefetch). */
int iam_role_read(struct aws_ctx *x, struct herr *e);
/* The same, each on its own (aws_beside reads: failures left to the step that needs it). */
void iam_role_read_role(struct aws_ctx *x);
void iam_role_read_policy(struct aws_ctx *x);
/* Will iam_role_ensure create the role (hoist manages it and it does not exist yet)? */
int iam_role_missing(struct aws_ctx *x, bool *missing, struct herr *e);
/* Does the role hoist manages exist as `arn` (the no-change update)?  role_arn: yes, unread. */
int iam_role_present(struct aws_ctx *x, const char *arn, bool *present, struct herr *e);
/* Delete the role if hoist created it (tag hoist:managed=true); absent is fine. */
int iam_role_remove(struct aws_ctx *x, struct herr *e);

/* ---- s3.c ---- */

/* The artifacts bucket: s3_bucket, else hoist-<account>-<region> (allocated). */
int s3_bucket_name(struct aws_ctx *x, char **bucket, struct herr *e);
/* Keys under "<function>/": the slim bundle, an uploaded zip (allocated). */
char *s3_slim_key(const struct aws_ctx *x);
char *s3_zip_key(const struct aws_ctx *x, const char *sha256_hex);
/* Create the bucket if missing; 403 (someone else's) is an error naming s3_bucket. */
int s3_bucket_ensure(struct aws_ctx *x, const char *bucket, struct herr *e);
/* Does the bucket exist and is it ours?  (*exists false on 404 and 403.) */
int s3_bucket_exists(struct aws_ctx *x, const char *bucket, bool *exists, struct herr *e);
/* The artifacts bucket's HeadBucket into x (an aws_beside read: a failure is read again). */
void s3_bucket_read(struct aws_ctx *x);
/*
 * Upload a file (PutObject, multipart above AWS_MULTIPART_MIN); sha256_hex is
 * the file's SHA-256: its metadata, and the payload hash a PutObject signs.
 */
int s3_upload(struct aws_ctx *x, const char *bucket, const char *key, const char *file,
	      unsigned long long size, const char *sha256_hex, struct herr *e);
/* The object's x-amz-meta-sha256 (allocated), NULL when absent or without it. */
int s3_object_sha(struct aws_ctx *x, const char *bucket, const char *key, char **sha,
		  struct herr *e);
/*
 * GetObject of at most max + 1 bytes into memory: *data (allocated,
 * NUL-terminated), *len; on failure *status is the HTTP status and *region
 * (allocated) the bucket's region when S3 names another one.
 */
int s3_get(struct aws_ctx *x, const char *bucket, const char *key, size_t max, char **data,
	   size_t *len, long *status, char **region, struct herr *e);
int s3_delete(struct aws_ctx *x, const char *bucket, const char *key, struct herr *e);

/* ---- upload_early.c ---- */

/* The code object's upload made while the pre-flight runs (core/upload_early.h). */
struct aws_early {
	struct upload_early up;
	struct aws_ctx copy;          /* the upload's: a client of its own */
	struct aws_ctx *x;            /* the command's: removes the object on a refusal */
	char *bucket, *key;           /* where it goes (s3_zip_key) */
	const char *zip, *sha;        /* the archive and its SHA-256 (hex), borrowed */
	unsigned long long size;
};
/*
 * Start uploading `zip` to s3_zip_key(sha_hex) in the artifacts bucket on a
 * thread of its own, if the bucket is there already (else nothing: the usual
 * step creates it once the pre-flight passed).  Takes the stage lock first:
 * its error is the only one returned.  The verdict: upload_early_end(&u->up).
 */
int aws_early_upload_start(struct aws_ctx *x, struct aws_early *u, const char *zip,
			   unsigned long long size, const char *sha_hex, struct herr *e);
/* Delete every object whose key starts with prefix; *n = how many. */
int s3_delete_prefix(struct aws_ctx *x, const char *bucket, const char *prefix, int *n,
		     struct herr *e);

/* ---- lambda.c ---- */

/* GetFunction (qualifier may be NULL): *fn = {Configuration, Code, Tags} or NULL if absent. */
int lambda_get(struct aws_ctx *x, const char *qualifier, json_t **fn, struct herr *e);
/* Poll until State is Active and LastUpdateStatus is not InProgress; *cfg (may be NULL). */
int lambda_wait(struct aws_ctx *x, json_t **cfg, struct herr *e);
/*
 * aws_do for a call that may reach a function hoist has just changed (the
 * front door, rules, triggers and settings converged while it settles):
 * a Lambda call refused because the function is still Pending or being
 * updated (409 ResourceConflictException, "The operation cannot be
 * performed at this time…") waits for it to settle and is sent once more.
 * Any other answer, and any other service's call, as aws_do.
 */
int lambda_do(struct aws_ctx *x, const struct aws_call *c, struct aws_result *r,
	      struct herr *e);
/*
 * CreateFunction (body without FunctionName), retried while the new role
 * cannot be assumed yet (IAM propagation).  *cfg: the answer.  With `zip`,
 * the body's http_body_mark() (Code.ZipFile) is that file's base64, streamed.
 */
int lambda_create(struct aws_ctx *x, json_t *body, const char *zip, json_t **cfg,
		  struct herr *e);
/* UpdateFunctionCode (`zip` as for lambda_create) / UpdateFunctionConfiguration, after lambda_wait. */
int lambda_update_code(struct aws_ctx *x, json_t *body, const char *zip, struct herr *e);
int lambda_update_config(struct aws_ctx *x, json_t *body, struct herr *e);
/* PublishVersion; *version (allocated) the new version number. */
int lambda_publish(struct aws_ctx *x, char **version, struct herr *e);
/* Published versions (not $LATEST), oldest first (new reference). */
int lambda_versions(struct aws_ctx *x, json_t **versions, struct herr *e);
/* Delete the oldest published versions beyond `keep`, never one an alias points to. */
int lambda_prune(struct aws_ctx *x, long long keep, struct herr *e);
/* DeleteFunction (all versions, permissions, URL config); absent is fine. */
int lambda_delete(struct aws_ctx *x, bool *deleted, struct herr *e);
/*
 * Converge the function's tags with `want` (object); `have` from GetFunction.
 * Tags named aws:… (AWS's) and hoist:… (hoist's own bookkeeping) are never removed.
 */
int lambda_tags(struct aws_ctx *x, const json_t *have, const json_t *want, struct herr *e);
/* Remove the tag `key` if `have` (the function's tags) has it. */
int lambda_untag(struct aws_ctx *x, const json_t *have, const char *key, struct herr *e);
/* Converge reserved concurrency: have/want -1 = none (Put/DeleteFunctionConcurrency). */
int lambda_concurrency(struct aws_ctx *x, long long have, long long want, struct herr *e);
/*
 * Invoke (RequestResponse, LogType Tail): *payload the decoded answer,
 * *log the decoded log tail (or NULL), *fn_error the X-Amz-Function-Error.
 */
int lambda_invoke(struct aws_ctx *x, json_t *event, json_t **payload, char **log,
		  char **fn_error, struct herr *e);

/* ---- cloudwatch.c ---- */

/* Sum of AWS/Lambda `metric` for the function over the last 24 hours (Period 86400). */
int cw_sum_24h(struct aws_ctx *x, const char *metric, long long *sum, struct herr *e);

/* ---- logs (minimal, for undeploy --remove-logs) ---- */
int aws_logs_delete_group(struct aws_ctx *x, const char *group, bool *deleted, struct herr *e);

#endif
