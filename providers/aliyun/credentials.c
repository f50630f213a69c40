/*
 * credentials.c — Alibaba Cloud access keys, region and endpoint overrides
 * from the environment, the aliyun CLI's config.json and the stage settings
 * (precedence in credentials.h).
 */
#include "credentials.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/redact.h"
#include "../../core/str.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Regions where Function Compute 3.0 is offered (its endpoint list), for "did you mean". */
static const char *const known_regions[] = {
	"cn-hangzhou", "cn-shanghai", "cn-qingdao", "cn-beijing", "cn-zhangjiakou",
	"cn-huhehaote", "cn-wulanchabu", "cn-shenzhen", "cn-heyuan", "cn-guangzhou",
	"cn-chengdu", "cn-hongkong", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-northeast-1",
	"ap-northeast-2", "ap-south-1", "eu-central-1", "eu-west-1", "us-west-1", "us-east-1",
	"me-east-1", "me-central-1", "na-south-1", "cn-nanjing", "cn-fuzhou", "cn-wuhan-lr",
	"mx-central-1",
};
#define N_REGIONS (sizeof(known_regions) / sizeof(known_regions[0]))

int ali_region_check(const char *region, struct herr *e)
{
	const char *near;
	regex_t re;
	bool pattern = false;

	for (size_t i = 0; i < N_REGIONS; i++)
		if (!strcmp(region, known_regions[i]))
			return HOIST_OK;
	near = str_closest(region, known_regions, N_REGIONS);
	if (near)
		return herr_set(e, HOIST_USAGE, "unknown Alibaba Cloud region '%s' (did you mean "
				"'%s'?)", region, near);
	if (regcomp(&re, "^(cn|ap|eu|us|me|na|mx|sa|af)-[a-z]+(-[0-9]+|-lr)?$",
		    REG_EXTENDED | REG_NOSUB) == 0) {
		pattern = regexec(&re, region, 0, NULL, 0) == 0;
		regfree(&re);
	}
	if (pattern) {
		out_info("region %s is not in hoist's list of Function Compute regions; using it "
			 "anyway", region);
		return HOIST_OK;
	}
	return herr_set(e, HOIST_USAGE, "unknown Alibaba Cloud region '%s' (expected a region id "
			"like 'cn-hangzhou' or 'ap-southeast-1')", region);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;

	return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

static char *config_path(void)
{
	const char *home = env("HOME");

	if (env("ALIBABA_CLOUD_CONFIG_FILE"))
		return xstrdup(env("ALIBABA_CLOUD_CONFIG_FILE"));
	return xasprintf("%s/.aliyun/config.json", home ? home : "");
}

/* The profile object named `name` in the CLI config, or NULL. */
static const json_t *find_profile(const json_t *conf, const char *name)
{
	const json_t *p;
	size_t i;

	json_array_foreach(json_object_get(conf, "profiles"), i, p)
		if (jstr(p, "name") && !strcmp(jstr(p, "name"), name))
			return p;
	return NULL;
}

static void set_creds(struct ali_creds *c, const char *id, const char *secret, const char *token,
		      char *source)
{
	c->access_key_id = xstrdup(id);
	c->secret = xstrdup(secret);
	c->token = token ? xstrdup(token) : NULL;
	c->source = source;
	redact_register(secret);   /* never printed, whoever quotes them */
	if (token)
		redact_register(token);
}

/* AK / StsToken profiles; other modes are named in an exit-2 error. */
static int profile_creds(struct ali_config *cfg, const json_t *p, const char *path,
			 struct herr *e)
{
	const char *mode = jstr(p, "mode") ?: "AK";
	bool sts = !strcmp(mode, "StsToken");

	if (strcmp(mode, "AK") && !sts) {
		herr_set(e, HOIST_USAGE, "profile '%s' in %s has mode %s, which hoist does not "
			 "support (it reads AK and StsToken profiles)", cfg->profile, path, mode);
		return herr_hint(e, "use an AK or StsToken profile, or set ALIBABA_CLOUD_ACCESS_KEY_ID"
				 "/ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN)");
	}
	if (!jstr(p, "access_key_id") || !jstr(p, "access_key_secret") ||
	    (sts && !jstr(p, "sts_token"))) {
		herr_set(e, HOIST_USAGE, "profile '%s' in %s (mode %s) lacks access_key_id, "
			 "access_key_secret%s", cfg->profile, path, mode, sts ? " or sts_token" : "");
		return herr_hint(e, "run `aliyun configure --profile %s`", cfg->profile);
	}
	set_creds(&cfg->creds, jstr(p, "access_key_id"), jstr(p, "access_key_secret"),
		  sts ? jstr(p, "sts_token") : NULL,
		  xasprintf("profile %s in %s", cfg->profile, path));
	return HOIST_OK;
}

static int load_creds(struct ali_config *cfg, const json_t *prof, const char *path,
		      bool explicit_profile, bool have_file, struct herr *e)
{
	if (!explicit_profile && env("ALIBABA_CLOUD_ACCESS_KEY_ID") &&
	    env("ALIBABA_CLOUD_ACCESS_KEY_SECRET")) {
		set_creds(&cfg->creds, env("ALIBABA_CLOUD_ACCESS_KEY_ID"),
			  env("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), env("ALIBABA_CLOUD_SECURITY_TOKEN"),
			  xstrdup("environment"));
		return HOIST_OK;
	}
	if (prof)
		return profile_creds(cfg, prof, path, e);
	if (have_file && (explicit_profile || env("ALIBABA_CLOUD_PROFILE"))) {
		herr_set(e, HOIST_USAGE, "Alibaba Cloud profile '%s' not found in %s", cfg->profile,
			 path);
		return herr_hint(e, "check profile_name in the settings file or "
				 "ALIBABA_CLOUD_PROFILE");
	}
	herr_set(e, HOIST_FAIL, "no Alibaba Cloud credentials found; searched:%s\n"
		 "  - profile '%s' in %s%s",
		 explicit_profile ? "" : "\n  - environment (ALIBABA_CLOUD_ACCESS_KEY_ID and "
		 "ALIBABA_CLOUD_ACCESS_KEY_SECRET)", cfg->profile, path,
		 have_file ? "" : " (no such file)");
	return herr_hint(e, "set ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, or "
			 "run `aliyun configure`");
}

static int load_region(struct ali_config *cfg, const json_t *st, const json_t *prof,
		       const char *path, struct herr *e)
{
	const char *r = jstr(st, "region");

	if (!r)
		r = env("ALIBABA_CLOUD_REGION_ID");
	if (!r)
		r = jstr(prof, "region_id");
	if (!r) {
		herr_set(e, HOIST_USAGE, "no Alibaba Cloud region: set region in the settings file "
			 "(searched: the region setting, ALIBABA_CLOUD_REGION_ID, region_id of "
			 "profile '%s' in %s)", cfg->profile, path);
		return e->code;
	}
	cfg->region = xstrdup(r);
	return ali_region_check(cfg->region, e);
}

int ali_config_load(struct ali_config *cfg, const json_t *st, struct herr *e)
{
	const char *prof_name = jstr(st, "profile_name");
	bool explicit_profile = prof_name != NULL;
	char *path = config_path(), *text = NULL;
	json_t *conf = NULL, *eps;
	const json_t *prof = NULL;
	struct herr ignore = { 0 };
	size_t len;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (path_read(path, &text, &len, &ignore) == HOIST_OK) {
		json_error_t je;

		conf = json_loadb(text, len, 0, &je);
		if (!conf) {
			rc = herr_set(e, HOIST_USAGE, "%s:%d:%d: not valid JSON: %s", path, je.line,
				      je.column, je.text);
			goto out;
		}
	}
	if (!prof_name)
		prof_name = env("ALIBABA_CLOUD_PROFILE");
	if (!prof_name)
		prof_name = jstr(conf, "current");
	cfg->profile = xstrdup(prof_name ? prof_name : "default");
	prof = find_profile(conf, cfg->profile);
	rc = load_region(cfg, st, prof, path, e);
	if (rc == HOIST_OK)
		rc = load_creds(cfg, prof, path, explicit_profile, conf != NULL, e);
	eps = st ? json_object_get(st, "endpoint_urls") : NULL;
	if (json_is_object(eps))
		cfg->endpoint_urls = json_incref(eps);
out:
	if (rc != HOIST_OK)
		ali_config_free(cfg);
	json_decref(conf);
	if (text)
		memset(text, 0, len);
	free(text);
	free(path);
	return rc;
}

void ali_config_free(struct ali_config *cfg)
{
	if (cfg->creds.secret)
		memset(cfg->creds.secret, 0, strlen(cfg->creds.secret));
	free(cfg->creds.access_key_id);
	free(cfg->creds.secret);
	free(cfg->creds.token);
	free(cfg->creds.source);
	free(cfg->region);
	free(cfg->profile);
	json_decref(cfg->endpoint_urls);
	memset(cfg, 0, sizeof(*cfg));
}

static char *strip_slash(const char *url)
{
	char *s = xstrdup(url);
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

char *ali_endpoint_override(const struct ali_config *cfg, const char *service)
{
	char *var = xasprintf("ALIBABA_CLOUD_ENDPOINT_URL_%s", service);
	const char *v = env(var), *key;
	json_t *val;

	free(var);
	if (!v && cfg->endpoint_urls)
		json_object_foreach(cfg->endpoint_urls, key, val)
			if (json_is_string(val) && !strcasecmp(key, service)) {
				v = json_string_value(val);
				break;
			}
	if (!v)
		v = env("ALIBABA_CLOUD_ENDPOINT_URL");
	return v ? strip_slash(v) : NULL;
}
