/*
 * known.c — what a credential's account is, once learnt (known.h): a small
 * table under a mutex.
 */
#include "known.h"

#include "str.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 16

static struct {
	char *what, *key, *value;
} slots[SLOTS];
static unsigned next;   /* the slot replaced when none matches */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int find(const char *what, const char *key)
{
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].what && !strcmp(slots[i].what, what) && !strcmp(slots[i].key, key))
			return i;
	return -1;
}

void known_put(const char *what, const char *key, const char *value)
{
	int i;

	if (!what || !key || !*key || !value)
		return;
	pthread_mutex_lock(&mu);
	if ((i = find(what, key)) < 0) {
		i = (int)(next++ % SLOTS);
		free(slots[i].what);
		free(slots[i].key);
		slots[i].what = xstrdup(what);
		slots[i].key = xstrdup(key);
	}
	free(slots[i].value);
	slots[i].value = xstrdup(value);
	pthread_mutex_unlock(&mu);
}

char *known_get(const char *what, const char *key)
{
	char *value = NULL;
	int i;

	if (!what || !key)
		return NULL;
	pthread_mutex_lock(&mu);
	if ((i = find(what, key)) >= 0)
		value = xstrdup(slots[i].value);
	pthread_mutex_unlock(&mu);
	return value;
}
