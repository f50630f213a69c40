/*
 * home_fixture.h — what the credentials tests share (include after
 * cmocka.h): a temporary HOME for each test with the cloud's environment
 * variables unset, files written under it, settings parsed from JSON text.
 * Header-only because each unit test is one translation unit.
 */
#ifndef HOIST_TEST_HOME_FIXTURE_H
#define HOIST_TEST_HOME_FIXTURE_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/err.h"
#include "../../core/path.h"

static char home[256];

/* A fresh HOME (/tmp/hoist-<tag>-XXXXXX) and none of the `n` variables set. */
static inline int home_setup(const char *tag, const char *const *vars, size_t n)
{
	snprintf(home, sizeof(home), "/tmp/hoist-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(home));
	setenv("HOME", home, 1);
	for (size_t i = 0; i < n; i++)
		unsetenv(vars[i]);
	return 0;
}

static inline int home_teardown(void **state)
{
	struct herr e;

	(void)state;
	path_rmtree(home, &e);
	return 0;
}

/* Write `text` to HOME/`rel`, making its directory. */
static inline void home_write(const char *rel, const char *text)
{
	char path[600], *dir;
	struct herr e;

	snprintf(path, sizeof(path), "%s/%s", home, rel);
	dir = path_dir(path);
	assert_int_equal(path_mkdirs(dir, &e), 0);
	assert_int_equal(path_write_atomic(path, text, strlen(text), &e), 0);
	free(dir);
}

static inline json_t *settings(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	assert_non_null(j);
	return j;
}

#endif
