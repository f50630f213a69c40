/*
 * path.h — file-system helpers: joining, creating and removing trees,
 * whole-file reads, hoist's state directory.
 */
#ifndef HOIST_PATH_H
#define HOIST_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct herr;

/*
 * hoist's own temporary files and directories are named PATH_TEMP_PREFIX…
 * (never packaged, even when one is left behind by a killed run).
 */
#define PATH_TEMP_PREFIX ".hoist-tmp-"

/* "a" + "/" + "b" (no doubled slash); allocates. */
char *path_join(const char *a, const char *b);
/* Last component (points into p). */
const char *path_base(const char *p);
/* Directory part; allocates ("." when none). */
char *path_dir(const char *p);
/* Absolute, symlink-resolved path; allocates; NULL + errno on failure. */
char *path_real(const char *p);

bool path_is_dir(const char *p);
bool path_exists(const char *p);
/* An executable: `name` itself when it has a '/', else found on PATH; absolute, allocated; NULL. */
char *path_which(const char *name);
/*
 * The same, preferring a program to a script of that name further up PATH
 * (pyenv's and asdf's shims re-resolve the version on every start, ~0.5 s):
 * the first non-script match, else the first match.
 */
char *path_which_native(const char *name);

/* mkdir -p with mode 0755 (path_mkdirs_mode: `mode`) for what it creates. */
int path_mkdirs(const char *p, struct herr *e);
int path_mkdirs_mode(const char *p, mode_t mode, struct herr *e);
/* rm -rf; a missing path is not an error. */
int path_rmtree(const char *p, struct herr *e);

/* Read a whole (small) file; allocates *out (NUL-terminated) and sets *len. */
int path_read(const char *p, char **out, size_t *len, struct herr *e);
/* Write all `len` bytes to `fd` (again after a partial write or EINTR): 0, or -1 with errno. */
int path_fd_write_all(int fd, const void *data, size_t len);
/* Write a whole file atomically (temp file + rename), mode 0644 (private: 0600). */
int path_write_atomic(const char *p, const void *data, size_t len, struct herr *e);
int path_write_private(const char *p, const void *data, size_t len, struct herr *e);
/*
 * The same, private, without waiting for the disk (no fsync): for a file read
 * at once and thrown away, or a cache its reader checks (after a crash it may
 * be lost or empty, never a mix of two).
 */
int path_write_scratch(const char *p, const void *data, size_t len, struct herr *e);

/*
 * rename(from, to) for a file just written: when `to` is a regular file it
 * is swapped with `from` (RENAME_EXCHANGE) and the old one removed, so `to`
 * is never missing, and the filesystem does not first write the new file's
 * data out as it does when a rename replaces a file (ext4 auto_da_alloc:
 * ~20 ms for a 9 MiB zip); else, or where swapping is not supported, rename.
 * 0, or -1 with errno.
 */
int path_replace(const char *from, const char *to);

/*
 * Copy a file of any size in a streaming way (copy_file_range, else
 * read/write), atomically (temp file + rename), with `mode`.
 */
int path_copy(const char *from, const char *to, unsigned mode, struct herr *e);

/* $XDG_STATE_HOME/hoist, else ~/.local/state/hoist; allocates. */
char *path_state_dir(void);
/*
 * <state dir>/<sub>, created 0700 when missing, with the state dir itself
 * made 0700 (it holds stage settings, keys and locks); *out allocated.
 */
int path_state_subdir(const char *sub, char **out, struct herr *e);
/* $XDG_CACHE_HOME/hoist, else ~/.cache/hoist; allocates. */
char *path_cache_dir(void);

#endif
