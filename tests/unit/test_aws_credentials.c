/*
 * test_aws_credentials.c — AWS credentials, region and endpoint resolution
 * from the environment, ~/.aws files (in a temporary HOME) and settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "home_fixture.h"
#include "../../providers/aws/credentials.h"

static const char *const vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
	"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_CONFIG_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA",
	"AWS_ENDPOINT_URL_API_GATEWAY", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
};

static int setup(void **state)
{
	(void)state;
	return home_setup("aws-cred", vars, sizeof(vars) / sizeof(*vars));
}

static void env_credentials(void **state)
{
	struct cloud_config c;
	struct herr e;

	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	setenv("AWS_SESSION_TOKEN", "tok", 1);
	setenv("AWS_REGION", "eu-west-1", 1);
	assert_int_equal(aws_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "AKIDENV");
	assert_string_equal(c.creds.secret, "secretenv");
	assert_string_equal(c.creds.token, "tok");
	assert_string_equal(c.creds.source, "environment");
	assert_string_equal(c.region, "eu-west-1");
	cloud_config_free(&c);
}

static void profile_files(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"profile_name\": \"dev\"}");

	home_write(".aws/credentials", "[default]\naws_access_key_id = AKIDDEF\n"
		   "aws_secret_access_key = sdef\n\n[dev]\n# comment\n"
		   "aws_access_key_id = AKIDDEV \naws_secret_access_key=sdev\n");
	home_write(".aws/config", "[default]\nregion = us-west-2\n[profile dev]\n"
		   "region = ap-southeast-2\ns3 =\n  region = nope\n");
	/* An explicit profile_name beats environment credentials (as botocore). */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	assert_int_equal(aws_config_load(&c, st, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "AKIDDEV");
	assert_string_equal(c.creds.secret, "sdev");
	assert_null(c.creds.token);
	assert_string_equal(c.region, "ap-southeast-2");
	cloud_config_free(&c);

	/* AWS_PROFILE does not beat the environment keys... */
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(aws_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "AKIDDEV");
	cloud_config_free(&c);
	/* ...and the default profile is used when nothing is named. */
	unsetenv("AWS_PROFILE");
	assert_int_equal(aws_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "AKIDDEF");
	assert_string_equal(c.region, "us-west-2");
	cloud_config_free(&c);
	json_decref(st);
}

static void file_overrides_and_config_keys(void **state)
{
	struct cloud_config c;
	struct herr e;
	char p[512];

	snprintf(p, sizeof(p), "%s/myconf", home);
	home_write("myconf", "[profile ci]\naws_access_key_id=AKIDCONF\n"
		   "aws_secret_access_key=sconf\naws_session_token=stok\nregion=eu-central-1\n");
	setenv("AWS_CONFIG_FILE", p, 1);
	snprintf(p, sizeof(p), "%s/nonexistent", home);
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	setenv("AWS_PROFILE", "ci", 1);
	assert_int_equal(aws_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "AKIDCONF");
	assert_string_equal(c.creds.token, "stok");
	assert_string_equal(c.region, "eu-central-1");
	assert_non_null(strstr(c.creds.source, "myconf"));
	cloud_config_free(&c);
}

static void region_precedence(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"aws_region\": \"sa-east-1\"}");

	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	setenv("AWS_REGION", "eu-west-1", 1);
	setenv("AWS_DEFAULT_REGION", "eu-west-2", 1);
	assert_int_equal(aws_config_load(&c, st, &e), HOIST_OK);
	assert_string_equal(c.region, "sa-east-1");   /* the setting wins (Zappa) */
	cloud_config_free(&c);
	assert_int_equal(aws_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.region, "eu-west-1");
	cloud_config_free(&c);
	unsetenv("AWS_REGION");
	assert_int_equal(aws_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.region, "eu-west-2");
	cloud_config_free(&c);
	json_decref(st);
}

static void unknown_region_suggests(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"aws_region\": \"us-esat-1\"}");

	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	assert_int_equal(aws_config_load(&c, st, &e), HOIST_USAGE);
	assert_string_equal(e.msg, "unknown region 'us-esat-1' (did you mean 'us-east-1'?)");
	json_decref(st);
	assert_int_equal(aws_region_check("mars-north-1", &e), HOIST_USAGE);
	assert_int_equal(aws_region_check("cn-northwest-1", &e), HOIST_OK);
	assert_string_equal(aws_dns_suffix("cn-north-1"), "amazonaws.com.cn");
	assert_string_equal(aws_dns_suffix("us-east-1"), "amazonaws.com");
}

static void missing_region_and_credentials(void **state)
{
	struct cloud_config c;
	struct herr e;

	assert_int_equal(aws_config_load(&c, NULL, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "no AWS region"));
	setenv("AWS_REGION", "us-east-1", 1);
	assert_int_equal(aws_config_load(&c, NULL, &e), HOIST_FAIL);
	assert_non_null(strstr(e.msg, "no AWS credentials found"));
	assert_non_null(strstr(e.msg, "AWS_ACCESS_KEY_ID"));
	assert_non_null(strstr(e.msg, "/.aws/credentials"));
	assert_non_null(strstr(e.msg, "/.aws/config"));

	setenv("AWS_PROFILE", "ghost", 1);
	assert_int_equal(aws_config_load(&c, NULL, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "AWS profile 'ghost' not found"));
}

static void endpoints(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"endpoint_urls\": {\"lambda\": \"http://set:1/\", "
			      "\"API_GATEWAY\": \"http://apigw:2\"}}");
	char *u;

	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	setenv("AWS_REGION", "us-east-1", 1);
	assert_int_equal(aws_config_load(&c, st, &e), HOIST_OK);
	assert_null(aws_endpoint_override(&c, "IAM", "iam"));
	u = aws_endpoint_override(&c, "Lambda", "lambda");
	assert_string_equal(u, "http://set:1");
	free(u);
	setenv("AWS_ENDPOINT_URL_LAMBDA", "http://env:3", 1);
	u = aws_endpoint_override(&c, "Lambda", "lambda");
	assert_string_equal(u, "http://env:3");
	free(u);
	u = aws_endpoint_override(&c, "API Gateway", "apigateway");
	assert_string_equal(u, "http://apigw:2");
	free(u);
	setenv("AWS_ENDPOINT_URL", "http://all:4/", 1);
	setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://logs:5", 1);
	u = aws_endpoint_override(&c, "IAM", "iam");
	assert_string_equal(u, "http://all:4");
	free(u);
	u = aws_endpoint_override(&c, "CloudWatch Logs", "logs");
	assert_string_equal(u, "http://logs:5");
	free(u);
	cloud_config_free(&c);
	json_decref(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(env_credentials, setup, home_teardown),
		cmocka_unit_test_setup_teardown(profile_files, setup, home_teardown),
		cmocka_unit_test_setup_teardown(file_overrides_and_config_keys, setup, home_teardown),
		cmocka_unit_test_setup_teardown(region_precedence, setup, home_teardown),
		cmocka_unit_test_setup_teardown(unknown_region_suggests, setup, home_teardown),
		cmocka_unit_test_setup_teardown(missing_region_and_credentials, setup, home_teardown),
		cmocka_unit_test_setup_teardown(endpoints, setup, home_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
