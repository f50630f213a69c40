/*
 * test_http_body.c — core/http_body.c: a JSON document with a file's base64
 * streamed inside it, file ranges, the body's length and SHA-256 known
 * before sending, reads of any size, and a file that changes under it.
 * The decoding side is OpenSSL's and jansson's, not ours.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../core/err.h"
#include "../../core/http_body.h"
#include "../../core/str.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *scratch_file(const unsigned char *data, size_t len)
{
	char *path = xstrdup("/tmp/hoist-body-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static unsigned char *pattern(size_t len)
{
	unsigned char *p = xmalloc(len + 1);

	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)((i * 7919 + (i >> 8)) & 0xff);
	return p;
}

/* The whole body, read `step` bytes at a time. */
static char *read_all(const struct http_body *b, size_t step, size_t *len)
{
	struct http_body_reader *r = xmalloc(sizeof(*r));
	struct herr e = { 0 };
	char *out = xmalloc(b->size + 1);
	long long n;

	*len = 0;
	assert_int_equal(http_body_open(r, b, &e), HOIST_OK);
	while ((n = http_body_read(r, out + *len, step, &e)) > 0) {
		*len += (size_t)n;
		assert_true(*len <= b->size);
	}
	assert_int_equal(n, 0);
	http_body_close(r);
	free(r);
	out[*len] = '\0';
	return out;
}

static void check_sha(struct http_body *b, const char *body, size_t len)
{
	unsigned char md[32];
	struct herr e = { 0 };

	SHA256((const unsigned char *)body, len, md);
	assert_int_equal(http_body_sha256(b, &e), HOIST_OK);
	assert_memory_equal(b->sha256, md, 32);
	assert_int_equal(strlen(b->sha256_hex), 64);
}

static void json_with_file(void **state)
{
	/* around the 48 KiB chunk and base64's 3-byte groups */
	static const size_t sizes[] = { 0, 1, 2, 3, 4, HTTP_BODY_CHUNK - 1, HTTP_BODY_CHUNK,
					HTTP_BODY_CHUNK + 1, 3 * HTTP_BODY_CHUNK + 2 };
	static const size_t steps[] = { 1, 7, 4096, 65536, 1 << 20 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		unsigned char *data = pattern(sizes[i]);
		char *file = scratch_file(data, sizes[i]);
		json_t *doc = json_pack("{s:s, s:{s:o}, s:[s]}", "FunctionName", "f\"n",
					"Code", "ZipFile", http_body_mark(), "Architectures",
					"x86_64");
		struct http_body b;
		struct herr e = { 0 };

		assert_int_equal(http_body_json(&b, doc, file, &e), HOIST_OK);
		for (size_t j = 0; j < sizeof(steps) / sizeof(*steps); j++) {
			size_t len, dlen;
			char *body = read_all(&b, steps[j], &len);
			json_t *back = json_loads(body, 0, NULL);
			const char *b64;
			unsigned char *dec;

			assert_int_equal(len, b.size);
			assert_non_null(back);
			assert_string_equal(json_string_value(json_object_get(back, "FunctionName")),
					    "f\"n");
			b64 = json_string_value(json_object_get(json_object_get(back, "Code"),
								"ZipFile"));
			assert_non_null(b64);
			dec = xmalloc(strlen(b64) + 1);
			dlen = (size_t)EVP_DecodeBlock(dec, (const unsigned char *)b64,
						       (int)strlen(b64));
			/* EVP_DecodeBlock counts the padding as zero bytes */
			dlen -= (strlen(b64) && b64[strlen(b64) - 1] == '=') +
				(strlen(b64) > 1 && b64[strlen(b64) - 2] == '=');
			assert_int_equal(dlen, sizes[i]);
			assert_memory_equal(dec, data, sizes[i]);
			if (j == 0)
				check_sha(&b, body, len);
			free(dec);
			json_decref(back);
			free(body);
		}
		http_body_free(&b);
		json_decref(doc);
		unlink(file);
		free(file);
		free(data);
	}
}

static void file_range(void **state)
{
	size_t n = 2 * HTTP_BODY_CHUNK + 100, len;
	unsigned char *data = pattern(n);
	char *file = scratch_file(data, n), *body;
	struct http_body b;
	struct herr e = { 0 };

	assert_int_equal(http_body_file(&b, file, 1000, HTTP_BODY_CHUNK + 5, &e), HOIST_OK);
	assert_int_equal(b.size, HTTP_BODY_CHUNK + 5);
	body = read_all(&b, 3000, &len);
	assert_int_equal(len, HTTP_BODY_CHUNK + 5);
	assert_memory_equal(body, data + 1000, len);
	check_sha(&b, body, len);
	free(body);
	http_body_free(&b);

	assert_int_equal(http_body_file(&b, file, 0, 0, &e), HOIST_OK);   /* all of it */
	assert_int_equal(b.size, n);
	body = read_all(&b, 65536, &len);
	assert_memory_equal(body, data, n);
	free(body);
	http_body_free(&b);

	/* a range past the end, a missing file */
	assert_int_equal(http_body_file(&b, file, n - 10, 11, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "shorter"));
	assert_int_equal(http_body_file(&b, "/nonexistent/x.zip", 0, 0, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "/nonexistent/x.zip"));
	unlink(file);
	free(file);
	free(data);
}

static void mark_exactly_once(void **state)
{
	unsigned char one = 'x';
	char *file = scratch_file(&one, 1);
	json_t *none = json_pack("{s:s}", "ZipFile", "abc");
	json_t *twice = json_pack("{s:o, s:o}", "A", http_body_mark(), "B", http_body_mark());
	struct http_body b;
	struct herr e = { 0 };

	assert_int_equal(http_body_json(&b, none, file, &e), HOIST_FAIL);
	assert_non_null(strstr(e.msg, "exactly once"));
	assert_int_equal(http_body_json(&b, twice, file, &e), HOIST_FAIL);
	json_decref(none);
	json_decref(twice);
	unlink(file);
	free(file);
}

/* A file that shrinks or grows after the body was made is refused, never sent short. */
static void changed_file(void **state)
{
	size_t n = HTTP_BODY_CHUNK * 2;
	unsigned char *data = pattern(n);
	char *file = scratch_file(data, n);
	json_t *doc = json_pack("{s:o}", "ZipFile", http_body_mark());
	struct http_body b;
	struct http_body_reader *r = xmalloc(sizeof(*r));
	struct herr e = { 0 };
	char buf[4096];
	long long k;
	FILE *f;

	assert_int_equal(http_body_json(&b, doc, file, &e), HOIST_OK);
	assert_int_equal(truncate(file, 100), 0);
	assert_int_equal(http_body_open(r, &b, &e), HOIST_FAIL);
	assert_non_null(strstr(e.msg, "changed while it was being sent"));
	assert_int_equal(http_body_sha256(&b, &e), HOIST_FAIL);

	/* shrinks while being read */
	f = fopen(file, "wb");
	fwrite(data, 1, n, f);
	fclose(f);
	assert_int_equal(http_body_open(r, &b, &e), HOIST_OK);
	assert_true(http_body_read(r, buf, sizeof(buf), &e) > 0);
	assert_int_equal(truncate(file, HTTP_BODY_CHUNK / 2), 0);
	while ((k = http_body_read(r, buf, sizeof(buf), &e)) > 0)
		;
	assert_int_equal(k, -1);
	assert_non_null(strstr(e.msg, "changed while it was being sent"));
	http_body_close(r);
	free(r);
	http_body_free(&b);
	json_decref(doc);
	unlink(file);
	free(file);
	free(data);
}

/* A whole file's known SHA-256 is taken as the body's; anything else is refused. */
static void known_sha256(void **state)
{
	size_t n = HTTP_BODY_CHUNK + 5;
	unsigned char *data = pattern(n), md[32];
	char *file = scratch_file(data, n), hex[65];
	json_t *doc = json_pack("{s:o}", "ZipFile", http_body_mark());
	struct http_body whole, part, json;
	struct herr e = { 0 };

	SHA256(data, n, md);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);   /* either case */
	assert_int_equal(http_body_file(&whole, file, 0, 0, &e), HOIST_OK);
	assert_int_equal(http_body_sha256_known(&whole, "abc", &e), HOIST_FAIL);
	assert_false(whole.hashed);
	assert_int_equal(http_body_sha256_known(&whole, hex, &e), HOIST_OK);
	assert_memory_equal(whole.sha256, md, 32);
	assert_int_equal(truncate(file, 1), 0);   /* not read again: taken as given */
	assert_int_equal(http_body_sha256(&whole, &e), HOIST_OK);
	assert_memory_equal(whole.sha256, md, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(strtol((char[]){ whole.sha256_hex[2 * i],
						  whole.sha256_hex[2 * i + 1], 0 }, NULL, 16),
				 md[i]);
	assert_int_equal(truncate(file, (off_t)n), 0);

	assert_int_equal(http_body_file(&part, file, 1, 0, &e), HOIST_OK);
	assert_int_equal(http_body_sha256_known(&part, hex, &e), HOIST_FAIL);
	assert_int_equal(http_body_json(&json, doc, file, &e), HOIST_OK);
	assert_int_equal(http_body_sha256_known(&json, hex, &e), HOIST_FAIL);
	assert_false(part.hashed || json.hashed);

	http_body_free(&whole);
	http_body_free(&part);
	http_body_free(&json);
	json_decref(doc);
	unlink(file);
	free(file);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_with_file),
		cmocka_unit_test(file_range),
		cmocka_unit_test(mark_exactly_once),
		cmocka_unit_test(changed_file),
		cmocka_unit_test(known_sha256),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
