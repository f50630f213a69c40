/*
 * apigw.h — the Alibaba Cloud API Gateway front door (apigw.c), what its
 * custom domain needs (apigw_domain.c) and what `hoist request` asks of it
 * (request.c, sign_xca.c).  frontdoor.c decides when it is wanted.
 */
#ifndef HOIST_ALIYUN_APIGW_H
#define HOIST_ALIYUN_APIGW_H

#include "aliyun.h"

/* apigateway_enabled; the environment (apigateway_stage, RELEASE by default). */
bool ali_apigw_wanted(const struct stage *st);
const char *ali_apigw_stage(const struct stage *st);
/* The group's and the API's name: hoist_<function>; allocates. */
char *ali_apigw_name(const struct stage *st);

/* What exists of the stage's front door, found by name. */
struct ali_apigw {
	char *name;
	char *group_id;     /* NULL: no group */
	char *subdomain;    /* the group's <id>-<region>.alicloudapi.com */
	char *api_id;       /* NULL: no API */
	json_t *api;        /* DescribeApi */
	json_t *plugin;     /* hoist's CORS plugin (DescribePlugins entry) or NULL */
	char *app_id;       /* hoist's app or NULL */
};

int ali_apigw_find(struct ali_ctx *x, struct ali_apigw *g, struct herr *e);
void ali_apigw_free(struct ali_apigw *g);
/* https://<subdomain> (a bound domain is the CLI's to show); allocates. */
char *ali_apigw_base_url(const struct ali_ctx *x, const struct ali_apigw *g);

/* Converge group, API, environment, CORS plugin, app; *url the live URL. */
int ali_apigw_ensure(struct ali_ctx *x, char **url, struct herr *e);
/* The live URL (the API deployed in the environment), or NULL. */
int ali_apigw_url(struct ali_ctx *x, char **url, struct herr *e);
int ali_apigw_status(struct ali_ctx *x, json_t *status, struct herr *e);
/* AppKey, AppSecret and AppCode of the stage's app into `secrets` (nothing when none). */
int ali_apigw_secrets(struct ali_ctx *x, json_t *secrets, struct herr *e);
/* The stage's app's DescribeAppSecurity answer, NULL when there is no app. */
int ali_apigw_app(struct ali_ctx *x, json_t **sec, struct herr *e);
/*
 * Everything the front door created: environments, API, domain binding,
 * group, plugin, app, role.  Not thorough (a stage that no longer asks for
 * API Gateway): only when its group exists, one read otherwise.
 * Credentials that may not use API Gateway at all mean there is nothing.
 */
int ali_apigw_remove(struct ali_ctx *x, bool thorough, struct herr *e);

struct request_args;
struct http_response;
/*
 * `hoist request` through the stage's API (apigw_request.c): X-Ca-Stage,
 * and on an APP-authorized API the X-Ca-Signature of the stage's app, or
 * with --app-code its AppCode.
 */
int ali_apigw_request(struct ali_ctx *x, const struct request_args *a,
		      struct http_response *rs, struct herr *e);

/*
 * Custom domains (apigw_domain.c; certify.c decides when): the subdomain the
 * domain must be a CNAME of; binding and certificate, each only when they
 * differ; the domain's URL when it is bound; every binding and hoist's
 * CNAMEs to the subdomain removed (undeploy).
 */
struct cert_pem;
int ali_apigw_domain_target(struct ali_ctx *x, char **subdomain, struct herr *e);
int ali_apigw_domain_install(struct ali_ctx *x, const char *domain, const struct cert_pem *p,
			     struct herr *e);
int ali_apigw_domain_url(struct ali_ctx *x, const struct ali_apigw *g, char **url,
			 struct herr *e);
int ali_apigw_domain_remove(struct ali_ctx *x, const char *group_id, const char *subdomain,
			    struct herr *e);

#endif
