/*
 * credentials.c — AWS access keys, region and endpoint overrides from the
 * environment, the shared credentials/config files and the stage settings
 * (precedence documented in credentials.h).
 */
#include "credentials.h"

#include "../../core/err.h"
#include "../../core/ini.h"
#include "../../core/redact.h"
#include "../../core/log.h"
#include "../../core/str.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every public region, for "did you mean"; new ones still pass by pattern. */
static const char *const known_regions[] = {
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"af-south-1", "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2",
	"ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1",
	"il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
	"cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1",
};
#define N_REGIONS (sizeof(known_regions) / sizeof(known_regions[0]))

/* The partitions' region patterns (botocore's partitions.json). */
static const char *const region_patterns[] = {
	"^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-[0-9]+$",
	"^cn-[a-z]+-[0-9]+$",
	"^us-gov-[a-z]+-[0-9]+$",
};

int aws_region_check(const char *region, struct herr *e)
{
	const char *near;
	bool pattern = false;

	for (size_t i = 0; i < N_REGIONS; i++)
		if (strcmp(region, known_regions[i]) == 0)
			return HOIST_OK;
	near = str_closest(region, known_regions, N_REGIONS);
	for (size_t i = 0; i < sizeof(region_patterns) / sizeof(*region_patterns); i++) {
		regex_t re;

		if (regcomp(&re, region_patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		pattern |= regexec(&re, region, 0, NULL, 0) == 0;
		regfree(&re);
	}
	if (near)
		return herr_set(e, HOIST_USAGE, "unknown region '%s' (did you mean '%s'?)", region,
				near);
	if (pattern) {
		out_info("region %s is not in hoist's list of regions; using it anyway", region);
		return HOIST_OK;
	}
	return herr_set(e, HOIST_USAGE, "unknown region '%s' (expected a name like 'us-east-1')",
			region);
}

const char *aws_dns_suffix(const char *region)
{
	return region && str_starts(region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com";
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

static const char *kv(const json_t *o, const char *key)
{
	return setting(o, key);
}

static void set_creds(struct aws_creds *c, const char *id, const char *secret, const char *token,
		      char *source)
{
	c->access_key_id = xstrdup(id);
	c->secret_access_key = xstrdup(secret);
	c->session_token = token ? xstrdup(token) : NULL;
	c->source = source;
	redact_register(secret);   /* never printed, whoever quotes them */
	redact_register(token);
}

static int load_creds(struct aws_config *cfg, const json_t *st, json_t *conf_sec,
		      const char *cred_path, const char *conf_path, bool explicit_profile,
		      struct herr *e)
{
	json_t *cred_sec;
	const json_t *sec;
	int rc = HOIST_OK;

	if (!explicit_profile && env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		set_creds(&cfg->creds, env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
			  env("AWS_SESSION_TOKEN"), xstrdup("environment"));
		return HOIST_OK;
	}
	cred_sec = ini_section(cred_path, cfg->profile);
	for (int i = 0; i < 2; i++) {
		sec = i == 0 ? cred_sec : conf_sec;
		if (kv(sec, "aws_access_key_id") && kv(sec, "aws_secret_access_key")) {
			set_creds(&cfg->creds, kv(sec, "aws_access_key_id"),
				  kv(sec, "aws_secret_access_key"), kv(sec, "aws_session_token"),
				  xasprintf("profile %s in %s", cfg->profile,
					    i == 0 ? cred_path : conf_path));
			goto out;
		}
	}
	if (!cred_sec && !conf_sec && strcmp(cfg->profile, "default") != 0) {
		rc = herr_set(e, HOIST_USAGE, "AWS profile '%s' not found in %s or %s",
			      cfg->profile, cred_path, conf_path);
		herr_hint(e, "check profile_name in the settings file or AWS_PROFILE");
		goto out;
	}
	rc = herr_set(e, HOIST_FAIL, "no AWS credentials found; searched:%s\n"
		      "  - profile '%s' in %s\n  - profile '%s' in %s",
		      explicit_profile ? "" :
		      "\n  - environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
		      cfg->profile, cred_path, cfg->profile, conf_path);
	herr_hint(e, "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws configure%s%s`",
		  strcmp(cfg->profile, "default") ? " --profile " : "",
		  strcmp(cfg->profile, "default") ? cfg->profile : "");
out:
	json_decref(cred_sec);
	(void)st;
	return rc;
}

static int load_region(struct aws_config *cfg, const json_t *st, const json_t *conf_sec,
		       const char *conf_path, struct herr *e)
{
	const char *r = setting(st, "aws_region");

	if (!r)
		r = setting(st, "region");
	if (!r)
		r = env("AWS_REGION");
	if (!r)
		r = env("AWS_DEFAULT_REGION");
	if (!r)
		r = kv(conf_sec, "region");
	if (!r) {
		herr_set(e, HOIST_USAGE, "no AWS region: set aws_region in the settings file "
			 "(searched: aws_region/region settings, AWS_REGION, AWS_DEFAULT_REGION, "
			 "region of profile '%s' in %s)", cfg->profile, conf_path);
		return e->code;
	}
	cfg->region = xstrdup(r);
	return aws_region_check(cfg->region, e);
}

int aws_config_load(struct aws_config *cfg, const json_t *st, struct herr *e)
{
	char *cred_path, *conf_path, *section;
	const char *prof = setting(st, "profile_name");
	bool explicit_profile = prof != NULL;
	json_t *conf_sec, *eps;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!prof)
		prof = env("AWS_PROFILE");
	if (!prof)
		prof = env("AWS_DEFAULT_PROFILE");
	cfg->profile = xstrdup(prof ? prof : "default");
	cred_path = ini_expand_home(env("AWS_SHARED_CREDENTIALS_FILE") ?
				env("AWS_SHARED_CREDENTIALS_FILE") : "~/.aws/credentials");
	conf_path = ini_expand_home(env("AWS_CONFIG_FILE") ? env("AWS_CONFIG_FILE") : "~/.aws/config");
	section = strcmp(cfg->profile, "default") == 0 ? xstrdup("default")
						       : xasprintf("profile %s", cfg->profile);
	conf_sec = ini_section(conf_path, section);
	if (!conf_sec && strcmp(cfg->profile, "default") == 0)
		conf_sec = ini_section(conf_path, "profile default");

	rc = load_region(cfg, st, conf_sec, conf_path, e);
	if (rc == HOIST_OK)
		rc = load_creds(cfg, st, conf_sec, cred_path, conf_path, explicit_profile, e);
	eps = st ? json_object_get(st, "endpoint_urls") : NULL;
	if (json_is_object(eps))
		cfg->endpoint_urls = json_incref(eps);
	json_decref(conf_sec);
	free(section);
	free(cred_path);
	free(conf_path);
	if (rc != HOIST_OK)
		aws_config_free(cfg);
	return rc;
}

void aws_config_free(struct aws_config *cfg)
{
	if (cfg->creds.secret_access_key)
		memset(cfg->creds.secret_access_key, 0, strlen(cfg->creds.secret_access_key));
	free(cfg->creds.access_key_id);
	free(cfg->creds.secret_access_key);
	free(cfg->creds.session_token);
	free(cfg->creds.source);
	free(cfg->region);
	free(cfg->profile);
	json_decref(cfg->endpoint_urls);
	memset(cfg, 0, sizeof(*cfg));
}

/* "API Gateway" → "API_GATEWAY"; allocates. */
static char *env_suffix(const char *id)
{
	char *s = xstrdup(id);

	for (char *p = s; *p; p++)
		*p = *p == ' ' ? '_' : (char)toupper((unsigned char)*p);
	return s;
}

static char *strip_slash(const char *url)
{
	char *s = xstrdup(url);
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

char *aws_endpoint_override(const struct aws_config *cfg, const char *id, const char *prefix)
{
	char *suffix = env_suffix(id), *var = xasprintf("AWS_ENDPOINT_URL_%s", suffix);
	const char *v = env(var), *key;
	json_t *val;

	free(var);
	if (!v && cfg->endpoint_urls) {
		json_object_foreach(cfg->endpoint_urls, key, val) {
			if (!json_is_string(val))
				continue;
			if (strcasecmp(key, id) == 0 || strcasecmp(key, suffix) == 0 ||
			    strcasecmp(key, prefix) == 0) {
				v = json_string_value(val);
				break;
			}
		}
	}
	free(suffix);
	if (!v)
		v = env("AWS_ENDPOINT_URL");
	return v ? strip_slash(v) : NULL;
}
