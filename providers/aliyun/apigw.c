/*
 * apigw.c — the Alibaba Cloud API Gateway front door (apigateway_enabled):
 * one API group and one API in it, deployed to the stage's environment,
 * in front of the stage's alias.  Found again by name, never remembered:
 *
 *   group, API   hoist_<function> ('-' becomes '_'; a long name keeps its
 *                start and gets 8 hex digits of its SHA-256, within 50)
 *   backend      FC 3.0 event function (fcType FCEvent) on the alias,
 *                invoked with the RAM role of ram.c — decided from the docs:
 *                an API with RequestPath "/[*]" (every sub-path), method ANY and PASSTHROUGH
 *                mode hands every path and method to one event backend as
 *                the documented event ({path, httpMethod, headers,
 *                queryParameters, pathParameters, body, isBase64Encoded}),
 *                so no HTTP trigger is needed (nor left open beside the
 *                gateway: function_url_enabled asks for one)
 *   environment  apigateway_stage: RELEASE (default), PRE or TEST; the API
 *                is abolished from the other two
 *   auth         ANONYMOUS, or with api_key_required APP (HmacSHA256,
 *                nonce checked, AppCode in a header allowed) and an app
 *                hoist_<function> (within 26) authorized in the environment
 *   cors         a CORS plugin hoist_cors_<function> attached in the
 *                environment (the gateway answers preflights)
 *
 * Converging reads the API definition (DescribeApi) and the deployed one
 * (DescribeDeployedApi) and compares the fields hoist sets: ModifyApi only
 * when the definition differs, DeployApi only when the environment does
 * not run it; an unchanged stage sends no write call.  The backend timeout
 * is timeout_seconds within the shared instance's 30 s.
 */
#include "apigw.h"
#include "cloudapi.h"

#include "../../core/cors.h"
#include "../../core/digest.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TIMEOUT_MS 30000     /* shared instances */
static const char *const stages[] = { "RELEASE", "PRE", "TEST" };

bool ali_apigw_wanted(const struct stage *st)
{
	return settings_bool(st->settings, "apigateway_enabled", false);
}

const char *ali_apigw_stage(const struct stage *st)
{
	return settings_str(st->settings, "apigateway_stage") ?: "RELEASE";
}

/* ---- names ----------------------------------------------------------------------- */

/* prefix + function as a CloudAPI name ([A-Za-z][A-Za-z0-9_]*) of at most `max`; allocates. */
static char *name_of(const struct stage *st, const char *prefix, size_t max)
{
	char *n = xasprintf("%s%s", prefix, st->function_name), hex[65], *out;

	for (char *p = n; *p; p++)
		if (*p == '-')
			*p = '_';
	if (strlen(n) <= max)
		return n;
	digest_sha256_hex(st->function_name, strlen(st->function_name), hex);
	out = xasprintf("%.*s_%.8s", (int)(max - 9), n, hex);
	free(n);
	return out;
}

char *ali_apigw_name(const struct stage *st)
{
	return name_of(st, "hoist_", 50);
}

static char *app_name(const struct stage *st)
{
	return name_of(st, "hoist_", 26);
}

static char *plugin_name(const struct stage *st)
{
	return name_of(st, "hoist_cors_", 50);
}

/* ---- what exists -------------------------------------------------------------------- */

void ali_apigw_free(struct ali_apigw *g)
{
	free(g->name);
	free(g->group_id);
	free(g->subdomain);
	free(g->api_id);
	json_decref(g->api);
	json_decref(g->plugin);
	free(g->app_id);
	memset(g, 0, sizeof(*g));
}

int ali_apigw_find(struct ali_ctx *x, struct ali_apigw *g, struct herr *e)
{
	json_t *group = NULL, *apis = NULL, *a;
	size_t i;
	int rc;

	memset(g, 0, sizeof(*g));
	g->name = ali_apigw_name(x->st);
	if ((rc = capi_group_find(x, g->name, &group, e)) || !group)
		goto out;
	g->group_id = capi_id(group, "GroupId");
	g->subdomain = capi_id(group, "SubDomain");
	if ((rc = capi_apis(x, g->group_id, &apis, e)))
		goto out;
	json_array_foreach(apis, i, a)
		if (!g->api_id && !strcmp(json_string_value(json_object_get(a, "ApiName")) ?: "",
					  g->name))
			g->api_id = capi_id(a, "ApiId");
	if (g->api_id)
		rc = capi_api_get(x, g->group_id, g->api_id, &g->api, e);
out:
	json_decref(apis);
	json_decref(group);
	return rc;
}

/* Is the API deployed in `stage`? (DescribeApi's DeployedInfos) */
static bool deployed_in(const json_t *api, const char *stage)
{
	json_t *infos = capi_list(api, "DeployedInfos", "DeployedInfo"), *d;
	size_t i;

	json_array_foreach(infos, i, d)
		if (!strcmp(json_string_value(json_object_get(d, "StageName")) ?: "", stage) &&
		    strcmp(json_string_value(json_object_get(d, "DeployedStatus")) ?: "",
			   "NONDEPLOYED"))
			return true;
	return false;
}

/* ---- the definition ---------------------------------------------------------------- */

struct want {
	bool app;
	long long timeout_ms;
	char *role_arn;
};

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The fields hoist sets, from an answer (DescribeApi / DescribeDeployedApi). */
static json_t *flat_have(const json_t *api)
{
	const json_t *rq = json_object_get(api, "RequestConfig");
	const json_t *sv = json_object_get(api, "ServiceConfig");
	const json_t *fc = json_object_get(sv, "FunctionComputeConfig");
	bool app = !strcmp(jstr(api, "AuthType") ?: "", "APP");
	json_t *to = json_object_get(sv, "ServiceTimeout");

	json_t *f = json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s,"
			      " s:s, s:s}",
			 "auth", jstr(api, "AuthType") ?: "",
			 "sigmethod", app ? jstr(api, "AllowSignatureMethod") ?: "" : "",
			 "nonce", app && json_is_true(json_object_get(api, "ForceNonceCheck")),
			 "visibility", jstr(api, "Visibility") ?: "",
			 "path", jstr(rq, "RequestPath") ?: "",
			 "method", jstr(rq, "RequestHttpMethod") ?: "",
			 "mode", jstr(rq, "RequestMode") ?: "",
			 "protocol", jstr(rq, "RequestProtocol") ?: "",
			 "backend", jstr(sv, "ServiceProtocol") ?: "",
			 "timeout", (json_int_t)(json_is_integer(to) ? json_integer_value(to)
						: atoll(json_string_value(to) ?: "0")),
			 "fctype", jstr(fc, "FcType") ?: "",
			 "fcversion", jstr(fc, "FcVersion") ?: "-",
			 "function", jstr(fc, "FunctionName") ?: "",
			 "qualifier", jstr(fc, "Qualifier") ?: "",
			 "role", jstr(fc, "RoleArn") ?: "",
			 "region", jstr(fc, "RegionId") ?: "");

	if (!strcmp(jstr(f, "fcversion"), "-"))   /* not told: DescribeDeployedApi */
		json_object_del(f, "fcversion");
	return f;
}

/* deployed: as DescribeDeployedApi tells it (its model has no FcVersion). */
static json_t *flat_want(const struct ali_ctx *x, const struct want *w, bool deployed)
{
	json_t *f = json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s,"
			 " s:s, s:s}",
			 "auth", w->app ? "APP" : "ANONYMOUS", "sigmethod", w->app ? "HmacSHA256" : "",
			 "nonce", w->app, "visibility", "PRIVATE", "path", "/*", "method", "ANY",
			 "mode", "PASSTHROUGH", "protocol", "HTTP,HTTPS", "backend", "FunctionCompute",
			 "timeout", (json_int_t)w->timeout_ms, "fctype", "FCEvent", "fcversion", "3.0",
			 "function", x->st->function_name, "qualifier", x->alias, "role", w->role_arn,
			 "region", x->region);

	if (deployed)
		json_object_del(f, "fcversion");
	return f;
}

/* CreateApi / ModifyApi parameters (the RequestConfig/ServiceConfig JSON strings inside). */
static json_t *definition(const struct ali_ctx *x, const char *name, const struct want *w)
{
	json_t *rq = json_pack("{s:s, s:s, s:s, s:s, s:s}", "requestProtocol", "HTTP,HTTPS",
			       "requestHttpMethod", "ANY", "requestPath", "/*", "requestMode",
			       "PASSTHROUGH", "bodyFormat", "STREAM");
	json_t *sv = json_pack("{s:s, s:I, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}",
			       "serviceProtocol", "FunctionCompute", "serviceTimeout",
			       (json_int_t)w->timeout_ms, "mock", "FALSE", "serviceVpcEnable",
			       "FALSE", "functionComputeConfig", "fcRegionId", x->region, "fcType",
			       "FCEvent", "fcVersion", "3.0", "functionName", x->st->function_name,
			       "qualifier", x->alias, "roleArn", w->role_arn);
	char *rqs = json_dumps(rq, JSON_COMPACT | JSON_SORT_KEYS);
	char *svs = json_dumps(sv, JSON_COMPACT | JSON_SORT_KEYS);
	char *desc = xasprintf("hoist: the front door of %s (%s)", x->st->function_name,
			       x->st->name);
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiName", name,
			      "Visibility", "PRIVATE", "AuthType", w->app ? "APP" : "ANONYMOUS",
			      "ForceNonceCheck", w->app ? "true" : "false", "ResultType",
			      "PASSTHROUGH", "Description", desc, "RequestConfig", rqs,
			      "ServiceConfig", svs);

	if (w->app) {
		json_object_set_new(d, "AllowSignatureMethod", json_string("HmacSHA256"));
		json_object_set_new(d, "AppCodeAuthType", json_string("HEADER"));
	}
	free(desc);
	free(rqs);
	free(svs);
	json_decref(rq);
	json_decref(sv);
	return d;
}

static bool differs(const char *what, json_t *want, json_t *have)
{
	bool diff = !json_equal(want, have);

	if (diff && out_get()->verbosity > 0) {
		const char *k;
		json_t *v;

		json_object_foreach(want, k, v)
			if (!json_equal(v, json_object_get(have, k)))
				out_info("%s: %s changes", what, k);
	}
	json_decref(want);
	json_decref(have);
	return diff;
}

/* ---- apps ---------------------------------------------------------------------------- */

static int app_create(struct ali_ctx *x, char **app_id, struct herr *e)
{
	char *name = app_name(x->st);
	int rc;

	out_step("Creating API Gateway app %s", name);
	rc = capi_app_create(x, name, "hoist: the app that may call the stage", app_id, e);
	free(name);
	return rc;
}

/* Does a listing hold an entry whose `key` (a string or a number) is `id`? */
static bool has_id(const json_t *list, const char *key, const char *id)
{
	const json_t *a;
	size_t i;

	json_array_foreach(list, i, a) {
		char *v = capi_id(a, key);
		bool same = v && !strcmp(v, id);

		free(v);
		if (same)
			return true;
	}
	return false;
}

/* The app authorized on the API in `stage` (app wanted), or not authorized there. */
static int authorization(struct ali_ctx *x, const struct ali_apigw *g, const char *stage,
			 const char *app_id, bool want, struct herr *e)
{
	json_t *apps = NULL;
	int rc = capi_authorized(x, g->group_id, g->api_id, stage, &apps, e);

	if (!rc && want && !has_id(apps, "AppId", app_id)) {
		out_step("Authorizing app %s on %s in %s", app_id, g->name, stage);
		rc = capi_authorize(x, g->group_id, g->api_id, stage, app_id, e);
	} else if (!rc && !want && has_id(apps, "AppId", app_id)) {
		rc = capi_unauthorize(x, g->group_id, g->api_id, stage, app_id, e);
	}
	json_decref(apps);
	return rc;
}

/* hoist's app id, or NULL when it does not exist. */
static int app_existing(struct ali_ctx *x, char **app_id, struct herr *e)
{
	char *name = app_name(x->st);
	json_t *app = NULL;
	int rc = capi_app_find(x, name, &app, e);

	*app_id = app ? capi_id(app, "AppId") : NULL;
	json_decref(app);
	free(name);
	return rc;
}

static int app_delete(struct ali_ctx *x, const char *app_id, struct herr *e)
{
	char *name = app_name(x->st);

	out_step("Deleting API Gateway app %s", name);
	free(name);
	return capi_app_delete(x, app_id, e);
}

/* ---- CORS ---------------------------------------------------------------------------- */

/* The CORS plugin's data (JSON text) for the stage's cors, or NULL without cors; allocates. */
static char *cors_data(const struct stage *st)
{
	struct cors c;
	json_t *d;
	char *s = NULL;

	cors_read(st->settings, &c);
	if (c.on) {
		d = json_pack("{s:s, s:s, s:s, s:b}", "allowOrigins", c.origin ? c.origin : "*",
			      "allowMethods", c.methods ? c.methods : "", "allowHeaders",
			      c.headers ? c.headers : "", "allowCredentials", c.credentials);
		if (c.expose)
			json_object_set_new(d, "exposeHeaders", json_string(c.expose));
		if (c.max_age >= 0)
			json_object_set_new(d, "maxAge", json_integer(c.max_age));
		s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(d);
	}
	cors_free(&c);
	return s;
}

/* The plugin holds `data` and is attached in `stage`; or, data NULL, is gone. */
static int cors_converge(struct ali_ctx *x, const struct ali_apigw *g, const char *stage,
			 struct herr *e)
{
	char *name = plugin_name(x->st), *data = cors_data(x->st), *id = NULL;
	const json_t *plugin = g->plugin;
	json_t *on = NULL, *have = NULL, *want = NULL;
	int rc = HOIST_OK;

	if (plugin) {
		id = capi_id(plugin, "PluginId");
		rc = capi_plugins_of(x, g->group_id, g->api_id, stage, &on, e);
	}
	if (rc)
		goto out;
	if (!data) {
		if (plugin && has_id(on, "PluginId", id))
			rc = capi_plugin_detach(x, id, g->group_id, g->api_id, stage, e);
		if (!rc && plugin) {
			out_step("Deleting CORS plugin %s (cors is off)", name);
			rc = capi_plugin_delete(x, id, e);
		}
		goto out;
	}
	if (!plugin) {
		out_step("Creating CORS plugin %s", name);
		rc = capi_plugin_create(x, name, "cors", data, &id, e);
	} else {
		have = json_loads(jstr(plugin, "PluginData") ?: "", 0, NULL);
		want = json_loads(data, 0, NULL);
		if (!have || !json_equal(have, want)) {
			out_step("Updating CORS plugin %s", name);
			rc = capi_plugin_modify(x, id, name, data, e);
		}
	}
	if (!rc && !has_id(on, "PluginId", id)) {
		out_step("Attaching CORS plugin %s to %s in %s", name, g->name, stage);
		rc = capi_plugin_attach(x, id, g->group_id, g->api_id, stage, e);
	}
out:
	json_decref(want);
	json_decref(have);
	json_decref(on);
	free(id);
	free(data);
	free(name);
	return rc;
}

/* ---- converge ------------------------------------------------------------------------ */

/* The group exists (created when missing); g filled. */
static int group_ensure(struct ali_ctx *x, struct ali_apigw *g, struct herr *e)
{
	json_t *group = NULL;
	char *desc;
	int rc;

	if (g->group_id)
		return HOIST_OK;
	desc = xasprintf("hoist: the API Gateway front door of %s", x->st->function_name);
	out_step("Creating API group %s", g->name);
	rc = capi_group_create(x, g->name, desc, &group, e);
	if (!rc) {
		g->group_id = capi_id(group, "GroupId");
		g->subdomain = capi_id(group, "SubDomain");
	}
	json_decref(group);
	free(desc);
	return rc;
}

/* The API holds the wanted definition; *changed when written. */
static int api_converge(struct ali_ctx *x, struct ali_apigw *g, const struct want *w,
			bool *changed, struct herr *e)
{
	json_t *def = definition(x, g->name, w);
	int rc = HOIST_OK;

	*changed = false;
	if (!g->api_id) {
		out_step("Creating API %s (every path and method to %s:%s)", g->name,
			 x->st->function_name, x->alias);
		rc = capi_api_create(x, g->group_id, def, &g->api_id, e);
		*changed = !rc;
	} else if (differs("API definition", flat_want(x, w, false), flat_have(g->api))) {
		out_step("Updating API %s", g->name);
		rc = capi_api_modify(x, g->group_id, g->api_id, def, e);
		*changed = !rc;
	} else {
		out_info("API %s unchanged", g->name);
	}
	if (!rc && *changed) {
		json_decref(g->api);
		g->api = NULL;
		rc = capi_api_get(x, g->group_id, g->api_id, &g->api, e);
	}
	json_decref(def);
	return rc;
}

/* The environment runs the wanted definition. */
static int deploy_converge(struct ali_ctx *x, struct ali_apigw *g, const struct want *w,
			   const char *stage, bool changed, struct herr *e)
{
	json_t *dep = NULL;
	int rc = HOIST_OK;

	if (!changed && deployed_in(g->api, stage)) {
		if ((rc = capi_api_deployed(x, g->group_id, g->api_id, stage, &dep, e)))
			return rc;
		changed = !dep || differs("deployed API", flat_want(x, w, true), flat_have(dep));
	} else {
		changed = true;
	}
	if (changed) {
		out_step("Deploying API %s to %s", g->name, stage);
		rc = capi_api_deploy(x, g->group_id, g->api_id, stage, e);
	}
	json_decref(dep);
	return rc;
}

/* Another environment the API must leave: plugin, authorization, deployment. */
static int leave_stage(struct ali_ctx *x, const struct ali_apigw *g, const char *stage,
		       struct herr *e)
{
	char *id = g->plugin ? capi_id(g->plugin, "PluginId") : NULL;
	json_t *on = NULL;
	int rc = HOIST_OK;

	if (id) {
		rc = capi_plugins_of(x, g->group_id, g->api_id, stage, &on, e);
		if (!rc && has_id(on, "PluginId", id))
			rc = capi_plugin_detach(x, id, g->group_id, g->api_id, stage, e);
	}
	if (!rc && g->app_id)
		rc = authorization(x, g, stage, g->app_id, false, e);
	if (!rc && deployed_in(g->api, stage)) {
		out_step("Abolishing API %s from %s", g->name, stage);
		rc = capi_api_abolish(x, g->group_id, g->api_id, stage, e);
	}
	json_decref(on);
	free(id);
	return rc;
}

/* hoist's CORS plugin and app, when they exist (g->plugin, g->app_id). */
static int find_ours(struct ali_ctx *x, struct ali_apigw *g, struct herr *e)
{
	char *name = plugin_name(x->st);
	int rc = capi_plugin_find(x, name, &g->plugin, e);

	if (!rc)
		rc = app_existing(x, &g->app_id, e);
	free(name);
	return rc;
}

char *ali_apigw_base_url(const struct ali_ctx *x, const struct ali_apigw *g)
{
	return xasprintf("https://%s", g->subdomain);
}

int ali_apigw_ensure(struct ali_ctx *x, char **url, struct herr *e)
{
	const char *stage = ali_apigw_stage(x->st);
	long long t = settings_int(x->st->settings, "timeout_seconds", 30);
	struct want w = { .app = settings_bool(x->st->settings, "api_key_required", false),
			  .timeout_ms = t * 1000 > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : t * 1000 };
	struct ali_apigw g;
	bool changed = false;
	int rc;

	*url = NULL;
	if (t * 1000 > MAX_TIMEOUT_MS)
		out_warn("timeout_seconds is %lld: API Gateway (shared instance) waits at most 30 s "
			 "for the function, then answers 504 while the function runs on", t);
	if ((rc = ram_gateway_role_ensure(x, &w.role_arn, e)))
		return rc;
	if ((rc = ali_apigw_find(x, &g, e)) || (rc = find_ours(x, &g, e)) ||
	    (rc = group_ensure(x, &g, e)) || (rc = api_converge(x, &g, &w, &changed, e)))
		goto out;
	for (size_t i = 0; !rc && i < sizeof(stages) / sizeof(*stages); i++)
		if (strcmp(stages[i], stage))
			rc = leave_stage(x, &g, stages[i], e);
	if (!rc)
		rc = deploy_converge(x, &g, &w, stage, changed, e);
	if (!rc)
		rc = cors_converge(x, &g, stage, e);
	if (!rc && w.app && !g.app_id)
		rc = app_create(x, &g.app_id, e);
	if (!rc && g.app_id)
		rc = authorization(x, &g, stage, g.app_id, w.app, e);
	if (!rc && g.app_id && !w.app)
		rc = app_delete(x, g.app_id, e);
	if (!rc && !g.subdomain)
		rc = herr_set(e, HOIST_FAIL, "API group %s has no SubDomain", g.name);
	if (!rc) {
		*url = ali_apigw_base_url(x, &g);
		if (strcmp(stage, "RELEASE"))
			out_info("environment %s: requests to %s need the header X-Ca-Stage: %s "
				 "(hoist request sends it)", stage, g.subdomain, stage);
	}
out:
	free(w.role_arn);
	ali_apigw_free(&g);
	return rc;
}

/* ---- url, status, secrets, remove ------------------------------------------------- */

int ali_apigw_url(struct ali_ctx *x, char **url, struct herr *e)
{
	struct ali_apigw g;
	int rc = ali_apigw_find(x, &g, e);

	*url = NULL;
	if (!rc && g.api && g.subdomain && deployed_in(g.api, ali_apigw_stage(x->st)))
		*url = ali_apigw_base_url(x, &g);
	ali_apigw_free(&g);
	return rc;
}

int ali_apigw_app(struct ali_ctx *x, json_t **sec, struct herr *e)
{
	char *app_id = NULL;
	int rc = app_existing(x, &app_id, e);

	*sec = NULL;
	if (!rc && app_id)
		rc = capi_app_security(x, app_id, sec, e);
	free(app_id);
	return rc;
}

int ali_apigw_status(struct ali_ctx *x, json_t *status, struct herr *e)
{
	const char *stage = ali_apigw_stage(x->st);
	struct ali_apigw g;
	json_t *fd, *sec = NULL;
	char *url, *app = NULL;
	int rc = ali_apigw_find(x, &g, e);

	if (rc || !g.group_id)
		goto out;
	fd = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s?, s:b}", "type", "api-gateway",
		       "group", g.name, "group_id", g.group_id, "subdomain", g.subdomain,
		       "api_id", g.api_id, "environment", stage, "auth",
		       jstr(g.api, "AuthType"), "deployed", g.api && deployed_in(g.api, stage));
	if (!strcmp(jstr(g.api, "AuthType") ?: "", "APP") &&
	    !(rc = ali_apigw_app(x, &sec, e)) && sec) {
		app = app_name(x->st);
		json_object_set_new(fd, "app", json_string(app));
		json_object_set_new(fd, "app_key", json_string(jstr(sec, "AppKey") ?: ""));
	}
	json_object_set_new(status, "api_gateway", fd);
	if (g.api && g.subdomain && deployed_in(g.api, stage)) {
		url = ali_apigw_base_url(x, &g);
		json_object_set_new(status, "url", json_string(url));
		free(url);
	}
	if (!rc && !(rc = ali_apigw_domain_url(x, &g, &url, e)) && url) {
		json_object_set_new(status, "domain_url", json_string(url));
		free(url);
	}
out:
	free(app);
	json_decref(sec);
	ali_apigw_free(&g);
	return rc;
}

int ali_apigw_secrets(struct ali_ctx *x, json_t *secrets, struct herr *e)
{
	json_t *sec = NULL;
	int rc = ali_apigw_app(x, &sec, e);

	if (!rc && sec) {
		json_object_set_new(secrets, "app_key", json_string(jstr(sec, "AppKey") ?: ""));
		json_object_set_new(secrets, "app_secret", json_string(jstr(sec, "AppSecret") ?: ""));
		json_object_set_new(secrets, "app_code", json_string(jstr(sec, "AppCode") ?: ""));
	}
	json_decref(sec);
	return rc;
}

/* An error that says the credentials may not use API Gateway (or RAM) at all. */
static bool denied(const struct herr *e)
{
	return strstr(e->msg, "Forbidden") || strstr(e->msg, "NoPermission");
}

int ali_apigw_remove(struct ali_ctx *x, bool thorough, struct herr *e)
{
	struct ali_apigw g;
	char *pname = plugin_name(x->st), *pid = NULL;
	int rc = ali_apigw_find(x, &g, e);

	if (rc && denied(e)) {   /* credentials without API Gateway: hoist made nothing there */
		herr_clear(e);
		rc = HOIST_OK;
		goto out;
	}
	if (rc || (!g.group_id && !thorough) || (rc = find_ours(x, &g, e)))
		goto out;
	if (g.api_id)
		for (size_t i = 0; !rc && i < sizeof(stages) / sizeof(*stages); i++)
			rc = leave_stage(x, &g, stages[i], e);
	if (!rc && g.api_id) {
		out_step("Deleting API %s", g.name);
		rc = capi_api_delete(x, g.group_id, g.api_id, e);
	}
	if (!rc && g.group_id)
		rc = ali_apigw_domain_remove(x, g.group_id, g.subdomain ? g.subdomain : "", e);
	if (!rc && g.group_id) {
		json_t *apis = NULL;

		rc = capi_apis(x, g.group_id, &apis, e);
		if (!rc && !json_array_size(apis)) {
			out_step("Deleting API group %s", g.name);
			rc = capi_group_delete(x, g.group_id, e);
		} else if (!rc) {
			out_warn("API group %s still holds %zu API(s) hoist did not create; it is "
				 "kept", g.name, json_array_size(apis));
		}
		json_decref(apis);
	}
	if (!rc && g.plugin) {
		pid = capi_id(g.plugin, "PluginId");
		out_step("Deleting CORS plugin %s", pname);
		rc = capi_plugin_delete(x, pid, e);
	}
	if (!rc && g.app_id)
		rc = app_delete(x, g.app_id, e);
	if (!rc)
		rc = ram_gateway_role_remove(x, e);
out:
	free(pid);
	free(pname);
	ali_apigw_free(&g);
	return rc;
}

/* The provider's secrets op (status --show-secrets). */
int ali_secrets(const struct stage *st, json_t **secrets, struct herr *e)
{
	struct ali_ctx x;
	int rc;

	*secrets = json_object();
	if (!ali_apigw_wanted(st))
		return HOIST_OK;
	if ((rc = ali_ctx_open(&x, st, e)))
		return rc;
	rc = ali_apigw_secrets(&x, *secrets, e);
	ali_ctx_close(&x);
	return rc;
}
