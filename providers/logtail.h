/*
 * logtail.h — the reading loop every provider's `hoist tail` shares.
 *
 * Log services ingest with a delay and keep the timestamps the function gave
 * its lines, so a line can show up after newer ones were already returned.
 * A reader that only asks for "from the newest timestamp seen" misses it;
 * one that re-reads the whole --since window every poll wastes requests and
 * prints duplicates.  So each poll reads from logtail_start() —
 * max(since, newest - overlap) — through every page (the service's cursor:
 * nextToken, Context…), hands each line with its provider id to
 * logtail_add(), which drops the ids already printed, and logtail_flush()
 * gives the new lines to the sink oldest first (timestamp, then the
 * service's order), exactly once each.  Ids are kept only while their
 * timestamp is inside the overlap window, which bounds memory for an
 * endless tail; a line arriving later than the overlap after newer ones is
 * not shown — the price of not re-reading everything.
 *
 * Tuning (for tests and slow log pipelines):
 *   HOIST_TAIL_POLL_MS     pause between polls when following (default 1000)
 *   HOIST_TAIL_OVERLAP_MS  the re-read window (default 30000)
 */
#ifndef HOIST_PROVIDER_LOGTAIL_H
#define HOIST_PROVIDER_LOGTAIL_H

#include "provider.h"

struct logtail_line {
	int64_t ts;
	size_t order;
	char *id, *stream, *message;
};

struct logtail {
	const struct tail_args *a;
	json_t *seen;           /* id -> timestamp, for the overlap window */
	int64_t newest;         /* newest timestamp printed, -1 before any */
	int64_t overlap;
	bool stop;              /* the sink asked to stop */
	struct logtail_line *v; /* this poll's new lines */
	size_t n, cap;
};

void logtail_init(struct logtail *t, const struct tail_args *a);
void logtail_free(struct logtail *t);
/* Where this poll's window starts (epoch ms). */
int64_t logtail_start(const struct logtail *t);
/* A line of this poll (strings copied; one trailing newline dropped); seen ids are skipped. */
void logtail_add(struct logtail *t, const char *id, int64_t ts, const char *stream,
		 const char *message);
/* The poll's new lines to the sink, oldest first; forget ids older than the window. */
void logtail_flush(struct logtail *t);
/* Pause between polls when following. */
void logtail_pause(void);

#endif
