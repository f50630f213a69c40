/*
 * test_schedule.c — rate()/cron() parsing, next fire times (answers worked
 * out on a calendar: 2024-01-01 is a Monday, 2024 is a leap year) and the
 * Alibaba/Tencent translations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../core/err.h"
#include "../../core/schedule.h"

#define JAN1_2024 1704067200LL   /* 2024-01-01T00:00:00Z, a Monday */
#define DAY 86400LL

static void parse_ok(const char *expr, struct schedule *s)
{
	struct herr e = { 0 };

	if (schedule_parse(expr, s, &e) != HOIST_OK)
		fail_msg("%s: %s", expr, e.msg);
}

static void parse_bad(const char *expr, const char *needle)
{
	struct schedule s;
	struct herr e = { 0 };

	assert_int_equal(schedule_parse(expr, &s, &e), HOIST_USAGE);
	if (!strstr(e.msg, needle))
		fail_msg("%s: message '%s' lacks '%s'", expr, e.msg, needle);
}

static int64_t next(const char *expr, int64_t after)
{
	struct schedule s;

	parse_ok(expr, &s);
	return schedule_next(&s, after);
}

static void test_rate_parse(void **state)
{
	struct schedule s;

	(void)state;
	parse_ok("rate(1 minute)", &s);
	assert_int_equal(s.kind, SCHEDULE_RATE);
	assert_int_equal(s.period, 60);
	parse_ok("rate(5 minutes)", &s);
	assert_int_equal(s.period, 300);
	parse_ok("rate(1 hour)", &s);
	assert_int_equal(s.period, 3600);
	parse_ok("rate(12 hours)", &s);
	assert_int_equal(s.period, 12 * 3600);
	parse_ok("rate(1 day)", &s);
	assert_int_equal(s.period, DAY);
	parse_ok("rate(3 days)", &s);
	assert_int_equal(s.period, 3 * DAY);
}

static void test_rate_errors(void **state)
{
	(void)state;
	parse_bad("rate(1 minutes)", "singular unit: rate(1 minute)");
	parse_bad("rate(5 minute)", "plural unit: rate(5 minutes)");
	parse_bad("rate(2 hour)", "plural");
	parse_bad("rate(0 minutes)", "at least 1");
	parse_bad("rate(5 weeks)", "unknown unit 'weeks'");
	parse_bad("rate(five minutes)", "expected rate(");
	parse_bad("rate(5minutes)", "expected rate(");
	parse_bad("rate(5 minutes", "expected rate(");
	parse_bad("every 5 minutes", "not a schedule expression");
	parse_bad("", "empty schedule");
}

static void test_cron_parse(void **state)
{
	struct schedule s;

	(void)state;
	parse_ok("cron(0 12 * * ? *)", &s);
	assert_int_equal(s.kind, SCHEDULE_CRON);
	assert_true(s.minutes == 1);
	assert_true(s.hours == 1U << 12);
	assert_true(s.dow_any);
	parse_ok("cron(0/15 9-17 ? * MON-FRI *)", &s);
	assert_true(s.minutes == (1ULL | 1ULL << 15 | 1ULL << 30 | 1ULL << 45));
	assert_int_equal(s.dow, 0x3e);   /* MON..FRI = bits 1..5 */
	assert_true(s.dom_any);
	parse_ok("cron(*/20 0,12 1,15 JAN,jul ? 2025-2030)", &s);
	assert_true(s.minutes == (1ULL | 1ULL << 20 | 1ULL << 40));
	assert_int_equal(s.months, 1 << 1 | 1 << 7);
	parse_ok("cron(0 0 L * ? *)", &s);
	assert_true(s.dom_last);
	parse_ok("cron(0 0 15W * ? *)", &s);
	assert_true(s.dom_weekday == 1U << 15);
	parse_ok("cron(0 0 ? * 6#3 *)", &s);
	assert_int_equal(s.dow_nth[5], 1 << 3);
	parse_ok("cron(0 0 ? * 2L *)", &s);
	assert_int_equal(s.dow_last, 1 << 1);
}

static void test_cron_errors(void **state)
{
	(void)state;
	parse_bad("cron(0 12 * * * *)",
		  "cron(0 12 * * * *): day-of-month and day-of-week cannot both be '*'; "
		  "use '?' in one of them");
	parse_bad("cron(0 12 1 * MON *)", "cannot both be given");
	parse_bad("cron(0 12 ? * ? *)", "cannot both be '?'");
	parse_bad("cron(0 12 * * ?)", "5 fields; cron() takes 6");
	parse_bad("cron(0 12 * * ? * *)", "too many fields");
	parse_bad("cron(60 * * * ? *)", "minutes field: 60 in '60' is out of range 0-59");
	parse_bad("cron(0 24 * * ? *)", "hours field");
	parse_bad("cron(0 0 32 * ? *)", "day-of-month field");
	parse_bad("cron(0 0 * 13 ? *)", "month field");
	parse_bad("cron(0 0 ? * 8 *)", "day-of-week field");
	parse_bad("cron(0 0 ? * 2#6 *)", "N#1-5");
	parse_bad("cron(0 0 * * ? 1969)", "year field");
	parse_bad("cron(0 0 * * ? 2200)", "year field");
	parse_bad("cron(5-2 * * * ? *)", "goes backwards");
	parse_bad("cron(*/0 * * * ? *)", "at least 1");
	parse_bad("cron(? * * * ? *)", "only allowed in day-of-month or day-of-week");
	parse_bad("cron(0 0 * FOO ? *)", "cannot read 'FOO'");
	parse_bad("cron(1,,2 0 * * ? *)", "empty item");
	parse_bad("cron(0 12 * * ? *", "closing parenthesis");
}

static void test_next_cron(void **state)
{
	(void)state;
	/* daily at noon */
	assert_int_equal(next("cron(0 12 * * ? *)", JAN1_2024), JAN1_2024 + 12 * 3600);
	/* strictly after: at 12:00 exactly, the next is tomorrow's */
	assert_int_equal(next("cron(0 12 * * ? *)", JAN1_2024 + 12 * 3600),
			 JAN1_2024 + DAY + 12 * 3600);
	/* every 15 minutes */
	assert_int_equal(next("cron(0/15 * * * ? *)", JAN1_2024 + 1), JAN1_2024 + 900);
	/* weekdays at 09:00: from Friday 2024-01-05 10:00 to Monday 2024-01-08 09:00 */
	assert_int_equal(next("cron(0 9 ? * MON-FRI *)", 1704448800), 1704704400);
	/* same with day numbers (2-6 = MON-FRI, 1 = SUN) */
	assert_int_equal(next("cron(0 9 ? * 2-6 *)", 1704448800), 1704704400);
	/* last day of February 2024 (leap year) */
	assert_int_equal(next("cron(0 0 L * ? *)", 1706745600), 1709164800);
	/* third Friday of January 2024: the 19th */
	assert_int_equal(next("cron(0 10 ? * 6#3 *)", JAN1_2024), 1705658400);
	/* last Monday of January 2024: the 29th */
	assert_int_equal(next("cron(0 0 ? * 2L *)", JAN1_2024), 1706486400);
	/* 2024-06-15 is a Saturday: nearest weekday is Friday the 14th */
	assert_int_equal(next("cron(0 0 15W * ? *)", 1717200000), 1718323200);
	/* 2024-06-01 is a Saturday: 1W does not leave the month, so Monday the 3rd */
	assert_int_equal(next("cron(0 0 1W * ? *)", 1717200000 - 1), 1717372800);
	/* 2024-08-31 is a Saturday: last weekday is Friday the 30th */
	assert_int_equal(next("cron(0 0 LW * ? *)", 1722470400), 1724976000);
	/* a given year */
	assert_int_equal(next("cron(30 8 1 JAN ? 2025)", JAN1_2024), 1735720200);
	/* 29 February: from 2024-03-01 the next is in 2028 */
	assert_int_equal(next("cron(0 0 29 2 ? *)", 1709251200), 1835395200);
	/* across a year end */
	assert_int_equal(next("cron(0 0 * * ? *)", 1735689570), 1735689600);
	/* a year in the past never fires again */
	assert_int_equal(next("cron(0 0 1 1 ? 1970)", JAN1_2024), -1);
}

static void test_next_rate(void **state)
{
	struct schedule s;

	(void)state;
	parse_ok("rate(5 minutes)", &s);
	assert_int_equal(schedule_next(&s, JAN1_2024 + 1), JAN1_2024 + 300);
	assert_int_equal(schedule_next(&s, JAN1_2024 + 300), JAN1_2024 + 600);
	assert_int_equal(schedule_next(&s, JAN1_2024 - 1), JAN1_2024);
	s.anchor = 100;
	assert_int_equal(schedule_next(&s, 100), 400);
	assert_int_equal(schedule_next(&s, 50), 100);
	parse_ok("rate(1 day)", &s);
	assert_int_equal(schedule_next(&s, JAN1_2024), JAN1_2024 + DAY);
}

static void expect_tr(const char *expr, const char *aliyun, const char *tencent)
{
	struct schedule s;
	char *a, *t;

	parse_ok(expr, &s);
	a = schedule_to_aliyun(&s);
	t = schedule_to_tencent(&s);
	if (aliyun) {
		if (!a)
			fail_msg("%s: no aliyun form: %s", expr, schedule_why_not(&s, "aliyun"));
		assert_string_equal(a, aliyun);
	} else {
		assert_null(a);
		assert_non_null(schedule_why_not(&s, "aliyun"));
	}
	if (tencent) {
		if (!t)
			fail_msg("%s: no tencent form: %s", expr, schedule_why_not(&s, "tencent"));
		assert_string_equal(t, tencent);
	} else {
		assert_null(t);
		assert_non_null(schedule_why_not(&s, "tencent"));
	}
	free(a);
	free(t);
}

static void test_translations(void **state)
{
	(void)state;
	expect_tr("rate(1 minute)", "@every 1m", "0 * * * * * *");
	expect_tr("rate(5 minutes)", "@every 5m", "0 */5 * * * * *");
	expect_tr("rate(4 minutes)", "@every 4m", "0 */4 * * * * *");
	expect_tr("rate(7 minutes)", "@every 7m", NULL);
	expect_tr("rate(1 hour)", "@every 1h", "0 0 * * * * *");
	expect_tr("rate(6 hours)", "@every 6h", "0 0 */6 * * * *");
	expect_tr("rate(5 hours)", "@every 5h", NULL);
	expect_tr("rate(1 day)", "@every 24h", "0 0 0 * * * *");
	expect_tr("rate(2 days)", "@every 48h", NULL);
	expect_tr("cron(0 12 * * ? *)", "0 0 12 * * ?", "0 0 12 * * ? *");
	expect_tr("cron(0/15 9-17 ? * MON-FRI *)", "0 0/15 9-17 ? * MON-FRI",
		  "0 0/15 9-17 ? * MON-FRI *");
	expect_tr("cron(0 9 ? * 2-6 *)", "0 0 9 ? * 1-5", "0 0 9 ? * 1-5 *");
	expect_tr("cron(0 9 ? * 1,7 *)", "0 0 9 ? * 0,6", "0 0 9 ? * 0,6 *");
	expect_tr("cron(0 9 ? * 1/2 *)", "0 0 9 ? * 0/2", "0 0 9 ? * 0/2 *");
	expect_tr("cron(0 10 ? * 6#3 *)", NULL, "0 0 10 ? * 5#3 *");
	expect_tr("cron(0 0 ? * 2L *)", NULL, "0 0 0 ? * 1L *");
	expect_tr("cron(0 0 L * ? *)", NULL, "0 0 0 L * ? *");
	expect_tr("cron(0 8 1 jan ? 2030)", NULL, "0 0 8 1 JAN ? 2030");
	expect_tr("cron(0 0 1 1 ? 2150)", NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_parse),
		cmocka_unit_test(test_rate_errors),
		cmocka_unit_test(test_cron_parse),
		cmocka_unit_test(test_cron_errors),
		cmocka_unit_test(test_next_cron),
		cmocka_unit_test(test_next_rate),
		cmocka_unit_test(test_translations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
