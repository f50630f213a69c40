/*
 * test_tencent_credentials.c — Tencent Cloud keys, region and endpoint
 * overrides from the environment, ~/.tencentcloud/credentials (in a
 * temporary HOME) and the stage settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "home_fixture.h"
#include "../../providers/tencent/credentials.h"

static const char *const vars[] = {
	"TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SESSION_TOKEN",
	"TENCENTCLOUD_PROFILE", "TENCENTCLOUD_REGION", "TENCENTCLOUD_ENDPOINT_URL",
	"TENCENTCLOUD_ENDPOINT_URL_SCF", "TENCENTCLOUD_ENDPOINT_URL_COS",
};

static void write_credentials(const char *text)
{
	home_write(".tencentcloud/credentials", text);
}

static int setup(void **state)
{
	(void)state;
	return home_setup("tc-cred", vars, sizeof(vars) / sizeof(*vars));
}

static void environment(void **state)
{
	struct cloud_config c;
	struct herr e;

	setenv("TENCENTCLOUD_SECRET_ID", "AKIDENV", 1);
	setenv("TENCENTCLOUD_SECRET_KEY", "keyenv", 1);
	setenv("TENCENTCLOUD_SESSION_TOKEN", "tok", 1);
	assert_int_equal(tc_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "AKIDENV");
	assert_string_equal(c.creds.secret, "keyenv");
	assert_string_equal(c.creds.token, "tok");
	assert_string_equal(c.creds.source, "environment");
	assert_string_equal(c.region, "ap-guangzhou");        /* the default */
	cloud_config_free(&c);
}

static void profiles(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st;

	write_credentials("[default]\nsecret_id = AKIDDEF\nsecret_key = keydef\n\n"
			  "# a comment\n[ci]\nsecret_id=AKIDCI\nsecret_key=keyci\ntoken=tci\n");
	assert_int_equal(tc_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "AKIDDEF");
	assert_null(c.creds.token);
	assert_non_null(strstr(c.creds.source, "profile default in "));
	cloud_config_free(&c);

	setenv("TENCENTCLOUD_PROFILE", "ci", 1);
	assert_int_equal(tc_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "AKIDCI");
	assert_string_equal(c.creds.token, "tci");
	cloud_config_free(&c);

	/* An explicit profile_name wins over the environment's keys. */
	setenv("TENCENTCLOUD_SECRET_ID", "AKIDENV", 1);
	setenv("TENCENTCLOUD_SECRET_KEY", "keyenv", 1);
	st = settings("{\"profile_name\": \"default\"}");
	assert_int_equal(tc_config_load(&c, st, &e), HOIST_OK);
	assert_string_equal(c.creds.id, "AKIDDEF");
	cloud_config_free(&c);
	json_decref(st);

	st = settings("{\"profile_name\": \"nope\"}");
	assert_int_equal(tc_config_load(&c, st, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "profile 'nope' not found"));
	json_decref(st);
}

static void missing_credentials(void **state)
{
	struct cloud_config c;
	struct herr e;

	assert_int_equal(tc_config_load(&c, NULL, &e), HOIST_FAIL);
	assert_non_null(strstr(e.msg, "no Tencent Cloud credentials found"));
	assert_non_null(strstr(e.msg, "TENCENTCLOUD_SECRET_ID"));
	assert_non_null(strstr(e.msg, "/.tencentcloud/credentials"));
	assert_non_null(strstr(e.msg, "/etc/tencentcloud/credentials"));
	/* only an id is not enough */
	setenv("TENCENTCLOUD_SECRET_ID", "AKIDENV", 1);
	assert_int_equal(tc_config_load(&c, NULL, &e), HOIST_FAIL);
}

static void regions(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"region\": \"ap-shanghai\"}");

	setenv("TENCENTCLOUD_SECRET_ID", "AKIDENV", 1);
	setenv("TENCENTCLOUD_SECRET_KEY", "keyenv", 1);
	setenv("TENCENTCLOUD_REGION", "ap-singapore", 1);
	assert_int_equal(tc_config_load(&c, st, &e), HOIST_OK);
	assert_string_equal(c.region, "ap-shanghai");
	cloud_config_free(&c);
	assert_int_equal(tc_config_load(&c, NULL, &e), HOIST_OK);
	assert_string_equal(c.region, "ap-singapore");
	cloud_config_free(&c);
	json_decref(st);
	st = settings("{\"region\": \"ap-guangzho\"}");
	assert_int_equal(tc_config_load(&c, st, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "unknown region 'ap-guangzho'"));
	assert_non_null(strstr(e.msg, "did you mean 'ap-guangzhou'"));
	json_decref(st);
	assert_int_equal(tc_region_check("us-east-1", &e), HOIST_USAGE);
}

static void endpoints(void **state)
{
	struct cloud_config c;
	struct herr e;
	json_t *st = settings("{\"endpoint_urls\": {\"SCF\": \"http://set:1/\", \"cls\": \"http://cls:2\"}}");
	char *u;

	setenv("TENCENTCLOUD_SECRET_ID", "AKIDENV", 1);
	setenv("TENCENTCLOUD_SECRET_KEY", "keyenv", 1);
	assert_int_equal(tc_config_load(&c, st, &e), HOIST_OK);
	u = tc_endpoint_override(&c, "scf");
	assert_string_equal(u, "http://set:1");
	free(u);
	assert_null(tc_endpoint_override(&c, "cos"));
	setenv("TENCENTCLOUD_ENDPOINT_URL_SCF", "http://env:3//", 1);
	setenv("TENCENTCLOUD_ENDPOINT_URL", "http://all:4", 1);
	u = tc_endpoint_override(&c, "scf");
	assert_string_equal(u, "http://env:3");
	free(u);
	u = tc_endpoint_override(&c, "cls");
	assert_string_equal(u, "http://cls:2");
	free(u);
	u = tc_endpoint_override(&c, "dnspod");
	assert_string_equal(u, "http://all:4");
	free(u);
	cloud_config_free(&c);
	json_decref(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(environment, setup, home_teardown),
		cmocka_unit_test_setup_teardown(profiles, setup, home_teardown),
		cmocka_unit_test_setup_teardown(missing_credentials, setup, home_teardown),
		cmocka_unit_test_setup_teardown(regions, setup, home_teardown),
		cmocka_unit_test_setup_teardown(endpoints, setup, home_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
