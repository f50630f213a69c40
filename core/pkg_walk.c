/*
 * pkg_walk.c — the list of files that go into a package.
 *
 * Walks a tree (project directory, site-packages, an `include` path) in
 * sorted order, applying the exclude rules of pkg_exclude.c plus the two that
 * need the directory listing: a `*.pyc` whose `.py` sits beside it, and any
 * virtualenv (a directory holding `pyvenv.cfg`, or one of rules->skip_dirs).
 * Symlinks are followed; a directory that loops back to one of its parents
 * is skipped.  Only names and stat data are read here — file contents are
 * streamed later by the writers, so memory grows with the number of files,
 * not their size.
 */
#include "pkg.h"

#include "err.h"
#include "log.h"
#include "str.h"

#include <jansson.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dir_id {
	dev_t dev;
	ino_t ino;
};

struct walk {
	const struct pkg_rules *r;
	struct pkg_list *l;
	enum pkg_origin origin;
	const char *prefix;
	struct dir_id skip[8];     /* rules->skip_dirs, resolved */
	size_t nskip;
	struct dir_id stack[256];  /* the directories being walked, for loop detection */
	size_t depth;
	uid_t uid;                 /* who reads the files (readable()) */
	gid_t gid, groups[256];
	int ngroups;               /* -1 until asked */
	char *dbuf;                /* getdents64 buffer, DBUF bytes (list_dir) */
};

#define DBUF 32768

void pkg_list_free(struct pkg_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].arc);
		free(l->v[i].src);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct pkg_entry *pkg_list_add(struct pkg_list *l, char *arc, char *src,
			       unsigned long long size, unsigned mode, enum pkg_origin origin)
{
	struct pkg_entry *en;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	en = &l->v[l->n++];
	memset(en, 0, sizeof(*en));
	en->arc = arc;
	en->src = src;
	en->size = size;
	en->mode = mode;
	en->origin = origin;
	return en;
}

static void pkg_stamp_set(struct pkg_entry *en, const struct stat *st)
{
	en->stamp.mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	en->stamp.ctime_ns = (long long)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
	en->stamp.ino = (unsigned long long)st->st_ino;
	en->stamp.dev = (unsigned long long)st->st_dev;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_name(char **names, size_t n, const char *name)
{
	return n && bsearch(&name, names, n, sizeof(*names), cmp_name) != NULL;   /* n 0: names NULL */
}

/*
 * The sorted entry names of the directory open as `fd` into *out
 * (allocated), read with getdents64 into the walk's buffer: no DIR stream,
 * so none of the fcntl and fstat calls fdopendir makes for each of the
 * thousands of directories of a site-packages.
 */
static int list_dir(struct walk *w, int fd, const char *abs, char ***out, size_t *nout,
		    struct herr *e)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	ssize_t got;

	if (!w->dbuf)
		w->dbuf = xmalloc(DBUF);
	while ((got = getdents64(fd, w->dbuf, DBUF)) > 0) {
		for (ssize_t at = 0; at < got;) {
			const struct dirent64 *de = (const struct dirent64 *)(w->dbuf + at);

			at += de->d_reclen;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = xstrdup(de->d_name);
		}
	}
	if (got < 0) {
		int rc = herr_set(e, HOIST_USAGE, "cannot read directory %s: %s; nothing was "
				  "packaged", abs, strerror(errno));

		while (n)
			free(v[--n]);
		free(v);
		return rc;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_name);
	*out = v;
	*nout = n;
	return HOIST_OK;
}

static void free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool is_skip_dir(const struct walk *w, const struct stat *st)
{
	size_t i;

	for (i = 0; i < w->nskip; i++)
		if (w->skip[i].dev == st->st_dev && w->skip[i].ino == st->st_ino)
			return true;
	return false;
}

static bool is_loop(const struct walk *w, const struct stat *st)
{
	size_t i;

	for (i = 0; i < w->depth; i++)
		if (w->stack[i].dev == st->st_dev && w->stack[i].ino == st->st_ino)
			return true;
	return false;
}

static int walk_dir(struct walk *w, int fd, const char *abs, const char *rel, struct herr *e);

/*
 * May this process read the file?  From the stat already at hand (owner,
 * group, others), not one more system call per file; an ACL that denies
 * more than the mode says is met when the file is read, with the same
 * error.  A change of mode or ACL changes ctime, so the package cache never
 * stands in for a file that became unreadable.
 */
static bool readable(struct walk *w, const struct stat *st)
{
	if (w->uid == 0)
		return true;
	if (st->st_uid == w->uid)
		return st->st_mode & S_IRUSR;
	if (w->ngroups < 0)
		w->ngroups = getgroups(sizeof(w->groups) / sizeof(*w->groups), w->groups);
	if (st->st_gid == w->gid)
		return st->st_mode & S_IRGRP;
	for (int i = 0; i < w->ngroups; i++)
		if (w->groups[i] == st->st_gid)
			return st->st_mode & S_IRGRP;
	return st->st_mode & S_IROTH;
}

/* Is s valid UTF-8 (no overlongs, no surrogates)?  ASCII at once, else jansson judges. */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	bool ok;

	while (*p && *p < 0x80)
		p++;
	if (!*p)
		return true;
	j = json_string(s);
	ok = j != NULL;
	json_decref(j);
	return ok;
}

/* s with bytes outside printable ASCII as \xNN (allocated), for messages. */
static char *escaped(const char *s)
{
	struct sbuf b;

	sbuf_init(&b);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			sbuf_addc(&b, (char)c);
		else
			sbuf_printf(&b, "\\x%02x", c);
	}
	return sbuf_detach(&b);
}

static int walk_file(struct walk *w, const char *abs, const char *rel, const struct stat *st,
		     struct herr *e)
{
	char *arc;

	if (!utf8_ok(rel)) {
		char *x = escaped(abs);
		int rc = herr_set(e, HOIST_USAGE, "%s: the file name is not UTF-8, which zip "
				  "archives and the clouds need; rename the file, or exclude it "
				  "(\"exclude\"); nothing was packaged", x);

		free(x);
		return rc;
	}
	if (!readable(w, st))
		return herr_set(e, HOIST_USAGE, "cannot read %s: %s; nothing was packaged",
				abs, strerror(EACCES));
	arc = w->prefix ? xstrjoin(w->prefix, "/", rel) : xstrdup(rel);
	pkg_stamp_set(pkg_list_add(w->l, arc, xstrdup(abs), (unsigned long long)st->st_size,
				   st->st_mode & 0111 ? 0755 : 0644, w->origin), st);
	return HOIST_OK;
}

/*
 * One entry of the directory open as `dir`: looked up relative to it
 * (fstatat, openat), so the kernel walks one name, not the whole path.
 */
static int walk_one(struct walk *w, int dir, const char *abs, const char *rel, const char *base,
		    char **names, size_t n, struct herr *e)
{
	bool top_site = w->origin == PKG_SITE && w->depth == 1;
	bool user = w->origin != PKG_INCLUDE;
	struct stat st;

	if (fstatat(dir, base, &st, 0) != 0) {
		if (errno == ENOENT || errno == ELOOP) {
			out_warn("skipping %s: %s (broken symlink?)", abs, strerror(errno));
			return HOIST_OK;
		}
		return herr_set(e, HOIST_USAGE, "cannot read %s: %s; nothing was packaged",
				abs, strerror(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		if (pkg_excluded(w->r, rel, base, true, top_site, user) || is_skip_dir(w, &st))
			return HOIST_OK;
		if (is_loop(w, &st)) {
			out_warn("skipping %s: symlink loop", abs);
			return HOIST_OK;
		}
		if (w->depth >= sizeof(w->stack) / sizeof(w->stack[0]))
			return herr_set(e, HOIST_USAGE, "%s: directories nested too deeply", abs);
		w->stack[w->depth].dev = st.st_dev;
		w->stack[w->depth++].ino = st.st_ino;
		{
			int rc = walk_dir(w, openat(dir, base, O_RDONLY | O_DIRECTORY | O_CLOEXEC),
					  abs, rel, e);

			w->depth--;
			return rc;
		}
	}
	if (!S_ISREG(st.st_mode))
		return HOIST_OK;
	if (pkg_excluded(w->r, rel, base, false, top_site, user))
		return HOIST_OK;
	if (str_ends(base, ".pyc")) {
		char *py = xstrdup(base);
		bool dup;

		py[strlen(py) - 1] = '\0';
		dup = has_name(names, n, py);
		free(py);
		if (dup)
			return HOIST_OK;
	}
	return walk_file(w, abs, rel, &st, e);
}

/* The directory open as `fd` (taken), named `abs`, at `rel` in the archive. */
static int walk_dir(struct walk *w, int fd, const char *abs, const char *rel, struct herr *e)
{
	char **names = NULL;
	size_t n = 0, i;
	int rc;

	if (fd < 0)
		return herr_set(e, HOIST_USAGE, "cannot read directory %s: %s; nothing was packaged",
				abs, strerror(errno));
	/* the entries are looked up relative to fd while it is open */
	rc = list_dir(w, fd, abs, &names, &n, e);
	if (rc) {
		close(fd);
		return rc;
	}
	if (*rel && has_name(names, n, "pyvenv.cfg")) {
		out_info("skipping virtualenv %s", abs);
		goto out;
	}
	for (i = 0; i < n && !rc; i++) {
		char *a = xstrjoin(abs, "/", names[i]);
		char *r = *rel ? xstrjoin(rel, "/", names[i]) : xstrdup(names[i]);

		rc = walk_one(w, fd, a, r, names[i], names, n, e);
		free(a);
		free(r);
	}
out:
	free_names(names, n);
	close(fd);
	return rc;
}

int pkg_walk(const char *root, const char *prefix, enum pkg_origin origin,
	     const struct pkg_rules *r, struct pkg_list *l, struct herr *e)
{
	struct walk w = { .r = r, .l = l, .origin = origin, .prefix = prefix, .uid = geteuid(),
			  .gid = getegid(), .ngroups = -1 };
	struct stat st;
	size_t i;
	int rc;

	for (i = 0; i < r->nskip && w.nskip < sizeof(w.skip) / sizeof(w.skip[0]); i++) {
		if (stat(r->skip_dirs[i], &st) == 0) {
			w.skip[w.nskip].dev = st.st_dev;
			w.skip[w.nskip++].ino = st.st_ino;
		}
	}
	if (stat(root, &st) != 0)
		return herr_set(e, HOIST_USAGE, "cannot read %s: %s; nothing was packaged",
				root, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		/* a single file (an `include` path): archived as `prefix` */
		const char *base = strrchr(root, '/') ? strrchr(root, '/') + 1 : root;

		if (access(root, R_OK) != 0)
			return herr_set(e, HOIST_USAGE, "cannot read %s: %s; nothing was packaged",
					root, strerror(errno));
		pkg_stamp_set(pkg_list_add(l, xstrdup(prefix ? prefix : base), xstrdup(root),
					   (unsigned long long)st.st_size,
					   st.st_mode & 0111 ? 0755 : 0644, origin), &st);
		return HOIST_OK;
	}
	w.stack[0].dev = st.st_dev;
	w.stack[0].ino = st.st_ino;
	w.depth = 1;
	rc = walk_dir(&w, open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), root, "", e);
	free(w.dbuf);
	return rc;
}

/* ---- sorting and collisions ---- */

static int cmp_entry(const void *a, const void *b)
{
	const struct pkg_entry *x = a, *y = b;
	int c = strcmp(x->arc, y->arc);

	return c ? c : (int)x->origin - (int)y->origin;
}

static const char *origin_name(enum pkg_origin o)
{
	switch (o) {
	case PKG_GENERATED:
		return "hoist's handler";
	case PKG_INCLUDE:
		return "an include path";
	case PKG_PROJECT:
		return "the project";
	default:
		return "site-packages";
	}
}

void pkg_list_finish(struct pkg_list *l)
{
	size_t i, j = 0, shadowed = 0;

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
	for (i = 0; i < l->n; i++) {
		struct pkg_entry *en = &l->v[i];

		if (j > 0 && strcmp(l->v[j - 1].arc, en->arc) == 0) {
			const struct pkg_entry *keep = &l->v[j - 1];

			if (keep->origin != PKG_INCLUDE && en->origin != keep->origin &&
			    shadowed++ < 5)
				out_warn("%s from %s is shadowed by the file from %s",
					 en->arc, origin_name(en->origin), origin_name(keep->origin));
			free(en->arc);
			free(en->src);
			continue;
		}
		l->v[j++] = *en;
	}
	if (shadowed > 5)
		out_warn("… and %zu more shadowed files", shadowed - 5);
	l->n = j;
}
