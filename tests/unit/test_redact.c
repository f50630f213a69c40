/*
 * test_redact.c — the filter every message and stderr line goes through
 * (core/redact.c): provider error texts that echo a canonical request or a
 * signed URL, for AWS, Alibaba and Tencent, lose their secrets and keep
 * everything else; registered secrets vanish wherever they are; errors made
 * with herr_set/herr_prefix/herr_hint come out redacted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../core/err.h"
#include "../../core/redact.h"

static void check(const char *in, const char *want)
{
	char *got = redact_text(in);

	if (strcmp(got, want))
		fail_msg("redact_text(\"%s\")\n  got  \"%s\"\n  want \"%s\"", in, got, want);
	free(got);
}

/* AWS's SignatureDoesNotMatch message quotes the canonical request, token included. */
static void test_canonical_requests(void **state)
{
	(void)state;
	check("The Canonical String for this request should have been\n'POST\n/2015-03-31/functions\n\n"
	      "content-type:application/json\nhost:lambda.us-east-1.amazonaws.com\n"
	      "x-amz-date:20260102T030405Z\nx-amz-security-token:FQoGZXIvYXdzEXAMPLE//+=\n\n"
	      "content-type;host;x-amz-date;x-amz-security-token\nabc123'",
	      "The Canonical String for this request should have been\n'POST\n/2015-03-31/functions\n\n"
	      "content-type:application/json\nhost:lambda.us-east-1.amazonaws.com\n"
	      "x-amz-date:20260102T030405Z\nx-amz-security-token:<redacted>\n\n"
	      "content-type;host;x-amz-date;x-amz-security-token\nabc123'");
	/* Alibaba's "server string to sign", Tencent's header echo, OSS and COS */
	check("server string to sign is:POST\n\nx-acs-action:CreateFunction\n"
	      "x-acs-security-token:CAIS8gF1q6Ft5B2yfSjIr5bkKN\nx-acs-version:2023-03-30",
	      "server string to sign is:POST\n\nx-acs-action:CreateFunction\n"
	      "x-acs-security-token:<redacted>\nx-acs-version:2023-03-30");
	check("X-TC-Token: tc-session-0123456789\r\nX-TC-Action: GetFunction",
	      "X-TC-Token: <redacted>\r\nX-TC-Action: GetFunction");
	check("x-oss-security-token:abcdefgh12345678", "x-oss-security-token:<redacted>");
	check("Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/lambda/aws4_request, "
	      "SignedHeaders=host, Signature=0123abcd\nnext line",
	      "Authorization: <redacted>\nnext line");
	check("cookie: session=1; Cookie:x", "cookie: <redacted>");
}

static void test_query_parameters(void **state)
{
	(void)state;
	check("GET https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F1"
	      "&X-Amz-Security-Token=FQoG%2Bx&X-Amz-Signature=9f0e&x-id=GetObject failed",
	      "GET https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=<redacted>"
	      "&X-Amz-Security-Token=<redacted>&X-Amz-Signature=<redacted>&x-id=GetObject failed");
	check("'https://x/?Signature=abc' and (Token=zz)", "'https://x/?Signature=<redacted>' and (Token=zz)");
}

/* What must stay: the prose around secrets, and names that only look alike. */
static void test_nothing_else(void **state)
{
	(void)state;
	check("no AWS credentials: set AWS_ACCESS_KEY_ID", "no AWS credentials: set AWS_ACCESS_KEY_ID");
	check("The security token included in the request is invalid.",
	      "The security token included in the request is invalid.");
	check("x-amz-content-sha256:UNSIGNED-PAYLOAD\nsigned headers: host",
	      "x-amz-content-sha256:UNSIGNED-PAYLOAD\nsigned headers: host");
	check("http://127.0.0.1:8080/2015-03-31/functions?Marker=abc",
	      "http://127.0.0.1:8080/2015-03-31/functions?Marker=abc");
	check("x-amz-security-token:", "x-amz-security-token:");
	check("", "");
}

static void test_registered_secrets(void **state)
{
	(void)state;
	redact_register("short");          /* too short to hide safely: ignored */
	redact_register("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	check("short and wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY in {\"Secret\":"
	      "\"xwJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEYx\"}",
	      "short and <redacted> in {\"Secret\":\"x<redacted>x\"}");
}

static void test_errors_are_redacted(void **state)
{
	struct herr e = { 0 };

	(void)state;
	herr_set(&e, HOIST_FAIL, "Lambda CreateFunction failed: InvalidSignatureException: "
		 "canonical:\nx-amz-security-token:%s\nhost:x", "SECRETTOKEN1");
	assert_null(strstr(e.msg, "SECRETTOKEN1"));
	herr_prefix(&e, "deploy %s: X-Amz-Security-Token=%s ", "dev", "SECRETTOKEN2");
	assert_null(strstr(e.msg, "SECRETTOKEN2"));
	herr_hint(&e, "x-api-key: %s", "SECRETKEY3");
	assert_null(strstr(e.msg, "SECRETKEY3"));
	assert_non_null(strstr(e.msg, "deploy dev: "));
	assert_non_null(strstr(e.msg, "InvalidSignatureException"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_requests),
		cmocka_unit_test(test_query_parameters),
		cmocka_unit_test(test_nothing_else),
		cmocka_unit_test(test_registered_secrets),
		cmocka_unit_test(test_errors_are_redacted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
