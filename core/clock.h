/*
 * clock.h — time helpers every waiting loop shares: a monotonic clock, a
 * sleep that survives signals, and the numeric environment knobs
 * (HOIST_HTTP_BACKOFF_MS, HOIST_TAIL_POLL_MS, …) that tune them.
 */
#ifndef HOIST_CLOCK_H
#define HOIST_CLOCK_H

/* Seconds on the monotonic clock. */
double clock_now_s(void);

/*
 * Sleep `ms` milliseconds, resuming after other signals; ≤ 0 returns at once,
 * and so does an interrupt (SIGINT/SIGTERM/SIGHUP, interrupt.h): check after.
 */
void clock_sleep_ms(long ms);

/*
 * Sleep for the n-th poll (n = 0, 1, …) of a loop waiting on a cloud
 * resource: HOIST_POLL_MS (default 50) doubling each time, capped at 2 s.
 */
void clock_poll_sleep(int n);

/* A non-negative integer from the environment variable `name`, else `dflt`. */
long env_number(const char *name, long dflt);

#endif
