/*
 * test_upload_early.c — the code object uploaded while the pre-flight runs
 * (core/upload_early.h): waited for when the package passed; on a refusal
 * its client is stopped and the object removed (it may have got there all
 * the same), never when the upload was not tried.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../core/http.h"
#include "../../core/str.h"
#include "../../core/upload_early.h"

#include <stdatomic.h>
#include <unistd.h>

struct bucket {
	atomic_int began;
	int puts, drops;
	int put_rc;
	unsigned sleep_ms;
};

static int put(void *arg, struct herr *e)
{
	struct bucket *b = arg;

	atomic_store(&b->began, 1);
	usleep(b->sleep_ms * 1000);
	b->puts++;
	return b->put_rc ? herr_set(e, b->put_rc, "HTTP 500") : HOIST_OK;
}

static int drop(void *arg, struct herr *e)
{
	struct bucket *b = arg;

	(void)e;
	b->drops++;
	return HOIST_OK;
}

static bool run(struct bucket *b, bool wanted)
{
	struct upload_early u;
	struct http_client *http = http_client_new();
	bool sent;

	upload_early_start(&u, http, put, drop, NULL, b, "/tmp/app.zip", 5ULL << 20,
			   xstrdup("oss://b/k"));
	assert_true(u.started);
	while (!atomic_load(&b->began))   /* under way when the verdict comes */
		usleep(1000);
	sent = upload_early_end(&u, wanted);

	assert_false(u.started);
	assert_null(u.where);
	http_client_free(http);
	return sent;
}

static void waited_for_when_the_package_passed(void **state)
{
	struct bucket b = { .sleep_ms = 50 };

	(void)state;
	assert_true(run(&b, true));
	assert_int_equal(b.puts, 1);
	assert_int_equal(b.drops, 0);
}

static void a_failed_upload_is_only_a_lost_head_start(void **state)
{
	struct bucket b = { .put_rc = HOIST_FAIL };

	(void)state;
	assert_false(run(&b, true));   /* the usual step uploads */
	assert_int_equal(b.drops, 0);
}

static void a_refusal_removes_the_object(void **state)
{
	struct bucket ok = { .sleep_ms = 20 }, failed = { .sleep_ms = 20, .put_rc = HOIST_FAIL };

	(void)state;
	assert_false(run(&ok, false));
	assert_int_equal(ok.drops, 1);
	assert_false(run(&failed, false));   /* stopped after its last byte: it may be there */
	assert_int_equal(failed.drops, 1);
}

static void nothing_started_nothing_to_end(void **state)
{
	struct upload_early u = { 0 };

	(void)state;
	assert_false(upload_early_end(&u, true));
	assert_false(upload_early_end(&u, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(waited_for_when_the_package_passed),
		cmocka_unit_test(a_failed_upload_is_only_a_lost_head_start),
		cmocka_unit_test(a_refusal_removes_the_object),
		cmocka_unit_test(nothing_started_nothing_to_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
