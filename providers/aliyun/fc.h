/*
 * fc.h — the Function Compute 3.0 calls (fc.c) the provider's operations
 * are built from.  Each makes the calls it names and nothing else.
 */
#ifndef HOIST_ALIYUN_FC_H
#define HOIST_ALIYUN_FC_H

#include "aliyun.h"

const char *fc_str(const json_t *o, const char *k);

/* GetFunction (qualifier NULL: LATEST); *fn NULL when the function does not exist. */
int fc_get(struct ali_ctx *x, const char *qualifier, json_t **fn, struct herr *e);
/* GetFunction's answer says Active, and no update in progress or failed (fc_wait would stop at it). */
bool fc_settled(const json_t *fn);
/* Poll until state is Active and lastUpdateStatus is not InProgress; *fn the last answer. */
int fc_wait(struct ali_ctx *x, json_t **fn, struct herr *e);
/*
 * CreateFunction / UpdateFunction with `body` (CreateFunctionInput /
 * UpdateFunctionInput).  zip: the code is inline — body's code.zipFile holds
 * http_body_mark() and the file is streamed as base64 — else NULL.
 */
int fc_create(struct ali_ctx *x, json_t *body, const char *zip, struct herr *e);
int fc_update(struct ali_ctx *x, json_t *body, const char *zip, struct herr *e);
int fc_delete(struct ali_ctx *x, struct herr *e);

/* Published versions, newest first (new reference). */
int fc_versions(struct ali_ctx *x, json_t **versions, struct herr *e);
int fc_publish(struct ali_ctx *x, char **version, struct herr *e);
int fc_version_delete(struct ali_ctx *x, const char *id, struct herr *e);
/* The stage's alias (NULL when absent); point it at `version` (create when !exists). */
int fc_alias_get(struct ali_ctx *x, json_t **alias, struct herr *e);
int fc_alias_point(struct ali_ctx *x, const char *version, bool exists, struct herr *e);
int fc_alias_delete(struct ali_ctx *x, struct herr *e);

/* Every trigger of the function (new reference). */
int fc_triggers(struct ali_ctx *x, json_t **triggers, struct herr *e);
int fc_trigger_get(struct ali_ctx *x, const char *name, json_t **t, struct herr *e);
/* Create / update a trigger on the alias; config is the JSON string FC wants. */
int fc_trigger_create(struct ali_ctx *x, const char *name, const char *type,
		      const char *config, const char *description, json_t **out, struct herr *e);
int fc_trigger_update(struct ali_ctx *x, const char *name, const char *config,
		      const char *description, json_t **out, struct herr *e);
int fc_trigger_delete(struct ali_ctx *x, const char *name, struct herr *e);

/* The alias's async-invoke config (NULL when absent), put, delete. */
int fc_async_get(struct ali_ctx *x, json_t **cfg, struct herr *e);
int fc_async_put(struct ali_ctx *x, json_t *body, struct herr *e);
int fc_async_delete(struct ali_ctx *x, struct herr *e);

/* The custom domain (NULL when absent); create (exists false) or update it with `body`. */
int fc_domain_get(struct ali_ctx *x, const char *domain, json_t **out, struct herr *e);
int fc_domain_put(struct ali_ctx *x, const char *domain, json_t *body, bool exists,
		  struct herr *e);
int fc_domain_delete(struct ali_ctx *x, const char *domain, struct herr *e);

/* Tags: `have` as GetFunction's tags [{Key, Value}], `want` an object; only the difference. */
int fc_tags_converge(struct ali_ctx *x, const char *arn, const json_t *have, const json_t *want,
		     struct herr *e);

/* InvokeFunction (Sync with the log tail, or Async); *r the raw answer whatever its body. */
int fc_invoke(struct ali_ctx *x, const char *qualifier, const char *payload, size_t len,
	      bool async, struct ali_result *r, struct herr *e);

#endif
