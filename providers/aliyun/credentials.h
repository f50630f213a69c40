/*
 * credentials.h — who we are and where we talk to on Alibaba Cloud: access
 * keys, region and endpoint overrides, resolved the way Alibaba's own tools
 * (the aliyun CLI and the credentials SDK's default chain) do.
 *
 * Credentials, first match wins:
 *   1. ALIBABA_CLOUD_ACCESS_KEY_ID + ALIBABA_CLOUD_ACCESS_KEY_SECRET
 *      (+ ALIBABA_CLOUD_SECURITY_TOKEN) — skipped when the settings name a
 *      `profile_name` (an explicit profile wins over the environment);
 *   2. the profile (`profile_name`, else ALIBABA_CLOUD_PROFILE, else the
 *      file's "current", else "default") of the aliyun CLI's
 *      ~/.aliyun/config.json (ALIBABA_CLOUD_CONFIG_FILE overrides the
 *      path); modes AK and StsToken.  Other modes (RamRoleArn, EcsRamRole,
 *      OIDC, CloudSSO…) are refused with exit 2 naming the mode.
 * Region, first match wins: the `region` setting, ALIBABA_CLOUD_REGION_ID,
 * the profile's region_id.
 * Endpoints (where hoist connects; the request itself — Host header, path,
 * signature — is always the real endpoint's): ALIBABA_CLOUD_ENDPOINT_URL_<S>
 * for S in FC, OSS, SLS, STS, ALIDNS, APIGATEWAY, then the `endpoint_urls`
 * setting keyed by those names (any case), then ALIBABA_CLOUD_ENDPOINT_URL.
 */
#ifndef HOIST_ALIYUN_CREDENTIALS_H
#define HOIST_ALIYUN_CREDENTIALS_H

#include "../../core/cloud_config.h"

#include <jansson.h>

struct herr;

/*
 * Resolve credentials and region for a stage's settings (may be NULL).
 * Missing credentials: HOIST_FAIL naming every place searched; a named
 * profile that does not exist, an unsupported profile mode, no region or an
 * unknown region: HOIST_USAGE.
 */
int ali_config_load(struct cloud_config *cfg, const json_t *settings, struct herr *e);

/* The override URL for `service` ("FC", "OSS"…) without trailing "/", or NULL; allocates. */
char *ali_endpoint_override(const struct cloud_config *cfg, const char *service);

/* 0 for a Function Compute region; else HOIST_USAGE "unknown region … did you mean". */
int ali_region_check(const char *region, struct herr *e);

#endif
