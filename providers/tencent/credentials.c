/*
 * credentials.c — Tencent Cloud keys, region and endpoint overrides from the
 * environment, the credentials files and the stage settings (precedence in
 * credentials.h).
 */
#include "credentials.h"

#include "../../core/cloud_config.h"
#include "../../core/err.h"
#include "../../core/ini.h"
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

static int load_creds(struct cloud_config *cfg, bool explicit_profile, struct herr *e)
{
	char *files[2] = { ini_expand_home("~/.tencentcloud/credentials"),
			   xstrdup("/etc/tencentcloud/credentials") };
	bool any = false, found = false;
	char *where;
	int rc = HOIST_OK;

	if (cloud_creds_from_env(&cfg->creds, explicit_profile, "TENCENTCLOUD_SECRET_ID",
				 "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SESSION_TOKEN"))
		goto out;
	for (int i = 0; i < 2 && !found; i++) {
		json_t *sec = ini_section(files[i], cfg->profile);

		any |= sec != NULL;
		found = cloud_creds_from_section(&cfg->creds, sec, "secret_id", "secret_key", "token",
						 cfg->profile, files[i]);
		json_decref(sec);
	}
	if (found)
		goto out;
	if (!any && strcmp(cfg->profile, "default")) {
		where = xasprintf("%s or %s", files[0], files[1]);
		rc = cloud_profile_missing(e, "Tencent Cloud", cfg->profile, where,
					   "TENCENTCLOUD_PROFILE");
		free(where);
		goto out;
	}
	where = xasprintf("\n  - profile '%s' (secret_id, secret_key) in %s\n"
			  "  - profile '%s' (secret_id, secret_key) in %s",
			  cfg->profile, files[0], cfg->profile, files[1]);
	rc = cloud_creds_missing(e, "Tencent Cloud", explicit_profile, "TENCENTCLOUD_SECRET_ID",
				 "TENCENTCLOUD_SECRET_KEY", where);
	free(where);
	herr_hint(e, "set TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY, or write them as "
		  "secret_id/secret_key under [%s] in %s", cfg->profile, files[0]);
out:
	free(files[0]);
	free(files[1]);
	return rc;
}

int tc_config_load(struct cloud_config *cfg, const json_t *st, struct herr *e)
{
	const char *prof = cloud_str(st, "profile_name"), *region;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->profile = xstrdup(prof ? prof : cloud_env("TENCENTCLOUD_PROFILE") ?
			       cloud_env("TENCENTCLOUD_PROFILE") : "default");
	region = cloud_str(st, "region");
	if (!region)
		region = cloud_env("TENCENTCLOUD_REGION");
	cfg->region = xstrdup(region ? region : DEFAULT_REGION);
	rc = tc_region_check(cfg->region, e);
	if (!rc)
		rc = load_creds(cfg, prof != NULL, e);
	cloud_config_endpoints(cfg, st);
	if (rc)
		cloud_config_free(cfg);
	return rc;
}

char *tc_endpoint_override(const struct cloud_config *cfg, const char *service)
{
	return cloud_endpoint_override(cfg, "TENCENTCLOUD_ENDPOINT_URL", service, NULL);
}
