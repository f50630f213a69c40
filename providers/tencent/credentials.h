/*
 * credentials.h — who we are and where we talk to on Tencent Cloud: the
 * API key pair, the region and endpoint overrides, resolved the way
 * tencentcloud-sdk-nodejs-common and tccli do.
 *
 * Credentials, first match wins:
 *   1. TENCENTCLOUD_SECRET_ID + TENCENTCLOUD_SECRET_KEY (+
 *      TENCENTCLOUD_SESSION_TOKEN) — skipped when the settings name a
 *      `profile_name` (an explicit profile wins, as with AWS);
 *   2. the profile (`profile_name`, else TENCENTCLOUD_PROFILE, else
 *      "default") in ~/.tencentcloud/credentials, then in
 *      /etc/tencentcloud/credentials: INI sections `[name]` with
 *      secret_id, secret_key and optionally token.
 * Region, first match wins: the `region` setting, TENCENTCLOUD_REGION,
 * "ap-guangzhou".
 * Endpoints, first match wins: TENCENTCLOUD_ENDPOINT_URL_<SERVICE> (SCF,
 * COS, CLS, CAM, SSL, DNSPOD, MONITOR), the `endpoint_urls` setting keyed by
 * service (case-insensitive: "scf", "cos"…), then TENCENTCLOUD_ENDPOINT_URL.
 * An override changes only where hoist connects (scheme, host, port): the
 * Host header, path, body and signature stay those of the real endpoint.
 */
#ifndef HOIST_TENCENT_CREDENTIALS_H
#define HOIST_TENCENT_CREDENTIALS_H

#include "../../core/cloud_config.h"

#include <jansson.h>

struct herr;

/*
 * Resolve credentials and region for a stage (`settings` may be NULL).
 * Missing credentials: HOIST_FAIL naming every place searched.  A named
 * profile found nowhere, or an unknown region: HOIST_USAGE.
 */
int tc_config_load(struct cloud_config *cfg, const json_t *settings, struct herr *e);

/* The endpoint override for `service` ("scf", "cos", …) without a trailing '/', or NULL. */
char *tc_endpoint_override(const struct cloud_config *cfg, const char *service);

/* 0 for a region SCF runs in, else HOIST_USAGE "unknown region 'x' (did you mean 'y'?)". */
int tc_region_check(const char *region, struct herr *e);

#endif
