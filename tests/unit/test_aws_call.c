/*
 * test_aws_call.c — core/http.c + sigv4 + aws_call against the fake AWS
 * (tests/fakecloud/fakeaws.py, started here on a free 127.0.0.1 port): every
 * request is signature-checked and model-validated by the fake with botocore.
 * Run from the repository root (make unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/err.h"
#include "../../core/http.h"
#include "../../core/path.h"
#include "../../providers/aws/aws_call.h"

static pid_t fake_pid;
static FILE *fake_in;
static char fake_url[128];

static int start_fake(void **state)
{
	int in[2], out[2];
	char line[256];
	FILE *f;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	fake_pid = fork();
	if (fake_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl("/usr/bin/python3", "python3", "tests/fakecloud/fakeaws.py", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	fake_in = fdopen(in[1], "w");
	f = fdopen(out[0], "r");
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(sscanf(line, "URL %127s", fake_url), 1);
	setenv("AWS_ENDPOINT_URL", fake_url, 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDFAKEHOIST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "fake/secret+key", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("HOIST_HTTP_BACKOFF_MS", "1", 1);
	setenv("HOME", "/nonexistent", 1);
	return 0;
}

static int stop_fake(void **state)
{
	int st;

	fclose(fake_in);        /* the fake exits when its stdin closes */
	kill(fake_pid, SIGTERM);
	waitpid(fake_pid, &st, 0);
	return 0;
}

/* POST (or GET with doc NULL) to the fake's unsigned admin side channel. */
static json_t *admin(const char *path, const char *doc)
{
	struct http_client *h = http_client_new();
	char *url = malloc(strlen(fake_url) + strlen(path) + 1);
	struct http_request rq = { .method = doc ? "POST" : "GET", .url = url, .body = doc,
				   .body_len = doc ? strlen(doc) : 0 };
	struct http_response rs;
	struct herr e;
	json_error_t je;
	json_t *j;

	strcpy(url, fake_url);
	strcat(url, path);
	assert_int_equal(http_do(h, &rq, &rs, &e), HOIST_OK);
	assert_int_equal(rs.status, 200);
	j = json_loadb(rs.body.s, rs.body.len, 0, &je);
	assert_non_null(j);
	http_response_free(&rs);
	http_client_free(h);
	free(url);
	return j;
}

static int count_ops(const char *op)
{
	json_t *log = admin("/__fake/requests", NULL), *r;
	size_t i;
	int n = 0;

	json_array_foreach(log, i, r)
		n += strcmp(json_string_value(json_object_get(r, "operation")), op) == 0;
	json_decref(log);
	return n;
}

static void reset(void)
{
	json_decref(admin("/__fake/reset", "{}"));
}

static void sts_and_lambda(void **state)
{
	struct aws_client c;
	struct aws_result r;
	struct herr e;
	struct aws_call sts = { .svc = &aws_sts, .op = "GetCallerIdentity" };
	struct aws_call list = { .svc = &aws_lambda, .op = "ListFunctions", .method = "GET",
				 .path = "/2015-03-31/functions/" };

	reset();
	assert_int_equal(aws_client_open(&c, NULL, &e), HOIST_OK);
	assert_int_equal(aws_do(&c, &sts, &r, &e), HOIST_OK);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.data,
				"GetCallerIdentityResult"), "Account")), "123456789012");
	aws_result_free(&r);
	assert_int_equal(aws_do(&c, &list, &r, &e), HOIST_OK);
	assert_true(json_is_array(json_object_get(r.data, "Functions")));
	assert_int_equal(json_array_size(json_object_get(r.data, "Functions")), 0);
	aws_result_free(&r);
	aws_client_close(&c);
	assert_int_equal(count_ops("GetCallerIdentity"), 1);
	assert_int_equal(count_ops("ListFunctions"), 1);
}

static void throttled_then_succeeds(void **state)
{
	struct aws_client c;
	struct aws_result r;
	struct herr e;
	struct aws_call list = { .svc = &aws_lambda, .op = "ListFunctions", .method = "GET",
				 .path = "/2015-03-31/functions/" };

	reset();
	json_decref(admin("/__fake/faults",
			  "{\"operation\":\"ListFunctions\",\"kind\":\"throttle\",\"count\":2}"));
	assert_int_equal(aws_client_open(&c, NULL, &e), HOIST_OK);
	assert_int_equal(aws_do(&c, &list, &r, &e), HOIST_OK);
	assert_int_equal(r.status, 200);
	aws_result_free(&r);
	aws_client_close(&c);
	assert_int_equal(count_ops("ListFunctions"), 3);
}

static void server_error_always(void **state)
{
	struct aws_client c;
	struct aws_result r;
	struct herr e;
	struct aws_call sts = { .svc = &aws_sts, .op = "GetCallerIdentity" };

	reset();
	json_decref(admin("/__fake/faults",
			  "{\"operation\":\"GetCallerIdentity\",\"kind\":\"500\",\"count\":-1}"));
	assert_int_equal(aws_client_open(&c, NULL, &e), HOIST_OK);
	assert_int_equal(aws_do(&c, &sts, &r, &e), HOIST_FAIL);
	assert_non_null(strstr(e.msg, "STS GetCallerIdentity failed: ServiceException: "
			       "internal failure (injected)"));
	assert_int_equal(r.status, 500);
	aws_result_free(&r);
	aws_client_close(&c);
	assert_int_equal(count_ops("GetCallerIdentity"), 5);   /* default max attempts */
}

static void error_mapping(void **state)
{
	struct aws_client c;
	struct aws_result r;
	struct herr e;
	struct aws_call get = { .svc = &aws_lambda, .op = "GetFunction", .method = "GET",
				.path = "/2015-03-31/functions/nope" };
	struct aws_call role = { .svc = &aws_iam, .op = "GetRole" };
	json_t *p = json_pack("{s:s}", "RoleName", "ghost");

	reset();
	assert_int_equal(aws_client_open(&c, NULL, &e), HOIST_OK);
	assert_int_equal(aws_do(&c, &get, &r, &e), HOIST_FAIL);
	assert_true(aws_error_is(&r, "ResourceNotFoundException"));
	assert_non_null(strstr(e.msg, "Lambda GetFunction failed: ResourceNotFoundException: "
			       "Function not found: "));
	aws_result_free(&r);
	role.params = p;
	assert_int_equal(aws_do(&c, &role, &r, &e), HOIST_FAIL);
	assert_true(aws_error_is(&r, "NoSuchEntity"));
	assert_non_null(strstr(e.msg, "IAM GetRole failed: NoSuchEntity: The role with name "
			       "ghost cannot be found."));
	aws_result_free(&r);
	json_decref(p);
	aws_client_close(&c);
}

static void wrong_secret(void **state)
{
	struct aws_client c;
	struct aws_result r;
	struct herr e;
	struct aws_call sts = { .svc = &aws_sts, .op = "GetCallerIdentity" };

	reset();
	setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
	assert_int_equal(aws_client_open(&c, NULL, &e), HOIST_OK);
	assert_int_equal(aws_do(&c, &sts, &r, &e), HOIST_FAIL);
	assert_true(aws_error_is(&r, "SignatureDoesNotMatch"));
	assert_non_null(strstr(e.msg, "credentials came from environment"));
	assert_null(strstr(e.msg, "not-the-secret"));
	aws_result_free(&r);
	aws_client_close(&c);
	setenv("AWS_SECRET_ACCESS_KEY", "fake/secret+key", 1);
}

static int effect_calls;

static int said_done(const struct http_request *rq, enum http_effect *eff, void *ctx,
		     struct herr *e)
{
	effect_calls++;
	*eff = HTTP_EFFECT_DONE;
	return HOIST_OK;
}

static void unknown_outcome_not_blindly_retried(void **state)
{
	struct aws_client c;
	struct aws_result r;
	struct herr e;
	json_t *p = json_pack("{s:s,s:s}", "RoleName", "r1", "AssumeRolePolicyDocument", "{}");
	struct aws_call create = { .svc = &aws_iam, .op = "CreateRole", .params = p,
				   .non_idempotent = true };
	struct aws_call warm = { .svc = &aws_sts, .op = "GetCallerIdentity" };

	reset();
	json_decref(admin("/__fake/faults",
			  "{\"operation\":\"CreateRole\",\"kind\":\"reset\",\"count\":-1}"));
	assert_int_equal(aws_client_open(&c, NULL, &e), HOIST_OK);
	/* A kept-alive connection first: libcurl must not re-send on it by itself. */
	assert_int_equal(aws_do(&c, &warm, &r, &e), HOIST_OK);
	aws_result_free(&r);
	assert_int_equal(aws_do(&c, &create, &r, &e), HOIST_FAIL);
	assert_non_null(strstr(e.msg, "may or may not have taken effect"));
	aws_result_free(&r);
	assert_int_equal(count_ops("CreateRole"), 1);
	create.check_effect = said_done;
	assert_int_equal(aws_do(&c, &create, &r, &e), HOIST_OK);
	assert_true(r.effect_done);
	assert_int_equal(effect_calls, 1);
	aws_result_free(&r);
	assert_int_equal(count_ops("CreateRole"), 2);
	aws_client_close(&c);
	json_decref(p);
}

static void s3_stream_upload_and_download(void **state)
{
	struct aws_client c;
	struct aws_result r;
	struct herr e;
	char src[] = "/tmp/hoist-s3-src-XXXXXX", dst[64];
	const char *text = "zip bytes \x01\x02 with a space key";
	struct aws_call mk = { .svc = &aws_s3, .op = "CreateBucket", .method = "PUT",
			       .bucket = "hoist-bkt" };
	struct http_body body;
	struct aws_call put = { .svc = &aws_s3, .op = "PutObject", .method = "PUT",
				.bucket = "hoist-bkt", .path = "/dir/a%20b.zip", .stream = &body,
				.content_type = "application/zip" };
	struct aws_call get = { .svc = &aws_s3, .op = "GetObject", .method = "GET",
				.bucket = "hoist-bkt", .path = "/dir/a%20b.zip", .save_to = dst };
	char *back = NULL;
	size_t len;
	int fd = mkstemp(src);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(dst, sizeof(dst), "%s.out", src);
	reset();
	assert_int_equal(aws_client_open(&c, NULL, &e), HOIST_OK);
	assert_int_equal(aws_do(&c, &mk, &r, &e), HOIST_OK);
	aws_result_free(&r);
	assert_int_equal(http_body_file(&body, src, 0, 0, &e), HOIST_OK);
	assert_int_equal(aws_do(&c, &put, &r, &e), HOIST_OK);
	aws_result_free(&r);
	http_body_free(&body);
	assert_int_equal(aws_do(&c, &get, &r, &e), HOIST_OK);
	aws_result_free(&r);
	assert_int_equal(path_read(dst, &back, &len, &e), HOIST_OK);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(back, text, len);
	free(back);
	unlink(src);
	unlink(dst);
	aws_client_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sts_and_lambda),
		cmocka_unit_test(throttled_then_succeeds),
		cmocka_unit_test(server_error_always),
		cmocka_unit_test(error_mapping),
		cmocka_unit_test(wrong_secret),
		cmocka_unit_test(unknown_outcome_not_blindly_retried),
		cmocka_unit_test(s3_stream_upload_and_download),
	};

	return cmocka_run_group_tests(tests, start_fake, stop_fake);
}
