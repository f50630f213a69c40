/*
 * settings_keys.c — every settings key hoist knows: Zappa's keys with their
 * Zappa meaning, plus hoist's own.  Data only; core/settings.c applies it.
 *
 * Columns: name, JSON types, providers that honour the key, extra check,
 * choices, per-provider integer ranges, per-provider defaults (JSON text),
 * hint shown when the stage's provider cannot honour a set value.
 *
 * A key not honoured by a provider is an error on that provider unless its
 * value is null, false, empty, or that provider's default.  Keys honoured by
 * no provider (mask 0) are Zappa features hoist does not implement: known,
 * so no "unknown key" warning, but an error when set.
 */
#include "settings_keys.h"

#include <string.h>

#define ALL4(x) { x, x, x, x }
#define CLOUD3(x) { x, x, x, NULL }
#define AWS1(x) { [PV_AWS] = x }
#define R(lo, hi) { lo, hi, 1 }
#define R4(lo, hi) { R(lo, hi), R(lo, hi), R(lo, hi), R(lo, hi) }

#define TENCENT_APIGW \
	"Tencent's API Gateway product was retired (no new resources since 2024-07-01, " \
	"switched off from 2026-10-30); tencent stages are served by a function URL " \
	"(function_url_enabled, on by default)"
#define AWS_ONLY "this is an AWS feature"
#define NOT_IMPL "this Zappa feature is not implemented by hoist; remove the key"
#define ASYNC_PV P_ALL
#define DYNAMO_ONLY \
	"only aws keeps task responses in a DynamoDB table with a capacity; elsewhere " \
	"they are objects or files"
#define ROLE_NOT_IMPL \
	"hoist does not implement custom role policy files; manage the role yourself and " \
	"set role_arn (or role_name with manage_roles: false), or use extra_permissions"

const char *const settings_provider_names[PV_COUNT] = { "aws", "aliyun", "tencent", "local" };

const struct settings_key settings_keys[] = {
	/* --- what and where ------------------------------------------------ */
	{ "extends", T_STR, P_ALL, CK_NONE, NULL, { { 0 } }, { NULL }, NULL },
	{ "provider", T_STR, P_ALL, CK_CHOICE, "aws|aliyun|tencent|local", { { 0 } },
	  ALL4("\"aws\""), NULL },
	{ "project_name", T_STR, P_ALL, CK_PROJECT, NULL, { { 0 } }, { NULL }, NULL },
	{ "app_function", T_STR, P_ALL, CK_DOTTED, NULL, { { 0 } }, { NULL }, NULL },
	{ "django_settings", T_STR, P_ALL, CK_MODULE, NULL, { { 0 } }, { NULL }, NULL },
	{ "app_type", T_STR, P_ALL, CK_CHOICE, "wsgi|asgi|auto", { { 0 } }, ALL4("\"auto\""), NULL },
	{ "runtime", T_STR, P_ALL, CK_CHOICE,
	  "python3.9|python3.10|python3.11|python3.12|python3.13|python3.14", { { 0 } },
	  { "\"python3.12\"", "\"python3.12\"", "\"python3.10\"", "\"python3.12\"" }, NULL },
	{ "region", T_STR, P_CLOUD, CK_REGION, NULL, { { 0 } },
	  { NULL }, NULL },   /* aliyun: its CLI profile; tencent: TENCENTCLOUD_REGION, ap-guangzhou */
	{ "aws_region", T_STR, P_AWS, CK_REGION, NULL, { { 0 } }, { NULL },
	  "use 'region' for other providers" },
	{ "profile_name", T_STR, P_AWS | P_ALIYUN | P_TENCENT, CK_NONE, NULL, { { 0 } }, { NULL },
	  "a credential profile (AWS ~/.aws, Alibaba ~/.aliyun/config.json, Tencent "
	  "~/.tencentcloud/credentials)" },
	{ "account_id", T_STR | T_INT, P_ALIYUN, CK_NONE, NULL, { { 0 } }, { NULL },
	  "the Alibaba Cloud account id (FC endpoint)" },
	{ "endpoint_urls", T_OBJ, P_CLOUD, CK_URLMAP, NULL, { { 0 } }, { NULL }, NULL },
	/* Zappa's name: boto3 service names ("lambda", "s3", "apigateway"…) → endpoint_urls */
	{ "aws_endpoint_urls", T_OBJ, P_AWS, CK_URLMAP, NULL, { { 0 } }, { NULL },
	  "use endpoint_urls" },
	{ "site_packages", T_STR, P_ALL, CK_NONE, NULL, { { 0 } }, { NULL }, NULL },

	/* --- function ------------------------------------------------------ */
	{ "memory_size", T_INT, P_ALL, CK_RANGE, NULL,
	  { R(128, 10240), { 128, 32768, 64 }, { 128, 3072, 128 }, R(128, 10240) },
	  ALL4("512"), NULL },
	{ "timeout_seconds", T_INT, P_ALL, CK_RANGE, NULL,
	  { R(1, 900), R(1, 86400), R(1, 900), R(1, 900) }, ALL4("30"), NULL },
	/* Zappa's {"Size": N} or N; resolved to N (settings.c, normalize) */
	{ "ephemeral_storage", T_INT | T_OBJ, P_AWS, CK_RANGE, NULL, { R(512, 10240) },
	  AWS1("512"), AWS_ONLY },
	/* Resolved to [{"Arn", "LocalMountPath"}] (settings.c); AWS declares it (providers/aws). */
	{ "efs_config", T_BOOL | T_OBJ | T_ARR, 0, CK_EFS, NULL, { { 0 } }, { NULL },
	  "EFS is an AWS feature (Lambda FileSystemConfigs)" },
	{ "architecture", T_STR, P_AWS | P_LOCAL, CK_CHOICE, "x86_64|arm64", { { 0 } },
	  ALL4("\"x86_64\""), "this provider runs x86_64 only" },
	{ "environment_variables", T_OBJ, P_ALL, CK_ENVMAP, NULL, { { 0 } }, { NULL }, NULL },
	{ "aws_environment_variables", T_OBJ, P_AWS, CK_ENVMAP, NULL, { { 0 } }, { NULL },
	  "use environment_variables" },
	{ "remote_env", T_STR, P_ALL, CK_REMOTE_ENV, NULL, { { 0 } }, { NULL }, NULL },
	/* Zappa's deprecated spelling of remote_env */
	{ "remote_env_bucket", T_STR, 0, CK_NONE, NULL, { { 0 } }, { NULL },
	  "Zappa's old spelling; write remote_env: \"s3://<bucket>/<file>\" instead" },
	{ "remote_env_file", T_STR, 0, CK_NONE, NULL, { { 0 } }, { NULL },
	  "Zappa's old spelling; write remote_env: \"s3://<bucket>/<file>\" instead" },
	{ "lambda_description", T_STR, P_CLOUD, CK_NONE, NULL, { { 0 } }, { NULL }, NULL },
	{ "lambda_handler", T_STR, 0, CK_NONE, NULL, { { 0 } }, { NULL }, NOT_IMPL },
	{ "lambda_concurrency", T_INT, P_AWS, CK_RANGE, NULL, { R(0, 100000) }, { NULL },
	  AWS_ONLY },
	{ "layers", T_ARR, P_CLOUD, CK_STRLIST, NULL, { { 0 } }, { NULL }, NULL },
	{ "vpc_config", T_OBJ, P_CLOUD, CK_VPC, NULL, { { 0 } }, { NULL }, NULL },
	{ "xray_tracing", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, AWS1("false"),
	  "X-Ray tracing is AWS-only (Function Compute 3.0's tracingConfig sends Jaeger spans "
	  "to an account-specific Managed Service for OpenTelemetry endpoint, which hoist "
	  "cannot choose for you)" },
	{ "dead_letter_arn", T_STR, P_CLOUD, CK_NONE, NULL, { { 0 } }, { NULL }, NULL },
	{ "snap_start", T_STR, P_AWS, CK_CHOICE, "None|PublishedVersions", { { 0 } }, { NULL },
	  AWS_ONLY },
	{ "num_retained_versions", T_INT, P_ALL, CK_RANGE, NULL,
	  { R(1, 10000), R(1, 10000), R(1, 10000), R(1, 10000) }, { NULL }, NULL },
	{ "tags", T_OBJ, P_CLOUD, CK_STRMAP, NULL, { { 0 } }, { NULL }, NULL },
	{ "exception_handler", T_STR, P_ALL, CK_DOTTED, NULL, { { 0 } }, { NULL }, NULL },
	{ "log_level", T_STR, P_ALL, CK_CHOICE, "CRITICAL|ERROR|WARNING|INFO|DEBUG|NOTSET",
	  { { 0 } }, ALL4("\"INFO\""), NULL },
	{ "debug", T_BOOL, P_ALL, CK_NONE, NULL, { { 0 } }, ALL4("false"), NULL },

	/* --- packaging ----------------------------------------------------- */
	{ "exclude", T_ARR, P_ALL, CK_STRLIST, NULL, { { 0 } }, { NULL }, NULL },
	{ "exclude_glob", T_ARR, P_ALL, CK_STRLIST, NULL, { { 0 } }, { NULL }, NULL },
	{ "include", T_ARR, P_ALL, CK_STRLIST, NULL, { { 0 } }, { NULL }, NULL },
	{ "slim_handler", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, AWS1("false"),
	  "the slim handler unpacks from S3 at cold start; this provider's larger upload "
	  "limit makes it unnecessary" },
	/* hoist never downloads wheels: true and false both package the virtualenv as is. */
	{ "use_precompiled_packages", T_BOOL, P_ALL, CK_NONE, NULL, { { 0 } }, ALL4("true"),
	  NULL },
	/* true: the zip lives in a temporary directory; false (AWS): a copy stays as <function>.zip */
	{ "delete_local_zip", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, ALL4("true"),
	  "build a zip with 'hoist package -o FILE' instead" },
	{ "delete_s3_zip", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, AWS1("true"), AWS_ONLY },
	/* Zappa's older name of delete_local_zip (settings.c, aliases) */
	{ "delete_zip", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, { NULL },
	  "build a zip with 'hoist package -o FILE' instead" },
	{ "s3_bucket", T_STR, P_CLOUD, CK_NONE, NULL, { { 0 } }, { NULL },
	  "the object-storage bucket (S3, OSS or COS) for large uploads" },
	{ "prebuild_script", T_STR, 0, CK_NONE, NULL, { { 0 } }, { NULL }, NOT_IMPL },
	{ "callbacks", T_OBJ, 0, CK_NONE, NULL, { { 0 } }, { NULL }, NOT_IMPL },
	{ "settings_file", T_STR, 0, CK_NONE, NULL, { { 0 } }, { NULL }, NOT_IMPL },

	/* --- HTTP front door ----------------------------------------------- */
	{ "apigateway_enabled", T_BOOL, P_AWS | P_ALIYUN | P_LOCAL, CK_NONE, NULL, { { 0 } },
	  { "true", "false", "false", "true" }, TENCENT_APIGW },
	{ "use_apigateway", T_BOOL, P_AWS | P_ALIYUN | P_LOCAL, CK_NONE, NULL, { { 0 } }, { NULL },
	  "old Zappa name; use apigateway_enabled" },
	{ "apigateway_version", T_STR, P_AWS, CK_CHOICE, "v1|v2", { { 0 } }, AWS1("\"v1\""),
	  "only AWS has REST (v1) and HTTP (v2) APIs" },
	{ "apigateway_description", T_STR, P_AWS, CK_NONE, NULL, { { 0 } }, { NULL }, AWS_ONLY },
	{ "apigateway_policy", T_STR, 0, CK_NONE, NULL, { { 0 } }, { NULL },
	  "hoist does not implement API Gateway resource policies; remove the key" },
	/* An early hoist spelling, never honoured: apigateway_enabled says it (Zappa's key). */
	{ "aliyun_api_gateway", T_BOOL, 0, CK_NONE, NULL, { { 0 } }, { NULL },
	  "use apigateway_enabled: true (Alibaba Cloud API Gateway on aliyun), with "
	  "function_url_enabled: true to keep the HTTP trigger beside it" },
	{ "apigateway_stage", T_STR, P_ALIYUN, CK_CHOICE, "RELEASE|PRE|TEST", { { 0 } },
	  { [PV_ALIYUN] = "\"RELEASE\"" }, "the environment of Alibaba Cloud API Gateway "
	  "(aliyun with apigateway_enabled)" },
	/* aliyun: unset, the HTTP trigger serves the stage unless API Gateway does. */
	{ "function_url_enabled", T_BOOL, P_AWS | P_ALIYUN | P_TENCENT, CK_NONE, NULL, { { 0 } },
	  { [PV_AWS] = "false", [PV_TENCENT] = "true" }, NULL },
	{ "function_url_config", T_OBJ, P_AWS | P_TENCENT, CK_NONE, NULL, { { 0 } }, { NULL },
	  NULL },
	{ "endpoint_configuration", T_ARR, P_AWS, CK_CHOICELIST, "EDGE|REGIONAL|PRIVATE",
	  { { 0 } }, { NULL }, AWS_ONLY },
	{ "binary_support", T_BOOL, P_ALL, CK_NONE, NULL, { { 0 } }, ALL4("true"), NULL },
	{ "additional_text_mimetypes", T_ARR, P_ALL, CK_STRLIST, NULL, { { 0 } }, { NULL }, NULL },
	{ "context_header_mappings", T_OBJ, 0, CK_STRMAP, NULL, { { 0 } }, { NULL },
	  "hoist does not implement mapping the API Gateway request context into headers; "
	  "read it from the WSGI environ's 'awsgi.event'/'hoist.event' instead" },
	{ "cors", T_BOOL | T_OBJ, P_CLOUD, CK_NONE, NULL, { { 0 } }, { NULL }, NULL },
	{ "api_key_required", T_BOOL, P_AWS | P_ALIYUN, CK_NONE, NULL, { { 0 } }, { NULL },
	  NULL },
	{ "api_key", T_STR, P_AWS, CK_NONE, NULL, { { 0 } }, { NULL }, AWS_ONLY },
	{ "iam_authorization", T_BOOL, P_AWS | P_ALIYUN | P_TENCENT, CK_NONE, NULL, { { 0 } },
	  { NULL }, "signed requests to the front door are for aws (SigV4), aliyun (an HTTP "
	  "trigger with authType function) and tencent (a CAM function URL, TC3)" },
	{ "authorizer", T_OBJ, P_AWS, CK_NONE, NULL, { { 0 } }, { NULL }, AWS_ONLY },
	{ "cache_cluster_enabled", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, AWS1("false"),
	  AWS_ONLY },
	{ "cache_cluster_size", T_INT | T_REAL, P_AWS, CK_NONE, NULL, { { 0 } }, AWS1("0.5"),
	  AWS_ONLY },
	{ "cache_cluster_ttl", T_INT, P_AWS, CK_RANGE, NULL, { R(0, 3600) }, AWS1("300"),
	  AWS_ONLY },
	{ "cache_cluster_encrypted", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, AWS1("false"),
	  AWS_ONLY },
	{ "cloudwatch_log_level", T_STR, P_AWS, CK_CHOICE, "OFF|ERROR|INFO", { { 0 } },
	  AWS1("\"OFF\""), AWS_ONLY },
	{ "cloudwatch_data_trace", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, AWS1("false"),
	  AWS_ONLY },
	{ "cloudwatch_metrics_enabled", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, AWS1("false"),
	  AWS_ONLY },
	{ "payload_compression", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, AWS1("true"),
	  AWS_ONLY },
	{ "payload_minimum_compression_size", T_INT, P_AWS, CK_RANGE, NULL, { R(0, 10485760) },
	  AWS1("0"), AWS_ONLY },
	{ "alb_enabled", T_BOOL, 0, CK_NONE, NULL, { { 0 } }, { NULL }, NOT_IMPL },
	/* Old Zappa keys that Zappa itself no longer reads: refused rather than ignored. */
	{ "http_methods", T_ARR, 0, CK_STRLIST, NULL, { { 0 } }, { NULL },
	  "an old Zappa setting that Zappa no longer reads; hoist, like Zappa today, routes "
	  "every method (ANY) to the app, which can refuse the others; remove the key" },
	{ "parameter_depth", T_INT, 0, CK_NONE, NULL, { { 0 } }, { NULL },
	  "an old Zappa setting that Zappa no longer reads; hoist, like Zappa today, routes "
	  "paths of any depth ({proxy+}) to the app; remove the key" },
	{ "websocket_handler_module", T_STR, 0, CK_MODULE, NULL, { { 0 } }, { NULL },
	  "hoist does not create API Gateway WebSocket APIs; remove the key" },
	{ "function_url_domains", T_ARR, 0, CK_STRLIST, NULL, { { 0 } }, { NULL },
	  "hoist does not put CloudFront in front of function URLs; use domain with API "
	  "Gateway (hoist certify), or remove the key" },
	{ "function_url_cloudfront_config", T_OBJ, 0, CK_NONE, NULL, { { 0 } }, { NULL },
	  "hoist does not put CloudFront in front of function URLs; remove the key" },
	{ "alb_vpc_config", T_OBJ, 0, CK_NONE, NULL, { { 0 } }, { NULL }, NOT_IMPL },

	/* --- custom domain ------------------------------------------------- */
	{ "domain", T_STR, P_ALL, CK_HOSTNAME, NULL, { { 0 } }, { NULL }, NULL },
	{ "base_path", T_STR, P_ALL, CK_BASE_PATH, NULL, { { 0 } }, { NULL }, NULL },
	{ "certificate_arn", T_STR, P_AWS, CK_NONE, NULL, { { 0 } }, { NULL },
	  "use certificate/certificate_key/certificate_chain (PEM files)" },
	{ "certificate", T_STR, P_ALL, CK_NONE, NULL, { { 0 } }, { NULL }, NULL },
	{ "certificate_key", T_STR, P_ALL, CK_NONE, NULL, { { 0 } }, { NULL }, NULL },
	{ "certificate_chain", T_STR, P_ALL, CK_NONE, NULL, { { 0 } }, { NULL }, NULL },
	{ "lets_encrypt_key", T_STR, P_CLOUD, CK_NONE, NULL, { { 0 } }, { NULL },
	  "Let's Encrypt certificates use DNS validation in Route53, Alibaba Cloud DNS or "
	  "DNSPod" },
	{ "acme_directory", T_STR, P_CLOUD, CK_URL, NULL, { { 0 } }, { NULL },
	  "Let's Encrypt certificates use DNS validation in Route53, Alibaba Cloud DNS or "
	  "DNSPod" },
	{ "route53_enabled", T_BOOL, P_AWS, CK_NONE, NULL, { { 0 } }, { NULL }, AWS_ONLY },

	/* --- identity ------------------------------------------------------ */
	{ "role_name", T_STR, P_AWS, CK_NONE, NULL, { { 0 } }, { NULL }, AWS_ONLY },
	{ "role_arn", T_STR, P_CLOUD, CK_NONE, NULL, { { 0 } }, { NULL }, NULL },
	{ "manage_roles", T_BOOL, P_CLOUD, CK_NONE, NULL, { { 0 } },
	  CLOUD3("true"), "hoist makes the function's role on aws, aliyun and tencent" },
	{ "extra_permissions", T_ARR, P_AWS, CK_OBJLIST, NULL, { { 0 } }, { NULL }, AWS_ONLY },
	{ "assume_policy", T_STR, 0, CK_NONE, NULL, { { 0 } }, { NULL }, ROLE_NOT_IMPL },
	{ "attach_policy", T_STR, 0, CK_NONE, NULL, { { 0 } }, { NULL }, ROLE_NOT_IMPL },
	{ "aws_kms_key_arn", T_STR, P_AWS, CK_NONE, NULL, { { 0 } }, { NULL }, AWS_ONLY },

	/* --- schedules and events ------------------------------------------ */
	{ "keep_warm", T_BOOL, P_ALL, CK_NONE, NULL, { { 0 } },
	  { "true", "true", "true", "false" }, NULL },
	{ "keep_warm_expression", T_STR, P_ALL, CK_SCHEDULE, NULL, { { 0 } },
	  ALL4("\"rate(4 minutes)\""), NULL },
	{ "events", T_ARR, P_ALL, CK_EVENTS, NULL, { { 0 } }, { NULL }, NULL },
	/* Zappa's asynchronous tasks (templates/python/hoist_tasks.py). */
	{ "async_source", T_STR, ASYNC_PV, CK_CHOICE, "lambda|sns", { { 0 } },
	  ALL4("\"lambda\""), NULL },
	/* What async_source and async_response_table ask for: nothing where they are refused. */
	{ "async_resources", T_BOOL, P_ALL, CK_NONE, NULL, { { 0 } }, ALL4("true"), NULL },
	{ "async_response_table", T_STR, ASYNC_PV, CK_TABLE, NULL, { { 0 } }, { NULL }, NULL },
	{ "async_response_table_read_capacity", T_INT, ASYNC_PV & P_AWS, CK_RANGE, NULL,
	  { R(1, 40000) }, ALL4("1"), DYNAMO_ONLY },
	{ "async_response_table_write_capacity", T_INT, ASYNC_PV & P_AWS, CK_RANGE, NULL,
	  { R(1, 40000) }, ALL4("1"), DYNAMO_ONLY },
	{ "cognito", T_OBJ, 0, CK_NONE, NULL, { { 0 } }, { NULL }, NOT_IMPL },
	{ "bot_events", T_ARR, 0, CK_OBJLIST, NULL, { { 0 } }, { NULL },
	  "hoist does not connect Amazon Lex bots; remove the key" },
	{ "regions", T_ARR, 0, CK_STRLIST, NULL, { { 0 } }, { NULL },
	  "multi-region deploys are not implemented by hoist; use one stage per region" },

	/* --- after deploy -------------------------------------------------- */
	{ "touch", T_BOOL, P_AWS | P_TENCENT | P_LOCAL, CK_NONE, NULL, { { 0 } },
	  { [PV_AWS] = "true", [PV_ALIYUN] = "false", [PV_TENCENT] = "true", [PV_LOCAL] = "true" },
	  "hoist does not yet warm this provider's function after a deploy" },
	{ "touch_path", T_STR, P_AWS | P_TENCENT | P_LOCAL, CK_URL_PATH, NULL, { { 0 } },
	  ALL4("\"/\""),
	  "hoist does not yet warm this provider's function after a deploy" },

	/* --- logs ---------------------------------------------------------- */
	{ "sls_project", T_STR, P_ALIYUN, CK_NONE, NULL, { { 0 } }, { NULL },
	  "Simple Log Service is Alibaba Cloud's" },
	{ "sls_logstore", T_STR, P_ALIYUN, CK_NONE, NULL, { { 0 } }, { NULL },
	  "Simple Log Service is Alibaba Cloud's" },
	{ "cls_logset", T_STR, P_TENCENT, CK_NONE, NULL, { { 0 } }, { NULL },
	  "CLS is Tencent Cloud's log service" },
	{ "cls_topic", T_STR, P_TENCENT, CK_NONE, NULL, { { 0 } }, { NULL },
	  "CLS is Tencent Cloud's log service" },

	/* --- local --------------------------------------------------------- */
	{ "local_concurrency", T_INT, P_LOCAL, CK_RANGE, NULL, { [PV_LOCAL] = R(1, 64) },
	  { [PV_LOCAL] = "2" }, "it sets the local gateway's worker count" },
	{ "local_port", T_INT, P_LOCAL, CK_RANGE, NULL, { [PV_LOCAL] = R(1024, 65535) },
	  { NULL }, "it sets the local gateway's port" },
	{ "local_https_port", T_INT, P_LOCAL, CK_RANGE, NULL, { [PV_LOCAL] = R(1024, 65535) },
	  { NULL }, "it sets the local gateway's HTTPS port (certify)" },
	{ "python", T_STR, P_LOCAL, CK_NONE, NULL, { { 0 } }, { NULL },
	  "the interpreter path is for the local provider; clouds use 'runtime'" },
};

const size_t settings_keys_count = sizeof(settings_keys) / sizeof(settings_keys[0]);

const char *const settings_event_keys[] = {
	"function", "expression", "expressions", "event_source", "name", "description",
	"enabled", "kwargs",
};
const size_t settings_event_keys_count =
	sizeof(settings_event_keys) / sizeof(settings_event_keys[0]);

/*
 * AWS names, then Alibaba FC's (VpcId, VSwitchIds, SecurityGroupId, also as FC
 * spells them: vpcId, vSwitchIds, securityGroupId) and SCF's.
 */
const char *const settings_vpc_keys[] = {
	"SubnetIds", "SecurityGroupIds", "VpcId", "VSwitchIds", "SecurityGroupId", "SubnetId",
	"Ipv6AllowedForDualStack", "vpcId", "vSwitchIds", "securityGroupId",
};
const size_t settings_vpc_keys_count = sizeof(settings_vpc_keys) / sizeof(settings_vpc_keys[0]);

const struct settings_key *settings_key_find(const char *name)
{
	size_t i;

	for (i = 0; i < settings_keys_count; i++)
		if (!strcmp(settings_keys[i].name, name))
			return &settings_keys[i];
	return NULL;
}
