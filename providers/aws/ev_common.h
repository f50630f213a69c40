/*
 * ev_common.h — small helpers shared by the AWS event, log and certificate files (events.c,
 * logs.c, acm.c, route53.c, domain.c, certify.c): one-line wrappers around
 * aws_do for the three wire styles, "absent" error codes, the function ARN,
 * hashing for deterministic names.  Private to those files.
 */
#ifndef HOIST_AWS_EV_COMMON_H
#define HOIST_AWS_EV_COMMON_H

#include "aws.h"
#include "../../core/clock.h"

#include <jansson.h>
#include <stdbool.h>

struct herr;

/*
 * A JSON-protocol call (Logs, EventBridge, ACM).  `req` is stolen (NULL: {}).
 * *out (when out != NULL) is the response, a new reference.  When the call
 * fails with the error code `absent` (may be NULL), HOIST_OK with *out = NULL.
 */
int ev_json(struct aws_ctx *x, const struct aws_service *svc, const char *op, json_t *req,
	    json_t **out, const char *absent, struct herr *e);

/*
 * A JSON-protocol list call followed through NextToken: *items (new array)
 * gathers the `key` array of every page.  `req` (consumed) is the first
 * page's request; NextToken is added for the others.
 */
int ev_json_pages(struct aws_ctx *x, const struct aws_service *svc, const char *op, json_t *req,
		  const char *key, json_t **items, struct herr *e);

/* A REST-JSON call (Lambda, API Gateway): same contract; `path`/`query` wire-encoded. */
int ev_rest(struct aws_ctx *x, const struct aws_service *svc, const char *op, const char *method,
	    const char *path, const char *query, json_t *req, json_t **out, const char *absent,
	    struct herr *e);

/* A REST-XML call (Route 53, S3) with a raw XML body (may be NULL). */
int ev_xml(struct aws_ctx *x, const struct aws_service *svc, const char *op, const char *method,
	   const char *bucket, const char *path, const char *query, const char *body,
	   json_t **out, const char *absent, struct herr *e);

/* A query-protocol call (SNS); `params` stolen. */
int ev_query(struct aws_ctx *x, const struct aws_service *svc, const char *op, json_t *params,
	     json_t **out, const char *absent, struct herr *e);

/*
 * The stage function's unqualified ARN (x->function_arn, fetched with
 * GetFunctionConfiguration when unknown).  A function that does not exist
 * is HOIST_FAIL "… is not deployed; run hoist deploy <stage> first".
 */
int ev_function_arn(struct aws_ctx *x, const char **arn, struct herr *e);

/* Lower-case hex SHA-1 of `s`; allocates. */
char *ev_sha1_hex(const char *s);

/* XML-escape `s` into b. */
struct sbuf;
void ev_xml_text(struct sbuf *b, const char *s);

/* settings[key] as a string / bool, with a default. */
const char *ev_setting_str(const struct aws_ctx *x, const char *key);
bool ev_setting_bool(const struct aws_ctx *x, const char *key, bool dflt);

/* ---- route53.c ---- */

/* The hosted zone whose name is the longest suffix of `domain`; *id NULL when none. */
int r53_zone_for(struct aws_ctx *x, const char *domain, char **id, char **name, struct herr *e);
/*
 * One change: action UPSERT/DELETE/CREATE of `name`/`type` with `values`
 * (TXT values are quoted here), or an alias target when alias_zone is set.
 * Waits for INSYNC when `wait`.
 */
int r53_change(struct aws_ctx *x, const char *zone, const char *action, const char *name,
	       const char *type, const char *const *values, size_t n, const char *alias_zone,
	       const char *alias_dns, bool wait, struct herr *e);
/* The record set name/type (new reference) or NULL. */
int r53_get(struct aws_ctx *x, const char *zone, const char *name, const char *type,
	    json_t **rrset, struct herr *e);
/* The ACME set_txt hook (ctx: struct aws_ctx *, zone looked up per name). */
int r53_acme_set_txt(const char *fqdn, const char *value, bool present, void *ctx,
		     struct herr *e);

/* ---- acm.c ---- */

/* A context like x in another region (ACM in us-east-1 for EDGE); close with aws_ctx_close. */
int acm_ctx_open(struct aws_ctx *x, const char *region, struct aws_ctx *out, struct stage *tmp,
		 struct herr *e);
void acm_ctx_close(struct aws_ctx *ax, struct stage *tmp);
/* Check an existing certificate: ISSUED, covering the domain. */
int acm_check(struct aws_ctx *ax, const char *arn, const char *domain, struct herr *e);
/* ImportCertificate (re-import into `into` when not NULL); *arn allocated. */
int acm_import(struct aws_ctx *ax, const char *cert, const char *key, const char *chain,
	       const char *into, const char *domain, char **arn, struct herr *e);
/*
 * An ISSUED Amazon certificate for domain: an existing one, or
 * RequestCertificate + validation CNAMEs in `zone` + wait (x writes Route 53).
 * zone NULL (--manual): append the validation records to `records` once
 * ACM has them ({"name", "type", "value"}) and return without waiting or
 * writing DNS.
 */
int acm_request(struct aws_ctx *ax, struct aws_ctx *x, const char *domain, const char *zone,
		json_t *records, char **arn, struct herr *e);

/* ---- domain.c ---- */

/*
 * Create or update the API Gateway domain name with `cert_arn`, map
 * base_path to the stage's REST API, point Route 53 at it (zone may be NULL).
 */
int domain_install(struct aws_ctx *x, const char *domain, const char *cert_arn, bool regional,
		   const char *zone, struct herr *e);
/* The stage's REST API id (allocated) or NULL when there is none. */
int domain_rest_api(struct aws_ctx *x, char **id, struct herr *e);
/* Is `arn` an IMPORTED certificate (so a renewal re-imports into it)? */
bool acm_imported(struct aws_ctx *ax, const char *arn);
/* The certificate ARN the domain uses now (allocated) or NULL. */
int domain_cert(struct aws_ctx *x, const char *domain, char **arn, struct herr *e);

#endif
