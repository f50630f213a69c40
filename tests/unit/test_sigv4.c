/*
 * test_sigv4.c — AWS SigV4 against the published suite vectors (SPEC §6),
 * each recomputed independently with botocore's SigV4Auth / S3SigV4Auth,
 * plus the session-token header and the non-S3 path normalisation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../providers/aws/credentials.h"
#include "../../providers/aws/sigv4.h"

#define SUITE_TIME 1440938160   /* 20150830T123600Z */

static struct cloud_creds suite = {
	.id = "AKIDEXAMPLE",
	.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

static void check(const struct sigv4_req *r, const struct cloud_creds *c, const char *sig)
{
	struct sigv4_out o;

	assert_int_equal(sigv4_sign(r, c, &o), 0);
	assert_string_equal(o.signature, sig);
	assert_non_null(strstr(o.authorization, sig));
	sigv4_out_free(&o);
}

static struct sigv4_req suite_req(const char *method, const char *path, const char *query)
{
	struct sigv4_req r = {
		.method = method, .host = "example.amazonaws.com", .path = path, .query = query,
		.region = "us-east-1", .service = "service", .now = SUITE_TIME,
	};
	return r;
}

static void get_vanilla(void **state)
{
	struct sigv4_req r = suite_req("GET", "/", NULL);
	struct sigv4_out o;

	check(&r, &suite, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	assert_int_equal(sigv4_sign(&r, &suite, &o), 0);
	assert_string_equal(o.amz_date, "20150830T123600Z");
	assert_string_equal(o.authorization,
			    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
			    "aws4_request, SignedHeaders=host;x-amz-date, Signature="
			    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	assert_false(o.send_payload_hash);
	sigv4_out_free(&o);
}

static void post_vanilla(void **state)
{
	struct sigv4_req r = suite_req("POST", "/", NULL);

	check(&r, &suite, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

static void get_vanilla_query_order_key_case(void **state)
{
	struct sigv4_req r = suite_req("GET", "/", "Param2=value2&Param1=value1");

	check(&r, &suite, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

static void get_utf8(void **state)
{
	struct sigv4_req r = suite_req("GET", "/\xe1\x88\xb4", NULL);

	check(&r, &suite, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

static void post_x_www_form_urlencoded(void **state)
{
	struct sigv4_header h[] = { { "Content-Type", "application/x-www-form-urlencoded" } };
	struct sigv4_req r = suite_req("POST", "/", NULL);
	struct sigv4_out o;

	r.headers = h;
	r.n_headers = 1;
	r.body = "Param1=value1";
	r.body_len = strlen("Param1=value1");
	check(&r, &suite, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
	assert_int_equal(sigv4_sign(&r, &suite, &o), 0);
	assert_non_null(strstr(o.authorization, "SignedHeaders=content-type;host;x-amz-date,"));
	sigv4_out_free(&o);
}

static void s3_get_object_range(void **state)
{
	struct cloud_creds c = {
		.id = "AKIAIOSFODNN7EXAMPLE",
		.secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	};
	struct sigv4_header h[] = { { "Range", "bytes=0-9" } };
	struct sigv4_req r = {
		.method = "GET", .host = "examplebucket.s3.amazonaws.com", .path = "/test.txt",
		.headers = h, .n_headers = 1, .region = "us-east-1", .service = "s3",
		.now = 1369353600 /* 20130524T000000Z */, .s3 = true,
	};
	struct sigv4_out o;

	check(&r, &c, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	assert_int_equal(sigv4_sign(&r, &c, &o), 0);
	assert_true(o.send_payload_hash);
	assert_string_equal(o.payload_hash,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_non_null(strstr(o.authorization,
			       "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"));
	sigv4_out_free(&o);
}

static void s3_unsigned_payload(void **state)
{
	struct sigv4_req r = {
		.method = "PUT", .host = "b.s3.amazonaws.com", .path = "/k",
		.payload_hash = SIGV4_UNSIGNED_PAYLOAD, .region = "us-east-1", .service = "s3",
		.now = SUITE_TIME, .s3 = true,
	};
	struct sigv4_out o;

	assert_int_equal(sigv4_sign(&r, &suite, &o), 0);
	assert_string_equal(o.payload_hash, "UNSIGNED-PAYLOAD");
	assert_non_null(strstr(o.canonical_request, "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
	assert_true(strlen(o.canonical_request) > 16 &&
		    strcmp(o.canonical_request + strlen(o.canonical_request) - 17, "\nUNSIGNED-PAYLOAD") == 0);
	sigv4_out_free(&o);
}

/* Session token signed; path normalised and double-encoded; repeated keys
 * sorted by value.  Expected value from botocore SigV4Auth with token
 * "TOKEN/+=" on https://example.amazonaws.com/a/./b//c/../%20d%2Fe?b=2&a=1&a=0 */
static void token_and_normalised_path(void **state)
{
	struct cloud_creds c = suite;
	struct sigv4_req r = suite_req("GET", "/a/./b//c/../%20d%2Fe", "b=2&a=1&a=0");
	struct sigv4_out o;

	c.token = "TOKEN/+=";
	check(&r, &c, "2c0fcc0b12a91ad4f7cb15d27835ba295b1cac3480e4a1384e31c973e9b27e2e");
	assert_int_equal(sigv4_sign(&r, &c, &o), 0);
	assert_non_null(strstr(o.canonical_request, "GET\n/a/b/%2520d%252Fe\na=0&a=1&b=2\n"));
	assert_non_null(strstr(o.authorization,
			       "SignedHeaders=host;x-amz-date;x-amz-security-token,"));
	sigv4_out_free(&o);
}

static void uri_encode(void **state)
{
	char *s = sigv4_uri_encode("a b/c~d+e=\xe1", 11, true);

	assert_string_equal(s, "a%20b/c~d%2Be%3D%E1");
	free(s);
	s = sigv4_uri_encode("a/b", 3, false);
	assert_string_equal(s, "a%2Fb");
	free(s);
}

static void refuses_without_credentials(void **state)
{
	struct cloud_creds none = { 0 };
	struct sigv4_req r = suite_req("GET", "/", NULL);
	struct sigv4_out o;

	assert_int_equal(sigv4_sign(&r, &none, &o), -1);
	sigv4_out_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_vanilla),
		cmocka_unit_test(post_vanilla),
		cmocka_unit_test(get_vanilla_query_order_key_case),
		cmocka_unit_test(get_utf8),
		cmocka_unit_test(post_x_www_form_urlencoded),
		cmocka_unit_test(s3_get_object_range),
		cmocka_unit_test(s3_unsigned_payload),
		cmocka_unit_test(token_and_normalised_path),
		cmocka_unit_test(uri_encode),
		cmocka_unit_test(refuses_without_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
