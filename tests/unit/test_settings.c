/*
 * test_settings.c — loading, extends chains, defaults, every validation
 * error, and stage_open's derived names.  Each test writes a settings file
 * into a fresh temporary project directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../core/err.h"
#include "../../core/path.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

static char tmpdir[] = "/tmp/hoist-test-settings-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return path_rmtree(tmpdir, NULL);
}

/* Write `text` as <tmp>/<dir>/hoist.json and load it. */
static int load(const char *dir, const char *text, struct settings *s, struct herr *e)
{
	char *d = path_join(tmpdir, dir), *f = path_join(d, "hoist.json");
	int rc;

	assert_int_equal(path_mkdirs(d, NULL), 0);
	assert_int_equal(path_write_atomic(f, text, strlen(text), NULL), 0);
	rc = settings_load(s, f, e);
	free(d);
	free(f);
	return rc;
}

/* Load and resolve `stage`; returns the status, *out the stage (or NULL). */
static int resolve(const char *text, const char *stage, json_t **out, struct herr *e)
{
	struct settings s;
	int rc;

	*out = NULL;
	herr_clear(e);
	rc = load("proj", text, &s, e);
	if (rc)
		return rc;
	rc = settings_resolve(&s, stage, out, e);
	settings_free(&s);
	return rc;
}

static json_t *resolve_ok(const char *text, const char *stage)
{
	struct herr e = { 0 };
	json_t *out;

	if (resolve(text, stage, &out, &e))
		fail_msg("unexpected error: %s", e.msg);
	return out;
}

static void resolve_bad(const char *text, const char *stage, const char *needle)
{
	struct herr e = { 0 };
	json_t *out;

	assert_int_equal(resolve(text, stage, &out, &e), HOIST_USAGE);
	assert_null(out);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void test_extends_chain(void **state)
{
	json_t *st;

	(void)state;
	st = resolve_ok("{\"base\": {\"app_function\": \"app.app\", \"memory_size\": 256,"
			" \"environment_variables\": {\"A\": \"1\", \"B\": \"2\"}, \"timeout_seconds\": 10},"
			" \"mid\": {\"extends\": \"base\", \"memory_size\": 1024},"
			" \"dev\": {\"extends\": \"mid\", \"environment_variables\": {\"C\": \"3\"}}}",
			"dev");
	assert_int_equal(settings_int(st, "memory_size", 0), 1024);
	assert_int_equal(settings_int(st, "timeout_seconds", 0), 10);
	assert_string_equal(settings_str(st, "app_function"), "app.app");
	/* objects are replaced, not merged (Zappa) */
	assert_int_equal(json_object_size(json_object_get(st, "environment_variables")), 1);
	assert_null(json_object_get(st, "extends"));
	json_decref(st);
}

static void test_defaults(void **state)
{
	json_t *st;

	(void)state;
	st = resolve_ok("{\"dev\": {\"app_function\": \"app.app\"}}", "dev");
	assert_string_equal(settings_str(st, "provider"), "aws");
	assert_string_equal(settings_str(st, "project_name"), "proj");
	assert_int_equal(settings_int(st, "memory_size", 0), 512);
	assert_int_equal(settings_int(st, "timeout_seconds", 0), 30);
	assert_true(settings_bool(st, "keep_warm", false));
	assert_string_equal(settings_str(st, "keep_warm_expression"), "rate(4 minutes)");
	assert_string_equal(settings_str(st, "runtime"), "python3.12");
	assert_string_equal(settings_str(st, "architecture"), "x86_64");
	assert_string_equal(settings_str(st, "apigateway_version"), "v1");
	assert_string_equal(settings_str(st, "log_level"), "INFO");
	assert_string_equal(settings_str(st, "app_type"), "auto");
	assert_int_equal(settings_int(st, "ephemeral_storage", 0), 512);
	assert_true(settings_bool(st, "manage_roles", false));
	assert_true(settings_bool(st, "binary_support", false));
	assert_false(settings_bool(st, "debug", true));
	assert_null(settings_str(st, "region"));
	assert_null(json_object_get(st, "local_concurrency"));
	assert_null(json_object_get(st, "num_retained_versions"));
	json_decref(st);

	st = resolve_ok("{\"a\": {\"app_function\": \"app.app\", \"provider\": \"aliyun\"}}", "a");
	assert_null(settings_str(st, "region"));   /* ALIBABA_CLOUD_REGION_ID / the profile decide */
	assert_null(json_object_get(st, "ephemeral_storage"));
	json_decref(st);
	st = resolve_ok("{\"t\": {\"app_function\": \"app.app\", \"provider\": \"tencent\"}}", "t");
	assert_null(settings_str(st, "region"));   /* TENCENTCLOUD_REGION, else ap-guangzhou */
	assert_true(settings_bool(st, "function_url_enabled", false));
	assert_false(settings_bool(st, "apigateway_enabled", true));
	json_decref(st);
	st = resolve_ok("{\"l\": {\"app_function\": \"app.app\", \"provider\": \"local\"}}", "l");
	assert_int_equal(settings_int(st, "local_concurrency", 0), 2);
	assert_null(json_object_get(st, "manage_roles"));
	json_decref(st);
}

static void test_null_unsets(void **state)
{
	json_t *st;

	(void)state;
	st = resolve_ok("{\"base\": {\"app_function\": \"app.app\", \"memory_size\": 2048,"
			" \"s3_bucket\": \"b\"},"
			" \"dev\": {\"extends\": \"base\", \"memory_size\": null, \"s3_bucket\": null}}",
			"dev");
	assert_int_equal(settings_int(st, "memory_size", 0), 512);
	assert_null(json_object_get(st, "s3_bucket"));
	json_decref(st);
}

static void test_region(void **state)
{
	json_t *st;

	(void)state;
	st = resolve_ok("{\"dev\": {\"app_function\": \"a.b\", \"aws_region\": \"eu-west-1\"}}", "dev");
	assert_string_equal(settings_str(st, "region"), "eu-west-1");
	json_decref(st);
	resolve_bad("{\"dev\": {\"app_function\": \"a.b\", \"aws_region\": \"eu-west-1\","
		    " \"region\": \"us-east-1\"}}", "dev", "disagree");
	resolve_bad("{\"dev\": {\"app_function\": \"a.b\", \"region\": \"US East\"}}", "dev",
		    "not a region name");
}

static void test_extends_errors(void **state)
{
	(void)state;
	resolve_bad("{\"dev\": {\"extends\": \"base\"}, \"base\": {\"extends\": \"dev\"}}", "dev",
		    "circular extends: dev -> base -> dev");
	resolve_bad("{\"dev\": {\"extends\": \"dev\"}}", "dev", "circular extends: dev -> dev");
	resolve_bad("{\"a\": {\"extends\": \"b\"}, \"b\": {\"extends\": \"c\"}, \"c\": {\"extends\": \"b\"}}",
		    "a", "circular extends: a -> b -> c -> b");
	resolve_bad("{\"dev\": {\"extends\": \"bsae\"}, \"base\": {}}", "dev",
		    "stage 'dev' extends 'bsae', which is not a stage (did you mean 'base'?)");
	resolve_bad("{\"dev\": {\"extends\": 3}}", "dev", "extends: expected a stage name");
}

static void test_load_errors(void **state)
{
	struct settings s;
	struct herr e = { 0 };

	(void)state;
	assert_int_equal(load("p1", "{\n  \"dev\": {\n    \"a\": 1,\n  }\n}\n", &s, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "hoist.json:4:3: "));
	assert_int_equal(load("p2", "[1, 2]", &s, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "must be a mapping of stages"));
	assert_int_equal(load("p3", "{}", &s, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "no stages"));
	assert_int_equal(load("p4", "{\"a b\": {}}", &s, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "stage name 'a b' is not valid"));
	assert_int_equal(load("p5", "{\"dev\": 3}", &s, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "stage 'dev' must be a JSON object"));
	assert_int_equal(settings_load(&s, "/nonexistent/hoist.json", &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "no such settings file"));
}

static void test_pick_stage(void **state)
{
	struct settings s;
	struct herr e = { 0 };
	const char *name = NULL, **names;

	(void)state;
	assert_int_equal(load("pick", "{\"dev\": {}, \"prod\": {}, \"staging\": {}}", &s, &e), 0);
	assert_int_equal(settings_stage_names(&s, &names), 3);
	assert_string_equal(names[2], "staging");
	free(names);
	assert_int_equal(settings_pick_stage(&s, "prod", &name, &e), 0);
	assert_string_equal(name, "prod");
	assert_int_equal(settings_pick_stage(&s, NULL, &name, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "3 stages; name one: dev, prod, staging"));
	assert_int_equal(settings_pick_stage(&s, "prd", &name, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "no stage 'prd' (did you mean 'prod'?); stages: dev, prod, staging"));
	settings_free(&s);
	assert_int_equal(load("pick1", "{\"only\": {}}", &s, &e), 0);
	assert_int_equal(settings_pick_stage(&s, NULL, &name, &e), 0);
	assert_string_equal(name, "only");
	settings_free(&s);
}

#define APP "\"app_function\": \"app.app\", "

static void test_type_and_range_errors(void **state)
{
	(void)state;
	resolve_bad("{\"dev\": {" APP "\"memory_size\": \"512\"}}", "dev",
		    "stage 'dev': memory_size: expected an integer, got a string \"512\"");
	resolve_bad("{\"dev\": {" APP "\"memory_size\": 512.5}}", "dev", "expected an integer");
	resolve_bad("{\"dev\": {" APP "\"memory_size\": 99999}}", "dev",
		    "memory_size: 99999 is out of range 128–10240 for aws");
	resolve_bad("{\"dev\": {" APP "\"provider\": \"aliyun\", \"memory_size\": 200}}", "dev",
		    "memory_size: 200 must be a multiple of 64 for aliyun");
	resolve_bad("{\"dev\": {" APP "\"provider\": \"tencent\", \"memory_size\": 4096}}", "dev",
		    "out of range 128–3072 for tencent");
	resolve_bad("{\"dev\": {" APP "\"provider\": \"tencent\", \"memory_size\": 192}}", "dev",
		    "memory_size: 192 must be a multiple of 128 for tencent");
	resolve_bad("{\"dev\": {" APP "\"timeout_seconds\": 901}}", "dev", "1–900 for aws");
	resolve_bad("{\"dev\": {" APP "\"timeout_seconds\": 0}}", "dev", "timeout_seconds: 0");
	resolve_bad("{\"dev\": {" APP "\"ephemeral_storage\": 100}}", "dev", "512–10240");
	resolve_bad("{\"dev\": {" APP "\"keep_warm\": \"yes\"}}", "dev",
		    "keep_warm: expected a boolean");
	resolve_bad("{\"dev\": {" APP "\"architecture\": \"aarch64\"}}", "dev",
		    "architecture: 'aarch64' is not one of x86_64,arm64");
	resolve_bad("{\"dev\": {" APP "\"runtime\": \"python2.7\"}}", "dev", "runtime: 'python2.7'");
	resolve_bad("{\"dev\": {" APP "\"provider\": \"azure\"}}", "dev",
		    "provider: 'azure' is not one of aws,aliyun,tencent,local");
	resolve_bad("{\"dev\": {" APP "\"provider\": \"local\", \"local_concurrency\": 65}}", "dev",
		    "local_concurrency: 65 is out of range 1–64 for local");
	resolve_bad("{\"dev\": {" APP "\"provider\": \"local\", \"local_port\": 80}}", "dev",
		    "1024–65535");
	resolve_bad("{\"dev\": {" APP "\"apigateway_version\": \"v3\"}}", "dev", "v1,v2");
	resolve_bad("{\"dev\": {" APP "\"app_type\": \"rsgi\"}}", "dev", "wsgi,asgi,auto");
}

static void test_value_errors(void **state)
{
	(void)state;
	resolve_bad("{\"dev\": {\"memory_size\": 256}}", "dev", "missing app_function");
	resolve_bad("{\"dev\": {\"app_function\": \"app\"}}", "dev",
		    "app_function: 'app' is not module.attribute");
	resolve_bad("{\"dev\": {\"app_function\": \"my-app.app\"}}", "dev", "not module.attribute");
	resolve_bad("{\"dev\": {" APP "\"environment_variables\": {\"PORT\": 8000}}}", "dev",
		    "environment_variables.PORT: expected a string, got an integer 8000");
	resolve_bad("{\"dev\": {" APP "\"environment_variables\": {\"MY VAR\": \"x\"}}}", "dev",
		    "'MY VAR' is not a valid environment variable name");
	resolve_bad("{\"dev\": {" APP "\"environment_variables\": [\"A=1\"]}}", "dev",
		    "environment_variables: expected an object");
	resolve_bad("{\"dev\": {" APP "\"tags\": {\"n\": 1}}}", "dev", "tags.n: expected a string");
	resolve_bad("{\"dev\": {" APP "\"layers\": [\"arn:x\", 3]}}", "dev", "layers[1]: expected a string");
	resolve_bad("{\"dev\": {" APP "\"exclude\": \"*.gz\"}}", "dev", "exclude: expected an array");
	resolve_bad("{\"dev\": {" APP "\"domain\": \"-bad-.example.com\"}}", "dev", "not a host name");
	resolve_bad("{\"dev\": {" APP "\"domain\": \"localhost\"}}", "dev", "not a host name");
	resolve_bad("{\"dev\": {" APP "\"base_path\": \"api//v1\"}}", "dev", "base_path");
	resolve_bad("{\"dev\": {" APP "\"touch_path\": \"health\"}}", "dev", "must start with '/'");
	resolve_bad("{\"dev\": {" APP "\"vpc_config\": {\"SubnetIds\": \"s-1\"}}}", "dev",
		    "vpc_config.SubnetIds: expected an array");
	resolve_bad("{\"dev\": {" APP "\"vpc_config\": {\"SecurityGroupIds\": [1]}}}", "dev",
		    "vpc_config.SecurityGroupIds[0]: expected a string");
	resolve_bad("{\"dev\": {" APP "\"endpoint_urls\": {\"lambda\": \"localhost:4566\"}}}", "dev",
		    "endpoint_urls.lambda: 'localhost:4566' is not an http(s):// URL");
	resolve_bad("{\"dev\": {" APP "\"keep_warm_expression\": \"rate(1 minutes)\"}}", "dev",
		    "keep_warm_expression: rate(1 minutes): a rate of 1 takes the singular unit");
	resolve_bad("{\"dev\": {" APP "\"endpoint_configuration\": [\"GLOBAL\"]}}", "dev",
		    "endpoint_configuration[0]: 'GLOBAL'");
	resolve_bad("{\"dev\": {\"app_function\": \"a.b\", \"project_name\": \"---\"}}", "dev",
		    "no letters or digits");
	/* an explicit project_name is only held to the function name's limit */
	resolve_bad("{\"dev\": {\"app_function\": \"a.b\", \"project_name\": \""
		    "sixty-one-characters-sixty-one-characters-sixty-one-character\"}}",
		    "dev", "aws allows 64");
	resolve_bad("{\"a-very-long-stage-name-that-goes-on-and-on-and-on-and-on-and-on\": "
		    "{\"app_function\": \"a.b\", \"project_name\": \"fifteen-chars-x\"}}",
		    "a-very-long-stage-name-that-goes-on-and-on-and-on-and-on-and-on", "aws allows 64");
}

static void test_events(void **state)
{
	json_t *st;

	(void)state;
	st = resolve_ok("{\"dev\": {" APP "\"events\": ["
			"{\"function\": \"tasks.a\", \"expression\": \"rate(1 day)\"},"
			"{\"function\": \"tasks.b\", \"expressions\": [\"cron(0 1 * * ? *)\", \"rate(2 hours)\"],"
			" \"enabled\": false, \"kwargs\": {\"x\": 1}, \"name\": \"b\", \"description\": \"d\"},"
			"{\"function\": \"tasks.c\", \"event_source\": {\"arn\": \"arn:aws:sqs:x\","
			" \"batch_size\": 10}}]}}", "dev");
	assert_int_equal(json_array_size(json_object_get(st, "events")), 3);
	json_decref(st);
	resolve_bad("{\"dev\": {" APP "\"events\": {}}}", "dev", "events: expected an array");
	resolve_bad("{\"dev\": {" APP "\"events\": [3]}}", "dev", "events[0]: expected an object");
	resolve_bad("{\"dev\": {" APP "\"events\": [{\"expression\": \"rate(1 day)\"}]}}", "dev",
		    "events[0]: missing 'function'");
	resolve_bad("{\"dev\": {" APP "\"events\": [{\"function\": \"run\", \"expression\": \"rate(1 day)\"}]}}",
		    "dev", "events[0].function: 'run' is not module.function");
	resolve_bad("{\"dev\": {" APP "\"events\": [{\"function\": \"t.a\"}]}}", "dev",
		    "give exactly one of 'expression', 'expressions' or 'event_source'");
	resolve_bad("{\"dev\": {" APP "\"events\": [{\"function\": \"t.a\", \"expression\": \"rate(1 day)\","
		    " \"expressions\": [\"rate(1 day)\"]}]}}", "dev", "give exactly one");
	resolve_bad("{\"dev\": {" APP "\"events\": [{\"function\": \"t.a\", \"expression\": \"cron(0 12 * * * *)\"}]}}",
		    "dev", "events[0].expression: cron(0 12 * * * *): day-of-month and day-of-week "
		    "cannot both be '*'; use '?' in one of them");
	resolve_bad("{\"dev\": {" APP "\"events\": [{\"function\": \"t.a\", \"expressions\": [\"rate(1 day)\", 5]}]}}",
		    "dev", "events[0].expressions[1]: expected a string");
	resolve_bad("{\"dev\": {" APP "\"events\": [{\"function\": \"t.a\", \"expression\": \"rate(1 day)\","
		    " \"enabled\": \"no\"}]}}", "dev", "events[0].enabled: expected a boolean");
	resolve_bad("{\"dev\": {" APP "\"events\": [{\"function\": \"t.a\", \"expression\": \"rate(1 day)\","
		    " \"kwargs\": [1]}]}}", "dev", "events[0].kwargs: expected an object");
	resolve_bad("{\"dev\": {" APP "\"events\": [{\"function\": \"t.a\", \"event_source\": {}}]}}", "dev",
		    "events[0].event_source: needs an 'arn'");
	resolve_bad("{\"dev\": {" APP "\"provider\": \"aliyun\", \"events\": [{\"function\": \"t.a\","
		    " \"event_source\": {\"arn\": \"x\"}}]}}", "dev", "not supported by the aliyun provider");
	resolve_bad("{\"dev\": {" APP "\"provider\": \"aliyun\", \"events\": [{\"function\": \"t.a\","
		    " \"expression\": \"cron(0 0 L * ? *)\"}]}}", "dev", "cannot run on aliyun");
	resolve_bad("{\"dev\": {" APP "\"provider\": \"tencent\", \"keep_warm_expression\": \"rate(7 minutes)\"}}",
		    "dev", "keep_warm_expression: rate(7 minutes) cannot run on tencent");
}

static void test_provider_support(void **state)
{
	json_t *st;

	(void)state;
	resolve_bad("{\"t\": {" APP "\"provider\": \"tencent\", \"slim_handler\": true}}", "t",
		    "slim_handler is not supported by the tencent provider (supported by: aws)");
	resolve_bad("{\"t\": {" APP "\"provider\": \"tencent\", \"apigateway_enabled\": true}}", "t",
		    "Tencent's API Gateway product was retired");
	resolve_bad("{\"t\": {" APP "\"provider\": \"tencent\", \"api_key_required\": true}}", "t",
		    "api_key_required is not supported by the tencent provider");
	resolve_bad("{\"l\": {" APP "\"provider\": \"local\", \"xray_tracing\": true}}", "l",
		    "xray_tracing is not supported by the local provider");
	resolve_bad("{\"a\": {" APP "\"provider\": \"aliyun\", \"xray_tracing\": true}}", "a",
		    "xray_tracing is not supported by the aliyun provider");
	resolve_bad("{\"a\": {" APP "\"local_port\": 8080}}", "a",
		    "local_port is not supported by the aws provider");
	resolve_bad("{\"a\": {" APP "\"provider\": \"aliyun\", \"architecture\": \"arm64\"}}", "a",
		    "architecture is not supported by the aliyun provider");
	resolve_bad("{\"a\": {" APP "\"callbacks\": {\"zip\": \"x.y\"}}}", "a",
		    "callbacks: this Zappa feature is not implemented by hoist");
	resolve_bad("{\"a\": {" APP "\"provider\": \"aliyun\", \"aws_region\": \"us-east-1\"}}", "a",
		    "aws_region is not supported by the aliyun provider");
	/* false, null, empty and the provider's own default are never an error */
	st = resolve_ok("{\"t\": {" APP "\"provider\": \"tencent\", \"slim_handler\": false,"
			" \"xray_tracing\": null, \"apigateway_enabled\": false, \"layers\": [],"
			" \"architecture\": \"x86_64\", \"authorizer\": {}}}", "t");
	assert_false(settings_bool(st, "slim_handler", true));
	json_decref(st);
}

static void test_unknown_key_is_a_warning(void **state)
{
	json_t *st;

	(void)state;
	st = resolve_ok("{\"dev\": {" APP "\"memroy_size\": 1024, \"vpc_config\": {\"SubnetId\": \"s\","
			" \"Foo\": 1}, \"events\": [{\"function\": \"t.a\", \"expresion\": \"x\","
			" \"expression\": \"rate(1 day)\"}]}}", "dev");
	assert_int_equal(settings_int(st, "memory_size", 0), 512);
	json_decref(st);
}

static void test_stage_open(void **state)
{
	struct settings s;
	struct stage st;
	struct herr e = { 0 };
	char *dir;

	(void)state;
	assert_int_equal(load("My_Proj", "{\"dev_eu\": {\"app_function\": \"a.b\"},"
			  " \"x\": {\"app_function\": \"a.b\", \"project_name\": \"Shop_Front\","
			  " \"provider\": \"local\"}}", &s, &e), 0);
	assert_int_equal(stage_open(&st, &s, "dev_eu", &e), 0);
	assert_string_equal(st.name, "dev_eu");
	assert_string_equal(st.project_name, "my-proj");
	assert_string_equal(st.function_name, "my-proj-dev-eu");
	assert_string_equal(st.provider, "aws");
	dir = path_real(tmpdir);
	assert_true(str_starts(st.project_dir, dir));
	assert_true(str_ends(st.project_dir, "/My_Proj"));
	assert_true(str_ends(st.settings_path, "/My_Proj/hoist.json"));
	assert_true(st.settings_path[0] == '/');
	stage_close(&st);
	assert_int_equal(stage_open(&st, &s, "x", &e), 0);
	assert_string_equal(st.function_name, "shop-front-x");
	assert_string_equal(st.provider, "local");
	stage_close(&st);
	assert_int_equal(stage_open(&st, &s, "nope", &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "no stage 'nope'"));
	free(dir);
	settings_free(&s);
}

static void test_default_project_name_truncated(void **state)
{
	struct settings s;
	struct herr e = { 0 };
	json_t *st;

	(void)state;
	assert_int_equal(load("A Really-Long project dir", "{\"d\": {\"app_function\": \"a.b\"}}",
			      &s, &e), 0);
	assert_int_equal(settings_resolve(&s, "d", &st, &e), 0);
	/* slug "a-really-long-project-dir", first 15 chars, no trailing '-' */
	assert_string_equal(settings_str(st, "project_name"), "a-really-long-p");
	json_decref(st);
	settings_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extends_chain),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_null_unsets),
		cmocka_unit_test(test_region),
		cmocka_unit_test(test_extends_errors),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_pick_stage),
		cmocka_unit_test(test_type_and_range_errors),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_provider_support),
		cmocka_unit_test(test_unknown_key_is_a_warning),
		cmocka_unit_test(test_stage_open),
		cmocka_unit_test(test_default_project_name_truncated),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
