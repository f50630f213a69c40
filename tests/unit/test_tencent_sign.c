/*
 * test_tencent_sign.c — Tencent's two request signatures: TC3-HMAC-SHA256
 * pinned to SPEC §6's CVM vector (Tencent's published example) and to
 * vectors computed with tencentcloud-sdk-nodejs-common's sign3; the COS
 * sha1 signature pinned to vectors computed with cos-nodejs-sdk-v5's
 * getAuth (tests/node_modules, same inputs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../core/digest.h"
#include "../../providers/tencent/sign_cos.h"
#include "../../providers/tencent/sign_tc3.h"

#define ID "AKIDHOISTTEST"
#define KEY "hoist/test+secret"

/* SPEC §6: CVM DescribeInstances, the TC3 documentation's worked example. */
static void spec_vector(void **state)
{
	const char *body = "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"], "
			   "\"Name\": \"instance-name\"}]}";
	struct tc3_req r = {
		.method = "POST", .host = "cvm.tencentcloudapi.com", .path = "/",
		.content_type = "application/json; charset=utf-8", .body = body,
		.body_len = strlen(body), .service = "cvm", .timestamp = 1551113065,
	};
	struct tc3_out o;

	assert_int_equal(tc3_sign(&r, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
				  "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", &o), 0);
	assert_string_equal(o.signature,
			    "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
	assert_string_equal(o.date, "2019-02-25");
	assert_string_equal(o.authorization,
			    "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/"
			    "2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, "
			    "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
	tc3_out_free(&o);
}

/* sign3 with Content-Type application/json, the header hoist sends. */
static void sdk_vectors(void **state)
{
	const char *body = "{\"FunctionName\":\"hoistapp-dev\",\"Qualifier\":\"$LATEST\"}";
	char hash[65];
	struct tc3_req r = {
		.method = "POST", .host = "scf.tencentcloudapi.com", .path = "/",
		.content_type = "application/json", .body = body, .body_len = strlen(body),
		.service = "scf", .timestamp = 1700000000,
	};
	struct tc3_out o;

	assert_int_equal(tc3_sign(&r, ID, KEY, &o), 0);
	assert_string_equal(o.signature,
			    "666222a0659753d6111ddf32cfb3e24fd931e562fd3de99f8aa0b885dc62d55b");
	assert_non_null(strstr(o.authorization, "Credential=" ID "/2023-11-14/scf/tc3_request"));
	tc3_out_free(&o);

	/* The same with the payload hash given (a body streamed from a file). */
	digest_sha256_hex(body, strlen(body), hash);
	r.body = NULL;
	r.body_len = 0;
	r.payload_hash = hash;
	assert_int_equal(tc3_sign(&r, ID, KEY, &o), 0);
	assert_string_equal(o.signature,
			    "666222a0659753d6111ddf32cfb3e24fd931e562fd3de99f8aa0b885dc62d55b");
	tc3_out_free(&o);

	/* A CAM function URL: GET with a path and a query, no body; a port is not signed. */
	r = (struct tc3_req){
		.method = "GET", .host = "1250000000-abcd1234.ap-guangzhou.tencentscf.com:443",
		.path = "/q", .query = "x=1&a=b", .content_type = "application/json",
		.service = "scf", .timestamp = 1700000000,
	};
	assert_int_equal(tc3_sign(&r, ID, KEY, &o), 0);
	assert_string_equal(o.signature,
			    "8cf7fa84413f59609ef3ccd8c6ec4f5aa1a2b18925cb346225170bdbb8c1fb6b");
	assert_non_null(strstr(o.canonical_request, "GET\n/q\nx=1&a=b\ncontent-type:"
					       "application/json\nhost:1250000000-abcd1234."));
	tc3_out_free(&o);

	r.service = NULL;
	assert_int_equal(tc3_sign(&r, ID, KEY, &o), -1);
}

static void cos_vectors(void **state)
{
	struct cos_pair put_h[] = {
		{ "Host", "hoist-ap-guangzhou-1250000000.cos.ap-guangzhou.myqcloud.com" },
		{ "Content-Length", "1234" }, { "Content-Type", "application/zip" },
		{ "x-cos-meta-sha256", "0123abcd" }, { "User-Agent", "hoist/0.1.0" },
	};
	struct cos_pair list_q[] = {
		{ "prefix", "hoistapp-dev/" }, { "max-keys", "1000" }, { "marker", "a b/c" },
	};
	struct cos_pair host[] = {
		{ "Host", "hoist-ap-guangzhou-1250000000.cos.ap-guangzhou.myqcloud.com" } };
	struct cos_pair head_h[] = { { "Host", "b-1250000000.cos.ap-guangzhou.myqcloud.com" } };
	struct cos_sign_req r = {
		.method = "PUT", .key = "hoistapp-dev/0123abcd.zip", .headers = put_h,
		.n_headers = 5, .start = 1700000000, .end = 1700000900,
	};
	char *a = cos_authorization(&r, ID, KEY);

	assert_string_equal(a, "q-sign-algorithm=sha1&q-ak=" ID "&q-sign-time=1700000000;"
			    "1700000900&q-key-time=1700000000;1700000900&q-header-list="
			    "content-length;content-type;host;x-cos-meta-sha256&q-url-param-list=&"
			    "q-signature=637bbfd0b6e7836e072fc82b4aaf194db2c3d46d");
	free(a);
	r = (struct cos_sign_req){ .method = "GET", .key = "", .params = list_q, .n_params = 3,
				   .headers = host, .n_headers = 1, .start = 1700000000,
				   .end = 1700000900 };
	a = cos_authorization(&r, ID, KEY);
	assert_non_null(strstr(a, "&q-header-list=host&q-url-param-list=marker;max-keys;prefix&"
				  "q-signature=7e465d395d019c82985bfa06812198674b36697f"));
	free(a);
	r = (struct cos_sign_req){ .method = "HEAD", .key = "", .headers = head_h, .n_headers = 1,
				   .start = 1700000000, .end = 1700000900 };
	a = cos_authorization(&r, ID, KEY);
	assert_non_null(strstr(a, "q-signature=0288874cd828781ce5ba8492d02401979c119443"));
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_vector),
		cmocka_unit_test(sdk_vectors),
		cmocka_unit_test(cos_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
