/*
 * path.c — joining, walking and removing paths; whole-file I/O.
 */
#include "path.h"

#include "err.h"
#include "interrupt.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (!n)
		return xstrdup(b);
	if (b[0] == '/')
		b++;
	return xstrjoin(a, a[n - 1] == '/' ? "" : "/", b);
}

const char *path_base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

char *path_dir(const char *p)
{
	const char *s = strrchr(p, '/');
	char *d;

	if (!s)
		return xstrdup(".");
	if (s == p)
		return xstrdup("/");
	d = xmalloc((size_t)(s - p) + 1);
	memcpy(d, p, (size_t)(s - p));
	d[s - p] = '\0';
	return d;
}

char *path_real(const char *p)
{
	return realpath(p, NULL);
}

bool path_is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

int path_mkdirs(const char *p, struct herr *e)
{
	return path_mkdirs_mode(p, 0755, e);
}

int path_mkdirs_mode(const char *p, mode_t mode, struct herr *e)
{
	char *tmp = xstrdup(p), *s;
	int rc = HOIST_OK;

	for (s = tmp + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(tmp, mode) != 0 && errno != EEXIST) {
				rc = herr_set(e, HOIST_FAIL, "cannot create directory %s: %s",
					      tmp, strerror(errno));
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(tmp);
	return rc;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

int path_rmtree(const char *p, struct herr *e)
{
	if (!path_exists(p))
		return HOIST_OK;
	if (nftw(p, rm_one, 32, FTW_DEPTH | FTW_PHYS) != 0)
		return herr_set(e, HOIST_FAIL, "cannot remove %s: %s", p, strerror(errno));
	return HOIST_OK;
}

int path_read(const char *p, char **out, size_t *len, struct herr *e)
{
	FILE *f = fopen(p, "rb");
	struct sbuf b;
	char chunk[65536];
	size_t n;

	if (!f)
		return herr_set(e, HOIST_FAIL, "cannot read %s: %s", p, strerror(errno));
	sbuf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sbuf_add(&b, chunk, n);
	if (ferror(f)) {
		int err = errno;

		fclose(f);
		sbuf_free(&b);
		return herr_set(e, HOIST_FAIL, "cannot read %s: %s", p, strerror(err));
	}
	fclose(f);
	if (len)
		*len = b.len;
	*out = sbuf_detach(&b);
	return HOIST_OK;
}

int path_fd_write_all(int fd, const void *data, size_t len)
{
	const char *at = data;

	while (len) {
		ssize_t k = write(fd, at, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		at += k;
		len -= (size_t)k;
	}
	return 0;
}

static int write_atomic(const char *p, const void *data, size_t len, mode_t mode, bool sync,
			struct herr *e)
{
	char *dir = path_dir(p);
	char *tmp = xasprintf("%s/" PATH_TEMP_PREFIX "%ld-%s", dir, (long)getpid(), path_base(p));
	int fd, rc = HOIST_OK;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (path_fd_write_all(fd, data, len) != 0 || (sync && fsync(fd) != 0)) {
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, p) != 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot rename %s to %s: %s", tmp, p, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	free(dir);
	return rc;
}

int path_write_atomic(const char *p, const void *data, size_t len, struct herr *e)
{
	return write_atomic(p, data, len, 0644, true, e);
}

int path_write_private(const char *p, const void *data, size_t len, struct herr *e)
{
	return write_atomic(p, data, len, 0600, true, e);
}

int path_write_scratch(const char *p, const void *data, size_t len, struct herr *e)
{
	return write_atomic(p, data, len, 0600, false, e);
}

char *path_state_dir(void)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (x && *x == '/')
		return path_join(x, "hoist");
	return xasprintf("%s/.local/state/hoist", home && *home ? home : "/tmp");
}

int path_state_subdir(const char *sub, char **out, struct herr *e)
{
	char *state = path_state_dir(), *dir = path_join(state, sub);
	int rc = path_mkdirs_mode(dir, 0700, e);

	/* Created by an older hoist with 0755: only this user may look inside. */
	if (!rc && chmod(state, 0700) != 0)
		rc = herr_set(e, HOIST_FAIL, "cannot make %s private: %s", state, strerror(errno));
	if (!rc && chmod(dir, 0700) != 0)
		rc = herr_set(e, HOIST_FAIL, "cannot make %s private: %s", dir, strerror(errno));
	free(state);
	if (rc) {
		free(dir);
		dir = NULL;
	}
	*out = dir;
	return rc;
}

char *path_cache_dir(void)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (x && *x == '/')
		return path_join(x, "hoist");
	return xasprintf("%s/.cache/hoist", home && *home ? home : "/tmp");
}

static int copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
		return -1;
	/* copy_file_range cannot here (old kernel, some file systems): plain copy */
	if (lseek(in, 0, SEEK_SET) < 0 || lseek(out, 0, SEEK_SET) < 0 || ftruncate(out, 0) < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (path_fd_write_all(out, buf, (size_t)n) != 0)
			return -1;
	return n < 0 ? -1 : 0;
}

int path_copy(const char *from, const char *to, unsigned mode, struct herr *e)
{
	char *tmp = xasprintf("%s.tmp.%ld", to, (long)getpid());
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = HOIST_OK;

	if (in < 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot read %s: %s", from, strerror(errno));
		goto out;
	}
	intr_temp_add(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0 || copy_fd(in, out) != 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot copy %s to %s: %s", from, to, strerror(errno));
		goto out;
	}
	if (close(out) != 0 || path_replace(tmp, to) != 0)
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", to, strerror(errno));
	out = -1;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc)
		unlink(tmp);
	intr_temp_forget(tmp);
	free(tmp);
	return rc;
}

/* A script ("#!"): a version manager's shim rather than the program itself. */
static bool is_script(const char *p)
{
	char head[2] = { 0 };
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	bool script;

	if (fd < 0)
		return false;
	script = read(fd, head, 2) == 2 && head[0] == '#' && head[1] == '!';
	close(fd);
	return script;
}

static char *which(const char *name, bool native)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL, *script = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? path_real(name) : NULL;
	copy = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *p = path_join(dir, name);

		if (access(p, X_OK) != 0 || (native && is_script(p) && script))
			free(p);
		else if (native && is_script(p))
			script = p;   /* the first script: used only if no program follows */
		else
			found = p;
	}
	free(copy);
	if (found) {
		free(script);
		return found;
	}
	return script;
}

char *path_which(const char *name)
{
	return which(name, false);
}

char *path_which_native(const char *name)
{
	return which(name, true);
}

int path_replace(const char *from, const char *to)
{
	struct stat sb;

	if (lstat(to, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE) == 0) {
		unlink(from);   /* the old file, now under the temporary name */
		return 0;
	}
	return rename(from, to);
}
