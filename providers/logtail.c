/*
 * logtail.c — de-duplicated, ordered log polling for `hoist tail` (see logtail.h).
 */
#include "logtail.h"

#include "../core/clock.h"
#include "../core/str.h"

#include <stdlib.h>
#include <string.h>

void logtail_init(struct logtail *t, const struct tail_args *a)
{
	memset(t, 0, sizeof(*t));
	t->a = a;
	t->seen = json_object();
	t->newest = -1;
	t->overlap = env_number("HOIST_TAIL_OVERLAP_MS", 30000);
}

static void clear_lines(struct logtail *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].id);
		free(t->v[i].stream);
		free(t->v[i].message);
	}
	t->n = 0;
}

void logtail_free(struct logtail *t)
{
	clear_lines(t);
	free(t->v);
	json_decref(t->seen);
	memset(t, 0, sizeof(*t));
}

int64_t logtail_start(const struct logtail *t)
{
	int64_t start = t->a->since_ms;

	if (t->newest >= 0 && t->newest - t->overlap > start)
		start = t->newest - t->overlap;
	return start;
}

void logtail_add(struct logtail *t, const char *id, int64_t ts, const char *stream,
		 const char *message)
{
	struct logtail_line *l;
	size_t len = message ? strlen(message) : 0;

	if (!id || json_object_get(t->seen, id))
		return;
	json_object_set_new(t->seen, id, json_integer(ts));
	if (t->n == t->cap)
		t->v = xrealloc(t->v, (t->cap = t->cap ? 2 * t->cap : 256) * sizeof(*t->v));
	l = &t->v[t->n];
	l->ts = ts;
	l->order = t->n++;
	l->id = xstrdup(id);
	l->stream = stream ? xstrdup(stream) : NULL;
	if (len && message[len - 1] == '\n')
		len--;
	l->message = xasprintf("%.*s", (int)len, message ? message : "");
}

static int line_cmp(const void *pa, const void *pb)
{
	const struct logtail_line *a = pa, *b = pb;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

void logtail_flush(struct logtail *t)
{
	const char *k;
	json_t *v;
	void *tmp;

	if (t->n)   /* qsort of no lines: t->v may be NULL */
		qsort(t->v, t->n, sizeof(*t->v), line_cmp);
	for (size_t i = 0; i < t->n && !t->stop; i++) {
		struct log_event le = { .time_ms = t->v[i].ts, .stream = t->v[i].stream,
					.id = t->v[i].id, .message = t->v[i].message };

		if (t->v[i].ts > t->newest)
			t->newest = t->v[i].ts;
		if (t->a->sink(&le, t->a->ctx))
			t->stop = true;
	}
	if (t->n)
		json_object_foreach_safe(t->seen, tmp, k, v)
			if (json_integer_value(v) < t->newest - t->overlap)
				json_object_del(t->seen, k);
	clear_lines(t);
}

void logtail_pause(void)
{
	clock_sleep_ms(env_number("HOIST_TAIL_POLL_MS", 1000));
}
