/*
 * test_http_url.c — core/http.c's URL split (what connect_to keeps: the
 * Host header's authority and the path-and-query) and providers/request.c's
 * URL join.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "../../core/err.h"
#include "../../core/http.h"
#include "../../providers/request.h"

static void split_ok(const char *url, const char *auth, const char *pq)
{
	struct herr e = { 0 };
	char *a, *p;

	assert_int_equal(http_url_split(url, &a, &p, &e), HOIST_OK);
	assert_string_equal(a, auth);
	assert_string_equal(p, pq);
	free(a);
	free(p);
}

static void test_split(void **state)
{
	struct herr e = { 0 };
	char *a, *p;

	split_ok("https://abc.execute-api.us-east-1.amazonaws.com/dev",
		 "abc.execute-api.us-east-1.amazonaws.com", "/dev");
	split_ok("https://x.on.aws/", "x.on.aws", "/");
	split_ok("https://x.on.aws", "x.on.aws", "/");
	split_ok("https://x.on.aws?a=1", "x.on.aws", "/?a=1");
	split_ok("https://h:443/p?q=1#frag", "h", "/p?q=1");
	split_ok("https://h:4430/p", "h:4430", "/p");
	split_ok("http://h:80/p", "h", "/p");
	split_ok("http://127.0.0.1:8080/dev/a?b=c", "127.0.0.1:8080", "/dev/a?b=c");
	assert_int_equal(http_url_split("ftp://h/p", &a, &p, &e), HOIST_USAGE);
	assert_null(a);
	assert_int_equal(http_url_split("https:///p", &a, &p, &e), HOIST_USAGE);
}

static void test_join(void **state)
{
	char *u;

	u = request_url("https://h/dev", "/a?b=1");
	assert_string_equal(u, "https://h/dev/a?b=1");
	free(u);
	u = request_url("https://x.lambda-url.us-east-1.on.aws/", "/");
	assert_string_equal(u, "https://x.lambda-url.us-east-1.on.aws/");
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_join),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
