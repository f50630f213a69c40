/*
 * package.c — `package_build`: the steps from a stage to its archive(s).
 *
 *   1. find site-packages (`site_packages` setting, else $VIRTUAL_ENV)
 *   2. list project files, site-packages and `include` paths minus excludes
 *      (pkg_walk.c, pkg_exclude.c)
 *   3. native-code check (pkg_elf.c)
 *   4. decide: plain zip, or the slim bundle (AWS: `slim_handler` or over
 *      the unzipped limit); unzipped-size check — all before writing
 *   5. add the handler templates and hoist_settings.py (pkg_settings.c)
 *   6. write the zip (and the .tar.gz when slim) into a private temporary
 *      directory beside the output (.hoist-tmp-XXXXXX, never packaged,
 *      removed on an interrupt), copying what the package cache still has
 *      (pkg_cache.c), hash it, check its size against the inline
 *      / object-storage limits, and only then rename it into place; an
 *      output that is the settings file or a file the package reads is
 *      refused before anything is written
 *
 * Nothing is printed here beyond warnings; cli/cmd_package.c reports.
 */
#include "package.h"

#include "digest.h"
#include "err.h"
#include "interrupt.h"
#include "log.h"
#include "path.h"
#include "pkg.h"
#include "stage.h"
#include "str.h"
#include "templates.h"

#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MIB (1024.0 * 1024.0)

/* Everything package_build owns while it works. */
struct build {
	const struct package_opts *o;
	const struct stage *st;
	struct pkg_rules rules;
	char *site_dir;           /* site-packages (real path) or NULL */
	char *venv_dir;           /* $VIRTUAL_ENV (real path) or NULL */
	struct pkg_list files;    /* project + site-packages + include */
	struct pkg_list handler;  /* handler templates + hoist_settings.py */
	char *settings_py;        /* content of hoist_settings.py */
	unsigned long long disk_size, handler_size;
	bool slim;
	char *tar_path;
	char arch[16];
};

/* settings[key] as a string, or NULL. */
static const char *setting_str(const struct stage *st, const char *key)
{
	return json_string_value(json_object_get(st->settings, key));
}

/* "262,144,000" into buf. */
static const char *thousands(unsigned long long n, char *buf, size_t len)
{
	char tmp[32];
	size_t i, j = 0, digits;

	snprintf(tmp, sizeof(tmp), "%llu", n);
	digits = strlen(tmp);
	for (i = 0; i < digits && j + 2 < len; i++) {
		if (i && (digits - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = tmp[i];
	}
	buf[j] = '\0';
	return buf;
}

static unsigned long long list_size(const struct pkg_list *l)
{
	unsigned long long sum = 0;
	size_t i;

	for (i = 0; i < l->n; i++)
		sum += l->v[i].size;
	return sum;
}

/* ---- step 1: site-packages ---- */

static int pick_venv_site(struct build *b, const char *venv, char **out, struct herr *e)
{
	const char *runtime = setting_str(b->st, "runtime");
	char *pat = xasprintf("%s/lib/python3.*/site-packages", venv);
	glob_t g;
	size_t i;
	int rc = HOIST_OK;

	*out = NULL;
	if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		rc = herr_set(e, HOIST_USAGE, "the virtualenv %s (VIRTUAL_ENV) has no "
			      "lib/python3.*/site-packages; recreate it, or set \"site_packages\"", venv);
		goto out;
	}
	for (i = 0; runtime && i < g.gl_pathc; i++) {
		char *want = xasprintf("/lib/%s/site-packages", runtime);
		bool hit = str_ends(g.gl_pathv[i], want);

		free(want);
		if (hit)
			*out = xstrdup(g.gl_pathv[i]);
	}
	if (!*out) {
		*out = xstrdup(g.gl_pathv[g.gl_pathc - 1]);
		if (g.gl_pathc > 1)
			out_warn("the virtualenv has several site-packages; using %s", *out);
	}
	globfree(&g);
out:
	free(pat);
	return rc;
}

static int find_site_packages(struct build *b, struct herr *e)
{
	const char *set = setting_str(b->st, "site_packages");
	const char *venv = getenv("VIRTUAL_ENV");
	char *dir = NULL;
	int rc;

	if (venv && *venv)
		b->venv_dir = path_real(venv);
	if (set) {
		dir = set[0] == '/' ? xstrdup(set) : path_join(b->st->project_dir, set);
		if (!path_is_dir(dir)) {
			rc = herr_set(e, HOIST_USAGE, "site_packages: %s is not a directory", dir);
			free(dir);
			return rc;
		}
	} else if (b->venv_dir) {
		rc = pick_venv_site(b, b->venv_dir, &dir, e);
		if (rc)
			return rc;
	} else {
		out_warn("no virtualenv is active (VIRTUAL_ENV) and \"site_packages\" is not set: "
			 "packaging the project files only");
		return HOIST_OK;
	}
	b->site_dir = path_real(dir);
	free(dir);
	if (!b->site_dir)
		return herr_set(e, HOIST_USAGE, "cannot read site-packages: %s", strerror(errno));
	return HOIST_OK;
}

/* ---- step 2: the file list ---- */

/* Strings of settings array `key` into a new array (pointing into the settings). */
static const char **string_list(const struct stage *st, const char *key, size_t *n)
{
	json_t *a = json_object_get(st->settings, key), *v;
	const char **out;
	size_t i;

	*n = 0;
	if (json_is_string(a)) {
		out = xcalloc(1, sizeof(*out));
		out[(*n)++] = json_string_value(a);
		return out;
	}
	out = xcalloc(json_array_size(a) + 1, sizeof(*out));
	json_array_foreach(a, i, v)
		if (json_is_string(v))
			out[(*n)++] = json_string_value(v);
	return out;
}

static void setup_rules(struct build *b)
{
	size_t plen = strlen(b->st->project_dir), i;

	b->rules.names = string_list(b->st, "exclude", &b->rules.nnames);
	b->rules.globs = string_list(b->st, "exclude_glob", &b->rules.nglobs);
	/* Zappa users sometimes give absolute globs under the project */
	for (i = 0; i < b->rules.nglobs; i++)
		if (strncmp(b->rules.globs[i], b->st->project_dir, plen) == 0 &&
		    b->rules.globs[i][plen] == '/')
			b->rules.globs[i] += plen + 1;
	b->rules.runtime_provided = b->o->runtime_provided;
	b->rules.skip_dirs = xcalloc(2, sizeof(char *));
	if (b->venv_dir)
		b->rules.skip_dirs[b->rules.nskip++] = b->venv_dir;
	if (b->site_dir)
		b->rules.skip_dirs[b->rules.nskip++] = b->site_dir;
}

static int walk_includes(struct build *b, struct herr *e)
{
	const char *pdir = b->st->project_dir;
	size_t n, i, plen = strlen(pdir);
	const char **inc = string_list(b->st, "include", &n);
	int rc = HOIST_OK;

	for (i = 0; i < n && !rc; i++) {
		const char *p = inc[i];
		char *abs, *arc;

		while (p[0] == '.' && p[1] == '/')
			p += 2;
		abs = p[0] == '/' ? xstrdup(p) : path_join(pdir, p);
		if (strncmp(abs, pdir, plen) == 0 && abs[plen] == '/')
			arc = xstrdup(abs + plen + 1);
		else
			arc = xstrdup(path_base(abs));
		while (*arc && arc[strlen(arc) - 1] == '/')
			arc[strlen(arc) - 1] = '\0';
		if (!path_exists(abs))
			rc = herr_set(e, HOIST_USAGE, "include: %s does not exist", abs);
		else
			rc = pkg_walk(abs, arc, PKG_INCLUDE, &b->rules, &b->files, e);
		free(abs);
		free(arc);
	}
	free(inc);
	return rc;
}

static int list_files(struct build *b, struct herr *e)
{
	struct stat sb;
	int rc;

	if (stat(b->st->project_dir, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    access(b->st->project_dir, R_OK | X_OK) != 0)
		return herr_set(e, HOIST_USAGE, "cannot read the project directory %s: %s; "
				"nothing was packaged", b->st->project_dir,
				S_ISDIR(sb.st_mode) ? strerror(errno) : strerror(ENOTDIR));
	rc = pkg_walk(b->st->project_dir, NULL, PKG_PROJECT, &b->rules, &b->files, e);
	if (!rc && b->site_dir)
		rc = pkg_walk(b->site_dir, NULL, PKG_SITE, &b->rules, &b->files, e);
	if (!rc)
		rc = walk_includes(b, e);
	if (rc)
		return rc;
	pkg_list_finish(&b->files);
	b->disk_size = list_size(&b->files);
	return HOIST_OK;
}

/* ---- step 3: architecture ---- */

static void pick_arch(struct build *b)
{
	const char *a = setting_str(b->st, "architecture");
	struct utsname u;

	if (!a) {
		/* the local provider runs the package on this machine */
		a = "x86_64";
		if (b->st->provider && strcmp(b->st->provider, "local") == 0 && uname(&u) == 0 &&
		    strcmp(u.machine, "aarch64") == 0)
			a = "arm64";
	}
	snprintf(b->arch, sizeof(b->arch), "%s", a);
}

/* ---- step 4: limits before writing ---- */

/* "requests/ (12.3 MiB), …": the three largest top-level entries, for hints. */
static void largest(const struct pkg_list *l, struct sbuf *out)
{
	struct { const char *name; size_t nlen; unsigned long long size; } top[3] = { 0 };
	size_t i, j, k;

	/* sorted bytewise, so everything below "a/" is contiguous */
	for (i = 0; i < l->n; i = j) {
		const char *arc = l->v[i].arc;
		size_t nlen = strcspn(arc, "/");
		bool dir = arc[nlen] == '/';
		unsigned long long sum = 0;

		nlen += dir;
		for (j = i; j < l->n && (j == i || (dir && !strncmp(l->v[j].arc, arc, nlen))); j++)
			sum += l->v[j].size;
		for (k = 0; k < 3 && top[k].name && top[k].size >= sum; k++)
			;
		if (k == 3)
			continue;
		memmove(&top[k + 1], &top[k], (2 - k) * sizeof(top[0]));
		top[k].name = arc;
		top[k].nlen = nlen;
		top[k].size = sum;
	}
	for (k = 0; k < 3 && top[k].name; k++) {
		char sz[32];

		sbuf_printf(out, "%s%.*s (%s)", k ? ", " : "", (int)top[k].nlen, top[k].name,
			    str_size(top[k].size, sz, sizeof(sz)));
	}
}

static int decide_slim(struct build *b, struct herr *e)
{
	const struct package_limits *lim = b->o->limits;
	unsigned long long total = b->disk_size + b->handler_size;
	bool want = json_is_true(json_object_get(b->st->settings, "slim_handler"));
	char n1[32], n2[32];

	if (want && lim && !lim->slim)
		return herr_set(e, HOIST_USAGE, "slim_handler: the %s provider cannot run a slim "
				"bundle (AWS only); remove the setting", b->st->provider);
	b->slim = want || (lim && lim->slim && lim->unzipped && total > lim->unzipped);
	if (b->slim) {
		long long mb = json_integer_value(json_object_get(b->st->settings,
								  "ephemeral_storage"));
		unsigned long long tmp_bytes = (unsigned long long)(mb > 0 ? mb : 512) * 1024 * 1024;

		if (total > tmp_bytes)
			return herr_set(e, HOIST_USAGE, "package is %.1f MiB unzipped (%s bytes); the "
					"slim bundle unpacks into /tmp, which holds %s bytes "
					"(ephemeral_storage %lld MB) — raise ephemeral_storage or "
					"exclude files", total / MIB, thousands(total, n1, sizeof(n1)),
					thousands(tmp_bytes, n2, sizeof(n2)), mb > 0 ? mb : 512);
		return HOIST_OK;
	}
	if (lim && lim->unzipped && total > lim->unzipped) {
		struct sbuf big;

		sbuf_init(&big);
		largest(&b->files, &big);
		herr_set(e, HOIST_USAGE, "package is %.1f MiB unzipped (%s bytes); %s allows %s bytes "
			 "(%.1f MiB) unzipped — exclude files with \"exclude\" or \"exclude_glob\" "
			 "(largest: %s)", total / MIB, thousands(total, n1, sizeof(n1)),
			 b->st->provider, thousands(lim->unzipped, n2, sizeof(n2)),
			 lim->unzipped / MIB, big.s ? big.s : "");
		sbuf_free(&big);
		return HOIST_USAGE;
	}
	return HOIST_OK;
}

/* ---- step 5: the handler ---- */

static void add_templates(struct build *b)
{
	size_t i;

	for (i = 0; i < hoist_templates_count; i++) {
		const struct template_file *t = &hoist_templates[i];
		struct pkg_entry *en;

		if (!t->name || !str_starts(t->name, "python/") || !str_ends(t->name, ".py"))
			continue;
		en = pkg_list_add(&b->handler, xstrdup(t->name + strlen("python/")), NULL, t->len,
				  0644, PKG_GENERATED);
		en->data = t->data;
		b->handler_size += t->len;
	}
}

static int add_settings_module(struct build *b, const char *slim_url, struct herr *e)
{
	struct pkg_entry *en;
	int rc;

	rc = pkg_settings_module(b->st, slim_url, &b->settings_py, e);
	if (rc)
		return rc;
	en = pkg_list_add(&b->handler, xstrdup("hoist_settings.py"), NULL,
			  strlen(b->settings_py), 0644, PKG_GENERATED);
	en->data = b->settings_py;
	b->handler_size += en->size;
	return HOIST_OK;
}

/* The generated files join the project files (not slim), or stand alone (slim). */
static void merge_handler(struct build *b)
{
	size_t i;

	for (i = 0; i < b->handler.n; i++) {
		struct pkg_entry *h = &b->handler.v[i];
		struct pkg_entry *en = pkg_list_add(&b->files, xstrdup(h->arc), NULL, h->size,
						    h->mode, PKG_GENERATED);

		en->data = h->data;
	}
	pkg_list_finish(&b->files);
}

/* ---- step 6: write and check ---- */

static char *tar_path_for(const char *zip)
{
	size_t n = strlen(zip);

	if (n > 4 && strcmp(zip + n - 4, ".zip") == 0)
		return xasprintf("%.*s.tar.gz", (int)(n - 4), zip);
	return xasprintf("%s.tar.gz", zip);
}

static int check_zip_size(struct build *b, struct package_info *info, struct herr *e)
{
	const struct package_limits *lim = b->o->limits;
	char n1[32], n2[32];

	if (!lim)
		return HOIST_OK;
	if (lim->objstore_zip && info->zip_size > lim->objstore_zip)
		return herr_set(e, HOIST_USAGE, "package is %.1f MiB zipped (%s bytes); %s allows %s "
				"bytes (%.1f MiB) even through %s — exclude files with \"exclude\" "
				"or \"exclude_glob\"", info->zip_size / MIB,
				thousands(info->zip_size, n1, sizeof(n1)), b->st->provider,
				thousands(lim->objstore_zip, n2, sizeof(n2)), lim->objstore_zip / MIB,
				lim->objstore ? lim->objstore : "object storage");
	if (lim->inline_zip && info->zip_size > lim->inline_zip) {
		if (!lim->objstore)
			return herr_set(e, HOIST_USAGE, "package is %.1f MiB zipped (%s bytes); %s "
					"allows %s bytes — exclude files", info->zip_size / MIB,
					thousands(info->zip_size, n1, sizeof(n1)), b->st->provider,
					thousands(lim->inline_zip, n2, sizeof(n2)));
		info->needs_objstore = true;
	}
	return HOIST_OK;
}

/* Is `p` the same file as `sb` (an existing output)? */
static bool same_file(const char *p, const struct stat *sb)
{
	struct stat s2;

	return p && stat(p, &s2) == 0 && s2.st_dev == sb->st_dev && s2.st_ino == sb->st_ino;
}

/*
 * The output must not replace the settings file or a file the package reads.
 * A walked file is compared by the device and inode its walk recorded (a
 * second stat of each of thousands of paths costs more than the rest).
 */
static int check_output(struct build *b, const char *out, struct herr *e)
{
	struct stat sb;
	size_t i;

	if (!out || stat(out, &sb) != 0)
		return HOIST_OK;   /* a new file cannot be one we read */
	if (same_file(b->st->settings_path, &sb))
		return herr_set(e, HOIST_USAGE, "the output %s is the settings file; nothing was "
				"written — choose another output path", out);
	for (i = 0; i < b->files.n; i++) {
		const struct pkg_entry *en = &b->files.v[i];
		bool same = en->stamp.ino ? en->src && en->stamp.dev == (unsigned long long)sb.st_dev &&
						    en->stamp.ino == (unsigned long long)sb.st_ino
					  : same_file(en->src, &sb);

		if (same)
			return herr_set(e, HOIST_USAGE, "the output %s is a file the package "
					"contains (%s); nothing was written — choose an output "
					"outside the project, or exclude it", out, en->arc);
	}
	return HOIST_OK;
}

/* A private directory beside `out` for the archives being written (registered). */
static char *temp_dir_beside(const char *out, struct herr *e)
{
	char *dir = path_dir(out), *t = xasprintf("%s/" PATH_TEMP_PREFIX "XXXXXX", dir);

	free(dir);
	if (!mkdtemp(t)) {
		herr_set(e, HOIST_FAIL, "cannot write beside %s: %s", out, strerror(errno));
		free(t);
		return NULL;
	}
	intr_temp_add(t);
	return t;
}

/* The stage's package cache (not for the slim bundle's small zip), matched against `zl`. */
struct cached {
	char *dir;               /* NULL: not used */
	struct pkg_cache *c;     /* open, until write_zip or done_cached closes it */
	struct pkg_reuse reuse;
	bool same;               /* its zip is this package, byte for byte */
};

static void open_cached(struct build *b, const struct pkg_list *zl, struct cached *k,
			struct package_info *info)
{
	memset(k, 0, sizeof(*k));
	if (!b->o->cache || b->slim)
		return;
	k->dir = pkg_cache_dir(b->st);
	pkg_cache_open(k->dir, zl, &k->c, &k->reuse, &k->same, info->sha256_hex,
		       info->sha256_b64, &info->zip_size);
}

static void done_cached(struct cached *k)
{
	pkg_cache_close(k->c, &k->reuse);
	k->c = NULL;
	free(k->dir);
	k->dir = NULL;
}

/* The zip at `path`, copying what the cache `k` has (which it closes). */
static int write_zip(const struct pkg_list *zl, struct cached *k, const char *path,
		     struct package_info *info, struct herr *e)
{
	long long *crcs = k->dir ? xmalloc((zl->n ? zl->n : 1) * sizeof(*crcs)) : NULL;
	int rc;

	if (k->same) {
		rc = pkg_cache_copy(k->c, path, e);
	} else {
		rc = pkg_write_zip(path, zl, &k->reuse, crcs, info->sha256_hex, info->sha256_b64,
				   &info->zip_size, e);
	}
	pkg_cache_close(k->c, &k->reuse);
	k->c = NULL;
	if (!rc && k->dir && !k->same)
		pkg_cache_store(k->dir, path, zl, info->sha256_hex, crcs);
	free(crcs);
	return rc;
}

/* What the package holds, unzipped. */
static void set_counts(const struct build *b, struct package_info *info)
{
	info->unzipped_size = b->slim ? b->disk_size + b->handler_size : list_size(&b->files);
	info->file_count = b->files.n + (b->slim ? b->handler.n : 0);
	info->slim = b->slim;
}

static int write_archives(struct build *b, struct package_info *info, struct herr *e)
{
	const struct pkg_list *zl = b->slim ? &b->handler : &b->files;
	char *tdir = NULL, *tzip = NULL, *ttar = NULL;
	bool tar_placed = false;
	struct cached k;
	int rc;

	open_cached(b, zl, &k, info);
	if (k.same && b->o->keep_output && pkg_cache_output_is(k.dir, b->o->out_path,
							       info->sha256_hex)) {
		out_info("%s is this package already: left as it is", b->o->out_path);
		set_counts(b, info);
		rc = check_zip_size(b, info, e);
		if (!rc)
			info->zip_path = xstrdup(b->o->out_path);
		goto out;
	}
	if (!(tdir = temp_dir_beside(b->o->out_path, e))) {
		rc = e->code;
		goto out;
	}
	tzip = path_join(tdir, path_base(b->o->out_path));
	if (b->slim) {
		ttar = path_join(tdir, path_base(b->tar_path));
		rc = pkg_write_tar(ttar, &b->files, e);
		if (!rc)
			rc = digest_sha256_file(ttar, info->tar_sha256_hex,
						info->tar_sha256_b64, &info->tar_size, e);
		if (rc)
			goto out;
	}
	rc = write_zip(zl, &k, tzip, info, e);
	if (rc)
		goto out;
	set_counts(b, info);
	rc = check_zip_size(b, info, e);
	if (!rc && ttar && !(tar_placed = path_replace(ttar, b->tar_path) == 0))
		rc = herr_set(e, HOIST_FAIL, "cannot rename %s to %s: %s", ttar, b->tar_path,
			      strerror(errno));
	if (!rc && path_replace(tzip, b->o->out_path) != 0)
		rc = herr_set(e, HOIST_FAIL, "cannot rename %s to %s: %s", tzip, b->o->out_path,
			      strerror(errno));
	if (!rc) {
		info->zip_path = xstrdup(b->o->out_path);
		if (k.dir && b->o->keep_output)
			pkg_cache_mark_output(k.dir, b->o->out_path, info->sha256_hex);
		if (b->slim) {
			info->tar_path = b->tar_path;
			b->tar_path = NULL;
		}
	} else if (tar_placed) {
		unlink(b->tar_path);   /* renamed already, the zip was not */
	}
out:
	done_cached(&k);
	if (tdir) {
		path_rmtree(tdir, NULL);
		intr_temp_forget(tdir);
	}
	free(tdir);
	free(tzip);
	free(ttar);
	return rc;
}

/*
 * hoist_settings.py as it would be for a stage of another name: stages whose
 * settings differ only in their names make the same import, so their
 * pre-flights share one key (a deploy --all tries the app once).
 */
static void settings_key(const struct build *b, const char *slim_url, char hex[65])
{
	struct stage other = *b->st;
	struct herr e = { 0 };
	char *text = NULL;

	other.name = other.function_name = (char *)"";
	if (pkg_settings_module(&other, slim_url, &text, &e) == HOIST_OK)
		digest_sha256_hex(text, strlen(text), hex);
	else
		digest_sha256_hex(b->settings_py, strlen(b->settings_py), hex);
	free(text);
}

struct package_listing {
	const struct pkg_list *lists[2];
	size_t n;
};

int package_listing_write(const struct package_listing *l, const char *path,
			  const char *gen_dir, struct herr *e)
{
	return pkg_manifest_write(l->lists, l->n, path, gen_dir, e);
}

/* The entries are known: say so, with their key (package_opts.listed). */
static void tell_listed(struct build *b, const char *slim_url)
{
	struct package_listing l = { { &b->files, &b->handler }, b->slim ? 2 : 1 };
	char key[65], skey[65];

	settings_key(b, slim_url, skey);
	pkg_manifest_key(l.lists, l.n, skey, key);
	b->o->listed(b->o->listed_ctx, &l, key, b->slim);
}

static void build_free(struct build *b)
{
	free(b->rules.names);
	free(b->rules.globs);
	free(b->rules.skip_dirs);
	free(b->site_dir);
	free(b->venv_dir);
	pkg_list_free(&b->files);
	pkg_list_free(&b->handler);
	free(b->settings_py);
	free(b->tar_path);
}

int package_build(const struct package_opts *o, struct package_info *info, struct herr *e)
{
	struct build b = { .o = o, .st = o->stage };
	char *slim_at = NULL;
	const char *slim_url;
	int rc;

	memset(info, 0, sizeof(*info));
	rc = find_site_packages(&b, e);
	if (rc)
		goto out;
	setup_rules(&b);
	rc = list_files(&b, e);
	if (rc)
		goto out;
	pick_arch(&b);
	rc = pkg_check_native(&b.files, b.arch, b.site_dir, e);
	if (rc)
		goto out;
	add_templates(&b);
	rc = decide_slim(&b, e);
	if (rc)
		goto out;
	if (b.slim)
		b.tar_path = tar_path_for(o->out_path);
	rc = check_output(&b, o->out_path, e);
	if (!rc && b.tar_path)
		rc = check_output(&b, b.tar_path, e);
	if (rc)
		goto out;
	if (b.slim && o->slim_location)
		rc = o->slim_location(o->stage, &slim_at, e);
	slim_url = b.slim ? (slim_at ? slim_at : path_base(b.tar_path)) : NULL;
	if (!rc)
		rc = add_settings_module(&b, slim_url, e);
	if (rc)
		goto out;
	if (b.slim)
		pkg_list_finish(&b.handler);
	else
		merge_handler(&b);
	if (o->listed)
		tell_listed(&b, slim_url);
	rc = write_archives(&b, info, e);
out:
	free(slim_at);
	build_free(&b);
	if (rc)
		package_info_free(info);
	return rc;
}

void package_info_free(struct package_info *info)
{
	free(info->zip_path);
	free(info->tar_path);
	memset(info, 0, sizeof(*info));
}

bool package_via_objstore(const struct package_limits *l, unsigned long long size)
{
	return l->objstore && ((l->inline_zip && size > l->inline_zip) ||
			       (l->objstore_from && size > l->objstore_from));
}
