/*
 * cloudapi.c — Alibaba Cloud API Gateway (CloudAPI 2016-07-14, RPC,
 * ACS3-signed, apigateway.<region>.aliyuncs.com) through the provider's
 * signed-call pipeline (ali_call.c): API groups, APIs and their
 * environments, apps and their authorization, plugins, custom domains and
 * their certificates.  cloudapi.h says what each call is for.
 *
 * Every parameter goes in the query, as the official SDK sends them (its
 * client.ts: CreateApi's RequestParameters etc. go in the form body, which
 * hoist does not use).  Create calls are never re-sent blindly when their
 * outcome is unknown: their check_effect looks the resource up by name.
 * Absence codes (the product's): NotFoundApiGroup, NotFoundApi, NotFoundApp,
 * NotFoundDomain, NotFoundPlugin.
 */
#include "cloudapi.h"

#include "../../core/err.h"
#include "../../core/redact.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define PAGE "50"

json_t *capi_list(const json_t *data, const char *outer, const char *inner)
{
	json_t *l = json_object_get(json_object_get(data, outer), inner);

	return json_is_array(l) ? l : NULL;
}

char *capi_id(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	return NULL;
}

/* One call; `q` consumed. */
static int call(struct ali_ctx *x, const char *action, json_t *q, const char *absent,
		json_t **out, struct herr *e)
{
	struct ali_call c = { .svc = &ali_cloudapi, .action = action, .query = q };
	int rc = ali_call_json(&x->client, &c, absent, out, e);

	json_decref(q);
	return rc;
}

/* A create call whose lost answer is looked for with `check` before any second attempt. */
static int create(struct ali_ctx *x, const char *action, json_t *q, http_check_effect_fn check,
		  void *check_ctx, json_t **out, struct herr *e)
{
	struct ali_call c = { .svc = &ali_cloudapi, .action = action, .query = q,
			      .non_idempotent = true, .check_effect = check,
			      .check_ctx = check_ctx };
	int rc = ali_call_json(&x->client, &c, NULL, out, e);

	json_decref(q);
	return rc;
}

/*
 * Every entry of a paged listing data[outer][inner] whose `key` is `name`
 * (all entries when name is NULL); q consumed, PageNumber/PageSize added.
 */
static int find_all(struct ali_ctx *x, const char *action, json_t *q, const char *outer,
		    const char *inner, const char *key, const char *name, json_t **found,
		    struct herr *e)
{
	json_t *all = json_array();
	long long total = 0, seen = 0;
	int page = 1, rc = HOIST_OK;

	*found = NULL;
	json_object_set_new(q, "PageSize", json_string(PAGE));
	do {
		json_t *data = NULL, *l, *it;
		char num[16];
		size_t i;

		snprintf(num, sizeof(num), "%d", page++);
		json_object_set_new(q, "PageNumber", json_string(num));
		if ((rc = call(x, action, json_incref(q), NULL, &data, e)))
			break;
		l = capi_list(data, outer, inner);
		total = json_integer_value(json_object_get(data, "TotalCount"));
		seen += (long long)json_array_size(l);
		json_array_foreach(l, i, it)
			if (!name || !strcmp(json_string_value(json_object_get(it, key)) ?: "", name))
				json_array_append(all, it);
		json_decref(data);
		if (!json_array_size(l))
			break;
	} while (seen < total);
	json_decref(q);
	if (rc)
		json_decref(all);
	else
		*found = all;
	return rc;
}

/* The one entry named `name`, NULL when none; several: an error naming them. */
static int find_one(struct ali_ctx *x, const char *action, json_t *q, const char *outer,
		    const char *inner, const char *key, const char *name, const char *what,
		    json_t **one, struct herr *e)
{
	json_t *all = NULL;
	int rc = find_all(x, action, q, outer, inner, key, name, &all, e);

	*one = NULL;
	if (!rc && json_array_size(all) > 1) {
		rc = herr_set(e, HOIST_FAIL, "%zu API Gateway %ss in %s are named %s; hoist "
			      "manages one", json_array_size(all), what, x->region, name);
		herr_hint(e, "delete the extra ones in the API Gateway console");
	} else if (!rc && json_array_size(all)) {
		*one = json_incref(json_array_get(all, 0));
	}
	json_decref(all);
	return rc;
}

/* ---- groups ---------------------------------------------------------------- */

int capi_group_find(struct ali_ctx *x, const char *name, json_t **group, struct herr *e)
{
	return find_one(x, "DescribeApiGroups", json_pack("{s:s}", "GroupName", name),
			"ApiGroupAttributes", "ApiGroupAttribute", "GroupName", name, "group",
			group, e);
}

struct named {
	struct ali_ctx *x;
	const char *name;
	int (*find)(struct ali_ctx *x, const char *name, json_t **out, struct herr *e);
	json_t *found;
};

static int named_exists(const struct http_request *rq, enum http_effect *eff, void *p,
			struct herr *e)
{
	struct named *n = p;
	int rc;

	json_decref(n->found);
	n->found = NULL;
	rc = n->find(n->x, n->name, &n->found, e);

	*eff = n->found ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	return rc;
}

/*
 * A create call for something found again by name (`find`): *id allocated
 * from the answer's (or the found entry's) `id_key`.
 */
static int create_named(struct ali_ctx *x, const char *action, json_t *q, const char *name,
			int (*find)(struct ali_ctx *, const char *, json_t **, struct herr *),
			const char *id_key, char **id, struct herr *e)
{
	struct named n = { x, name, find, NULL };
	json_t *out = NULL;
	int rc = create(x, action, q, named_exists, &n, &out, e);

	*id = NULL;
	if (!rc)
		*id = capi_id(n.found ? n.found : out, id_key);
	if (!rc && !*id)
		rc = herr_set(e, HOIST_FAIL, "API Gateway %s: no %s in the answer", action, id_key);
	json_decref(n.found);
	json_decref(out);
	return rc;
}

int capi_group_create(struct ali_ctx *x, const char *name, const char *description,
		      json_t **group, struct herr *e)
{
	char *id = NULL;
	int rc = create_named(x, "CreateApiGroup", json_pack("{s:s, s:s}", "GroupName", name,
							     "Description", description),
			      name, capi_group_find, "GroupId", &id, e);

	*group = NULL;
	if (!rc)
		rc = capi_group_get(x, id, group, e);
	free(id);
	return rc;
}

int capi_group_get(struct ali_ctx *x, const char *group_id, json_t **group, struct herr *e)
{
	return call(x, "DescribeApiGroup", json_pack("{s:s}", "GroupId", group_id),
		    "NotFoundApiGroup", group, e);
}

int capi_group_delete(struct ali_ctx *x, const char *group_id, struct herr *e)
{
	return call(x, "DeleteApiGroup", json_pack("{s:s}", "GroupId", group_id),
		    "NotFoundApiGroup", NULL, e);
}

/* ---- APIs ------------------------------------------------------------------ */

int capi_apis(struct ali_ctx *x, const char *group_id, json_t **apis, struct herr *e)
{
	return find_all(x, "DescribeApis", json_pack("{s:s}", "GroupId", group_id),
			"ApiSummarys", "ApiSummary", NULL, NULL, apis, e);
}

int capi_api_get(struct ali_ctx *x, const char *group_id, const char *api_id, json_t **api,
		 struct herr *e)
{
	return call(x, "DescribeApi", json_pack("{s:s, s:s}", "GroupId", group_id, "ApiId",
						api_id), "NotFoundApi", api, e);
}

struct api_named {
	struct ali_ctx *x;
	const char *group_id, *name;
	char *found;
};

static int api_exists(const struct http_request *rq, enum http_effect *eff, void *p,
		      struct herr *e)
{
	struct api_named *n = p;
	json_t *apis = NULL, *a;
	size_t i;
	int rc;

	free(n->found);
	n->found = NULL;
	rc = capi_apis(n->x, n->group_id, &apis, e);

	json_array_foreach(apis, i, a)
		if (!n->found && !strcmp(json_string_value(json_object_get(a, "ApiName")) ?: "",
					 n->name))
			n->found = capi_id(a, "ApiId");
	*eff = n->found ? HTTP_EFFECT_DONE : HTTP_EFFECT_NONE;
	json_decref(apis);
	return rc;
}

int capi_api_create(struct ali_ctx *x, const char *group_id, json_t *def, char **api_id,
		    struct herr *e)
{
	struct api_named n = { x, group_id, json_string_value(json_object_get(def, "ApiName")),
			       NULL };
	json_t *q = json_deep_copy(def), *out = NULL;
	int rc;

	*api_id = NULL;
	json_object_set_new(q, "GroupId", json_string(group_id));
	rc = create(x, "CreateApi", q, api_exists, &n, &out, e);
	if (!rc)
		*api_id = n.found ? n.found : capi_id(out, "ApiId");
	else
		free(n.found);
	if (!rc && !*api_id)
		rc = herr_set(e, HOIST_FAIL, "API Gateway CreateApi: no ApiId in the answer");
	json_decref(out);
	return rc;
}

int capi_api_modify(struct ali_ctx *x, const char *group_id, const char *api_id, json_t *def,
		    struct herr *e)
{
	json_t *q = json_deep_copy(def);

	json_object_set_new(q, "GroupId", json_string(group_id));
	json_object_set_new(q, "ApiId", json_string(api_id));
	return call(x, "ModifyApi", q, NULL, NULL, e);
}

int capi_api_delete(struct ali_ctx *x, const char *group_id, const char *api_id,
		    struct herr *e)
{
	return call(x, "DeleteApi", json_pack("{s:s, s:s}", "GroupId", group_id, "ApiId", api_id),
		    "NotFoundApi", NULL, e);
}

int capi_api_deployed(struct ali_ctx *x, const char *group_id, const char *api_id,
		      const char *stage, json_t **api, struct herr *e)
{
	return call(x, "DescribeDeployedApi", json_pack("{s:s, s:s, s:s}", "GroupId", group_id,
							"ApiId", api_id, "StageName", stage),
		    "NotFoundApi", api, e);
}

int capi_api_deploy(struct ali_ctx *x, const char *group_id, const char *api_id,
		    const char *stage, struct herr *e)
{
	return call(x, "DeployApi", json_pack("{s:s, s:s, s:s, s:s}", "GroupId", group_id,
					      "ApiId", api_id, "StageName", stage,
					      "Description", "hoist"), NULL, NULL, e);
}

int capi_api_abolish(struct ali_ctx *x, const char *group_id, const char *api_id,
		     const char *stage, struct herr *e)
{
	return call(x, "AbolishApi", json_pack("{s:s, s:s, s:s}", "GroupId", group_id,
					       "ApiId", api_id, "StageName", stage),
		    "NotFoundApi", NULL, e);
}

/* ---- apps -------------------------------------------------------------------- */

int capi_app_find(struct ali_ctx *x, const char *name, json_t **app, struct herr *e)
{
	return find_one(x, "DescribeAppAttributes", json_pack("{s:s}", "AppName", name),
			"Apps", "AppAttribute", "AppName", name, "app", app, e);
}

int capi_app_create(struct ali_ctx *x, const char *name, const char *description,
		    char **app_id, struct herr *e)
{
	return create_named(x, "CreateApp", json_pack("{s:s, s:s}", "AppName", name,
						      "Description", description),
			    name, capi_app_find, "AppId", app_id, e);
}

int capi_app_security(struct ali_ctx *x, const char *app_id, json_t **sec, struct herr *e)
{
	int rc = call(x, "DescribeAppSecurity", json_pack("{s:s}", "AppId", app_id),
		      NULL, sec, e);

	if (!rc && *sec) {
		redact_register(json_string_value(json_object_get(*sec, "AppSecret")) ?: "");
		redact_register(json_string_value(json_object_get(*sec, "AppCode")) ?: "");
	}
	return rc;
}

int capi_app_delete(struct ali_ctx *x, const char *app_id, struct herr *e)
{
	return call(x, "DeleteApp", json_pack("{s:s}", "AppId", app_id), "NotFoundApp", NULL, e);
}

int capi_authorized(struct ali_ctx *x, const char *group_id, const char *api_id,
		    const char *stage, json_t **apps, struct herr *e)
{
	return find_all(x, "DescribeAuthorizedApps", json_pack("{s:s, s:s, s:s}", "GroupId",
							       group_id, "ApiId", api_id,
							       "StageName", stage),
			"AuthorizedApps", "AuthorizedApp", NULL, NULL, apps, e);
}

int capi_authorize(struct ali_ctx *x, const char *group_id, const char *api_id,
		   const char *stage, const char *app_id, struct herr *e)
{
	return call(x, "SetAppsAuthorities", json_pack("{s:s, s:s, s:s, s:s, s:s}", "GroupId",
						       group_id, "ApiId", api_id, "StageName",
						       stage, "AppIds", app_id, "Description",
						       "hoist"), NULL, NULL, e);
}

int capi_unauthorize(struct ali_ctx *x, const char *group_id, const char *api_id,
		     const char *stage, const char *app_id, struct herr *e)
{
	return call(x, "RemoveAppsAuthorities", json_pack("{s:s, s:s, s:s, s:s}", "GroupId",
							  group_id, "ApiId", api_id, "StageName",
							  stage, "AppIds", app_id),
		    "NotFoundApi", NULL, e);
}

/* ---- plugins ----------------------------------------------------------------- */

int capi_plugin_find(struct ali_ctx *x, const char *name, json_t **plugin, struct herr *e)
{
	return find_one(x, "DescribePlugins", json_pack("{s:s}", "PluginName", name), "Plugins",
			"PluginAttribute", "PluginName", name, "plugin", plugin, e);
}

int capi_plugin_create(struct ali_ctx *x, const char *name, const char *type,
		       const char *data, char **plugin_id, struct herr *e)
{
	return create_named(x, "CreatePlugin", json_pack("{s:s, s:s, s:s, s:s}", "PluginName",
							 name, "PluginType", type, "PluginData",
							 data, "Description",
							 "hoist: the stage's cors"),
			    name, capi_plugin_find, "PluginId", plugin_id, e);
}

int capi_plugin_modify(struct ali_ctx *x, const char *plugin_id, const char *name,
		       const char *data, struct herr *e)
{
	return call(x, "ModifyPlugin", json_pack("{s:s, s:s, s:s}", "PluginId", plugin_id,
						 "PluginName", name, "PluginData", data),
		    NULL, NULL, e);
}

int capi_plugin_delete(struct ali_ctx *x, const char *plugin_id, struct herr *e)
{
	return call(x, "DeletePlugin", json_pack("{s:s}", "PluginId", plugin_id),
		    "NotFoundPlugin", NULL, e);
}

int capi_plugins_of(struct ali_ctx *x, const char *group_id, const char *api_id,
		    const char *stage, json_t **plugins, struct herr *e)
{
	return find_all(x, "DescribePluginsByApi", json_pack("{s:s, s:s, s:s}", "GroupId",
							     group_id, "ApiId", api_id,
							     "StageName", stage),
			"Plugins", "PluginAttribute", NULL, NULL, plugins, e);
}

int capi_plugin_attach(struct ali_ctx *x, const char *plugin_id, const char *group_id,
		       const char *api_id, const char *stage, struct herr *e)
{
	return call(x, "AttachPlugin", json_pack("{s:s, s:s, s:s, s:s}", "PluginId", plugin_id,
						 "GroupId", group_id, "ApiId", api_id,
						 "StageName", stage), NULL, NULL, e);
}

int capi_plugin_detach(struct ali_ctx *x, const char *plugin_id, const char *group_id,
		       const char *api_id, const char *stage, struct herr *e)
{
	return call(x, "DetachPlugin", json_pack("{s:s, s:s, s:s, s:s}", "PluginId", plugin_id,
						 "GroupId", group_id, "ApiId", api_id,
						 "StageName", stage), "NotFoundPlugin", NULL, e);
}

/* ---- custom domains ---------------------------------------------------------- */

int capi_domain_get(struct ali_ctx *x, const char *group_id, const char *domain,
		    json_t **d, struct herr *e)
{
	return call(x, "DescribeDomain", json_pack("{s:s, s:s}", "GroupId", group_id,
						   "DomainName", domain), "NotFoundDomain", d, e);
}

int capi_domain_set(struct ali_ctx *x, const char *group_id, const char *domain,
		    const char *stage, struct herr *e)
{
	return call(x, "SetDomain", json_pack("{s:s, s:s, s:s}", "GroupId", group_id,
					      "DomainName", domain, "BindStageName", stage),
		    NULL, NULL, e);
}

int capi_domain_delete(struct ali_ctx *x, const char *group_id, const char *domain,
		       struct herr *e)
{
	return call(x, "DeleteDomain", json_pack("{s:s, s:s}", "GroupId", group_id,
						 "DomainName", domain), "NotFoundDomain", NULL, e);
}

int capi_domain_certificate(struct ali_ctx *x, const char *group_id, const char *domain,
			    const char *name, const char *cert_pem, const char *key_pem,
			    struct herr *e)
{
	return call(x, "SetDomainCertificate", json_pack("{s:s, s:s, s:s, s:s, s:s}", "GroupId",
							 group_id, "DomainName", domain,
							 "CertificateName", name,
							 "CertificateBody", cert_pem,
							 "CertificatePrivateKey", key_pem),
		    NULL, NULL, e);
}
