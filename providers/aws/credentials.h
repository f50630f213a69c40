/*
 * credentials.h — who we are and where we talk to on AWS: access keys,
 * region and endpoint overrides, resolved the way the AWS CLI and Zappa do.
 *
 * Credentials, first match wins:
 *   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) —
 *      skipped when the settings name a `profile_name` (an explicit profile
 *      negates the environment, as in botocore);
 *   2. the profile (`profile_name` setting, else AWS_PROFILE, else "default")
 *      in the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE or
 *      ~/.aws/credentials, sections `[name]`), then in the config file
 *      ($AWS_CONFIG_FILE or ~/.aws/config, sections `[profile name]`,
 *      `[default]`).
 * Region, first match wins: the `aws_region` / `region` setting, AWS_REGION,
 * AWS_DEFAULT_REGION, the profile's `region` in the config file.
 * Endpoints, first match wins: AWS_ENDPOINT_URL_<SERVICE> (the service id
 * upper-cased, spaces as "_": LAMBDA, S3, API_GATEWAY, IAM, STS, CLOUDWATCH,
 * CLOUDWATCH_LOGS, EVENTBRIDGE, ACM, ROUTE_53, APIGATEWAYV2), the
 * `endpoint_urls` setting (keyed by service id, env suffix or endpoint
 * prefix, case-insensitive: "lambda", "API_GATEWAY", "logs"…), then
 * AWS_ENDPOINT_URL.
 */
#ifndef HOIST_AWS_CREDENTIALS_H
#define HOIST_AWS_CREDENTIALS_H

#include "../../core/cloud_config.h"

#include <jansson.h>
#include <stdbool.h>

struct herr;

/*
 * Resolve credentials and region for a stage (`settings` is the resolved
 * stage object; may be NULL).  Missing credentials: HOIST_FAIL naming every
 * place searched.  A named profile that exists nowhere, a missing region or
 * an unknown region: HOIST_USAGE.
 */
int aws_config_load(struct cloud_config *cfg, const json_t *settings, struct herr *e);

/*
 * The endpoint override for a service, or NULL.  `id` is the botocore
 * service id ("Lambda", "API Gateway", "CloudWatch Logs"), `prefix` its
 * endpoint prefix ("lambda", "apigateway", "logs").  Allocates.
 */
char *aws_endpoint_override(const struct cloud_config *cfg, const char *id, const char *prefix);

/*
 * Is `region` a real AWS region?  0 when it is (or plausibly a new one),
 * else HOIST_USAGE with "unknown region 'x' (did you mean 'y'?)".
 */
int aws_region_check(const char *region, struct herr *e);

/* The DNS suffix of the region's partition: "amazonaws.com" or "amazonaws.com.cn". */
const char *aws_dns_suffix(const char *region);

#endif
