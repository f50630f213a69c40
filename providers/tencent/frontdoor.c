/*
 * frontdoor.c — the stage's HTTP front door on Tencent: a function URL
 * (CreateTrigger Type "http") on the stage alias, so it always serves the
 * version the alias points at.  Its TriggerDesc carries
 *   AuthType   NONE, or CAM with iam_authorization: true (callers sign with
 *              TC3-HMAC-SHA256, see request.c);
 *   NetConfig  public endpoint on, private off;
 *   CorsConfig from `cors` (function_url_config.cors in Zappa's camelCase
 *              taking precedence) — field names as the console's JSON
 *              shows them (unconfirmed against a public reference).
 * The URL is read back from the trigger's NetConfig.ExtranetUrl.
 * (API Gateway, Tencent's old front door, was retired: settings.c refuses
 * apigateway_enabled on tencent.)
 */
#include "tencent.h"

#include "../../core/cors.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define URL_TRIGGER "hoist-url"

/* Zappa's function_url_config.cors keys → our CorsConfig members. */
static json_t *zappa_cors(const json_t *c)
{
	static const char *const map[][2] = {
		{ "allowCredentials", "Credentials" }, { "allowedHeaders", "Headers" },
		{ "allowedMethods", "Methods" }, { "allowedOrigins", "Origins" },
		{ "exposedResponseHeaders", "ExposeHeaders" }, { "maxAge", "MaxAge" },
	};
	json_t *o = json_pack("{s:b}", "Enable", 1);

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (json_object_get(c, map[i][0]))
			json_object_set(o, map[i][1], json_object_get(c, map[i][0]));
	return o;
}

static json_t *cors_want(const struct tc_ctx *x)
{
	const json_t *z = json_object_get(json_object_get(x->st->settings, "function_url_config"),
					  "cors");
	struct cors c;
	json_t *o;

	if (json_is_object(z))
		return zappa_cors(z);
	cors_read(x->st->settings, &c);
	if (!c.on)
		return NULL;
	o = json_pack("{s:b, s:o, s:o, s:o, s:b}", "Enable", 1, "Origins", cors_split(c.origin),
		      "Headers", cors_split(c.headers), "Methods", cors_split(c.methods),
		      "Credentials", c.credentials);
	if (c.expose)
		json_object_set_new(o, "ExposeHeaders", cors_split(c.expose));
	if (c.max_age >= 0)
		json_object_set_new(o, "MaxAge", json_integer(c.max_age));
	cors_free(&c);
	return o;
}

static json_t *desc_want(const struct tc_ctx *x)
{
	bool cam = settings_bool(x->st->settings, "iam_authorization", false);
	json_t *d = json_pack("{s:s, s:{s:b, s:b}}", "AuthType", cam ? "CAM" : "NONE",
			      "NetConfig", "EnableIntranet", 0, "EnableExtranet", 1);
	json_t *cors = cors_want(x);

	if (cors)
		json_object_set_new(d, "CorsConfig", cors);
	return d;
}

/* The stage alias's http trigger (borrowed) or NULL. */
static const json_t *url_trigger(const struct tc_ctx *x, const json_t *triggers)
{
	const json_t *t;
	size_t i;

	json_array_foreach(triggers, i, t)
		if (!strcmp(tc_str(t, "Type") ?: "", "http") &&
		    !strcmp(tc_str(t, "Qualifier") ?: "", x->alias))
			return t;
	return NULL;
}

static json_t *desc_of(const json_t *t)
{
	const char *d = tc_str(t, "TriggerDesc");
	json_t *j = d ? json_loads(d, 0, NULL) : NULL;

	return json_is_object(j) ? j : (json_decref(j), json_object());
}

char *tc_url_of(const struct tc_ctx *x, const json_t *triggers, bool *cam)
{
	const json_t *t = url_trigger(x, triggers);
	json_t *d = t ? desc_of(t) : NULL;
	const char *u = tc_str(json_object_get(d, "NetConfig"), "ExtranetUrl");
	char *out = u && *u ? xstrdup(u) : NULL;

	if (cam)
		*cam = !strcmp(tc_str(d, "AuthType") ?: "", "CAM");
	json_decref(d);
	return out;
}

/* json_equal, where two missing values are equal too. */
static bool same_value(const json_t *a, const json_t *b)
{
	return (!a && !b) || json_equal(a, b);
}

/* Does the trigger's TriggerDesc say what we want (ignoring what SCF adds, the URLs)? */
static bool desc_matches(const json_t *have, const json_t *want)
{
	json_t *h = json_deep_copy(have);
	json_t *net = json_object_get(h, "NetConfig");
	bool same;

	json_object_del(net, "ExtranetUrl");
	json_object_del(net, "IntranetUrl");
	if (!json_object_get(want, "CorsConfig")) {
		const json_t *hc = json_object_get(h, "CorsConfig");

		if (!hc || !json_is_true(json_object_get(hc, "Enable")))
			json_object_del(h, "CorsConfig");
	}
	same = same_value(json_object_get(h, "AuthType"), json_object_get(want, "AuthType")) &&
	       same_value(json_object_get(h, "CorsConfig"), json_object_get(want, "CorsConfig")) &&
	       json_is_true(json_object_get(json_object_get(h, "NetConfig"), "EnableExtranet"));
	json_decref(h);
	return same;
}

int tc_url_ensure(struct tc_ctx *x, const json_t *triggers, char **url, struct herr *e)
{
	const json_t *have = url_trigger(x, triggers);
	json_t *want = desc_want(x), *hd = have ? desc_of(have) : NULL, *t, *info = NULL;
	char *wd = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = HOIST_OK;

	*url = NULL;
	t = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "http", "TriggerName",
		      have ? tc_str(have, "TriggerName") : URL_TRIGGER, "Qualifier", x->alias,
		      "TriggerDesc", wd, "Enable", "OPEN");
	if (!have) {
		out_step("Creating the function URL of %s (%s)", x->alias,
			 tc_str(want, "AuthType"));
		rc = scf_trigger_create(x, t, &info, e);
	} else if (!desc_matches(hd, want)) {
		out_step("Updating the function URL of %s", x->alias);
		rc = scf_trigger_update(x, t, e);
	} else {
		out_info("function URL unchanged");
	}
	if (!rc) {
		json_t *ts = NULL;

		if (info) {
			json_t *one = json_pack("[O]", info);

			*url = tc_url_of(x, one, NULL);
			json_decref(one);
		} else if (have && desc_matches(hd, want)) {
			*url = tc_url_of(x, triggers, NULL);
		}
		if (!*url && !(rc = scf_triggers(x, &ts, e)))
			*url = tc_url_of(x, ts, NULL);
		json_decref(ts);
		if (!rc && !*url)
			rc = herr_set(e, HOIST_FAIL, "the function URL of %s has no public address "
				      "(NetConfig.ExtranetUrl)", x->alias);
	}
	json_decref(info);
	json_decref(t);
	json_decref(hd);
	json_decref(want);
	free(wd);
	return rc;
}
