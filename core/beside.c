/*
 * beside.c — a call on a thread beside the caller's work (beside.h).
 */
#include "beside.h"

#include <signal.h>
#include <string.h>

static void *trampoline(void *p)
{
	struct beside *b = p;

	b->fn(b->arg);
	return NULL;
}

void beside_start(struct beside *b, void (*fn)(void *arg), void *arg)
{
	sigset_t stop, old;

	memset(b, 0, sizeof(*b));
	b->fn = fn;
	b->arg = arg;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, &old);   /* the thread starts with them blocked */
	b->running = pthread_create(&b->thread, NULL, trampoline, b) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void beside_join(struct beside *b)
{
	if (b->running)
		pthread_join(b->thread, NULL);
	else if (b->fn)
		b->fn(b->arg);
	b->running = false;
	b->fn = NULL;
}
