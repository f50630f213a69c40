/*
 * http_trigger.c — the stage's HTTP trigger on Function Compute 3.0: one
 * HTTP trigger named hoist-http on the stage's alias, so its URL
 * (httpTrigger.urlInternet, https://<id>.<region>.fcapp.run) always serves
 * the version the alias points to and survives updates and rollbacks.
 *
 *   authType   anonymous, or "function" with iam_authorization (requests must
 *              then carry an ACS3 signature: `hoist request` signs them)
 *   methods    every method (the app routes)
 *   corsConfig from `cors` (core/cors.h), FC's CORSConfig
 *
 * The trigger is created when missing and updated only when its config or
 * qualifier differ, so an unchanged stage costs one GetTrigger.  The
 * API Gateway front door (apigw.c) sits beside it; frontdoor.c decides
 * which of the two a stage has.
 */
#include "fc.h"

#include "../../core/cors.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

/* The triggerConfig hoist wants (object). */
static json_t *desired(const struct ali_ctx *x)
{
	bool iam = settings_bool(x->st->settings, "iam_authorization", false);
	json_t *c = json_pack("{s:s, s:[s,s,s,s,s,s,s], s:b}", "authType",
			      iam ? "function" : "anonymous", "methods", "GET", "POST", "PUT",
			      "DELETE", "HEAD", "PATCH", "OPTIONS", "disableURLInternet", 0);
	struct cors cors;

	cors_read(x->st->settings, &cors);
	if (cors.on) {
		json_t *o = json_pack("{s:o, s:o, s:o, s:b}", "allowOrigins",
				      cors_split(cors.origin), "allowHeaders",
				      cors_split(cors.headers), "allowMethods",
				      cors_split(cors.methods), "allowCredentials", cors.credentials);

		if (cors.expose)
			json_object_set_new(o, "exposeHeaders", cors_split(cors.expose));
		if (cors.max_age >= 0)
			json_object_set_new(o, "maxAge", json_integer(cors.max_age));
		json_object_set_new(c, "corsConfig", o);
	}
	cors_free(&cors);
	return c;
}

/* The parts of a trigger's config hoist manages, comparable with desired(). */
static json_t *managed(const char *config)
{
	json_t *c = json_loads(config ? config : "{}", 0, NULL), *out = json_object();
	static const char *const keys[] = { "authType", "methods", "disableURLInternet",
					    "corsConfig" };

	for (size_t i = 0; c && i < sizeof(keys) / sizeof(*keys); i++) {
		json_t *v = json_object_get(c, keys[i]);

		if (v && !json_is_null(v))
			json_object_set(out, keys[i], v);
	}
	json_decref(c);
	return out;
}

static char *url_of(const json_t *t)
{
	const char *u = fc_str(json_object_get(t, "httpTrigger"), "urlInternet");

	return u ? xstrdup(u) : NULL;
}

int ali_trigger_ensure(struct ali_ctx *x, char **url, struct herr *e)
{
	json_t *have = NULL, *want, *cur = NULL, *out = NULL;
	char *config;
	int rc;

	*url = NULL;
	if ((rc = fc_trigger_get(x, ALI_HTTP_TRIGGER, &have, e)) != HOIST_OK)
		return rc;
	want = desired(x);
	config = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
	if (!have) {
		out_step("Creating HTTP trigger %s on %s:%s", ALI_HTTP_TRIGGER,
			 x->st->function_name, x->alias);
		rc = fc_trigger_create(x, ALI_HTTP_TRIGGER, "http", config,
				       "hoist front door", &out, e);
	} else {
		cur = managed(fc_str(have, "triggerConfig"));
		if (!json_equal(cur, want) || strcmp(fc_str(have, "qualifier") ?: "", x->alias)) {
			out_step("Updating HTTP trigger %s", ALI_HTTP_TRIGGER);
			rc = fc_trigger_update(x, ALI_HTTP_TRIGGER, config, "hoist front door",
					       &out, e);
		} else {
			out_info("HTTP trigger %s unchanged", ALI_HTTP_TRIGGER);
			out = json_incref(have);
		}
	}
	if (!rc) {
		*url = url_of(out);
		if (!*url && !(rc = fc_trigger_get(x, ALI_HTTP_TRIGGER, &cur, e)))
			*url = url_of(cur);
		if (!rc && !*url)
			rc = herr_set(e, HOIST_FAIL, "HTTP trigger %s has no urlInternet",
				      ALI_HTTP_TRIGGER);
	}
	free(config);
	json_decref(out);
	json_decref(cur);
	json_decref(want);
	json_decref(have);
	return rc;
}

int ali_trigger_url(struct ali_ctx *x, char **url, bool *signed_auth, struct herr *e)
{
	json_t *t = NULL, *c;
	int rc = fc_trigger_get(x, ALI_HTTP_TRIGGER, &t, e);

	*url = NULL;
	if (signed_auth)
		*signed_auth = false;
	if (rc && strstr(e->msg, "FunctionNotFound")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	if (!rc && t) {
		*url = url_of(t);
		c = managed(fc_str(t, "triggerConfig"));
		if (signed_auth)
			*signed_auth = !strcmp(fc_str(c, "authType") ?: "function", "function");
		json_decref(c);
	}
	json_decref(t);
	return rc;
}

int ali_trigger_status(struct ali_ctx *x, json_t *status, struct herr *e)
{
	json_t *t = NULL, *c;
	int rc = fc_trigger_get(x, ALI_HTTP_TRIGGER, &t, e);

	if (!rc && t) {
		c = managed(fc_str(t, "triggerConfig"));
		json_object_set_new(status, "url", json_string(fc_str(json_object_get(t,
						"httpTrigger"), "urlInternet") ?: ""));
		json_object_set_new(status, "front_door", json_pack("{s:s, s:s, s:s, s:s}", "type",
				    "http-trigger", "name", ALI_HTTP_TRIGGER, "qualifier",
				    fc_str(t, "qualifier") ?: "", "auth",
				    fc_str(c, "authType") ?: "function"));
		json_decref(c);
	}
	json_decref(t);
	return rc;
}

int ali_trigger_remove(struct ali_ctx *x, struct herr *e)
{
	json_t *t = NULL;
	int rc = fc_trigger_get(x, ALI_HTTP_TRIGGER, &t, e);

	if (rc && strstr(e->msg, "FunctionNotFound")) {
		herr_clear(e);
		return HOIST_OK;
	}
	if (!rc && t) {
		out_step("Deleting HTTP trigger %s", ALI_HTTP_TRIGGER);
		rc = fc_trigger_delete(x, ALI_HTTP_TRIGGER, e);
	}
	json_decref(t);
	return rc;
}
