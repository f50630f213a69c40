/*
 * test_aliyun_credentials.c — Alibaba Cloud credentials, region and
 * endpoint resolution from the environment, the aliyun CLI's
 * ~/.aliyun/config.json (AK and StsToken profiles, in a temporary HOME) and
 * the stage settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "home_fixture.h"
#include "../../providers/aliyun/credentials.h"

static const char *const vars[] = {
	"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_REGION_ID",
	"ALIBABA_CLOUD_CONFIG_FILE", "ALIBABA_CLOUD_ENDPOINT_URL", "ALIBABA_CLOUD_ENDPOINT_URL_FC",
	"ALIBABA_CLOUD_ENDPOINT_URL_OSS", "ALIBABA_CLOUD_ENDPOINT_URL_SLS",
};

#define CONFIG \
	"{\"current\": \"ci\", \"profiles\": [" \
	"{\"name\": \"default\", \"mode\": \"AK\", \"access_key_id\": \"LTAIdefault\", " \
	" \"access_key_secret\": \"sdefault\", \"region_id\": \"cn-beijing\"}," \
	"{\"name\": \"ci\", \"mode\": \"StsToken\", \"access_key_id\": \"STS.ci\", " \
	" \"access_key_secret\": \"sci\", \"sts_token\": \"tok\", \"region_id\": \"cn-shanghai\"}," \
	"{\"name\": \"role\", \"mode\": \"RamRoleArn\", \"access_key_id\": \"a\", " \
	" \"access_key_secret\": \"b\", \"ram_role_arn\": \"acs:ram::1:role/x\"}," \
	"{\"name\": \"broken\", \"mode\": \"StsToken\", \"access_key_id\": \"a\", " \
	" \"access_key_secret\": \"b\"}]}"

static void write_config(const char *text)
{
	home_write(".aliyun/config.json", text);
}

static int setup(void **state)
{
	(void)state;
	return home_setup("ali-cred", vars, sizeof(vars) / sizeof(*vars));
}

static void env_credentials(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"region\": \"cn-hangzhou\"}");

	write_config(CONFIG);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "senv", 1);
	setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "tenv", 1);
	assert_int_equal(ali_config_load(&c, st, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "LTAIenv");
	assert_string_equal(c.creds.secret, "senv");
	assert_string_equal(c.creds.token, "tenv");
	assert_string_equal(c.creds.source, "environment");
	assert_string_equal(c.region, "cn-hangzhou");
	cloud_config_free(&c);
	json_decref(st);
}

static void cli_profiles(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"profile_name\": \"default\"}");

	write_config(CONFIG);
	/* "current" is ci: an StsToken profile, its region */
	assert_int_equal(ali_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "STS.ci");
	assert_string_equal(c.creds.token, "tok");
	assert_string_equal(c.region, "cn-shanghai");
	assert_non_null(strstr(c.creds.source, "profile ci in "));
	cloud_config_free(&c);
	/* profile_name wins over ALIBABA_CLOUD_PROFILE and over the environment's keys */
	setenv("ALIBABA_CLOUD_PROFILE", "ci", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "senv", 1);
	assert_int_equal(ali_config_load(&c, st, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "LTAIdefault");
	assert_null(c.creds.token);
	assert_string_equal(c.region, "cn-beijing");
	cloud_config_free(&c);
	json_decref(st);
}

static void unsupported_and_broken_profiles(void **state)
{
	struct cloud_config c;
	struct herr e;

	write_config(CONFIG);
	setenv("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou", 1);
	setenv("ALIBABA_CLOUD_PROFILE", "role", 1);
	assert_int_equal(ali_config_load(&c, NULL, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "mode RamRoleArn"));
	setenv("ALIBABA_CLOUD_PROFILE", "broken", 1);
	assert_int_equal(ali_config_load(&c, NULL, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "sts_token"));
	setenv("ALIBABA_CLOUD_PROFILE", "ghost", 1);
	assert_int_equal(ali_config_load(&c, NULL, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "profile 'ghost' not found"));
	write_config("{\"profiles\": [");
	assert_int_equal(ali_config_load(&c, NULL, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "config.json:"));
}

static void region_precedence_and_check(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"region\": \"ap-southeast-1\"}");
	json_t *typo = settings("{\"region\": \"cn-hangzou\"}");
	json_t *junk = settings("{\"region\": \"mars-1\"}");

	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "a", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "b", 1);
	setenv("ALIBABA_CLOUD_REGION_ID", "cn-shenzhen", 1);
	assert_int_equal(ali_config_load(&c, st, &e), HOIST_OK);
	assert_string_equal(c.region, "ap-southeast-1");
	cloud_config_free(&c);
	assert_int_equal(ali_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.region, "cn-shenzhen");
	cloud_config_free(&c);
	assert_int_equal(ali_config_load(&c, typo, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "did you mean 'cn-hangzhou'"));
	assert_int_equal(ali_config_load(&c, junk, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "unknown Alibaba Cloud region 'mars-1'"));
	json_decref(st);
	json_decref(typo);
	json_decref(junk);
}

static void missing_region_and_credentials(void **state)
{
	struct cloud_config c;
	struct herr e;

	assert_int_equal(ali_config_load(&c, NULL, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "no Alibaba Cloud region"));
	setenv("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou", 1);
	assert_int_equal(ali_config_load(&c, NULL, &e), HOIST_FAIL);
	assert_non_null(strstr(e.msg, "no Alibaba Cloud credentials found"));
	assert_non_null(strstr(e.msg, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
	assert_non_null(strstr(e.msg, "/.aliyun/config.json"));
}

static void endpoints(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"region\": \"cn-hangzhou\", \"endpoint_urls\": "
			      "{\"fc\": \"http://set:1/\", \"SLS\": \"http://sls:2\"}}");
	char *u;

	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "a", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "b", 1);
	assert_int_equal(ali_config_load(&c, st, &e), HOIST_OK);
	assert_null(ali_endpoint_override(&c, "OSS"));
	u = ali_endpoint_override(&c, "FC");
	assert_string_equal(u, "http://set:1");
	free(u);
	setenv("ALIBABA_CLOUD_ENDPOINT_URL_FC", "http://env:3", 1);
	u = ali_endpoint_override(&c, "FC");
	assert_string_equal(u, "http://env:3");
	free(u);
	setenv("ALIBABA_CLOUD_ENDPOINT_URL", "http://all:4/", 1);
	u = ali_endpoint_override(&c, "OSS");
	assert_string_equal(u, "http://all:4");
	free(u);
	u = ali_endpoint_override(&c, "SLS");
	assert_string_equal(u, "http://sls:2");
	free(u);
	cloud_config_free(&c);
	json_decref(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(env_credentials, setup, home_teardown),
		cmocka_unit_test_setup_teardown(cli_profiles, setup, home_teardown),
		cmocka_unit_test_setup_teardown(unsupported_and_broken_profiles, setup, home_teardown),
		cmocka_unit_test_setup_teardown(region_precedence_and_check, setup, home_teardown),
		cmocka_unit_test_setup_teardown(missing_region_and_credentials, setup, home_teardown),
		cmocka_unit_test_setup_teardown(endpoints, setup, home_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
