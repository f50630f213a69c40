/*
 * credentials.c — Alibaba Cloud access keys, region and endpoint overrides
 * from the environment, the aliyun CLI's config.json and the stage settings
 * (precedence in credentials.h).
 */
#include "credentials.h"

#include "../../core/cloud_config.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/path.h"
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

static char *config_path(void)
{
	const char *home = cloud_env("HOME");

	if (cloud_env("ALIBABA_CLOUD_CONFIG_FILE"))
		return xstrdup(cloud_env("ALIBABA_CLOUD_CONFIG_FILE"));
	return xasprintf("%s/.aliyun/config.json", home ? home : "");
}

/* The profile object named `name` in the CLI config, or NULL. */
static const json_t *find_profile(const json_t *conf, const char *name)
{
	const json_t *p;
	size_t i;

	json_array_foreach(json_object_get(conf, "profiles"), i, p)
		if (cloud_str(p, "name") && !strcmp(cloud_str(p, "name"), name))
			return p;
	return NULL;
}

/* AK / StsToken profiles; other modes are named in an exit-2 error. */
static int profile_creds(struct cloud_config *cfg, const json_t *p, const char *path,
			 struct herr *e)
{
	const char *mode = cloud_str(p, "mode") ?: "AK";
	bool sts = !strcmp(mode, "StsToken");

	if (strcmp(mode, "AK") && !sts) {
		herr_set(e, HOIST_USAGE, "profile '%s' in %s has mode %s, which hoist does not "
			 "support (it reads AK and StsToken profiles)", cfg->profile, path, mode);
		return herr_hint(e, "use an AK or StsToken profile, or set ALIBABA_CLOUD_ACCESS_KEY_ID"
				 "/ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN)");
	}
	if (!cloud_str(p, "access_key_id") || !cloud_str(p, "access_key_secret") ||
	    (sts && !cloud_str(p, "sts_token"))) {
		herr_set(e, HOIST_USAGE, "profile '%s' in %s (mode %s) lacks access_key_id, "
			 "access_key_secret%s", cfg->profile, path, mode, sts ? " or sts_token" : "");
		return herr_hint(e, "run `aliyun configure --profile %s`", cfg->profile);
	}
	cloud_creds_from_section(&cfg->creds, p, "access_key_id", "access_key_secret",
				 sts ? "sts_token" : NULL, cfg->profile, path);
	return HOIST_OK;
}

static int load_creds(struct cloud_config *cfg, const json_t *prof, const char *path,
		      bool explicit_profile, bool have_file, struct herr *e)
{
	char *places;

	if (cloud_creds_from_env(&cfg->creds, explicit_profile, "ALIBABA_CLOUD_ACCESS_KEY_ID",
				 "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"))
		return HOIST_OK;
	if (prof)
		return profile_creds(cfg, prof, path, e);
	if (have_file && (explicit_profile || cloud_env("ALIBABA_CLOUD_PROFILE")))
		return cloud_profile_missing(e, "Alibaba Cloud", cfg->profile, path,
					     "ALIBABA_CLOUD_PROFILE");
	places = xasprintf("\n  - profile '%s' in %s%s", cfg->profile, path,
			   have_file ? "" : " (no such file)");
	cloud_creds_missing(e, "Alibaba Cloud", explicit_profile, "ALIBABA_CLOUD_ACCESS_KEY_ID",
			    "ALIBABA_CLOUD_ACCESS_KEY_SECRET", places);
	free(places);
	return herr_hint(e, "set ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, or "
			 "run `aliyun configure`");
}

static int load_region(struct cloud_config *cfg, const json_t *st, const json_t *prof,
		       const char *path, struct herr *e)
{
	const char *r = cloud_str(st, "region");

	if (!r)
		r = cloud_env("ALIBABA_CLOUD_REGION_ID");
	if (!r)
		r = cloud_str(prof, "region_id");
	if (!r) {
		herr_set(e, HOIST_USAGE, "no Alibaba Cloud region: set region in the settings file "
			 "(searched: the region setting, ALIBABA_CLOUD_REGION_ID, region_id of "
			 "profile '%s' in %s)", cfg->profile, path);
		return e->code;
	}
	cfg->region = xstrdup(r);
	return ali_region_check(cfg->region, e);
}

int ali_config_load(struct cloud_config *cfg, const json_t *st, struct herr *e)
{
	const char *prof_name = cloud_str(st, "profile_name");
	bool explicit_profile = prof_name != NULL;
	char *path = config_path(), *text = NULL;
	json_t *conf = NULL;
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
		prof_name = cloud_env("ALIBABA_CLOUD_PROFILE");
	if (!prof_name)
		prof_name = cloud_str(conf, "current");
	cfg->profile = xstrdup(prof_name ? prof_name : "default");
	prof = find_profile(conf, cfg->profile);
	rc = load_region(cfg, st, prof, path, e);
	if (rc == HOIST_OK)
		rc = load_creds(cfg, prof, path, explicit_profile, conf != NULL, e);
	cloud_config_endpoints(cfg, st);
out:
	if (rc != HOIST_OK)
		cloud_config_free(cfg);
	json_decref(conf);
	if (text)
		memset(text, 0, len);
	free(text);
	free(path);
	return rc;
}

char *ali_endpoint_override(const struct cloud_config *cfg, const char *service)
{
	return cloud_endpoint_override(cfg, "ALIBABA_CLOUD_ENDPOINT_URL", service, NULL);
}
