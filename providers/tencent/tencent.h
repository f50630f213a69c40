/*
 * tencent.h — what the Tencent Cloud provider's files share: the
 * per-command context (one signed client, the stage, the names derived from
 * it) and the entry points each part offers the others.
 *
 * The function kind: one SCF *event* function (Type "Event", runtime
 * Python3.x, handler hoist_handler.handler) serves everything.  Tencent
 * documents that a function URL works for event functions as well as web
 * functions and hands an event function {body, headers, httpMethod, path,
 * queryString} (doc 583/96099), which the handler adapts to WSGI/ASGI; timer
 * triggers and Invoke need an event function anyway.  So there is no
 * companion function and no server in the package.
 *
 * Nothing is stored locally: every operation rediscovers the stage from
 * Tencent by deterministic names (SPEC §2):
 *   function     stage->function_name (namespace "default")
 *   alias        the stage name (a letter first: "s" prepended otherwise);
 *                the function URL, the timers and the custom domain all
 *                point at the alias, so rollback is a pointer move
 *   versions     published on every change; their Description carries
 *                "hoist code sha256 <hex>" (SCF returns no code hash)
 *   timers       <function>-<event name> (≤ 60 chars, hash suffix when longer)
 *   CLS          logset cls_logset (default "hoist"), topic cls_topic
 *                (default the function name)
 *   COS bucket   s3_bucket (default "hoist-<region>") + "-<appid>"
 */
#ifndef HOIST_TENCENT_H
#define HOIST_TENCENT_H

#include "tc_call.h"
#include "../../core/readahead.h"
#include "../../core/upload_early.h"

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

struct herr;
struct provider;
struct stage;

#define TC_HANDLER "hoist_handler.handler"
#define TC_CODE_MARK "hoist code sha256 "

struct tc_ctx {
	struct tc_client client;
	const struct stage *st;
	const char *region;        /* points into client.cfg */
	const char *fn;            /* the function name */
	char *alias;               /* the stage's alias name */
	char *appid;               /* CAM GetUserAppId, fetched once (tc_appid) */
	char *uin;                 /* …and its OwnerUin, NULL when not given */
	char *role;                /* the execution role hoist manages (cam.c), else NULL */
	bool role_fresh;           /* …created by this run: SCF may not take it at once */
	bool fn_read_locked;       /* the function was read settled under the stage lock: the first write needs no wait */
	struct readahead_readers ahead;   /* this command's reads made ahead (tc_read_ahead) */
	time_t opened;             /* when: "now" for the whole command (metrics' window) */
};

int tc_ctx_open(struct tc_ctx *x, const struct stage *st, struct herr *e);
/* Close it (after the readers it started have ended). */
void tc_ctx_close(struct tc_ctx *x);
/* x's context for another thread: a client of its own (`http`, taken); never takes the lock. */
void tc_ctx_copy(const struct tc_ctx *x, struct tc_ctx *copy, struct http_client *http);
/* Free a copy: its client and what it read. */
void tc_ctx_copy_free(struct tc_ctx *copy);
/*
 * Read ahead (core/readahead.h): read(copy) on a thread of its own, where
 * copy is x with a client of its own that sends only reads and keeps their
 * answers for x's own reads of the same requests (x's first write ends
 * that).  read() only reads; what the copy learns goes with it.
 */
void tc_read_ahead(struct tc_ctx *x, void (*read)(struct tc_ctx *copy));
/* The account's AppId (cached in x, with x->uin). */
int tc_appid(struct tc_ctx *x, const char **appid, struct herr *e);
/* Make a call with x's client. */
int tc_call(struct tc_ctx *x, const struct tc_service *svc, const char *action,
	    const json_t *params, struct tc_result *r, struct herr *e);
/* "stage 'dev' is not deployed: …" (HOIST_FAIL with a hint). */
int tc_not_deployed(const struct tc_ctx *x, struct herr *e);

/* A JSON string member, or NULL. */
const char *tc_str(const json_t *o, const char *key);

/* ---- scf.c: the SCF API ------------------------------------------------------ */

/* GetFunction (qualifier NULL: $LATEST): *fn the answer, or NULL when absent. */
int scf_get(struct tc_ctx *x, const char *qualifier, json_t **fn, struct herr *e);
/* GetFunction's answer says Active (scf_wait would stop at it). */
bool scf_settled(const json_t *fn);
/* Poll GetFunction until Active; fail on *Failed with its reasons.  *fn (may be NULL). */
int scf_wait(struct tc_ctx *x, json_t **fn, struct herr *e);
/*
 * CreateFunction (FunctionName added).  `inline_zip`: the zip to send as
 * Code.ZipFile (streamed base64), else `body` names the code in COS.  An
 * answer lost after it took effect, or ResourceInUse.Function, is read back:
 * *existed says the function was already there (converge it).
 */
int scf_create(struct tc_ctx *x, json_t *body, const char *inline_zip, bool *existed,
	       struct herr *e);
/* UpdateFunctionCode (ZipFile streamed from inline_zip, or COS in body), after scf_wait. */
int scf_update_code(struct tc_ctx *x, json_t *body, const char *inline_zip, struct herr *e);
/* UpdateFunctionConfiguration, after scf_wait. */
int scf_update_config(struct tc_ctx *x, json_t *body, struct herr *e);
/* PublishVersion with `description`; *version allocated. */
int scf_publish(struct tc_ctx *x, const char *description, char **version, struct herr *e);
/* Published versions [{Version, Description, AddTime}] oldest first, no $LATEST (new ref). */
int scf_versions(struct tc_ctx *x, json_t **versions, struct herr *e);
int scf_delete_version(struct tc_ctx *x, const char *version, struct herr *e);
/* The stage alias's version (allocated), NULL when there is no alias. */
int scf_alias_get(struct tc_ctx *x, char **version, struct herr *e);
/* Point the alias at `version` (create it when missing). */
int scf_alias_set(struct tc_ctx *x, const char *version, bool exists, struct herr *e);
int scf_alias_delete(struct tc_ctx *x, struct herr *e);
/* Every trigger of the function (all qualifiers, paged), new reference. */
int scf_triggers(struct tc_ctx *x, json_t **triggers, struct herr *e);
/* CreateTrigger / UpdateTrigger / DeleteTrigger of `t` ({Type, TriggerName, Qualifier, …}). */
int scf_trigger_create(struct tc_ctx *x, const json_t *t, json_t **info, struct herr *e);
int scf_trigger_update(struct tc_ctx *x, const json_t *t, struct herr *e);
int scf_trigger_delete(struct tc_ctx *x, const json_t *t, struct herr *e);
/* Invoke RequestResponse with LogType Tail on the alias: *result is Result (new ref). */
int scf_invoke(struct tc_ctx *x, const json_t *event, json_t **result, struct herr *e);
/* DeleteFunction; absent is fine. */
int scf_delete(struct tc_ctx *x, struct herr *e);

/* ---- cos.c: packages over the inline limit -------------------------------------- */

/* The artifacts bucket's short name (s3_bucket, else hoist-<region>), allocated. */
char *cos_bucket_name(const struct tc_ctx *x);
/* Is the bucket there and ours (HeadBucket 2xx; *exists false on 404 and 403)? */
int cos_bucket_exists(struct tc_ctx *x, const char *bucket, bool *exists, struct herr *e);
/* Create the bucket if missing. */
int cos_bucket_ensure(struct tc_ctx *x, const char *bucket, struct herr *e);
/* The code zip's key in the artifacts bucket, by its SHA-256 (allocated). */
char *cos_code_key(const struct tc_ctx *x, const char *sha256_hex);
/* PUT a file (streamed) at key; its sha256 goes in x-cos-meta-sha256. */
int cos_upload(struct tc_ctx *x, const char *bucket, const char *key, const char *file,
	       const char *sha256_hex, struct herr *e);
int cos_delete(struct tc_ctx *x, const char *bucket, const char *key, struct herr *e);
/*
 * GET a small object: *body and *etag allocated, both NULL when absent (or
 * no bucket); *age (may be NULL) its age in seconds by COS's clock (Date −
 * Last-Modified), -1 when unknown.
 */
int cos_get(struct tc_ctx *x, const char *bucket, const char *key, char **body, char **etag,
	    long long *age, struct herr *e);
/*
 * PUT `body` at key only if the key is free (x-cos-forbid-overwrite: true;
 * the bucket created when missing): *stored false when it exists (409).
 */
int cos_put_new(struct tc_ctx *x, const char *bucket, const char *key, const char *body,
		bool *stored, struct herr *e);
/*
 * GET bucket_appid/key (the bucket's full name, any account's) in the
 * stage's region with extra headers: *rs the answer, any status.
 */
struct http_headers;
struct http_response;
int cos_read(struct tc_ctx *x, const char *bucket_appid, const char *key,
	     const struct http_headers *headers, struct http_response *rs, struct herr *e);
/* COS's XML error answer into e (HOIST_FAIL, "COS <what> failed: Code: Message (HTTP n)"). */
int cos_error(const char *what, const struct http_response *rs, struct herr *e);
/* Delete every object under prefix (bucket may not exist); *n how many. */
int cos_delete_prefix(struct tc_ctx *x, const char *bucket, const char *prefix, int *n,
		      struct herr *e);

/* ---- upload_early.c: the code zip to COS while the pre-flight runs -------------- */

struct tc_early {
	struct upload_early up;
	struct tc_ctx copy;           /* the upload's: a client of its own */
	struct tc_ctx *x;             /* the command's: removes the object on a refusal */
	char *bucket, *key;           /* where it goes (cos_code_key) */
	const char *zip, *sha;        /* borrowed */
	unsigned long long size;
};
/*
 * Start uploading `zip` to cos_code_key(sha256_hex) in the artifacts bucket
 * on a thread of its own, if the bucket is there already (else nothing: the
 * usual step creates it once the pre-flight passed).  Takes the stage lock
 * first: its error is the only one returned.  The verdict: upload_early_end(&u->up).
 */
int tc_early_upload_start(struct tc_ctx *x, struct tc_early *u, const char *zip,
			  unsigned long long size, const char *sha256_hex, struct herr *e);

/* ---- cls.c: the function's log topic -------------------------------------------- */

/* The logset and topic ids, created when missing (ids allocated). */
int cls_ensure(struct tc_ctx *x, char **logset, char **topic, struct herr *e);
/* The topic id if it exists (allocated) else NULL. */
int cls_topic_find(struct tc_ctx *x, char **topic, char **logset, struct herr *e);
/* Delete the topic (and hoist's default logset once empty). */
int cls_remove(struct tc_ctx *x, struct herr *e);
/* SearchLog one page; *ctx_io in/out (Context), *over ListOver; *results new ref. */
int cls_search(struct tc_ctx *x, const char *topic, long long from_ms, long long to_ms,
	       const char *query, char **context_io, json_t **results, bool *over,
	       struct herr *e);

/* ---- tasks.c: remote_env and asynchronous tasks ------------------------------------ */

/* async_response_table with async_resources: the response bucket made if missing. */
int tc_tasks_ensure(struct tc_ctx *x, struct herr *e);

/*
 * Before anything changes.  With remote_env or async_response_table and no
 * role_arn: x->role names the execution role hoist manages (cam.c), or with
 * manage_roles false exit 2 listing each grant.  Then the cos:// object (exit 2).
 */
int tc_tasks_check(struct tc_ctx *x, struct herr *e);
/* What the function's role must allow: [{"action": [...], "resource", "why"}] (new ref). */
json_t *tc_task_grants(const struct tc_ctx *x);

/* ---- cam.c: the execution role hoist manages ----------------------------------- */

/* hoist-<function>-<region> (allocated). */
char *tc_role_name(const struct tc_ctx *x);
/* Converge x->role and its policy; *fresh: the role was just created. */
int tc_role_ensure(struct tc_ctx *x, bool *fresh, struct herr *e);
/* Remove the stage's role and policy if hoist created them (absent is fine). */
int tc_role_remove(struct tc_ctx *x, struct herr *e);

/* ---- frontdoor.c: the function URL ---------------------------------------------- */

/* Converge the URL trigger on the alias (auth, CORS); *url allocated. */
int tc_url_ensure(struct tc_ctx *x, const json_t *triggers, char **url, struct herr *e);
/* The URL from the triggers (allocated) or NULL; *cam whether it is CAM-authenticated. */
char *tc_url_of(const struct tc_ctx *x, const json_t *triggers, bool *cam);

/* ---- timers.c -------------------------------------------------------------------- */

/* Converge the timer triggers with events + keep_warm; *scheduled as schedule op returns. */
int tc_timers_ensure(struct tc_ctx *x, const json_t *triggers, json_t **scheduled,
		     struct herr *e);
/* Remove every hoist timer of the stage. */
int tc_timers_remove(struct tc_ctx *x, const json_t *triggers, struct herr *e);
/* [{name, expression, cron, enabled}] of the stage's timers (new reference). */
json_t *tc_timers_status(const struct tc_ctx *x, const json_t *triggers);

/* ---- domain.c -------------------------------------------------------------------- */

/* GetCustomDomain: *d the answer (new reference), NULL when absent. */
int tc_domain_get(struct tc_ctx *x, const char *domain, json_t **d, struct herr *e);
/* Does the custom domain route to this stage's function? */
bool tc_domain_ours(const struct tc_ctx *x, const json_t *d);
/* The custom domain URL if bound to this stage, else NULL. */
int tc_domain_url(struct tc_ctx *x, char **url, struct herr *e);
/* Remove the stage's custom domain (and the certificate hoist uploaded for it). */
int tc_domain_remove(struct tc_ctx *x, struct herr *e);

/* ---- dnspod.c -------------------------------------------------------------------- */

/* The account's DNSPod domain holding `name` (allocated), NULL when none. */
int dnspod_zone_for(struct tc_ctx *x, const char *name, char **zone, struct herr *e);
/* One CNAME record name → target in zone (created, or pointed at target). */
int dnspod_cname_ensure(struct tc_ctx *x, const char *zone, const char *name,
			const char *target, struct herr *e);
/* core/acme.h's set_txt hook over DNSPod (ctx: struct tc_ctx *). */
int dnspod_acme_set_txt(const char *fqdn, const char *value, bool present, void *ctx,
			struct herr *e);

/* ---- ssl.c ------------------------------------------------------------------------ */

/* The SSL alias hoist gives a certificate it uploads for `domain`; allocates. */
char *tc_cert_alias(const char *domain);
/* UploadCertificate (PEM certificate + chain, key); *id allocated. */
int tc_cert_upload(struct tc_ctx *x, const char *domain, const char *cert_pem,
		   const char *key_pem, char **id, struct herr *e);
/* Delete certificate `id` if hoist uploaded it for `domain` (its alias says so). */
int tc_cert_delete_ours(struct tc_ctx *x, const char *id, const char *domain, struct herr *e);

/* ---- the provider operations (tencent.c's table) ---------------------------------- */

extern const struct provider tencent_provider;

struct deploy_args;
struct invoke_args;
struct undeploy_args;
struct tail_args;
struct certify_args;
struct request_args;
struct http_response;
int tc_deploy(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e);
int tc_update(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e);
int tc_deployed(const struct stage *st, char **url, struct herr *e);
int tc_status(const struct stage *st, json_t **status, struct herr *e);
int tc_invoke(const struct stage *st, const struct invoke_args *a, json_t **result,
	      struct herr *e);
int tc_rollback(const struct stage *st, int versions_back, char **url, struct herr *e);
int tc_undeploy(const struct stage *st, const struct undeploy_args *a, struct herr *e);
int tc_schedule(const struct stage *st, json_t **scheduled, struct herr *e);
int tc_unschedule(const struct stage *st, struct herr *e);
int tc_tail(const struct stage *st, const struct tail_args *a, struct herr *e);
int tc_certify(const struct stage *st, const struct certify_args *a, char **url,
	       struct herr *e);
int tc_request(const struct stage *st, const struct request_args *a, struct http_response *rs,
	       struct herr *e);
/* lock.c: the stage lock's marker (provider.h lock_put / lock_delete). */
int tc_lock_put(const struct stage *st, const char *mark, const char *replace, char **held,
		struct herr *e);
int tc_lock_delete(const struct stage *st, const char *mark, struct herr *e);
int tc_lock_get(const struct stage *st, char **held, struct herr *e);
/* Its COS key, hoist-locks/<region>/<function>.json (allocated). */
char *tc_lock_key(const struct tc_ctx *x);

#endif
