/*
 * schedule.c — rate()/cron() expressions: the parser, the next-fire-time
 * search and the Alibaba/Tencent translations.  See schedule.h for the
 * accepted syntax and the translation rules.
 */
#include "schedule.h"

#include "err.h"
#include "str.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_YEAR };

static const char *const field_names[6] = {
	"minutes", "hours", "day-of-month", "month", "day-of-week", "year",
};
static const int field_lo[6] = { 0, 0, 1, 1, 1, SCHEDULE_YEAR_MIN };
static const int field_hi[6] = { 59, 23, 31, 12, 7, SCHEDULE_YEAR_MAX };

static const char *const month_names[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
};
static const char *const day_names[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT" };

/* ---- parsing ------------------------------------------------------------ */

struct fparse {
	const char *expr;      /* for messages */
	int f;                 /* field index */
	struct schedule *s;
	struct herr *e;
};

static int ferr(struct fparse *p, const char *fmt, const char *tok)
{
	char what[200];

	snprintf(what, sizeof(what), fmt, tok);
	return herr_set(p->e, HOIST_USAGE, "%s: %s field: %s", p->expr, field_names[p->f], what);
}

/* A number or (month/day-of-week) name at *sp; advances *sp. -1 when none. */
static int read_value(struct fparse *p, const char **sp)
{
	const char *s = *sp;
	size_t i;

	if (isdigit((unsigned char)*s)) {
		long v = 0;

		while (isdigit((unsigned char)*s) && v < 100000)
			v = v * 10 + (*s++ - '0');
		*sp = s;
		return (int)v;
	}
	if (p->f == F_MON)
		for (i = 0; i < 12; i++)
			if (!strncmp(s, month_names[i], 3)) {
				*sp = s + 3;
				return (int)i + 1;
			}
	if (p->f == F_DOW)
		for (i = 0; i < 7; i++)
			if (!strncmp(s, day_names[i], 3)) {
				*sp = s + 3;
				return (int)i + 1;
			}
	return -1;
}

static int check_range(struct fparse *p, int v, const char *tok)
{
	char msg[160];

	if (v >= field_lo[p->f] && v <= field_hi[p->f])
		return HOIST_OK;
	snprintf(msg, sizeof(msg), "%d in '%%s' is out of range %d-%d", v, field_lo[p->f],
		 field_hi[p->f]);
	return ferr(p, msg, tok);
}

/* Set bit v of the field's set (day-of-week v is 1-7, stored 0-6). */
static void set_bit(struct schedule *s, int f, int v)
{
	switch (f) {
	case F_MIN: s->minutes |= 1ULL << v; break;
	case F_HOUR: s->hours |= 1U << v; break;
	case F_DOM: s->dom |= 1U << v; break;
	case F_MON: s->months |= (uint16_t)(1U << v); break;
	case F_DOW: s->dow |= (uint8_t)(1U << (v - 1)); break;
	default: s->years[(v - SCHEDULE_YEAR_MIN) / 64] |= 1ULL << ((v - SCHEDULE_YEAR_MIN) % 64);
	}
}

/* The special forms: L, LW, NW (day-of-month); L, NL, N#k (day-of-week). */
static int special_item(struct fparse *p, const char *tok, int *done)
{
	struct schedule *s = p->s;
	const char *c = tok;
	int v, k;

	*done = 1;
	if (p->f == F_DOM && !strcmp(tok, "L")) {
		s->dom_last = true;
		return HOIST_OK;
	}
	if (p->f == F_DOM && !strcmp(tok, "LW")) {
		s->dom_last_weekday = true;
		return HOIST_OK;
	}
	if (p->f == F_DOW && !strcmp(tok, "L")) {
		s->dow |= 1U << 6;
		return HOIST_OK;
	}
	if ((p->f == F_DOM && strchr(tok, 'W')) ||
	    (p->f == F_DOW && (strchr(tok, '#') || str_ends(tok, "L")))) {
		v = read_value(p, &c);
		if (v < 0)
			return ferr(p, "'%s' needs a day before W, L or #", tok);
		if (check_range(p, v, tok))
			return HOIST_USAGE;
		if (p->f == F_DOM && !strcmp(c, "W")) {
			s->dom_weekday |= 1U << v;
			return HOIST_OK;
		}
		if (p->f == F_DOW && !strcmp(c, "L")) {
			s->dow_last |= (uint8_t)(1U << (v - 1));
			return HOIST_OK;
		}
		if (p->f == F_DOW && c[0] == '#' && c[1] >= '1' && c[1] <= '5' && !c[2]) {
			k = c[1] - '0';
			s->dow_nth[v - 1] |= (uint8_t)(1U << k);
			return HOIST_OK;
		}
		return ferr(p, "cannot read '%s' (expected NW, NL or N#1-5)", tok);
	}
	*done = 0;
	return HOIST_OK;
}

/* One comma-separated item: *, * /n, a, a-b, a/n, a-b/n, or a special form. */
static int parse_item(struct fparse *p, const char *tok)
{
	const char *c = tok;
	int lo, hi, step = 1, v, done;

	v = special_item(p, tok, &done);
	if (v || done)
		return v;
	if (*c == '*') {
		lo = field_lo[p->f];
		hi = field_hi[p->f];
		c++;
		if (*c && *c != '/')
			return ferr(p, "cannot read '%s'", tok);
	} else {
		lo = read_value(p, &c);
		if (lo < 0)
			return ferr(p, "cannot read '%s'", tok);
		if (check_range(p, lo, tok))
			return HOIST_USAGE;
		hi = lo;
		if (*c == '-') {
			c++;
			hi = read_value(p, &c);
			if (hi < 0)
				return ferr(p, "cannot read the end of the range '%s'", tok);
			if (check_range(p, hi, tok))
				return HOIST_USAGE;
			if (hi < lo)
				return ferr(p, "the range '%s' goes backwards", tok);
		}
		if (*c == '/')
			hi = field_hi[p->f];
	}
	if (*c == '/') {
		c++;
		if (!isdigit((unsigned char)*c))
			return ferr(p, "'%s' needs a number after '/'", tok);
		step = 0;
		while (isdigit((unsigned char)*c) && step < 100000)
			step = step * 10 + (*c++ - '0');
		if (step < 1)
			return ferr(p, "the step in '%s' must be at least 1", tok);
	}
	if (*c)
		return ferr(p, "cannot read '%s'", tok);
	for (v = lo; v <= hi; v += step)
		set_bit(p->s, p->f, v);
	return HOIST_OK;
}

static int parse_field(struct fparse *p, const char *text)
{
	char buf[64], *tok, *save = NULL;
	int rc;

	if (!strcmp(text, "?")) {
		if (p->f != F_DOM && p->f != F_DOW)
			return ferr(p, "'%s' is only allowed in day-of-month or day-of-week", text);
		if (p->f == F_DOM)
			p->s->dom_any = true;
		else
			p->s->dow_any = true;
		return HOIST_OK;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	if (buf[0] == ',' || str_ends(buf, ",") || strstr(buf, ",,"))
		return ferr(p, "empty item in '%s'", text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		rc = parse_item(p, tok);
		if (rc)
			return rc;
	}
	return HOIST_OK;
}

static int parse_rate(const char *expr, const char *body, struct schedule *s, struct herr *e)
{
	static const struct { const char *one, *many; char unit; int64_t secs; } units[] = {
		{ "minute", "minutes", 'm', 60 },
		{ "hour", "hours", 'h', 3600 },
		{ "day", "days", 'd', 86400 },
	};
	const char *c = body;
	char unit[32];
	long v = 0;
	size_t i;

	if (!isdigit((unsigned char)*c))
		return herr_set(e, HOIST_USAGE, "%s: expected rate(N minutes|hours|days)", expr);
	while (isdigit((unsigned char)*c) && v < 100000000)
		v = v * 10 + (*c++ - '0');
	if (v < 1)
		return herr_set(e, HOIST_USAGE, "%s: the rate must be at least 1", expr);
	if (*c != ' ')
		return herr_set(e, HOIST_USAGE, "%s: expected rate(N minutes|hours|days)", expr);
	while (*c == ' ')
		c++;
	snprintf(unit, sizeof(unit), "%.*s", (int)strcspn(c, ")"), c);
	if (strcmp(c + strlen(unit), ")"))
		return herr_set(e, HOIST_USAGE, "%s: expected rate(N minutes|hours|days)", expr);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].one) && strcmp(unit, units[i].many))
			continue;
		if (v == 1 && strcmp(unit, units[i].one))
			return herr_set(e, HOIST_USAGE, "%s: a rate of 1 takes the singular unit: rate(1 %s)",
					expr, units[i].one);
		if (v > 1 && strcmp(unit, units[i].many))
			return herr_set(e, HOIST_USAGE, "%s: a rate above 1 takes the plural unit: rate(%ld %s)",
					expr, v, units[i].many);
		s->kind = SCHEDULE_RATE;
		s->value = v;
		s->unit = units[i].unit;
		s->period = v * units[i].secs;
		return HOIST_OK;
	}
	return herr_set(e, HOIST_USAGE, "%s: unknown unit '%s' (use minute(s), hour(s) or day(s))",
			expr, unit);
}

static int parse_cron(const char *expr, const char *body, struct schedule *s, struct herr *e)
{
	struct fparse p = { expr, 0, s, e };
	char buf[256], *tok, *save = NULL, *end;
	int n = 0, rc, i;

	snprintf(buf, sizeof(buf), "%s", body);
	end = strrchr(buf, ')');
	if (!end || end[1])
		return herr_set(e, HOIST_USAGE, "%s: expected cron(...) with a closing parenthesis", expr);
	*end = '\0';
	for (i = 0; buf[i]; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == 6)
			return herr_set(e, HOIST_USAGE,
					"%s: too many fields; cron() takes 6: minutes hours day-of-month month day-of-week year",
					expr);
		if (strlen(tok) >= sizeof(s->field[0]))
			return herr_set(e, HOIST_USAGE, "%s: field '%s' is too long", expr, tok);
		snprintf(s->field[n++], sizeof(s->field[0]), "%s", tok);
	}
	if (n != 6)
		return herr_set(e, HOIST_USAGE,
				"%s: %d field%s; cron() takes 6: minutes hours day-of-month month day-of-week year",
				expr, n, n == 1 ? "" : "s");
	s->kind = SCHEDULE_CRON;
	for (p.f = 0; p.f < 6; p.f++) {
		rc = parse_field(&p, s->field[p.f]);
		if (rc)
			return rc;
	}
	if (s->dom_any && s->dow_any)
		return herr_set(e, HOIST_USAGE,
				"%s: day-of-month and day-of-week cannot both be '?'; use '?' in one of them",
				expr);
	if (!s->dom_any && !s->dow_any) {
		if (!strcmp(s->field[F_DOM], "*") && !strcmp(s->field[F_DOW], "*"))
			return herr_set(e, HOIST_USAGE,
					"%s: day-of-month and day-of-week cannot both be '*'; use '?' in one of them",
					expr);
		return herr_set(e, HOIST_USAGE,
				"%s: day-of-month and day-of-week cannot both be given; use '?' in one of them",
				expr);
	}
	return HOIST_OK;
}

int schedule_parse(const char *expr, struct schedule *out, struct herr *e)
{
	memset(out, 0, sizeof(*out));
	if (!expr || !*expr)
		return herr_set(e, HOIST_USAGE, "empty schedule expression; use rate(…) or cron(…)");
	if (strlen(expr) >= sizeof(out->expr))
		return herr_set(e, HOIST_USAGE, "schedule expression is too long (%zu characters)",
				strlen(expr));
	snprintf(out->expr, sizeof(out->expr), "%s", expr);
	if (str_starts(expr, "rate(") )
		return parse_rate(expr, expr + 5, out, e);
	if (str_starts(expr, "cron("))
		return parse_cron(expr, expr + 5, out, e);
	return herr_set(e, HOIST_USAGE, "'%s' is not a schedule expression; use rate(5 minutes) or "
			"cron(0 12 * * ? *)", expr);
}

/* ---- next fire time ----------------------------------------------------- */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int month_days(int y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return n[m - 1];
}

/* 0 = SUN … 6 = SAT */
static int weekday(int64_t days)
{
	return (int)(((days % 7) + 7 + 4) % 7);
}

static bool year_ok(const struct schedule *s, int y)
{
	int b = y - SCHEDULE_YEAR_MIN;

	return b >= 0 && y <= SCHEDULE_YEAR_MAX && (s->years[b / 64] >> (b % 64) & 1);
}

/* The weekday (Mon-Fri) nearest to day `d` of the month, not leaving the month. */
static int nearest_weekday(int y, int m, int d)
{
	int n = month_days(y, m), wd;

	if (d > n)
		return -1;
	wd = weekday(days_from_civil(y, m, d));
	if (wd == 6)
		return d == 1 ? 3 : d - 1;
	if (wd == 0)
		return d == n ? d - 2 : d + 1;
	return d;
}

static bool dom_match(const struct schedule *s, int y, int m, int d)
{
	int n = month_days(y, m), v;

	if (s->dom >> d & 1)
		return true;
	if (s->dom_last && d == n)
		return true;
	if (s->dom_last_weekday) {
		int wd = weekday(days_from_civil(y, m, n)), last = n;

		if (wd == 6)
			last = n - 1;
		else if (wd == 0)
			last = n - 2;
		if (d == last)
			return true;
	}
	for (v = 1; v <= 31 && s->dom_weekday; v++)
		if ((s->dom_weekday >> v & 1) && nearest_weekday(y, m, v) == d)
			return true;
	return false;
}

static bool dow_match(const struct schedule *s, int y, int m, int d)
{
	int wd = weekday(days_from_civil(y, m, d));

	if (s->dow >> wd & 1)
		return true;
	if ((s->dow_last >> wd & 1) && d + 7 > month_days(y, m))
		return true;
	return s->dow_nth[wd] >> ((d - 1) / 7 + 1) & 1;
}

static bool day_match(const struct schedule *s, int y, int m, int d)
{
	if (s->dom_any)
		return dow_match(s, y, m, d);
	return dom_match(s, y, m, d);
}

static int64_t cron_next(const struct schedule *s, int64_t after)
{
	int64_t t = after < 0 ? 0 : (after / 60 + 1) * 60;
	int64_t day = t / 86400;
	int minute = (int)(t % 86400 / 60);
	int y, m, d, h, mi;

	civil_from_days(day, &y, &m, &d);
	while (y <= SCHEDULE_YEAR_MAX) {
		if (!year_ok(s, y)) {
			y++, m = 1, d = 1, minute = 0;
			continue;
		}
		if (!(s->months >> m & 1)) {
			if (++m > 12)
				y++, m = 1;
			d = 1, minute = 0;
			continue;
		}
		if (d > month_days(y, m) || !day_match(s, y, m, d)) {
			if (++d > month_days(y, m)) {
				d = 1;
				if (++m > 12)
					y++, m = 1;
			}
			minute = 0;
			continue;
		}
		for (mi = minute; mi < 1440; mi++) {
			h = mi / 60;
			if (!(s->hours >> h & 1)) {
				mi = h * 60 + 59;
				continue;
			}
			if (s->minutes >> (mi % 60) & 1)
				return days_from_civil(y, m, d) * 86400 + (int64_t)mi * 60;
		}
		/* nothing left today: next day */
		if (++d > month_days(y, m)) {
			d = 1;
			if (++m > 12)
				y++, m = 1;
		}
		minute = 0;
	}
	return -1;
}

int64_t schedule_next(const struct schedule *s, int64_t after)
{
	int64_t k;

	if (s->kind == SCHEDULE_CRON)
		return cron_next(s, after);
	if (s->period <= 0)
		return -1;
	if (after < s->anchor)
		return s->anchor;
	k = (after - s->anchor) / s->period + 1;
	return s->anchor + k * s->period;
}

/* ---- translations ------------------------------------------------------- */

static bool uses_specials(const struct schedule *s)
{
	return s->dom_last || s->dom_last_weekday || s->dom_weekday || s->dow_last ||
	       strchr(s->field[F_DOW], '#') || !strcmp(s->field[F_DOW], "L");
}

/*
 * AWS day-of-week numbers are 1-7 (1 = SUN); both Alibaba and Tencent count
 * 0-6 (0 = SUN).  Numbers that name a day (not a step after '/', not the
 * k after '#') go down by one; names and a lone L (= SAT) are rewritten.
 */
static void dow_to_zero_based(const char *in, struct sbuf *out)
{
	const char *c = in;
	char prev = 0;

	if (!strcmp(in, "L")) {
		sbuf_adds(out, "SAT");
		return;
	}
	while (*c) {
		if (isdigit((unsigned char)*c) && prev != '/' && prev != '#') {
			int v = 0;

			while (isdigit((unsigned char)*c))
				v = v * 10 + (*c++ - '0');
			sbuf_printf(out, "%d", v - 1);
			prev = '0';
			continue;
		}
		if (isdigit((unsigned char)*c)) {
			sbuf_addc(out, *c++);
			continue;
		}
		prev = *c;
		sbuf_addc(out, *c++);
	}
}

char *schedule_to_aliyun(const struct schedule *s)
{
	struct sbuf b;

	if (schedule_why_not(s, "aliyun"))
		return NULL;
	sbuf_init(&b);
	if (s->kind == SCHEDULE_RATE) {
		if (s->unit == 'm')
			sbuf_printf(&b, "@every %ldm", s->value);
		else if (s->unit == 'h')
			sbuf_printf(&b, "@every %ldh", s->value);
		else
			sbuf_printf(&b, "@every %ldh", s->value * 24);
		return sbuf_detach(&b);
	}
	sbuf_printf(&b, "0 %s %s %s %s ", s->field[F_MIN], s->field[F_HOUR], s->field[F_DOM],
		    s->field[F_MON]);
	dow_to_zero_based(s->field[F_DOW], &b);
	return sbuf_detach(&b);
}

char *schedule_to_tencent(const struct schedule *s)
{
	struct sbuf b;

	if (schedule_why_not(s, "tencent"))
		return NULL;
	sbuf_init(&b);
	if (s->kind == SCHEDULE_RATE) {
		int64_t mins = s->period / 60;

		if (mins == 1)
			sbuf_adds(&b, "0 * * * * * *");
		else if (mins < 60)
			sbuf_printf(&b, "0 */%lld * * * * *", (long long)mins);
		else if (mins == 60)
			sbuf_adds(&b, "0 0 * * * * *");
		else if (mins < 1440)
			sbuf_printf(&b, "0 0 */%lld * * * *", (long long)(mins / 60));
		else
			sbuf_adds(&b, "0 0 0 * * * *");
		return sbuf_detach(&b);
	}
	sbuf_printf(&b, "0 %s %s %s %s ", s->field[F_MIN], s->field[F_HOUR], s->field[F_DOM],
		    s->field[F_MON]);
	dow_to_zero_based(s->field[F_DOW], &b);
	sbuf_printf(&b, " %s", s->field[F_YEAR]);
	return sbuf_detach(&b);
}

const char *schedule_why_not(const struct schedule *s, const char *platform)
{
	int y;

	if (!strcmp(platform, "aliyun")) {
		if (s->kind == SCHEDULE_RATE)
			return NULL;
		if (uses_specials(s))
			return "Alibaba Cloud timer triggers do not support L, W or # in cron expressions";
		if (strcmp(s->field[F_YEAR], "*"))
			return "Alibaba Cloud timer triggers have no year field; use '*' for the year";
		return NULL;
	}
	if (!strcmp(platform, "tencent")) {
		if (s->kind == SCHEDULE_RATE) {
			int64_t mins = s->period / 60;

			if ((mins < 60 && 60 % mins == 0) || (mins >= 60 && mins < 1440 &&
			    mins % 60 == 0 && 24 % (mins / 60) == 0) || mins == 1440)
				return NULL;
			return "Tencent timers take cron expressions only; this rate has no exact cron "
			       "form (use minutes dividing 60, hours dividing 24, 1 day, or a cron())";
		}
		for (y = 2100; y <= SCHEDULE_YEAR_MAX && strcmp(s->field[F_YEAR], "*"); y++)
			if (year_ok(s, y))
				return "Tencent timers accept years 1970-2099 only";
		return NULL;
	}
	return NULL;
}
