/*
 * test_sign_aliyun.c — Alibaba Cloud's three request signatures pinned to
 * SPEC §6's ACS3 vector and to vectors computed with the official SDK code
 * in tests/node_modules (research/clouds.md §8 says how to call each):
 *   ACS3: @alicloud/openapi-core utils getAuthorization
 *   OSS4: ali-oss lib/common/signUtils authorizationV4
 *   SLS:  @alicloud/gateway-sls getAuthorization
 * plus CRC-64/ECMA-182's catalogue check value (FC's codeChecksum).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../core/crc64.h"
#include "../../core/digest.h"
#include "../../providers/aliyun/sign_acs3.h"
#include "../../providers/aliyun/sign_oss4.h"
#include "../../providers/aliyun/sign_sls.h"

#define AK "LTAIhoisttest"
#define SK "hoist/secret+key"
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void acs3_check(const struct acs3_req *r, const char *ak, const char *sk,
		       const char *want)
{
	struct acs3_out o;

	assert_int_equal(acs3_sign(r, ak, sk, &o), 0);
	assert_string_equal(o.authorization, want);
	acs3_out_free(&o);
}

/* SPEC §6: ECS RunInstances, the vector Alibaba publishes for ACS3. */
static void acs3_spec_vector(void **state)
{
	const struct ali_kv q[] = {
		{ "RegionId", "cn-shanghai" },
		{ "ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd" },
	};
	const struct ali_kv h[] = {
		{ "host", "ecs.cn-shanghai.aliyuncs.com" },
		{ "x-acs-action", "RunInstances" }, { "x-acs-version", "2014-05-26" },
		{ "x-acs-date", "2023-10-26T10:22:32Z" },
		{ "x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d" },
		{ "x-acs-content-sha256",
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "accept", "application/json" },    /* not signed */
	};
	struct acs3_req r = {
		.method = "POST", .pathname = "/", .query = q, .n_query = N(q),
		.headers = h, .n_headers = N(h),
		.payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	};
	struct acs3_out o;
	char hash[65];

	assert_int_equal(acs3_sign(&r, "YourAccessKeyId", "YourAccessKeySecret", &o), 0);
	assert_string_equal(o.signature,
			    "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
	digest_sha256_hex(o.canonical_request, strlen(o.canonical_request), hash);
	assert_string_equal(hash,
			    "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
	acs3_out_free(&o);
}

/* An FC 3.0 ROA call with a JSON body, an unsigned x-fc-* header and a query to encode. */
static void acs3_fc_roa(void **state)
{
	const struct ali_kv q[] = { { "qualifier", "dev" }, { "x", "a b*~('!)" } };
	const struct ali_kv h[] = {
		{ "host", "fcv3.cn-hangzhou.aliyuncs.com" },
		{ "x-acs-action", "InvokeFunction" }, { "x-acs-version", "2023-03-30" },
		{ "x-acs-date", "2024-05-01T01:02:03Z" }, { "x-acs-signature-nonce", "abc123" },
		{ "Content-Type", "application/json; charset=utf-8" },
		{ "x-acs-content-sha256",
		  "91cd90588256865d36c285c5cb0f42c04427296b6348446325fa74ddefb5779f" },
		{ "x-fc-log-type", "Tail" }, { "accept", "application/json" }, { "user-agent", "x" },
	};
	struct acs3_req r = {
		.method = "POST", .pathname = "/2023-03-30/functions/hoistapp-dev/invocations",
		.query = q, .n_query = N(q), .headers = h, .n_headers = N(h),
		.payload_hash = "91cd90588256865d36c285c5cb0f42c04427296b6348446325fa74ddefb5779f",
	};

	acs3_check(&r, AK, SK, "ACS3-HMAC-SHA256 Credential=LTAIhoisttest,SignedHeaders="
		   "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;"
		   "x-acs-signature-nonce;x-acs-version,Signature="
		   "84a94d24e51900ba541b24da978561b539f3e0c97b26ac4fb3d8ab45e5f3dc51");
}

/* An RPC call with STS credentials: the token and key id headers are signed. */
static void acs3_rpc_sts_token(void **state)
{
	const struct ali_kv h[] = {
		{ "host", "sts.aliyuncs.com" }, { "x-acs-action", "GetCallerIdentity" },
		{ "x-acs-version", "2015-04-01" }, { "x-acs-date", "2024-05-01T01:02:03Z" },
		{ "x-acs-signature-nonce", "n1" },
		{ "x-acs-content-sha256",
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "x-acs-accesskey-id", "STS.hoist" }, { "x-acs-security-token", "tok/en==" },
	};
	struct acs3_req r = {
		.method = "POST", .pathname = "/", .headers = h, .n_headers = N(h),
		.payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	};

	acs3_check(&r, "STS.hoist", SK, "ACS3-HMAC-SHA256 Credential=STS.hoist,SignedHeaders="
		   "host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;"
		   "x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature="
		   "f7c57cc862d46f6d036542aa54de00e626b21a19cf780d49cdd0024801660e30");
}

/* An HTTP trigger with authType "function": only x-acs-date, empty payload (seed 003). */
static void acs3_http_trigger(void **state)
{
	const struct ali_kv q[] = { { "foo", "bar baz" }, { "a", "1" } };
	const struct ali_kv h[] = { { "x-acs-date", "2024-05-01T01:02:03Z" } };
	struct acs3_req r = {
		.method = "GET", .pathname = "/hello/w%20rld", .query = q, .n_query = N(q),
		.headers = h, .n_headers = N(h), .payload_hash = "",
	};

	acs3_check(&r, AK, SK, "ACS3-HMAC-SHA256 Credential=LTAIhoisttest,SignedHeaders="
		   "x-acs-date,Signature="
		   "653e13fb55ff9f4a9cb23c61966118d837f12e68d9b4419ca4417c72b9a9bb3b");
}

static void oss4_check(const struct oss4_req *r, const char *want)
{
	struct oss4_out o;

	assert_int_equal(oss4_sign(r, AK, SK, &o), 0);
	assert_string_equal(o.authorization, want);
	oss4_out_free(&o);
}

static void oss4_put_object(void **state)
{
	const struct ali_kv h[] = {
		{ "Content-Type", "application/zip" }, { "x-oss-date", "20240501T010203Z" },
		{ "x-oss-content-sha256", "UNSIGNED-PAYLOAD" }, { "content-length", "10" },
		{ "host", "hoist-1234-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com" },
	};
	struct oss4_req r = {
		.method = "PUT", .bucket = "hoist-1234-cn-hangzhou", .key = "hoistapp-dev/code 1.zip",
		.headers = h, .n_headers = N(h), .region = "cn-hangzhou",
	};

	oss4_check(&r, "OSS4-HMAC-SHA256 Credential=LTAIhoisttest/20240501/cn-hangzhou/oss/"
		   "aliyun_v4_request,Signature="
		   "aa07a892022803b2bd633f689a32fde91fdf439e94ccc8307bfea3c4b877ce7f");
}

/* A bucket-level call with a bare sub-resource, an encoded value and an STS token. */
static void oss4_bucket_query(void **state)
{
	const struct ali_kv q[] = { { "prefix", "a/b c" }, { "delete", NULL }, { "list-type", "2" } };
	const struct ali_kv h[] = {
		{ "x-oss-date", "20240501T010203Z" }, { "x-oss-content-sha256", "UNSIGNED-PAYLOAD" },
		{ "x-oss-security-token", "tok" }, { "content-md5", "abc==" },
	};
	struct oss4_req r = {
		.method = "POST", .bucket = "bkt", .query = q, .n_query = N(q),
		.headers = h, .n_headers = N(h), .region = "cn-hangzhou",
	};
	const struct ali_kv h2[] = {
		{ "x-oss-date", "20240501T010203Z" }, { "x-oss-content-sha256", "UNSIGNED-PAYLOAD" },
	};
	struct oss4_req r2 = {
		.method = "PUT", .bucket = "bkt", .headers = h2, .n_headers = N(h2),
		.region = "cn-hangzhou",
	};

	oss4_check(&r, "OSS4-HMAC-SHA256 Credential=LTAIhoisttest/20240501/cn-hangzhou/oss/"
		   "aliyun_v4_request,Signature="
		   "48f067cfcc26dbb1fd9bc72e097a0300e70b32eaa942076bc064d0ac96528c32");
	oss4_check(&r2, "OSS4-HMAC-SHA256 Credential=LTAIhoisttest/20240501/cn-hangzhou/oss/"
		   "aliyun_v4_request,Signature="
		   "64521e97741ce867845c76199e1caed9b818292de2cc3df2dd705786f44b3f52");
}

static void sls_check(const struct sls_req *r, const char *want)
{
	struct sls_out o;

	assert_int_equal(sls_sign(r, AK, SK, &o), 0);
	assert_string_equal(o.authorization, want);
	sls_out_free(&o);
}

/* GetLogs: raw (unencoded) query values in the resource. */
static void sls_get_logs(void **state)
{
	const struct ali_kv q[] = {
		{ "type", "log" }, { "from", "1714525323" }, { "to", "1714525923" },
		{ "query", "__topic__:\"FCLogs:hoistapp-dev\" and \"x\"" }, { "line", "100" },
		{ "offset", "0" }, { "reverse", "false" },
	};
	const struct ali_kv h[] = {
		{ "x-log-apiversion", "0.6.0" }, { "x-log-signaturemethod", "hmac-sha256" },
		{ "x-log-bodyrawsize", "0" }, { "date", "Wed, 01 May 2024 01:02:03 GMT" },
		{ "accept", "application/json" }, { "host", "p.cn-hangzhou.log.aliyuncs.com" },
	};
	struct sls_req r = {
		.method = "GET", .path = "/logstores/hoistapp-dev", .query = q, .n_query = N(q),
		.headers = h, .n_headers = N(h),
	};
	char date[32];

	sls_check(&r, "LOG LTAIhoisttest:sPstbk9s/b3JYdbmu5bwcgpupkQYfVFwGVyIUdlkGbg=");
	sls_date(1714525323, date);
	assert_string_equal(date, "Wed, 01 May 2024 01:02:03 GMT");
}

static void sls_post_body(void **state)
{
	const struct ali_kv h[] = {
		{ "x-log-apiversion", "0.6.0" }, { "x-log-signaturemethod", "hmac-sha256" },
		{ "x-log-bodyrawsize", "20" }, { "date", "Wed, 01 May 2024 01:02:03 GMT" },
		{ "content-type", "application/json" }, { "content-md5", "ABCDEF0123" },
		{ "x-acs-security-token", "tok" },
	};
	struct sls_req r = {
		.method = "POST", .path = "/logstores", .headers = h, .n_headers = N(h),
	};

	sls_check(&r, "LOG LTAIhoisttest:dWdQn6XLBX+DpXhVGKsUVVseB7qhY+crfQYNvLmZrgI=");
}

static void dates(void **state)
{
	char a[21], o[17];

	acs3_date(1698315752, a);
	assert_string_equal(a, "2023-10-26T10:22:32Z");
	oss4_date(1714525323, o);
	assert_string_equal(o, "20240501T010203Z");
}

/* CRC-64/XZ (ECMA-182 reflected) check value, and streaming equals one shot. */
static void crc64_check_value(void **state)
{
	const char *s = "123456789";
	uint64_t a = crc64_update(0, s, 9), b;

	assert_true(a == 0x995DC9BBDF1939FAULL);
	b = crc64_update(crc64_update(0, s, 4), s + 4, 5);
	assert_true(a == b);
	assert_true(crc64_update(0, "", 0) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acs3_spec_vector),
		cmocka_unit_test(acs3_fc_roa),
		cmocka_unit_test(acs3_rpc_sts_token),
		cmocka_unit_test(acs3_http_trigger),
		cmocka_unit_test(oss4_put_object),
		cmocka_unit_test(oss4_bucket_query),
		cmocka_unit_test(sls_get_logs),
		cmocka_unit_test(sls_post_body),
		cmocka_unit_test(dates),
		cmocka_unit_test(crc64_check_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
