/*
 * pkg_exclude.c — which paths stay out of the package (SPEC.md §3).
 *
 * Default rules: `.git/`, `.hg/`, `__pycache__/`, `*.zip`, `*.tar.gz`, hoist's
 * own temporary names (`.hoist-tmp-*`, and `*.zip.XXXXXX` that libzip left
 * behind for older versions of hoist when they were killed), and at
 * the top of site-packages the packages the runtime already ships (boto3… on
 * AWS) with their *.dist-info / *.egg-info.  (`*.pyc` next to its `.py` and
 * the virtualenv directory need the directory listing; pkg_walk.c does them.)
 *
 * User rules, like Zappa's: `exclude` patterns match the basename of a file
 * or directory at any depth (a pattern with a "/" matches the whole relative
 * path instead); `exclude_glob` patterns match the relative path, where "**"
 * spans any number of directories.  A trailing "/" limits a pattern to
 * directories.  An excluded directory takes everything below it along.
 */
#include "pkg.h"

#include "path.h"
#include "str.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

static const char *const default_dirs[] = { ".git", ".hg", "__pycache__",
					     PATH_TEMP_PREFIX "*" };
static const char *const default_files[] = { "*.zip", "*.tar.gz", PATH_TEMP_PREFIX "*",
					     "*.zip.[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]"
					     "[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]" };

static bool is_runtime_provided(const char *const *pkgs, const char *base)
{
	size_t n;

	for (; pkgs && *pkgs; pkgs++) {
		n = strlen(*pkgs);
		if (strcmp(base, *pkgs) == 0 || (strncmp(base, *pkgs, n) == 0 && base[n] == '.' &&
						 strcmp(base + n, ".py") == 0))
			return true;
		if (strncmp(base, *pkgs, n) == 0 && base[n] == '-' &&
		    (str_ends(base, ".dist-info") || str_ends(base, ".egg-info")))
			return true;
	}
	return false;
}

static bool default_excluded(const char *base, bool is_dir)
{
	size_t i;

	if (is_dir) {
		for (i = 0; i < sizeof(default_dirs) / sizeof(default_dirs[0]); i++)
			if (fnmatch(default_dirs[i], base, 0) == 0)
				return true;
		return false;
	}
	for (i = 0; i < sizeof(default_files) / sizeof(default_files[0]); i++)
		if (fnmatch(default_files[i], base, 0) == 0)
			return true;
	return false;
}

/* Copy pattern without a trailing "/" (and a leading "./"); *dir_only when it had one. */
static bool pattern_norm(const char *pat, char *buf, size_t len, bool *dir_only)
{
	size_t n;

	while (pat[0] == '.' && pat[1] == '/')
		pat += 2;
	n = strlen(pat);
	*dir_only = n > 1 && pat[n - 1] == '/';
	if (*dir_only)
		n--;
	if (n == 0 || n >= len)
		return false;
	memcpy(buf, pat, n);
	buf[n] = '\0';
	return true;
}

static bool name_matches(const char *pat, const char *rel, const char *base, bool is_dir)
{
	char p[PATH_MAX];
	bool dir_only;

	if (!pattern_norm(pat, p, sizeof(p), &dir_only) || (dir_only && !is_dir))
		return false;
	if (strchr(p, '/'))
		return pkg_glob_match(p, rel);
	return fnmatch(p, base, 0) == 0;
}

static bool glob_matches(const char *pat, const char *rel, bool is_dir)
{
	char p[PATH_MAX];
	bool dir_only;

	if (!pattern_norm(pat, p, sizeof(p), &dir_only) || (dir_only && !is_dir))
		return false;
	return pkg_glob_match(p, rel);
}

bool pkg_excluded(const struct pkg_rules *r, const char *rel, const char *base, bool is_dir,
		  bool top_site, bool user)
{
	size_t i;

	if (default_excluded(base, is_dir))
		return true;
	if (top_site && is_runtime_provided(r->runtime_provided, base))
		return true;
	if (!user)
		return false;
	for (i = 0; i < r->nnames; i++)
		if (name_matches(r->names[i], rel, base, is_dir))
			return true;
	for (i = 0; i < r->nglobs; i++)
		if (glob_matches(r->globs[i], rel, is_dir))
			return true;
	return false;
}

/* Length of the component starting at s. */
static size_t comp_len(const char *s)
{
	return strcspn(s, "/");
}

static const char *comp_next(const char *s)
{
	s += comp_len(s);
	return *s ? s + 1 : s;
}

static bool comp_match(const char *p, size_t pn, const char *s, size_t sn)
{
	char pb[NAME_MAX + 1], sb[NAME_MAX + 1];

	if (pn > NAME_MAX || sn > NAME_MAX)
		return false;
	memcpy(pb, p, pn);
	pb[pn] = '\0';
	memcpy(sb, s, sn);
	sb[sn] = '\0';
	return fnmatch(pb, sb, 0) == 0;
}

bool pkg_glob_match(const char *p, const char *s)
{
	size_t pn;

	if (!*p)
		return !*s;
	pn = comp_len(p);
	if (pn == 2 && p[0] == '*' && p[1] == '*') {
		/* "**": no component, or one more and try again */
		if (pkg_glob_match(comp_next(p), s))
			return true;
		return *s && pkg_glob_match(p, comp_next(s));
	}
	if (!*s || !comp_match(p, pn, s, comp_len(s)))
		return false;
	return pkg_glob_match(comp_next(p), comp_next(s));
}
