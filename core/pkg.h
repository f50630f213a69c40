/*
 * pkg.h — the pieces `package_build` (core/package.c) is assembled from.
 *
 * Internal to packaging; the rest of hoist includes core/package.h only.
 *
 *   pkg_exclude.c  which paths stay out (SPEC.md §3 default excludes,
 *                  `exclude` basename patterns, `exclude_glob` path globs)
 *   pkg_walk.c     the list of files: project tree, site-packages, `include`,
 *                  generated files; sorted, collisions resolved
 *   pkg_elf.c      native-code check (ELF machine, Mach-O, PE)
 *   pkg_settings.c the generated hoist_settings.py
 *   pkg_zip.c      the deterministic zip (libzip)
 *   pkg_zipout.c   the file it is written to, hashed as it is written
 *   pkg_zipin.c    the cached zip, read through one buffer
 *   pkg_slim.c     the deterministic .tar.gz of the slim bundle (libarchive)
 *   pkg_cache.c    the package cache: unchanged files copied compressed
 *   pkg_manifest.c the entries' list for the pre-flight, before compression
 */
#ifndef HOIST_PKG_H
#define HOIST_PKG_H

#include <stdbool.h>
#include <stddef.h>

struct herr;

/* Where an entry comes from; also its priority on a name collision (lower wins). */
enum pkg_origin {
	PKG_GENERATED = 0,  /* handler templates, hoist_settings.py */
	PKG_INCLUDE = 1,    /* `include` setting */
	PKG_PROJECT = 2,    /* the project directory */
	PKG_SITE = 3,       /* site-packages */
};

/* What stat said about a file on disk: the package cache's key (pkg_cache.c). */
struct pkg_stamp {
	long long mtime_ns, ctime_ns;
	unsigned long long ino, dev;
};

/* One file of the archive. */
struct pkg_entry {
	char *arc;                  /* archive path, '/'-separated (owned) */
	char *src;                  /* file on disk (owned), NULL when generated */
	const void *data;           /* generated content (not owned), when src is NULL */
	unsigned long long size;
	unsigned mode;              /* 0644 or 0755 */
	enum pkg_origin origin;
	struct pkg_stamp stamp;     /* src's, from the walk */
};

struct pkg_list {
	struct pkg_entry *v;
	size_t n, cap;
};

void pkg_list_free(struct pkg_list *l);
/* Append; takes ownership of arc and src. */
struct pkg_entry *pkg_list_add(struct pkg_list *l, char *arc, char *src,
			       unsigned long long size, unsigned mode, enum pkg_origin origin);

/* ---- exclude rules (pkg_exclude.c) ---- */

struct pkg_rules {
	const char **names;                   /* `exclude`: basename patterns */
	size_t nnames;
	const char **globs;                   /* `exclude_glob`: path globs with ** */
	size_t nglobs;
	const char *const *runtime_provided;  /* top-level packages dropped from site-packages */
	char **skip_dirs;                     /* absolute real paths never descended (the venv) */
	size_t nskip;
};

/*
 * Does `rel` (path relative to its root, '/'-separated; base = its last
 * component) stay out of the package?  `top_site` is true for entries directly
 * in the site-packages root (where runtime_provided applies).  `user` false
 * applies the default rules only (for `include` trees).
 */
bool pkg_excluded(const struct pkg_rules *r, const char *rel, const char *base, bool is_dir,
		  bool top_site, bool user);

/* Path glob: "*" and "?" and [..] within a component, "**" any number of components. */
bool pkg_glob_match(const char *pattern, const char *path);

/* ---- the file list (pkg_walk.c) ---- */

/*
 * Add every file below `root` (absolute) to `l` with archive paths
 * `prefix`/relative (prefix may be NULL).  Unreadable directories and files
 * are errors (HOIST_USAGE: nothing was changed).
 */
int pkg_walk(const char *root, const char *prefix, enum pkg_origin origin,
	     const struct pkg_rules *r, struct pkg_list *l, struct herr *e);

/*
 * Sort by archive path (bytewise) and drop shadowed duplicates, keeping the
 * entry of the highest-priority origin; warns when a project file shadows
 * site-packages or a generated file shadows a project file.
 */
void pkg_list_finish(struct pkg_list *l);

/* ---- native code (pkg_elf.c) ---- */

/*
 * Check every candidate (.so/.pyd/.dll/.dylib or executable) in `l` for
 * `arch` ("x86_64" or "arm64"); errors name each file and the distribution
 * (from *.dist-info/RECORD under `site_dir`, which may be NULL).
 */
int pkg_check_native(const struct pkg_list *l, const char *arch, const char *site_dir,
		     struct herr *e);

/* What the first bytes of a file are: NULL when fine, else a reason (static or into buf). */
const char *pkg_native_problem(const unsigned char *hdr, size_t n, const char *name,
			       const char *arch, char *buf, size_t len);

/* ---- generated settings module (pkg_settings.c) ---- */

struct stage;
/* hoist_settings.py for `st`; slim_url NULL unless slim.  Allocates *out. */
int pkg_settings_module(const struct stage *st, const char *slim_url, char **out,
			struct herr *e);
/* The event name of a settings `events` entry (its "name", else derived); allocates. */
char *pkg_event_name(const char *name, const char *function);

/* ---- writers (pkg_zip.c, pkg_slim.c) ---- */

/*
 * Entries of an earlier zip (pkg_cache.c) to copy as they are, compressed,
 * instead of compressing the file again: index[i] is list entry i's number
 * in `from`, or -1.
 */
struct pkg_reuse {
	struct zip *from;
	const long long *index;
};

/*
 * Write l as a deterministic zip at `path` (atomically); entries must be
 * finished.  `reuse` may be NULL; the archive is the same bytes either way.
 * `crcs` (may be NULL; l->n entries): each entry's CRC-32, or -1 where it is
 * only in the archive (a big file libzip compressed itself).  The archive's
 * SHA-256 (hex, base64 as digest_sha256_file gives them) and size.
 */
int pkg_write_zip(const char *path, const struct pkg_list *l, const struct pkg_reuse *reuse,
		  long long *crcs, char hex[65], char b64[45], unsigned long long *size,
		  struct herr *e);

/*
 * The archive file pkg_write_zip writes through (pkg_zipout.c): a new zip at
 * `path` (temporary file beside it until libzip commits), buffered, its
 * SHA-256 taken as it is written.  *out is set even when NULL is returned
 * (free it); pkg_zipout_sha256 is true when the committed archive's digest
 * is known, false when it must be read from the file.
 */
struct zip;
struct zip_error;
struct pkg_zipout;
struct zip *pkg_zipout_open(const char *path, struct pkg_zipout **out, struct zip_error *ze);
bool pkg_zipout_sha256(struct pkg_zipout *o, char hex[65], char b64[45],
		       unsigned long long *size);
void pkg_zipout_free(struct pkg_zipout *o);

/* The zip at `path` for reading, through a buffered source (pkg_zipin.c); NULL when it cannot be. */
struct zip *pkg_zipin_open(const char *path);
/* Write the on-disk entries of l as a deterministic .tar.gz at `path` (atomically). */
int pkg_write_tar(const char *path, const struct pkg_list *l, struct herr *e);

/* ---- the package cache (pkg_cache.c) ---- */

struct stage;
struct pkg_cache;

/* The stage's cache directory: <cache>/<project>-<hash of its path>/<stage>; allocates. */
char *pkg_cache_dir(const struct stage *st);

/*
 * Match `l` (finished) against the cache in `dir`: *c is the open cache (NULL
 * when there is none or it cannot be trusted; the reason is logged with -v)
 * and reuse->index[i] (allocated, l->n entries) what can be copied.  When
 * every entry is reused the earlier zip is this one, byte for byte: *same,
 * and its SHA-256 (hex, base64) and size are known without reading it.
 */
int pkg_cache_open(const char *dir, const struct pkg_list *l, struct pkg_cache **c,
		   struct pkg_reuse *reuse, bool *same, char hex[65], char b64[45],
		   unsigned long long *size);
/*
 * `hoist package` again: is `path` still the file pkg_cache_mark_output
 * recorded, holding the zip whose SHA-256 is `hex`?  Then it is left as it is.
 */
bool pkg_cache_output_is(const char *dir, const char *path, const char hex[65]);
void pkg_cache_mark_output(const char *dir, const char *path, const char hex[65]);
/* Copy the cached zip to `path` (when *same). */
int pkg_cache_copy(const struct pkg_cache *c, const char *path, struct herr *e);
void pkg_cache_close(struct pkg_cache *c, struct pkg_reuse *reuse);
/*
 * Make `zip` (just built from `l`, SHA-256 `hex`, CRCs as pkg_write_zip
 * reported them) the cache in `dir`.  A failure is a warning, never a
 * failed build.
 */
void pkg_cache_store(const char *dir, const char *zip, const struct pkg_list *l,
		     const char hex[65], const long long *crcs);

/* ---- the pre-flight's manifest (pkg_manifest.c) ---- */

/*
 * What names the state of the entries of `lists` (SHA-256 hex into key):
 * each name, file, size, mtime, ctime, inode, device and mode, a generated
 * entry's content hash, hoist_settings.py's given as `settings_key` (NULL:
 * its content's).
 */
void pkg_manifest_key(const struct pkg_list *const *lists, size_t nlists,
		      const char *settings_key, char key[65]);
/* Write them as "name NUL file NUL" at `path` (private), generated ones copied under gen_dir. */
int pkg_manifest_write(const struct pkg_list *const *lists, size_t nlists, const char *path,
		       const char *gen_dir, struct herr *e);

#endif
