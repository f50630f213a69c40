/*
 * cloud_config.c — the credential, profile and endpoint steps every cloud's
 * credentials.c shares (see cloud_config.h).
 */
#include "cloud_config.h"

#include "err.h"
#include "redact.h"
#include "str.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *cloud_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

const char *cloud_str(const json_t *o, const char *key)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;

	return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

void cloud_creds_set(struct cloud_creds *c, const char *id, const char *secret,
		     const char *token, char *source)
{
	c->id = xstrdup(id);
	c->secret = xstrdup(secret);
	c->token = token ? xstrdup(token) : NULL;
	c->source = source;
	redact_register(secret);   /* never printed, whoever quotes them */
	redact_register(token);
}

bool cloud_creds_from_env(struct cloud_creds *c, bool explicit_profile, const char *id_var,
			  const char *secret_var, const char *token_var)
{
	if (explicit_profile || !cloud_env(id_var) || !cloud_env(secret_var))
		return false;
	cloud_creds_set(c, cloud_env(id_var), cloud_env(secret_var), cloud_env(token_var),
			xstrdup("environment"));
	return true;
}

bool cloud_creds_from_section(struct cloud_creds *c, const json_t *sec, const char *id_key,
			      const char *secret_key, const char *token_key,
			      const char *profile, const char *path)
{
	const char *id = cloud_str(sec, id_key), *secret = cloud_str(sec, secret_key);

	if (!id || !secret)
		return false;
	cloud_creds_set(c, id, secret, token_key ? cloud_str(sec, token_key) : NULL,
			xasprintf("profile %s in %s", profile, path));
	return true;
}

int cloud_creds_missing(struct herr *e, const char *cloud, bool explicit_profile,
			const char *id_var, const char *secret_var, const char *places)
{
	if (explicit_profile)
		return herr_set(e, HOIST_FAIL, "no %s credentials found; searched:%s", cloud,
				places);
	return herr_set(e, HOIST_FAIL, "no %s credentials found; searched:\n"
			"  - environment (%s and %s)%s", cloud, id_var, secret_var, places);
}

int cloud_profile_missing(struct herr *e, const char *cloud, const char *profile,
			  const char *where, const char *var)
{
	herr_set(e, HOIST_USAGE, "%s profile '%s' not found in %s", cloud, profile, where);
	return herr_hint(e, "check profile_name in the settings file or %s", var);
}

void cloud_config_endpoints(struct cloud_config *cfg, const json_t *settings)
{
	json_t *eps = settings ? json_object_get(settings, "endpoint_urls") : NULL;

	if (json_is_object(eps))
		cfg->endpoint_urls = json_incref(eps);
}

/* "API Gateway" → "API_GATEWAY"; allocates. */
static char *env_suffix(const char *service)
{
	char *s = xstrdup(service);

	for (char *p = s; *p; p++)
		*p = *p == ' ' ? '_' : (char)toupper((unsigned char)*p);
	return s;
}

char *cloud_endpoint_override(const struct cloud_config *cfg, const char *var,
			      const char *service, const char *alias)
{
	char *suffix = env_suffix(service), *name = xasprintf("%s_%s", var, suffix), *out;
	const char *v = cloud_env(name), *key;
	json_t *val;
	size_t n;

	free(name);
	if (!v && cfg->endpoint_urls) {
		json_object_foreach(cfg->endpoint_urls, key, val) {
			if (!json_is_string(val))
				continue;
			if (!strcasecmp(key, service) || !strcasecmp(key, suffix) ||
			    (alias && !strcasecmp(key, alias))) {
				v = json_string_value(val);
				break;
			}
		}
	}
	free(suffix);
	if (!v)
		v = cloud_env(var);
	if (!v)
		return NULL;
	out = xstrdup(v);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	return out;
}

void cloud_config_free(struct cloud_config *cfg)
{
	if (cfg->creds.secret)
		memset(cfg->creds.secret, 0, strlen(cfg->creds.secret));
	free(cfg->creds.id);
	free(cfg->creds.secret);
	free(cfg->creds.token);
	free(cfg->creds.source);
	free(cfg->region);
	free(cfg->profile);
	json_decref(cfg->endpoint_urls);
	memset(cfg, 0, sizeof(*cfg));
}
