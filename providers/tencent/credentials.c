/*
 * credentials.c — Tencent Cloud keys, region and endpoint overrides from the
 * environment, the credentials files and the stage settings (precedence in
 * credentials.h).
 */
#include "credentials.h"

#include "../../core/err.h"
#include "../../core/ini.h"
#include "../../core/redact.h"
#include "../../core/str.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_REGION "ap-guangzhou"

/* The regions SCF is sold in (CreateTrigger / Invoke API pages). */
static const char *const scf_regions[] = {
	"ap-bangkok", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-guangzhou",
	"ap-hongkong", "ap-jakarta", "ap-mumbai", "ap-nanjing", "ap-seoul", "ap-shanghai",
	"ap-shanghai-fsi", "ap-shenzhen-fsi", "ap-singapore", "ap-tokyo", "eu-frankfurt",
	"na-ashburn", "na-siliconvalley", "sa-saopaulo",
};
#define N_REGIONS (sizeof(scf_regions) / sizeof(scf_regions[0]))

int tc_region_check(const char *region, struct herr *e)
{
	const char *near;

	for (size_t i = 0; i < N_REGIONS; i++)
		if (!strcmp(region, scf_regions[i]))
			return HOIST_OK;
	near = str_closest(region, scf_regions, N_REGIONS);
	herr_set(e, HOIST_USAGE, "unknown region '%s' for Tencent SCF%s%s%s", region,
		 near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	return herr_hint(e, "SCF regions look like ap-guangzhou, ap-shanghai, ap-singapore; set "
			 "'region' in the settings file or TENCENTCLOUD_REGION");
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static const char *setting(const json_t *st, const char *key)
{
	const json_t *v = st ? json_object_get(st, key) : NULL;

	return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

static void set_creds(struct tc_creds *c, const char *id, const char *key, const char *token,
		      char *source)
{
	c->secret_id = xstrdup(id);
	c->secret_key = xstrdup(key);
	c->token = token ? xstrdup(token) : NULL;
	c->source = source;
	redact_register(key);      /* never printed, whoever quotes them */
	redact_register(token);
}

static int load_creds(struct tc_config *cfg, bool explicit_profile, struct herr *e)
{
	char *files[2] = { ini_expand_home("~/.tencentcloud/credentials"),
			   xstrdup("/etc/tencentcloud/credentials") };
	bool any = false;
	int rc = HOIST_OK;

	if (!explicit_profile && env("TENCENTCLOUD_SECRET_ID") && env("TENCENTCLOUD_SECRET_KEY")) {
		set_creds(&cfg->creds, env("TENCENTCLOUD_SECRET_ID"), env("TENCENTCLOUD_SECRET_KEY"),
			  env("TENCENTCLOUD_SESSION_TOKEN"), xstrdup("environment"));
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		json_t *sec = ini_section(files[i], cfg->profile);
		const char *id = setting(sec, "secret_id"), *key = setting(sec, "secret_key");

		any |= sec != NULL;
		if (id && key)
			set_creds(&cfg->creds, id, key, setting(sec, "token"),
				  xasprintf("profile %s in %s", cfg->profile, files[i]));
		json_decref(sec);
		if (id && key)
			goto out;
	}
	if (!any && strcmp(cfg->profile, "default")) {
		rc = herr_set(e, HOIST_USAGE, "Tencent Cloud profile '%s' not found in %s or %s",
			      cfg->profile, files[0], files[1]);
		herr_hint(e, "check profile_name in the settings file or TENCENTCLOUD_PROFILE");
		goto out;
	}
	rc = herr_set(e, HOIST_FAIL, "no Tencent Cloud credentials found; searched:%s\n"
		      "  - profile '%s' (secret_id, secret_key) in %s\n"
		      "  - profile '%s' (secret_id, secret_key) in %s",
		      explicit_profile ? "" : "\n  - environment (TENCENTCLOUD_SECRET_ID and "
		      "TENCENTCLOUD_SECRET_KEY)", cfg->profile, files[0], cfg->profile, files[1]);
	herr_hint(e, "set TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY, or write them as "
		  "secret_id/secret_key under [%s] in %s", cfg->profile, files[0]);
out:
	free(files[0]);
	free(files[1]);
	return rc;
}

int tc_config_load(struct tc_config *cfg, const json_t *st, struct herr *e)
{
	const char *prof = setting(st, "profile_name"), *region;
	const json_t *eps;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->profile = xstrdup(prof ? prof : env("TENCENTCLOUD_PROFILE") ?
			       env("TENCENTCLOUD_PROFILE") : "default");
	region = setting(st, "region");
	if (!region)
		region = env("TENCENTCLOUD_REGION");
	cfg->region = xstrdup(region ? region : DEFAULT_REGION);
	rc = tc_region_check(cfg->region, e);
	if (!rc)
		rc = load_creds(cfg, prof != NULL, e);
	eps = st ? json_object_get(st, "endpoint_urls") : NULL;
	if (json_is_object(eps))
		cfg->endpoint_urls = json_incref((json_t *)eps);
	if (rc)
		tc_config_free(cfg);
	return rc;
}

void tc_config_free(struct tc_config *cfg)
{
	if (cfg->creds.secret_key)
		memset(cfg->creds.secret_key, 0, strlen(cfg->creds.secret_key));
	free(cfg->creds.secret_id);
	free(cfg->creds.secret_key);
	free(cfg->creds.token);
	free(cfg->creds.source);
	free(cfg->region);
	free(cfg->profile);
	json_decref(cfg->endpoint_urls);
	memset(cfg, 0, sizeof(*cfg));
}

char *tc_endpoint_override(const struct tc_config *cfg, const char *service)
{
	char *var = xasprintf("TENCENTCLOUD_ENDPOINT_URL_%s", service), *out;
	const char *v, *key;
	json_t *val;
	size_t n;

	for (char *p = var; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	v = env(var);
	free(var);
	if (!v && cfg->endpoint_urls)
		json_object_foreach(cfg->endpoint_urls, key, val)
			if (json_is_string(val) && !strcasecmp(key, service)) {
				v = json_string_value(val);
				break;
			}
	if (!v)
		v = env("TENCENTCLOUD_ENDPOINT_URL");
	if (!v)
		return NULL;
	out = xstrdup(v);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	return out;
}
