/*
 * readahead.c — answers read ahead of the step that asks for them (readahead.h).
 *
 * A handful of keys a command: a list under one mutex; the command waits
 * for an answer under way on a condition, waking every 50 ms to see an
 * interrupt (its own read then meets it).
 */
#include "readahead.h"

#include "http.h"
#include "interrupt.h"
#include "log.h"
#include "str.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * PENDING: a reader's read under way; COMMAND: the command's own under way
 * (readers wait for it); DONE: a reader's answer the command has not taken;
 * SHARED: an answer the command has (readers get copies); TAKEN: none to give.
 */
enum state { PENDING, COMMAND, DONE, SHARED, TAKEN };

struct entry {
	struct entry *next;
	char *key;
	enum state state;
	unsigned long ticket;
	struct http_response answer;   /* DONE, SHARED */
};

struct readahead {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct entry *entries;
	unsigned long tickets;
	bool over;
};

struct readahead *readahead_new(void)
{
	struct readahead *ra = xcalloc(1, sizeof(*ra));

	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->cv, NULL);
	return ra;
}

void readahead_free(struct readahead *ra)
{
	struct entry *n;

	if (!ra)
		return;
	while ((n = ra->entries)) {
		ra->entries = n->next;
		http_response_free(&n->answer);
		free(n->key);
		free(n);
	}
	pthread_cond_destroy(&ra->cv);
	pthread_mutex_destroy(&ra->mu);
	free(ra);
}

static struct entry *find(struct readahead *ra, const char *key)
{
	for (struct entry *n = ra->entries; n; n = n->next)
		if (!strcmp(n->key, key))
			return n;
	return NULL;
}

static struct entry *add(struct readahead *ra, const char *key, enum state state)
{
	struct entry *n = xcalloc(1, sizeof(*n));

	n->key = xstrdup(key);
	n->state = state;
	n->next = ra->entries;
	ra->entries = n;
	return n;
}

unsigned long readahead_claim(struct readahead *ra, const char *key)
{
	unsigned long ticket = 0;

	pthread_mutex_lock(&ra->mu);
	if (!ra->over && !find(ra, key))
		ticket = add(ra, key, PENDING)->ticket = ++ra->tickets;
	pthread_mutex_unlock(&ra->mu);
	return ticket;
}

static void copy_response(struct http_response *to, const struct http_response *from)
{
	memset(to, 0, sizeof(*to));
	to->status = from->status;
	to->attempts = from->attempts;
	sbuf_init(&to->body);
	if (from->body.len)
		sbuf_add(&to->body, from->body.s, from->body.len);
	for (size_t i = 0; i < from->headers.n; i++)
		http_headers_add(&to->headers, from->headers.v[i].name, from->headers.v[i].value);
}

void readahead_put(struct readahead *ra, const char *key, unsigned long ticket,
		   const struct http_response *rs)
{
	struct entry *n;

	pthread_mutex_lock(&ra->mu);
	n = find(ra, key);
	if (n && (n->state == PENDING || n->state == COMMAND) && n->ticket == ticket) {
		if (rs && !ra->over) {
			copy_response(&n->answer, rs);
			n->state = n->state == COMMAND ? SHARED : DONE;
		} else {
			n->state = TAKEN;   /* nothing to give: the command asks itself */
		}
		pthread_cond_broadcast(&ra->cv);
	}
	pthread_mutex_unlock(&ra->mu);
}

/* Under the mutex: wait while n's answer is under way (waking every 50 ms for an interrupt). */
static void await_answer(struct readahead *ra, struct entry *n)
{
	while (n && (n->state == PENDING || n->state == COMMAND) && !intr_signal()) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50L * 1000 * 1000;
		if (until.tv_nsec >= 1000L * 1000 * 1000) {
			until.tv_sec++;
			until.tv_nsec -= 1000L * 1000 * 1000;
		}
		pthread_cond_timedwait(&ra->cv, &ra->mu, &until);
	}
}

bool readahead_share(struct readahead *ra, const char *key, struct http_response *rs)
{
	bool got = false;
	struct entry *n;

	pthread_mutex_lock(&ra->mu);
	n = ra->over ? NULL : find(ra, key);
	await_answer(ra, n);
	if (n && (n->state == DONE || n->state == SHARED)) {
		copy_response(rs, &n->answer);
		got = true;
	}
	pthread_mutex_unlock(&ra->mu);
	return got;
}

bool readahead_take(struct readahead *ra, const char *key, struct http_response *rs,
		    unsigned long *ticket)
{
	bool got = false;
	struct entry *n;

	*ticket = 0;
	pthread_mutex_lock(&ra->mu);
	n = ra->over ? NULL : find(ra, key);
	if (!n && !ra->over) {   /* the command's own: never read ahead now; readers wait for it */
		*ticket = add(ra, key, COMMAND)->ticket = ++ra->tickets;
		pthread_mutex_unlock(&ra->mu);
		return false;
	}
	if (n && n->state == PENDING)
		await_answer(ra, n);
	if (n && n->state == DONE) {
		copy_response(rs, &n->answer);   /* kept for readers that reach it later */
		n->state = SHARED;
		got = true;
	} else if (n && n->state == PENDING) {
		n->state = TAKEN;   /* one under way at an interrupt is dropped */
	}
	pthread_mutex_unlock(&ra->mu);
	return got;   /* given once: after that (a poll), the command asks again */
}

void readahead_end(struct readahead *ra)
{
	pthread_mutex_lock(&ra->mu);
	if (!ra->over) {
		ra->over = true;
		for (struct entry *n = ra->entries; n; n = n->next)
			if (n->state == DONE || n->state == SHARED) {
				http_response_free(&n->answer);
				n->state = TAKEN;
			}
	}
	pthread_mutex_unlock(&ra->mu);
}

bool readahead_over(struct readahead *ra)
{
	bool over;

	pthread_mutex_lock(&ra->mu);
	over = ra->over;
	pthread_mutex_unlock(&ra->mu);
	return over;
}

static void reader_run(void *p)
{
	struct readahead_reader *r = p;

	out_mute_thread();
	r->fn(r->arg);
}

struct http_client *readahead_reader_client(struct readahead_readers *rs,
					    struct http_client *command)
{
	struct http_client *c = http_client_new();

	if (!c)
		return NULL;
	if (!rs->ra) {
		rs->ra = readahead_new();
		http_client_readahead(command, rs->ra, false);
	}
	http_client_readahead(c, rs->ra, true);
	return c;
}

void readahead_readers_start(struct readahead_readers *rs, void (*fn)(void *arg),
			     void (*done)(void *arg), void *arg)
{
	struct readahead_reader *r = xcalloc(1, sizeof(*r));

	r->fn = fn;
	r->done = done;
	r->arg = arg;
	r->next = rs->list;
	rs->list = r;
	beside_start(&r->job, reader_run, r);
	if (!r->job.running)
		r->job.fn = NULL;   /* no thread: not read at all (beside_join would run it) */
}

void readahead_readers_end(struct readahead_readers *rs, struct http_client *command)
{
	struct readahead_reader *r;

	if (rs->ra) {
		readahead_end(rs->ra);   /* readers still at it stop at their next read */
		http_client_readahead(command, NULL, false);
	}
	while ((r = rs->list)) {
		rs->list = r->next;
		beside_join(&r->job);
		r->done(r->arg);
		free(r);
	}
	readahead_free(rs->ra);
	rs->ra = NULL;
}
