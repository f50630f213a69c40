/*
 * aliyun.h — what the Alibaba Cloud provider's files share: the per-command
 * context (one signed client, the stage, the names derived from it) and the
 * entry points each part offers the others.
 *
 * Nothing is stored locally: every operation finds the stage's resources by
 * their deterministic names (SPEC §2):
 *   function    stage->function_name (FC: [A-Za-z_][A-Za-z0-9_-]{0,63})
 *   alias       the stage name: every deploy/update publishes a version and
 *               moves this alias to it, so rollback is a pointer move
 *   HTTP trigger  "hoist-http" on the alias (the front door, http_trigger.c)
 *   API Gateway   group and API hoist_<function>, app, CORS plugin, RAM role
 *               hoist-apigw-<function> (apigateway_enabled, apigw.c)
 *   timers      "hoist-<event name>" timer triggers on the alias
 *   bucket      s3_bucket setting, else hoist-<account-id>-<region> (OSS)
 *   SLS         sls_project (else hoist-<account-id>-<region>) and
 *               sls_logstore (else the function name)
 */
#ifndef HOIST_ALIYUN_H
#define HOIST_ALIYUN_H

#include "ali_call.h"
#include "../../core/readahead.h"
#include "../../core/upload_early.h"

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

struct herr;
struct stage;

#define ALI_HANDLER "hoist_handler.handler"
#define ALI_HTTP_TRIGGER "hoist-http"
#define ALI_TIMER_PREFIX "hoist-"

struct ali_ctx {
	struct ali_client client;
	const struct stage *st;
	const char *region;        /* points into client.cfg */
	const char *alias;         /* the stage name */
	char *account_id;          /* account_id setting or STS GetCallerIdentity, once */
	char *fn_role;             /* the function's RAM role hoist manages (tasks.c), once made */
	bool fn_read_locked;       /* the function was read settled under the stage lock: fc_update's first write needs no wait */
	struct readahead_readers ahead;   /* this command's reads made ahead (ali_read_ahead) */
	time_t opened;             /* when: "now" for the whole command (metrics' window) */
};

int ali_ctx_open(struct ali_ctx *x, const struct stage *st, struct herr *e);
/* Close it (after the readers it started have ended). */
void ali_ctx_close(struct ali_ctx *x);
/* x's context for another thread: a client of its own (`http`, taken); never takes the lock. */
void ali_ctx_copy(const struct ali_ctx *x, struct ali_ctx *copy, struct http_client *http);
/* Free a copy: its client and what it read. */
void ali_ctx_copy_free(struct ali_ctx *copy);
/*
 * Read ahead (core/readahead.h): read(copy) on a thread of its own, where
 * copy is x with a client of its own that sends only reads and keeps their
 * answers for x's own reads of the same requests (x's first write ends
 * that).  read() only reads; what the copy learns goes with it.
 */
void ali_read_ahead(struct ali_ctx *x, void (*read)(struct ali_ctx *copy));
/* The account id (cached in x): the account_id setting, else STS GetCallerIdentity. */
int ali_account_id(struct ali_ctx *x, const char **id, struct herr *e);
/* GetCallerIdentity (sts.c): the caller's account id; allocates. */
int sts_account_id(struct ali_ctx *x, char **id, struct herr *e);

/* Names and settings checks made before anything is sent (exit 2): function, alias, runtime, VPC. */
int ali_check_stage(const struct stage *st, struct herr *e);
/* FC's vpcConfig for the stage (new reference), NULL when none; HOIST_USAGE when ambiguous. */
int ali_vpc_config(const struct stage *st, json_t **out, struct herr *e);

/*
 * One FC 3.0 call (fc.c): `body` borrowed (may be NULL); query "k=v&…"
 * pairs as a JSON object (borrowed, may be NULL).  When the error code is
 * `absent` (e.g. "FunctionNotFound"), HOIST_OK with *out = NULL.  *out (if
 * given) gets the answer.
 */
int fc_call(struct ali_ctx *x, const char *action, const char *method, const char *path,
	    json_t *query, json_t *body, const char *absent, json_t **out, struct herr *e);
/* "/2023-03-30/functions/<fn>" + rest, the function name escaped; allocates. */
char *fc_path(const struct ali_ctx *x, const char *rest);

/*
 * Front doors (frontdoor.c): the HTTP trigger on the alias (http_trigger.c)
 * and/or Alibaba Cloud API Gateway (apigw.c), as the settings ask.
 */
bool ali_frontdoor_trigger_wanted(const struct stage *st);
bool ali_frontdoor_any(const struct stage *st);
int ali_frontdoor_ensure(struct ali_ctx *x, char **url, struct herr *e);
/* The live URL, or *url = NULL when there is no front door. */
int ali_frontdoor_url(struct ali_ctx *x, char **url, bool *signed_auth, struct herr *e);
int ali_frontdoor_status(struct ali_ctx *x, json_t *status, struct herr *e);
/* Every front door, whether the settings still ask for it or not (undeploy). */
int ali_frontdoor_remove(struct ali_ctx *x, struct herr *e);
/* The HTTP trigger (http_trigger.c); *signed_auth: its authType is "function". */
int ali_trigger_ensure(struct ali_ctx *x, char **url, struct herr *e);
int ali_trigger_url(struct ali_ctx *x, char **url, bool *signed_auth, struct herr *e);
int ali_trigger_status(struct ali_ctx *x, json_t *status, struct herr *e);
int ali_trigger_remove(struct ali_ctx *x, struct herr *e);

/* Timers (timers.c): converge the hoist-* timer triggers with events and keep_warm. */
int ali_timers_ensure(struct ali_ctx *x, json_t **scheduled, struct herr *e);
int ali_timers_remove(struct ali_ctx *x, struct herr *e);
int ali_timers_status(struct ali_ctx *x, json_t *status, struct herr *e);
/* Exit-2 check of every timer expression (before anything is changed). */
int ali_timers_check(const struct stage *st, struct herr *e);

/* Logs (sls.c, logs.c). */
int sls_names(struct ali_ctx *x, char **project, char **logstore, struct herr *e);
/* Project, logstore and full-text index exist (each created only when missing). */
int sls_ensure(struct ali_ctx *x, const char *project, const char *logstore, struct herr *e);
/* One of sls_ensure's steps, in this order (reads made ahead run them side by side). */
enum sls_step { SLS_PROJECT, SLS_LOGSTORE, SLS_INDEX };
int sls_ensure_step(struct ali_ctx *x, const char *project, const char *logstore,
		    enum sls_step step, struct herr *e);
/*
 * GetLogs over [from, to) seconds, oldest first, `line` lines from `offset`,
 * repeated while SLS says the query is Incomplete; *logs (new reference) an
 * array of objects.
 */
int sls_get_logs(struct ali_ctx *x, const char *project, const char *logstore, long long from,
		 long long to, const char *query, long long offset, int line, json_t **logs,
		 struct herr *e);
/* How many logs match `query` in [from, to) (GetHistograms, repeated while Incomplete). */
int sls_count(struct ali_ctx *x, const char *project, const char *logstore, long long from,
	      long long to, const char *query, long long *count, struct herr *e);
/* Delete the logstore (and the project when hoist named it and it is left empty). */
int sls_remove(struct ali_ctx *x, bool *removed, struct herr *e);

/*
 * remote_env and asynchronous tasks (tasks.c): the checks made before
 * anything changes (role_arn, the oss:// object; exit 2), and the response
 * bucket made at deploy.
 */
int ali_tasks_check(struct ali_ctx *x, struct herr *e);
int ali_tasks_ensure(struct ali_ctx *x, struct herr *e);
/*
 * The function's own role when hoist manages it (remote_env or
 * async_response_table, no role_arn, manage_roles not false): made or
 * converged, its ARN left in x->fn_role; nothing to do otherwise.
 */
int ali_tasks_role(struct ali_ctx *x, struct herr *e);
/* Is `arn` the role ali_tasks_role makes for this stage? */
bool ali_tasks_is_our_role(const struct ali_ctx *x, const char *arn);
/* Remove that role and its policy (a role of that name hoist did not make is left). */
int ali_tasks_role_remove(struct ali_ctx *x, struct herr *e);

/* RAM (ram.c): the function's role hoist-fc-<function>, trusted by fc.aliyuncs.com, with `doc`. */
char *ram_function_role_name(const struct ali_ctx *x);
int ram_function_role_ensure(struct ali_ctx *x, const char *doc, char **role_arn,
			     struct herr *e);
int ram_function_role_remove(struct ali_ctx *x, struct herr *e);

/* OSS (oss.c): the artifacts bucket. */
int oss_bucket_name(struct ali_ctx *x, char **bucket, struct herr *e);
int oss_bucket_ensure(struct ali_ctx *x, const char *bucket, struct herr *e);
int oss_bucket_exists(struct ali_ctx *x, const char *bucket, bool *exists, struct herr *e);
int oss_put_file(struct ali_ctx *x, const char *bucket, const char *key, const char *file,
		 unsigned long long size, struct herr *e);
/* The code zip's key in the artifacts bucket, by its CRC-64 (allocated). */
char *oss_code_key(const struct ali_ctx *x, const char *crc);
int oss_delete(struct ali_ctx *x, const char *bucket, const char *key, struct herr *e);
int oss_delete_prefix(struct ali_ctx *x, const char *bucket, const char *prefix, int *n,
		      struct herr *e);

/* The code zip's upload to OSS while the pre-flight runs (upload_early.c). */
struct ali_early {
	struct upload_early up;
	struct ali_ctx copy;          /* the upload's: a client of its own */
	struct ali_ctx *x;            /* the command's: removes the object on a refusal */
	char *bucket, *key;           /* where it goes (oss_code_key) */
	const char *zip;              /* borrowed */
	unsigned long long size;
};
/*
 * Start uploading `zip` to oss_code_key(crc) in the artifacts bucket on a
 * thread of its own, if the bucket is there already (else nothing: the
 * usual step creates it once the pre-flight passed).  Takes the stage lock
 * first: its error is the only one returned.  The verdict: upload_early_end(&u->up).
 */
int ali_early_upload_start(struct ali_ctx *x, struct ali_early *u, const char *zip,
			   unsigned long long size, const char *crc, struct herr *e);

/* The provider operations behind aliyun.c's table. */
struct deploy_args;
struct invoke_args;
struct undeploy_args;
struct tail_args;
struct certify_args;
struct request_args;
struct http_response;
int ali_deploy(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e);
int ali_update(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e);
int ali_status(const struct stage *st, json_t **status, struct herr *e);
int ali_secrets(const struct stage *st, json_t **secrets, struct herr *e);
int ali_invoke(const struct stage *st, const struct invoke_args *a, json_t **result,
	       struct herr *e);
int ali_rollback(const struct stage *st, int versions_back, char **url, struct herr *e);
int ali_undeploy(const struct stage *st, const struct undeploy_args *a, struct herr *e);
int ali_schedule(const struct stage *st, json_t **scheduled, struct herr *e);
int ali_unschedule(const struct stage *st, struct herr *e);
int ali_tail(const struct stage *st, const struct tail_args *a, struct herr *e);
int ali_request(const struct stage *st, const struct request_args *a, struct http_response *rs,
		struct herr *e);
int ali_certify(const struct stage *st, const struct certify_args *a, char **url,
		struct herr *e);
/* The custom domain (certify.c): its URL when it routes to the stage, else NULL; removal. */
int ali_domain_url(struct ali_ctx *x, char **url, struct herr *e);
int ali_domain_remove(struct ali_ctx *x, struct herr *e);
/* The stage lock's marker in OSS (lock.c). */
int ali_lock_put(const struct stage *st, const char *mark, const char *replace, char **held,
		 struct herr *e);
int ali_lock_delete(const struct stage *st, const char *mark, struct herr *e);
int ali_lock_get(const struct stage *st, char **held, struct herr *e);

#endif
