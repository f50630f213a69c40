/*
 * timers.c — the local gateway's EventBridge: fires the stage's `events`
 * (rate()/cron() expressions, parsed by core/schedule.c like the settings
 * validation does) and keep_warm through a worker, with the timer payload
 * of templates/python/README.md.
 *
 * The clock can run fast for tests: HOIST_LOCAL_TIME_SCALE=60 makes one
 * minute of schedule time pass in one real second (read at daemon start).
 * Rates are anchored at the moment the timers were (re)armed.  The events
 * are those `hoist schedule` read from the settings file (as on a cloud,
 * where the rules are made from the file), else the current version's.
 */
#include "local.h"

#include "../../core/err.h"
#include "../../core/schedule.h"
#include "../../core/str.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job {
	char *name;
	struct schedule s;
	json_t *payload;   /* owned */
	int64_t next;      /* schedule time, epoch seconds */
};

static struct job jobs[128];
static int njobs;
static pthread_t timer_thread;
static double t0;      /* real epoch seconds when the clock was started */

/* Schedule time now: real time, sped up by the scale since t0. */
static double vnow(struct daemon *d)
{
	double real = (double)now_ms() / 1000.0;

	return t0 + (real - t0) * d->time_scale;
}

static double to_real(struct daemon *d, double v)
{
	return t0 + (v - t0) / d->time_scale;
}

static void clear_jobs(void)
{
	int i;

	for (i = 0; i < njobs; i++) {
		free(jobs[i].name);
		json_decref(jobs[i].payload);
	}
	njobs = 0;
}

static void add_job(const char *name, const char *expr, json_t *payload, int64_t now)
{
	struct herr e = { 0 };
	struct job *j;

	if (njobs >= (int)(sizeof(jobs) / sizeof(jobs[0]))) {
		json_decref(payload);
		return;
	}
	j = &jobs[njobs];
	if (schedule_parse(expr, &j->s, &e)) {
		stagelog("timer", "skipping %s: %s", name, e.msg);
		json_decref(payload);
		return;
	}
	j->s.anchor = now;
	j->next = schedule_next(&j->s, now);
	j->name = xstrdup(name);
	j->payload = payload;
	njobs++;
}

/* {"hoist_event": {"name", "function", "kwargs"}} (templates/python/README.md) */
static json_t *event_payload(const char *name, const char *fn, const json_t *ev)
{
	json_t *kw = json_object_get(ev, "kwargs");

	return json_pack("{s:{s:s, s:s, s:o}}", "hoist_event", "name", name, "function", fn,
			 "kwargs", json_is_object(kw) ? json_deep_copy(kw) : json_object());
}

static void load_jobs(struct daemon *d, const json_t *settings)
{
	int64_t now = (int64_t)vnow(d);
	json_t *events = json_object_get(settings, "events"), *ev;
	const char *kwe = json_string_value(json_object_get(settings, "keep_warm_expression"));
	json_t *kwv = json_object_get(settings, "keep_warm");
	size_t i;

	json_array_foreach(events, i, ev) {
		const char *fn = json_string_value(json_object_get(ev, "function"));
		const char *name = json_string_value(json_object_get(ev, "name"));
		json_t *exprs = json_object_get(ev, "expressions"), *x;
		const char *one = json_string_value(json_object_get(ev, "expression"));
		size_t k;

		if (!fn || json_is_false(json_object_get(ev, "enabled")))
			continue;
		if (!name)
			name = fn;
		if (one)
			add_job(name, one, event_payload(name, fn, ev), now);
		json_array_foreach(exprs, k, x)
			if (json_is_string(x))
				add_job(name, json_string_value(x), event_payload(name, fn, ev), now);
	}
	if (!json_is_false(kwv))
		add_job("keep_warm", kwe ? kwe : "rate(4 minutes)",
			json_pack("{s:{s:s, s:b}}", "hoist_event", "name", "keep_warm",
				  "keep_warm", 1), now);
}

void timers_reset(struct daemon *d)
{
	json_t *settings = NULL;

	pthread_mutex_lock(&d->pool.mu);
	if (d->pool.cfg)
		settings = json_incref(d->pool.cfg->settings);
	pthread_mutex_unlock(&d->pool.mu);
	pthread_mutex_lock(&d->timers_mu);
	if (d->schedule) {   /* what `hoist schedule` read from the file wins */
		json_decref(settings);
		settings = json_incref(d->schedule);
	}
	clear_jobs();
	if (d->scheduled && settings)
		load_jobs(d, settings);
	pthread_mutex_unlock(&d->timers_mu);
	json_decref(settings);
}

static void fire(struct daemon *d, const char *name, json_t *payload)
{
	char rid[37], *why = NULL;
	json_t *result = NULL;
	int code;

	request_id_new(rid);
	stagelog("timer", "firing %s (RequestId: %s)", name, rid);
	code = pool_invoke(&d->pool, payload, rid, &result, &why);
	if (code)
		stagelog("timer", "%s failed (%d): %s", name, code, why ? why : "");
	pthread_mutex_lock(&d->stats_mu);
	d->events++;
	pthread_mutex_unlock(&d->stats_mu);
	json_decref(result);
	free(why);
}

static void *timer_loop(void *arg)
{
	struct daemon *d = arg;

	while (!d->stop) {
		char *name = NULL;
		json_t *payload = NULL;
		double now = vnow(d);
		int i;

		pthread_mutex_lock(&d->timers_mu);
		for (i = 0; i < njobs && !name; i++) {
			if (jobs[i].next < 0 || now < (double)jobs[i].next)
				continue;
			name = xstrdup(jobs[i].name);
			payload = json_incref(jobs[i].payload);
			jobs[i].next = schedule_next(&jobs[i].s, (int64_t)floor(now));
		}
		pthread_mutex_unlock(&d->timers_mu);
		if (name) {
			fire(d, name, payload);
			free(name);
			json_decref(payload);
			continue;
		}
		usleep(50000);
	}
	return NULL;
}

int timers_start(struct daemon *d, struct herr *e)
{
	const char *s = getenv("HOIST_LOCAL_TIME_SCALE");

	d->time_scale = s ? atof(s) : 1.0;
	if (!(d->time_scale > 0))
		d->time_scale = 1.0;
	t0 = (double)now_ms() / 1000.0;
	timers_reset(d);
	if (pthread_create(&timer_thread, NULL, timer_loop, d) != 0)
		return herr_set(e, HOIST_FAIL, "cannot start the timer thread");
	return HOIST_OK;
}

void timers_stop(struct daemon *d)
{
	pthread_join(timer_thread, NULL);
	pthread_mutex_lock(&d->timers_mu);
	clear_jobs();
	pthread_mutex_unlock(&d->timers_mu);
}

void timers_status(struct daemon *d, json_t *out)
{
	json_t *arr = json_array();
	char buf[40];
	int i;

	pthread_mutex_lock(&d->timers_mu);
	for (i = 0; i < njobs; i++) {
		double r = to_real(d, (double)jobs[i].next);

		rfc3339_ms((int64_t)(r * 1000), buf, sizeof(buf));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", jobs[i].name,
			"expression", jobs[i].s.expr, "next", jobs[i].next < 0 ? "never" : buf));
	}
	json_object_set_new(out, "scheduled", json_boolean(d->scheduled));
	pthread_mutex_unlock(&d->timers_mu);
	json_object_set_new(out, "schedules", arr);
	if (d->time_scale != 1.0)
		json_object_set_new(out, "time_scale", json_real(d->time_scale));
}
