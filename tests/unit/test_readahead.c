/*
 * test_readahead.c — answers read ahead (core/readahead.h): given once, to
 * the command's first read of a key a reader announced before it; waited
 * for while under way; shared (copied) with another reader, and readers
 * wait for and share the command's own read of a key they start from; never
 * after the command's first other request; only whole answers kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../core/http.h"
#include "../../core/readahead.h"
#include "../../core/str.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

static struct http_response answer(long status, const char *body)
{
	struct http_response rs = { 0 };

	rs.status = status;
	sbuf_init(&rs.body);
	sbuf_adds(&rs.body, body);
	http_headers_add(&rs.headers, "x-request-id", "r1");
	return rs;
}

static void given_once_to_the_first_read(void **state)
{
	struct readahead *ra = readahead_new();
	struct http_response rs = answer(200, "{\"a\":1}"), got;
	unsigned long t = readahead_claim(ra, "GET /a");
	unsigned long tk;

	(void)state;
	assert_true(t > 0);
	assert_int_equal(readahead_claim(ra, "GET /a"), 0);   /* one reader per key */
	readahead_put(ra, "GET /a", t, &rs);
	http_response_free(&rs);                               /* the reader's own: copied */
	assert_true(readahead_take(ra, "GET /a", &got, &tk));
	assert_int_equal(got.status, 200);
	assert_string_equal(got.body.s, "{\"a\":1}");
	assert_string_equal(http_headers_get(&got.headers, "X-Request-Id"), "r1");
	http_response_free(&got);
	assert_false(readahead_take(ra, "GET /a", &got, &tk));     /* a poll asks itself */
	assert_int_equal(readahead_claim(ra, "GET /a"), 0);
	readahead_free(ra);
}

static void a_key_the_command_read_first_is_never_read_ahead(void **state)
{
	struct readahead *ra = readahead_new();
	struct http_response got;
	unsigned long tk;

	(void)state;
	assert_false(readahead_take(ra, "GET /b", &got, &tk));
	assert_true(tk > 0);                                   /* the command's own read */
	assert_int_equal(readahead_claim(ra, "GET /b"), 0);
	assert_true(readahead_claim(ra, "GET /c") > 0);       /* others still can be */
	readahead_free(ra);
}

static void only_whole_answers_are_kept(void **state)
{
	struct readahead *ra = readahead_new();
	struct http_response got;
	unsigned long t = readahead_claim(ra, "GET /d");
	unsigned long tk;

	(void)state;
	readahead_put(ra, "GET /d", t, NULL);                 /* no answer (network, interrupt) */
	assert_false(readahead_take(ra, "GET /d", &got, &tk));
	readahead_free(ra);
}

static void nothing_after_the_first_other_request(void **state)
{
	struct readahead *ra = readahead_new();
	struct http_response rs = answer(200, "old"), got;
	unsigned long t1 = readahead_claim(ra, "GET /e"), t2 = readahead_claim(ra, "GET /f");
	unsigned long tk;

	(void)state;
	readahead_put(ra, "GET /e", t1, &rs);
	readahead_end(ra);                                    /* the command writes */
	assert_true(readahead_over(ra));
	readahead_put(ra, "GET /f", t2, &rs);                 /* under way then: dropped */
	assert_false(readahead_take(ra, "GET /e", &got, &tk));     /* read before it: not given */
	assert_false(readahead_take(ra, "GET /f", &got, &tk));
	assert_int_equal(readahead_claim(ra, "GET /g"), 0);   /* and nothing more is read */
	http_response_free(&rs);
	readahead_free(ra);
}

struct late {
	struct readahead *ra;
	unsigned long ticket;
};

static void *answer_late(void *p)
{
	struct late *l = p;
	struct http_response rs = answer(404, "late");

	usleep(100 * 1000);
	readahead_put(l->ra, "GET /h", l->ticket, &rs);
	http_response_free(&rs);
	return NULL;
}

static void the_command_waits_for_an_answer_under_way(void **state)
{
	struct late l = { readahead_new(), 0 };
	struct http_response got;
	pthread_t th;
	unsigned long tk;

	(void)state;
	l.ticket = readahead_claim(l.ra, "GET /h");
	assert_int_equal(pthread_create(&th, NULL, answer_late, &l), 0);
	assert_true(readahead_take(l.ra, "GET /h", &got, &tk));   /* waited: the error answer too */
	assert_int_equal(got.status, 404);
	assert_string_equal(got.body.s, "late");
	http_response_free(&got);
	pthread_join(th, NULL);
	readahead_free(l.ra);
}

static void readers_share_what_they_both_start_from(void **state)
{
	struct late l = { readahead_new(), 0 };
	struct http_response got, own;
	pthread_t th;
	unsigned long tk;

	(void)state;
	l.ticket = readahead_claim(l.ra, "GET /h");          /* one reader asks... */
	assert_int_equal(readahead_claim(l.ra, "GET /h"), 0);   /* ...another may not */
	assert_int_equal(pthread_create(&th, NULL, answer_late, &l), 0);
	assert_true(readahead_share(l.ra, "GET /h", &got));   /* but gets a copy, waited for */
	assert_string_equal(got.body.s, "late");
	http_response_free(&got);
	pthread_join(th, NULL);
	assert_true(readahead_take(l.ra, "GET /h", &own, &tk));    /* the command still has it */
	assert_string_equal(own.body.s, "late");
	http_response_free(&own);
	assert_true(readahead_share(l.ra, "GET /h", &got));   /* a reader reaching it later too */
	assert_string_equal(got.body.s, "late");
	http_response_free(&got);
	assert_false(readahead_share(l.ra, "GET /none", &got));
	readahead_end(l.ra);
	assert_false(readahead_share(l.ra, "GET /h", &got));  /* over: nothing to share */
	readahead_free(l.ra);
}

struct reader {
	struct readahead *ra;
	struct http_response got;
	bool shared;
};

static void *share_it(void *p)
{
	struct reader *r = p;

	r->shared = readahead_share(r->ra, "GET /acct", &r->got);
	return NULL;
}

/* The command asked first for what readers start from: they wait for its answer, not stop. */
static void readers_wait_for_the_commands_own_read(void **state)
{
	struct reader r = { .ra = readahead_new() };
	struct http_response rs = answer(200, "acct"), got;
	unsigned long tk;
	pthread_t th;

	(void)state;
	assert_false(readahead_take(r.ra, "GET /acct", &got, &tk));   /* the command asks */
	assert_true(tk > 0);
	assert_int_equal(readahead_claim(r.ra, "GET /acct"), 0);       /* no reader asks again */
	assert_int_equal(pthread_create(&th, NULL, share_it, &r), 0);
	usleep(50 * 1000);
	readahead_put(r.ra, "GET /acct", tk, &rs);                      /* its answer, copied */
	http_response_free(&rs);
	pthread_join(th, NULL);
	assert_true(r.shared);
	assert_string_equal(r.got.body.s, "acct");
	http_response_free(&r.got);
	assert_false(readahead_take(r.ra, "GET /acct", &got, &tk));   /* not given back to it */
	assert_int_equal(tk, 0);
	/* the command's read came to nothing: readers have nothing to share */
	assert_false(readahead_take(r.ra, "GET /x", &got, &tk));
	readahead_put(r.ra, "GET /x", tk, NULL);
	assert_false(readahead_share(r.ra, "GET /x", &got));
	readahead_free(r.ra);
}

static int started, ran;

static void count(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&ran, 1, __ATOMIC_SEQ_CST);
}

static void done(void *arg)
{
	(void)arg;
	started++;
}

static void readers_run_and_end(void **state)
{
	struct readahead_readers rs = { 0 };
	struct http_client *command = http_client_new(), *c;

	(void)state;
	c = readahead_reader_client(&rs, command);
	assert_non_null(c);
	assert_non_null(rs.ra);
	http_client_free(c);
	for (int i = 0; i < 3; i++)
		readahead_readers_start(&rs, count, done, NULL);
	readahead_readers_end(&rs, command);
	http_client_free(command);
	assert_int_equal(ran, 3);
	assert_int_equal(started, 3);
	assert_null(rs.ra);
	assert_null(rs.list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(given_once_to_the_first_read),
		cmocka_unit_test(a_key_the_command_read_first_is_never_read_ahead),
		cmocka_unit_test(only_whole_answers_are_kept),
		cmocka_unit_test(nothing_after_the_first_other_request),
		cmocka_unit_test(the_command_waits_for_an_answer_under_way),
		cmocka_unit_test(readers_share_what_they_both_start_from),
		cmocka_unit_test(readers_wait_for_the_commands_own_read),
		cmocka_unit_test(readers_run_and_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
