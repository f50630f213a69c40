/*
 * schedule.h — AWS-style schedule expressions: parse, compute the next fire
 * time, translate for other platforms.
 *
 * Users write schedules once, as EventBridge does:
 *
 *   rate(N minute|minutes|hour|hours|day|days)   1 takes the singular unit,
 *                                                 N > 1 the plural (AWS rule)
 *   cron(min hour day-of-month month day-of-week year)
 *        *  ,  a-b  a/b  * /b  month names JAN-DEC, day names SUN-SAT
 *        (day-of-week numbers 1-7, 1 = SUN), year 1970-2199,
 *        exactly one of day-of-month / day-of-week is '?',
 *        day-of-month: L (last day), LW (last weekday), NW (weekday nearest N),
 *        day-of-week:  L (= SAT), NL (last day N of the month), N#k (k-th day N).
 *   Ranges must not go backwards (FRI-MON is an error: write FRI-SAT,SUN-MON).
 *   All times are UTC.
 *
 * Next fire time (schedule_next):
 *   cron: the first matching minute strictly after `after`.
 *   rate: the next instant anchor + k * period strictly after `after`.  The
 *         anchor is s->anchor, 0 (the Unix epoch) after schedule_parse, so
 *         rate(5 minutes) fires at :00, :05, :10 … like the Tencent
 *         translation below; a caller that wants "N after start" (e.g. the
 *         local gateway) sets s->anchor to its start time.
 *
 * Translations (both return an allocated string, or NULL when the schedule
 * cannot be expressed exactly on that platform; schedule_why_not() says why):
 *   Alibaba Cloud FC 3.0 timer trigger (cronExpression):
 *     rate → "@every 5m", "@every 2h", "@every 48h" (days as hours);
 *     cron → 6 fields "sec min hour dom month dow", sec = 0, day-of-week
 *     numbers 0-6 with 0 = SUN (names unchanged), '?' kept.  FC evaluates
 *     the expression in UTC unless a CRON_TZ= prefix is given (none is).
 *     Not expressible: L, W, #, and a year other than '*'.  (verify)
 *   Tencent SCF timer trigger (7-field cron):
 *     cron → "sec min hour dom month dow year", sec = 0, day-of-week 0-6
 *     with 0 = SUN, '?', L, W, # kept (SCF supports them), year 1970-2099.
 *     rate → minutes dividing 60 ("0 * /N * * * * *"), hours dividing 24
 *     ("0 0 * /N * * * *"), exactly 1 day ("0 0 0 * * * *"); other periods
 *     have no exact cron form and are refused.
 */
#ifndef HOIST_SCHEDULE_H
#define HOIST_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

struct herr;

enum schedule_kind { SCHEDULE_RATE, SCHEDULE_CRON };

#define SCHEDULE_YEAR_MIN 1970
#define SCHEDULE_YEAR_MAX 2199

struct schedule {
	enum schedule_kind kind;
	char expr[256];            /* the expression as written */

	/* rate */
	long value;                /* N */
	char unit;                 /* 'm', 'h' or 'd' */
	int64_t period;            /* seconds */
	int64_t anchor;            /* rate fires at anchor + k * period */

	/* cron: the fields as written (upper-cased), for translation */
	char field[6][64];
	uint64_t minutes;          /* bit m: minute m (0-59) */
	uint32_t hours;            /* bit h (0-23) */
	uint32_t dom;              /* bit d: day d (1-31) */
	uint16_t months;           /* bit m (1-12) */
	uint8_t dow;               /* bit d: weekday d, 0 = SUN … 6 = SAT */
	bool dom_any;              /* day-of-month is '?' */
	bool dow_any;              /* day-of-week is '?' */
	bool dom_last;             /* L */
	bool dom_last_weekday;     /* LW */
	uint32_t dom_weekday;      /* bit d: NW, the weekday nearest day d */
	uint8_t dow_last;          /* bit d: dL, last weekday d of the month */
	uint8_t dow_nth[7];        /* dow_nth[d] bit k (1-5): d#k */
	uint64_t years[4];         /* bit (y - 1970) */
};

/* Parse `expr`; errors (HOIST_USAGE) quote the expression and say what is wrong. */
int schedule_parse(const char *expr, struct schedule *out, struct herr *e);

/* Next fire time (UTC epoch seconds) strictly after `after`; -1 if none (year > 2199). */
int64_t schedule_next(const struct schedule *s, int64_t after);

/* Platform forms; allocated, or NULL when not expressible (see above). */
char *schedule_to_aliyun(const struct schedule *s);
char *schedule_to_tencent(const struct schedule *s);

/* Why the translation for `platform` ("aliyun"/"tencent") is NULL; static text. */
const char *schedule_why_not(const struct schedule *s, const char *platform);

#endif
