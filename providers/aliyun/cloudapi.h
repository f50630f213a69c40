/*
 * cloudapi.h — the Alibaba Cloud API Gateway calls (cloudapi.c; CloudAPI
 * 2016-07-14, RPC, ACS3-signed, host apigateway.<region>.aliyuncs.com) the
 * API Gateway front door (apigw.c) is built from, and the RAM calls
 * (ram.c) for the role the gateway invokes the function with.  Each makes
 * the calls it names and nothing else.
 *
 * Answers are the product's JSON as parsed; lists come wrapped the RPC way
 * ({"ApiGroupAttributes": {"ApiGroupAttribute": [...]}}), capi_list unwraps
 * them.  Lookups by name page through the listing and keep exact matches
 * only (the product's name filters are keyword searches).
 */
#ifndef HOIST_ALIYUN_CLOUDAPI_H
#define HOIST_ALIYUN_CLOUDAPI_H

#include "aliyun.h"

/* The array data[outer][inner] (borrowed), or NULL. */
json_t *capi_list(const json_t *data, const char *outer, const char *inner);
/* A member as a string (numbers are printed: AppId is a number); allocates; NULL when absent. */
char *capi_id(const json_t *o, const char *k);

/* ---- groups ---- */
/* The API group named `name` (DescribeApiGroups; NULL when none); two such groups: an error. */
int capi_group_find(struct ali_ctx *x, const char *name, json_t **group, struct herr *e);
int capi_group_create(struct ali_ctx *x, const char *name, const char *description,
		      json_t **group, struct herr *e);
int capi_group_get(struct ali_ctx *x, const char *group_id, json_t **group, struct herr *e);
int capi_group_delete(struct ali_ctx *x, const char *group_id, struct herr *e);

/* ---- APIs ---- */
/* Every API of the group (summaries: ApiId, ApiName, …; new reference). */
int capi_apis(struct ali_ctx *x, const char *group_id, json_t **apis, struct herr *e);
int capi_api_get(struct ali_ctx *x, const char *group_id, const char *api_id, json_t **api,
		 struct herr *e);
/* CreateApi / ModifyApi with the parameters in `def` (query members, strings); *api_id allocated. */
int capi_api_create(struct ali_ctx *x, const char *group_id, json_t *def, char **api_id,
		    struct herr *e);
int capi_api_modify(struct ali_ctx *x, const char *group_id, const char *api_id, json_t *def,
		    struct herr *e);
int capi_api_delete(struct ali_ctx *x, const char *group_id, const char *api_id,
		    struct herr *e);
/* The definition deployed in environment `stage` (DescribeDeployedApi). */
int capi_api_deployed(struct ali_ctx *x, const char *group_id, const char *api_id,
		      const char *stage, json_t **api, struct herr *e);
int capi_api_deploy(struct ali_ctx *x, const char *group_id, const char *api_id,
		    const char *stage, struct herr *e);
int capi_api_abolish(struct ali_ctx *x, const char *group_id, const char *api_id,
		     const char *stage, struct herr *e);

/* ---- apps and their authorization ---- */
/* The app named `name` (DescribeAppAttributes; NULL when none). */
int capi_app_find(struct ali_ctx *x, const char *name, json_t **app, struct herr *e);
int capi_app_create(struct ali_ctx *x, const char *name, const char *description,
		    char **app_id, struct herr *e);
/* AppKey, AppSecret, AppCode of an app (DescribeAppSecurity); the secrets are registered for redaction. */
int capi_app_security(struct ali_ctx *x, const char *app_id, json_t **sec, struct herr *e);
int capi_app_delete(struct ali_ctx *x, const char *app_id, struct herr *e);
/* Apps authorized on the API in `stage` (new reference, AuthorizedApp entries). */
int capi_authorized(struct ali_ctx *x, const char *group_id, const char *api_id,
		    const char *stage, json_t **apps, struct herr *e);
int capi_authorize(struct ali_ctx *x, const char *group_id, const char *api_id,
		   const char *stage, const char *app_id, struct herr *e);
int capi_unauthorize(struct ali_ctx *x, const char *group_id, const char *api_id,
		     const char *stage, const char *app_id, struct herr *e);

/* ---- plugins (CORS) ---- */
/* The plugin named `name` (DescribePlugins; NULL when none). */
int capi_plugin_find(struct ali_ctx *x, const char *name, json_t **plugin, struct herr *e);
int capi_plugin_create(struct ali_ctx *x, const char *name, const char *type,
		       const char *data, char **plugin_id, struct herr *e);
int capi_plugin_modify(struct ali_ctx *x, const char *plugin_id, const char *name,
		       const char *data, struct herr *e);
int capi_plugin_delete(struct ali_ctx *x, const char *plugin_id, struct herr *e);
/* Plugins attached to the API in `stage` (new reference, PluginAttribute entries). */
int capi_plugins_of(struct ali_ctx *x, const char *group_id, const char *api_id,
		    const char *stage, json_t **plugins, struct herr *e);
int capi_plugin_attach(struct ali_ctx *x, const char *plugin_id, const char *group_id,
		       const char *api_id, const char *stage, struct herr *e);
int capi_plugin_detach(struct ali_ctx *x, const char *plugin_id, const char *group_id,
		       const char *api_id, const char *stage, struct herr *e);

/* ---- custom domains ---- */
/* The group's binding of `domain` (DescribeDomain; NULL when not bound). */
int capi_domain_get(struct ali_ctx *x, const char *group_id, const char *domain,
		    json_t **d, struct herr *e);
int capi_domain_set(struct ali_ctx *x, const char *group_id, const char *domain,
		    const char *stage, struct herr *e);
int capi_domain_delete(struct ali_ctx *x, const char *group_id, const char *domain,
		       struct herr *e);
int capi_domain_certificate(struct ali_ctx *x, const char *group_id, const char *domain,
			    const char *name, const char *cert_pem, const char *key_pem,
			    struct herr *e);

/* ---- RAM (ram.c): the role API Gateway invokes the function with ---- */
/* The role exists, trusts apigateway.aliyuncs.com, and may invoke the stage's function only. */
int ram_gateway_role_ensure(struct ali_ctx *x, char **role_arn, struct herr *e);
int ram_gateway_role_remove(struct ali_ctx *x, struct herr *e);
/* The role's name: hoist-apigw-<function>, shortened with a hash within RAM's 64. */
char *ram_gateway_role_name(const struct ali_ctx *x);

#endif
