/*
 * state.c — the stage directory of the local provider (layout in local.h):
 * where it is, state.json, the list of versions, the daemon's pid.
 */
#include "local.h"

#include "../../core/err.h"
#include "../../core/path.h"
#include "../../core/str.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *local_stage_dir(const char *function_name)
{
	char *state = path_state_dir(), *local = path_join(state, "local");
	char *dir = path_join(local, function_name);

	free(state);
	free(local);
	return dir;
}

char *local_file(const char *dir, const char *name)
{
	return path_join(dir, name);
}

char *local_version_dir(const char *dir, long v)
{
	return xasprintf("%s/versions/%ld", dir, v);
}

int local_state_read(const char *dir, json_t **state, struct herr *e)
{
	char *p = local_file(dir, "state.json");
	json_error_t je;

	*state = json_load_file(p, 0, &je);
	if (!*state || !json_is_object(*state)) {
		herr_set(e, HOIST_FAIL, "cannot read %s: %s", p, je.text);
		json_decref(*state);
		*state = NULL;
		free(p);
		return HOIST_FAIL;
	}
	free(p);
	return HOIST_OK;
}

int local_state_write(const char *dir, json_t *state, struct herr *e)
{
	char *p = local_file(dir, "state.json");
	char *s = json_dumps(state, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = path_write_private(p, s, strlen(s), e);

	free(s);
	free(p);
	return rc;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

size_t local_versions(const char *dir, long **out)
{
	char *vd = path_join(dir, "versions");
	DIR *d = opendir(vd);
	struct dirent *de;
	size_t n = 0, cap = 8;
	long *v = xmalloc(cap * sizeof(*v));

	while (d && (de = readdir(d))) {
		char *end;
		long x = strtol(de->d_name, &end, 10);

		if (end == de->d_name || *end || x <= 0)
			continue;
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = x;
	}
	if (d)
		closedir(d);
	free(vd);
	qsort(v, n, sizeof(*v), cmp_long);
	*out = v;
	return n;
}

/* Is `pid` a hoist gateway serving `dir`?  (Guards against pid reuse.) */
static bool is_our_daemon(pid_t pid, const char *dir)
{
	char path[64], buf[8192];
	FILE *f;
	size_t n, i;
	bool found_flag = false, found_dir = false;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	f = fopen(path, "rb");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (i = 0; i < n; i += strlen(buf + i) + 1) {
		if (!strcmp(buf + i, "__daemon"))
			found_flag = true;
		if (!strcmp(buf + i, dir))
			found_dir = true;
	}
	return found_flag && found_dir;
}

pid_t local_daemon_pid(const char *dir)
{
	char *p = local_file(dir, "gateway.pid"), *s = NULL;
	long pid = 0;

	if (path_read(p, &s, NULL, NULL) == HOIST_OK)
		pid = strtol(s, NULL, 10);
	free(s);
	free(p);
	if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != EPERM))
		return 0;
	return is_our_daemon((pid_t)pid, dir) ? (pid_t)pid : 0;
}
