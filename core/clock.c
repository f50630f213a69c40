/*
 * clock.c — monotonic time, sleeps that other signals do not cut short but
 * an interrupt does (interrupt.h), numeric environment knobs.
 */
#include "clock.h"

#include "interrupt.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

double clock_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void clock_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (ms > 0 && !intr_signal() && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

long env_number(const char *name, long dflt)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	return *end || n < 0 ? dflt : n;
}

void clock_poll_sleep(int n)
{
	long ms = env_number("HOIST_POLL_MS", 50);

	for (int i = 0; i < n && ms < 2000; i++)
		ms *= 2;
	clock_sleep_ms(ms > 2000 ? 2000 : ms);
}
