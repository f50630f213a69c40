/*
 * credentials.c — AWS access keys, region and endpoint overrides from the
 * environment, the shared credentials/config files and the stage settings
 * (precedence documented in credentials.h).
 */
#include "credentials.h"

#include "../../core/cloud_config.h"
#include "../../core/err.h"
#include "../../core/ini.h"
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

static int load_creds(struct cloud_config *cfg, json_t *conf_sec, const char *cred_path,
		      const char *conf_path, bool explicit_profile, struct herr *e)
{
	json_t *cred_sec;
	char *places;
	int rc = HOIST_OK;

	if (cloud_creds_from_env(&cfg->creds, explicit_profile, "AWS_ACCESS_KEY_ID",
				 "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))
		return HOIST_OK;
	cred_sec = ini_section(cred_path, cfg->profile);
	if (cloud_creds_from_section(&cfg->creds, cred_sec, "aws_access_key_id",
				     "aws_secret_access_key", "aws_session_token", cfg->profile,
				     cred_path) ||
	    cloud_creds_from_section(&cfg->creds, conf_sec, "aws_access_key_id",
				     "aws_secret_access_key", "aws_session_token", cfg->profile,
				     conf_path))
		goto out;
	if (!cred_sec && !conf_sec && strcmp(cfg->profile, "default") != 0) {
		char *where = xasprintf("%s or %s", cred_path, conf_path);

		rc = cloud_profile_missing(e, "AWS", cfg->profile, where, "AWS_PROFILE");
		free(where);
		goto out;
	}
	places = xasprintf("\n  - profile '%s' in %s\n  - profile '%s' in %s", cfg->profile,
			   cred_path, cfg->profile, conf_path);
	rc = cloud_creds_missing(e, "AWS", explicit_profile, "AWS_ACCESS_KEY_ID",
				 "AWS_SECRET_ACCESS_KEY", places);
	free(places);
	herr_hint(e, "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws configure%s%s`",
		  strcmp(cfg->profile, "default") ? " --profile " : "",
		  strcmp(cfg->profile, "default") ? cfg->profile : "");
out:
	json_decref(cred_sec);
	return rc;
}

static int load_region(struct cloud_config *cfg, const json_t *st, const json_t *conf_sec,
		       const char *conf_path, struct herr *e)
{
	const char *r = cloud_str(st, "aws_region");

	if (!r)
		r = cloud_str(st, "region");
	if (!r)
		r = cloud_env("AWS_REGION");
	if (!r)
		r = cloud_env("AWS_DEFAULT_REGION");
	if (!r)
		r = cloud_str(conf_sec, "region");
	if (!r) {
		herr_set(e, HOIST_USAGE, "no AWS region: set aws_region in the settings file "
			 "(searched: aws_region/region settings, AWS_REGION, AWS_DEFAULT_REGION, "
			 "region of profile '%s' in %s)", cfg->profile, conf_path);
		return e->code;
	}
	cfg->region = xstrdup(r);
	return aws_region_check(cfg->region, e);
}

int aws_config_load(struct cloud_config *cfg, const json_t *st, struct herr *e)
{
	char *cred_path, *conf_path, *section;
	const char *prof = cloud_str(st, "profile_name");
	bool explicit_profile = prof != NULL;
	json_t *conf_sec;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!prof)
		prof = cloud_env("AWS_PROFILE");
	if (!prof)
		prof = cloud_env("AWS_DEFAULT_PROFILE");
	cfg->profile = xstrdup(prof ? prof : "default");
	cred_path = ini_expand_home(cloud_env("AWS_SHARED_CREDENTIALS_FILE") ?: "~/.aws/credentials");
	conf_path = ini_expand_home(cloud_env("AWS_CONFIG_FILE") ?: "~/.aws/config");
	section = strcmp(cfg->profile, "default") == 0 ? xstrdup("default")
						       : xasprintf("profile %s", cfg->profile);
	conf_sec = ini_section(conf_path, section);
	if (!conf_sec && strcmp(cfg->profile, "default") == 0)
		conf_sec = ini_section(conf_path, "profile default");

	rc = load_region(cfg, st, conf_sec, conf_path, e);
	if (rc == HOIST_OK)
		rc = load_creds(cfg, conf_sec, cred_path, conf_path, explicit_profile, e);
	cloud_config_endpoints(cfg, st);
	json_decref(conf_sec);
	free(section);
	free(cred_path);
	free(conf_path);
	if (rc != HOIST_OK)
		cloud_config_free(cfg);
	return rc;
}

char *aws_endpoint_override(const struct cloud_config *cfg, const char *id, const char *prefix)
{
	return cloud_endpoint_override(cfg, "AWS_ENDPOINT_URL", id, prefix);
}
