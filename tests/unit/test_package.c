/*
 * test_package.c — core/package.c and its pieces: exclude rules, globs,
 * determinism, the native-code check, size limits and the slim bundle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../core/digest.h"
#include "../../core/err.h"
#include "../../core/package.h"
#include "../../core/path.h"
#include "../../core/pkg.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#define EM_X86_64_ 62
#define EM_AARCH64_ 183

/* A scratch project: dir/proj holds the files, dir/out the archives. */
struct fixture {
	char dir[64];
	char *proj, *out;
	struct stage st;
};

static void write_file(const char *dir, const char *rel, const void *data, size_t len,
		       mode_t mode)
{
	char *p = path_join(dir, rel), *d = path_dir(p);
	struct herr e = { 0 };
	FILE *f;

	assert_int_equal(path_mkdirs(d, &e), 0);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	chmod(p, mode);
	free(p);
	free(d);
}

static void write_text(const char *dir, const char *rel, const char *text)
{
	write_file(dir, rel, text, strlen(text), 0644);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct herr e = { 0 };

	unsetenv("VIRTUAL_ENV");
	snprintf(f->dir, sizeof(f->dir), "/tmp/hoist-test-package-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->proj = path_join(f->dir, "proj");
	f->out = path_join(f->dir, "out");
	assert_int_equal(path_mkdirs(f->proj, &e), 0);
	assert_int_equal(path_mkdirs(f->out, &e), 0);
	f->st.name = "dev";
	f->st.function_name = "demo-dev";
	f->st.project_name = "demo";
	f->st.project_dir = f->proj;
	f->st.provider = "local";
	f->st.settings = json_pack("{s:s, s:s}", "provider", "local", "app_function", "app.app");
	write_text(f->proj, "app.py", "from flask import Flask\napp = Flask(__name__)\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct herr e = { 0 };

	path_rmtree(f->dir, &e);
	json_decref(f->st.settings);
	free(f->proj);
	free(f->out);
	free(f);
	return 0;
}

/* package_build into out/<name>; returns its status, info filled on success. */
static int build(struct fixture *f, const char *name, const struct package_limits *lim,
		 struct package_info *info, struct herr *e)
{
	char *out = path_join(f->out, name);
	struct package_opts o = { .stage = &f->st, .out_path = out, .limits = lim };
	int rc;

	herr_clear(e);
	rc = package_build(&o, info, e);
	free(out);
	return rc;
}

static char **zip_names(const char *path, size_t *n)
{
	int err = 0;
	zip_t *za = zip_open(path, ZIP_RDONLY, &err);
	char **v;
	zip_int64_t i, cnt;

	assert_non_null(za);
	cnt = zip_get_num_entries(za, 0);
	v = xcalloc((size_t)cnt + 1, sizeof(*v));
	for (i = 0; i < cnt; i++)
		v[i] = xstrdup(zip_get_name(za, (zip_uint64_t)i, 0));
	zip_close(za);
	*n = (size_t)cnt;
	return v;
}

static bool has(char **v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

static void free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char *slurp(const char *path, size_t *len)
{
	struct herr e = { 0 };
	char *s = NULL;

	assert_int_equal(path_read(path, &s, len, &e), 0);
	return s;
}

/* ---- globs and exclude rules ---- */

static void test_glob(void **state)
{
	(void)state;
	assert_true(pkg_glob_match("**/*.md", "README.md"));
	assert_true(pkg_glob_match("**/*.md", "a/b/c/NOTES.md"));
	assert_false(pkg_glob_match("**/*.md", "a/b/c/NOTES.txt"));
	assert_true(pkg_glob_match("static/**", "static"));
	assert_true(pkg_glob_match("static/**", "static/js/app.js"));
	assert_false(pkg_glob_match("static/**", "staticfiles/x"));
	assert_true(pkg_glob_match("a/**/b/*.py", "a/b/x.py"));
	assert_true(pkg_glob_match("a/**/b/*.py", "a/x/y/b/x.py"));
	assert_false(pkg_glob_match("a/**/b/*.py", "a/x/y/c/x.py"));
	assert_false(pkg_glob_match("*.py", "pkg/x.py"));     /* one component only */
	assert_true(pkg_glob_match("pkg/[mn]od.py", "pkg/mod.py"));
	assert_true(pkg_glob_match("**", "anything/at/all"));
}

static void test_exclude_rules(void **state)
{
	const char *names[] = { "*.md", "tests", "docs/", "static/*.map" };
	const char *globs[] = { "build/**", "**/fixtures/*.json" };
	const char *const provided[] = { "boto3", "botocore", NULL };
	struct pkg_rules r = { .names = names, .nnames = 4, .globs = globs, .nglobs = 2,
			       .runtime_provided = provided };

	(void)state;
	/* defaults */
	assert_true(pkg_excluded(&r, "a/.git", ".git", true, false, true));
	assert_true(pkg_excluded(&r, "a/__pycache__", "__pycache__", true, false, false));
	assert_false(pkg_excluded(&r, "a/__pycache__", "__pycache__", false, false, false));
	assert_true(pkg_excluded(&r, "x/old.zip", "old.zip", false, false, false));
	assert_true(pkg_excluded(&r, "b.tar.gz", "b.tar.gz", false, false, false));
	assert_false(pkg_excluded(&r, "b.tar", "b.tar", false, false, true));
	/* basename patterns at any depth, files and directories */
	assert_true(pkg_excluded(&r, "x/y/README.md", "README.md", false, false, true));
	assert_true(pkg_excluded(&r, "x/tests", "tests", true, false, true));
	assert_true(pkg_excluded(&r, "tests", "tests", false, false, true));
	assert_false(pkg_excluded(&r, "x/tests.py", "tests.py", false, false, true));
	/* trailing "/" limits to directories */
	assert_true(pkg_excluded(&r, "docs", "docs", true, false, true));
	assert_false(pkg_excluded(&r, "docs", "docs", false, false, true));
	/* a "/" in an exclude pattern matches the relative path */
	assert_true(pkg_excluded(&r, "static/app.map", "app.map", false, false, true));
	assert_false(pkg_excluded(&r, "other/app.map", "app.map", false, false, true));
	/* globs */
	assert_true(pkg_excluded(&r, "build", "build", true, false, true));
	assert_true(pkg_excluded(&r, "t/u/fixtures/a.json", "a.json", false, false, true));
	assert_false(pkg_excluded(&r, "t/u/fixtures/a.yaml", "a.yaml", false, false, true));
	/* user rules off (include trees) */
	assert_false(pkg_excluded(&r, "x/README.md", "README.md", false, false, false));
	/* runtime-provided packages only at the top of site-packages */
	assert_true(pkg_excluded(&r, "boto3", "boto3", true, true, true));
	assert_true(pkg_excluded(&r, "boto3-1.34.0.dist-info", "boto3-1.34.0.dist-info", true,
				 true, true));
	assert_true(pkg_excluded(&r, "botocore", "botocore", true, true, true));
	assert_false(pkg_excluded(&r, "botocore_ext", "botocore_ext", true, true, true));
	assert_false(pkg_excluded(&r, "boto3", "boto3", true, false, true));
}

static void test_walk_excludes(void **state)
{
	struct fixture *f = *state;
	struct package_info info;
	struct herr e = { 0 };
	char **v;
	size_t n;

	json_object_set_new(f->st.settings, "exclude", json_pack("[s]", "*.md"));
	json_object_set_new(f->st.settings, "exclude_glob", json_pack("[s]", "data/**/*.csv"));
	write_text(f->proj, "README.md", "x");
	write_text(f->proj, "pkg/mod.py", "x");
	write_text(f->proj, "pkg/mod.pyc", "x");
	write_text(f->proj, "pkg/lone.pyc", "x");
	write_text(f->proj, "pkg/__pycache__/mod.cpython-312.pyc", "x");
	write_text(f->proj, "data/a/b.csv", "x");
	write_text(f->proj, "data/a/b.txt", "x");
	write_text(f->proj, "env/pyvenv.cfg", "home = /usr/bin\n");
	write_text(f->proj, "env/lib/python3.12/site-packages/x.py", "x");
	write_text(f->proj, ".git/config", "x");
	assert_int_equal(build(f, "a.zip", NULL, &info, &e), 0);
	v = zip_names(info.zip_path, &n);
	assert_true(has(v, n, "app.py"));
	assert_true(has(v, n, "pkg/mod.py"));
	assert_true(has(v, n, "pkg/lone.pyc"));
	assert_true(has(v, n, "data/a/b.txt"));
	assert_true(has(v, n, "hoist_settings.py"));
	assert_false(has(v, n, "README.md"));
	assert_false(has(v, n, "pkg/mod.pyc"));
	assert_false(has(v, n, "pkg/__pycache__/mod.cpython-312.pyc"));
	assert_false(has(v, n, "data/a/b.csv"));
	assert_false(has(v, n, "env/pyvenv.cfg"));
	assert_false(has(v, n, ".git/config"));
	assert_int_equal(info.file_count, n);
	free_names(v, n);
	package_info_free(&info);
}

/* ---- determinism ---- */

static void test_deterministic(void **state)
{
	struct fixture *f = *state;
	struct package_info a, b, c;
	struct herr e = { 0 };
	char *da, *db;
	size_t la, lb;

	write_text(f->proj, "pkg/b.py", "b = 1\n");
	write_text(f->proj, "pkg/a.py", "a = 1\n");
	write_file(f->proj, "bin/run", "#!/bin/sh\n", 10, 0755);
	assert_int_equal(build(f, "a.zip", NULL, &a, &e), 0);
	assert_int_equal(build(f, "b.zip", NULL, &b, &e), 0);
	da = slurp(a.zip_path, &la);
	db = slurp(b.zip_path, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, la);
	assert_string_equal(a.sha256_hex, b.sha256_hex);
	assert_int_equal(strlen(a.sha256_hex), 64);
	assert_int_equal(strlen(a.sha256_b64), 44);
	assert_int_equal(a.zip_size, la);
	free(da);
	free(db);

	/* changed content: different archive */
	write_text(f->proj, "pkg/a.py", "a = 2\n");
	assert_int_equal(build(f, "c.zip", NULL, &c, &e), 0);
	assert_string_not_equal(a.sha256_hex, c.sha256_hex);
	package_info_free(&a);
	package_info_free(&b);
	package_info_free(&c);
}

static void test_sorted_fixed_attributes(void **state)
{
	struct fixture *f = *state;
	struct package_info info;
	struct herr e = { 0 };
	zip_t *za;
	zip_int64_t i, n;
	int err = 0;
	const char *prev = "";

	write_text(f->proj, "Zeta.py", "x");
	write_text(f->proj, "alpha/b.py", "x");
	write_text(f->proj, "alpha-b.py", "x");
	write_file(f->proj, "tool", "#!/bin/sh\n", 10, 0700);
	assert_int_equal(build(f, "a.zip", NULL, &info, &e), 0);
	za = zip_open(info.zip_path, ZIP_RDONLY, &err);
	assert_non_null(za);
	n = zip_get_num_entries(za, 0);
	for (i = 0; i < n; i++) {
		zip_stat_t zs;
		zip_uint8_t os;
		zip_uint32_t attr;
		const char *name = zip_get_name(za, (zip_uint64_t)i, 0);

		assert_true(strcmp(prev, name) < 0);
		prev = name;
		assert_int_equal(zip_stat_index(za, (zip_uint64_t)i, 0, &zs), 0);
		assert_int_equal(zs.mtime, mktime(&(struct tm){ .tm_year = 80, .tm_mday = 1,
								 .tm_isdst = -1 }));
		assert_int_equal(zip_file_get_external_attributes(za, (zip_uint64_t)i, 0, &os,
								   &attr), 0);
		assert_int_equal(os, ZIP_OPSYS_UNIX);
		assert_int_equal(attr >> 16, strcmp(name, "tool") ? 0100644 : 0100755);
		assert_int_equal(zip_file_extra_fields_count(za, (zip_uint64_t)i, ZIP_FL_CENTRAL),
				 0);
		assert_int_equal(zip_file_extra_fields_count(za, (zip_uint64_t)i, ZIP_FL_LOCAL), 0);
	}
	zip_close(za);
	package_info_free(&info);
}

/*
 * The archive's SHA-256 is taken while it is written (pkg_zipout.c), never
 * read back: it must be the file's, byte for byte, whatever path each entry
 * took — many small entries (buffer flushed between them), an entry bigger
 * than the buffer (read back for the hash), one bigger than the threads'
 * limit (compressed by libzip, its header rewritten after the buffer moved
 * on), a stored one — and the archive must read back whole.
 */
static void test_sha256_taken_while_written(void **state)
{
	struct fixture *f = *state;
	struct package_info info;
	struct herr e = { 0 };
	unsigned long long size = 0;
	char hex[65], b64[45], name[32];
	size_t big = 5u << 20, len;
	unsigned char *noise = xmalloc(big);
	uint32_t x = 12345;
	zip_t *za;
	int err = 0;

	for (size_t i = 0; i < big; i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (unsigned char)(x >> 16);
	}
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "many/m%03d.py", i);
		write_file(f->proj, name, noise + i * 4096, 4096, 0644);
	}
	write_file(f->proj, "mid.bin", noise, 200u << 10, 0644);
	write_file(f->proj, "image.png", noise + 7, 300u << 10, 0644);
	write_file(f->proj, "huge.bin", noise, big, 0644);
	assert_int_equal(build(f, "a.zip", NULL, &info, &e), 0);
	assert_int_equal(digest_sha256_file(info.zip_path, hex, b64, &size, &e), 0);
	assert_string_equal(info.sha256_hex, hex);
	assert_string_equal(info.sha256_b64, b64);
	assert_int_equal(info.zip_size, size);

	za = zip_open(info.zip_path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
	assert_non_null(za);
	for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0); i++) {
		zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
		char buf[65536];
		zip_int64_t n;

		assert_non_null(zf);
		len = 0;
		while ((n = zip_fread(zf, buf, sizeof(buf))) > 0)   /* libzip checks the CRC */
			len += (size_t)n;
		assert_int_equal(n, 0);
		assert_int_equal(zip_fclose(zf), 0);
		if (strcmp(zip_get_name(za, (zip_uint64_t)i, 0), "huge.bin") == 0)
			assert_int_equal(len, big);
	}
	zip_close(za);
	package_info_free(&info);

	/* the same paths through the output alone: the digest is known, not read back */
	{
		char *path = path_join(f->out, "direct.zip");
		struct pkg_zipout *o = NULL;
		unsigned long long streamed = 0;
		char shex[65], sb64[45];
		zip_error_t ze;
		const size_t sizes[] = { 100, 600u << 10, 50u << 10, 3u << 20, 10 };

		zip_error_init(&ze);
		za = pkg_zipout_open(path, &o, &ze);
		assert_non_null(za);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			zip_source_t *zs = zip_source_buffer(za, noise + i, sizes[i], 0);

			snprintf(name, sizeof(name), "e%zu", i);
			assert_non_null(zs);
			assert_true(zip_file_add(za, name, zs, 0) >= 0);
		}
		assert_int_equal(zip_close(za), 0);
		assert_true(pkg_zipout_sha256(o, shex, sb64, &streamed));
		assert_int_equal(digest_sha256_file(path, hex, b64, &size, &e), 0);
		assert_string_equal(shex, hex);
		assert_string_equal(sb64, b64);
		assert_int_equal(streamed, size);
		pkg_zipout_free(o);
		zip_error_fini(&ze);

		/* read back through the cache's buffered source: the same compressed bytes */
		{
			int zerr = 0;
			zip_t *plain = zip_open(path, ZIP_RDONLY, &zerr), *buffered = pkg_zipin_open(path);
			zip_int64_t n = zip_get_num_entries(plain, 0);

			assert_non_null(buffered);
			assert_int_equal(zip_get_num_entries(buffered, 0), n);
			for (zip_int64_t i = n - 1; i >= 0; i--) {   /* backwards: seeks too */
				zip_file_t *a = zip_fopen_index(plain, (zip_uint64_t)i, ZIP_FL_COMPRESSED);
				zip_file_t *b = zip_fopen_index(buffered, (zip_uint64_t)i,
								ZIP_FL_COMPRESSED);
				char ba[70000], bb[70000];
				zip_int64_t ra, rb;

				assert_non_null(a);
				assert_non_null(b);
				do {
					ra = zip_fread(a, ba, sizeof(ba));
					rb = zip_fread(b, bb, sizeof(bb));
					assert_int_equal(ra, rb);
					assert_true(ra >= 0);
					assert_memory_equal(ba, bb, (size_t)ra);
				} while (ra > 0);
				zip_fclose(a);
				zip_fclose(b);
			}
			zip_close(plain);
			zip_close(buffered);
			write_text(f->out, "not.zip", "PK\x03\x04 but nothing more");
			free(path);
			path = path_join(f->out, "not.zip");
			assert_null(pkg_zipin_open(path));
			free(path);
			path = path_join(f->out, "missing.zip");
			assert_null(pkg_zipin_open(path));
		}
		free(path);
	}
	free(noise);
}

/* ---- native code ---- */

static void elf_header(unsigned char h[64], unsigned machine)
{
	memset(h, 0, 64);
	memcpy(h, "\x7f" "ELF", 4);
	h[4] = 2;  /* 64-bit */
	h[5] = 1;  /* little endian */
	h[6] = 1;
	h[16] = 3; /* ET_DYN */
	h[18] = (unsigned char)(machine & 0xff);
	h[19] = (unsigned char)(machine >> 8);
}

static void test_native_problem(void **state)
{
	unsigned char h[64];
	char buf[160];
	const char *p;

	(void)state;
	elf_header(h, EM_X86_64_);
	assert_null(pkg_native_problem(h, 64, "x.so", "x86_64", buf, sizeof(buf)));
	p = pkg_native_problem(h, 64, "x.so", "arm64", buf, sizeof(buf));
	assert_non_null(p);
	assert_string_equal(p, "is x86_64 but architecture is arm64");
	elf_header(h, EM_AARCH64_);
	assert_null(pkg_native_problem(h, 64, "x.so", "arm64", buf, sizeof(buf)));
	assert_string_equal(pkg_native_problem(h, 64, "x.so", "x86_64", buf, sizeof(buf)),
			    "is aarch64 but architecture is x86_64");
	/* big-endian ELF: machine read the right way round */
	h[5] = 2;
	h[18] = 0;
	h[19] = EM_X86_64_;
	assert_null(pkg_native_problem(h, 64, "x.so", "x86_64", buf, sizeof(buf)));
	/* Mach-O, all magics */
	memcpy(h, "\xcf\xfa\xed\xfe", 4);
	assert_non_null(strstr(pkg_native_problem(h, 64, "x.so", "x86_64", buf, sizeof(buf)),
			       "Mach-O"));
	memcpy(h, "\xfe\xed\xfa\xce", 4);
	assert_non_null(pkg_native_problem(h, 64, "x.dylib", "x86_64", buf, sizeof(buf)));
	memcpy(h, "\xca\xfe\xba\xbe", 4);
	assert_non_null(pkg_native_problem(h, 64, "x.so", "x86_64", buf, sizeof(buf)));
	assert_null(pkg_native_problem(h, 64, "Main.class", "x86_64", buf, sizeof(buf)));
	/* PE only for .dll / .pyd */
	memcpy(h, "MZ\x90\x00", 4);
	assert_non_null(strstr(pkg_native_problem(h, 64, "x.PYD", "x86_64", buf, sizeof(buf)),
			       "Windows"));
	assert_null(pkg_native_problem(h, 64, "launcher.exe", "x86_64", buf, sizeof(buf)));
	/* text and short files are fine */
	assert_null(pkg_native_problem((const unsigned char *)"#!/bin/sh\n", 10, "run",
				       "x86_64", buf, sizeof(buf)));
	assert_null(pkg_native_problem(h, 0, "empty.so", "x86_64", buf, sizeof(buf)));
}

static void test_native_check_names_file_and_wheel(void **state)
{
	struct fixture *f = *state;
	struct package_info info;
	struct herr e = { 0 };
	unsigned char h[64];
	char *sp = path_join(f->dir, "sp");
	const char *so = "numpy/core/_multiarray_umath.cpython-312-aarch64-linux-gnu.so";
	char *record = xasprintf("numpy/__init__.py,sha256=x,1\n%s,sha256=y,64\n", so);

	elf_header(h, EM_AARCH64_);
	write_file(sp, so, h, 64, 0755);
	write_text(sp, "numpy/__init__.py", "x");
	write_text(sp, "numpy-1.26.4.dist-info/RECORD", record);
	elf_header(h, EM_X86_64_);
	write_file(sp, "ok/_fast.so", h, 64, 0644);
	write_file(f->proj, "lib/helper.so", "\xcf\xfa\xed\xfe\0\0\0\0", 8, 0644);
	json_object_set_new(f->st.settings, "site_packages", json_string(sp));
	json_object_set_new(f->st.settings, "architecture", json_string("x86_64"));

	assert_int_equal(build(f, "a.zip", NULL, &info, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "numpy/core/_multiarray_umath.cpython-312-aarch64-linux-gnu.so "
				      "(from numpy-1.26.4) is aarch64 but architecture is x86_64"));
	assert_non_null(strstr(e.msg, "lib/helper.so (project file) is a macOS (Mach-O)"));
	assert_null(strstr(e.msg, "_fast.so"));
	free(record);
	record = path_join(f->out, "a.zip");
	assert_false(path_exists(record));
	free(record);
	free(sp);
}

/* ---- limits ---- */

static void test_limits(void **state)
{
	struct fixture *f = *state;
	struct package_info info;
	struct herr e = { 0 };
	char big[4096];
	struct package_limits unz = { .inline_zip = 0, .unzipped = 2000 };
	struct package_limits inl = { .inline_zip = 100, .objstore = "COS" };
	struct package_limits noobj = { .inline_zip = 100 };
	struct package_limits obj = { .inline_zip = 100, .objstore_zip = 200, .objstore = "OSS" };
	char *zp;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)((i * 7919u) >> 3);
	write_file(f->proj, "data/blob.bin", big, sizeof(big), 0644);
	f->st.provider = "tencent";

	/* unzipped: checked before anything is written */
	assert_int_equal(build(f, "u.zip", &unz, &info, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "unzipped"));
	assert_non_null(strstr(e.msg, "tencent allows 2,000 bytes"));
	assert_non_null(strstr(e.msg, "largest: "));
	zp = path_join(f->out, "u.zip");
	assert_false(path_exists(zp));
	free(zp);

	/* over the inline limit: object storage, not an error */
	assert_int_equal(build(f, "i.zip", &inl, &info, &e), 0);
	assert_true(info.needs_objstore);
	package_info_free(&info);

	/* no object storage to fall back on */
	assert_int_equal(build(f, "n.zip", &noobj, &info, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "zipped"));

	/* over the object-storage limit: error, archive removed */
	assert_int_equal(build(f, "o.zip", &obj, &info, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "even through OSS"));
	zp = path_join(f->out, "o.zip");
	assert_false(path_exists(zp));
	free(zp);

	/* within limits */
	unz.unzipped = 10ULL * 1024 * 1024;
	assert_int_equal(build(f, "ok.zip", &unz, &info, &e), 0);
	assert_false(info.needs_objstore);
	assert_false(info.slim);
	package_info_free(&info);
}

/* ---- slim bundle ---- */

static char **tar_names(const char *path, size_t *n)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	char **v = xcalloc(4096, sizeof(*v));

	*n = 0;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK && *n < 4095) {
		assert_int_equal(archive_entry_mtime(ae), 315532800);
		assert_int_equal(archive_entry_uid(ae), 0);
		assert_int_equal(archive_entry_gid(ae), 0);
		v[(*n)++] = xstrdup(archive_entry_pathname(ae));
	}
	archive_read_free(a);
	return v;
}

static void test_slim(void **state)
{
	struct fixture *f = *state;
	struct package_info info, again;
	struct herr e = { 0 };
	struct package_limits aws = { .inline_zip = 50 << 20, .unzipped = 3000, .objstore = "S3",
				      .slim = true };
	char big[4000];
	char **zn, **tn, *tar, *tar2, *settings = NULL;
	size_t nz, nt, l1, l2, i;
	zip_t *za;
	int err = 0;

	memset(big, 'x', sizeof(big));
	write_file(f->proj, "big.txt", big, sizeof(big), 0644);
	write_text(f->proj, "pkg/mod.py", "x");
	f->st.provider = "aws";
	assert_int_equal(build(f, "demo-dev.zip", &aws, &info, &e), 0);
	assert_true(info.slim);
	assert_non_null(info.tar_path);
	assert_true(str_ends(info.tar_path, "/demo-dev.tar.gz"));
	assert_int_equal(strlen(info.tar_sha256_hex), 64);

	zn = zip_names(info.zip_path, &nz);
	assert_true(has(zn, nz, "hoist_settings.py"));
	assert_false(has(zn, nz, "app.py"));
	assert_false(has(zn, nz, "big.txt"));
	for (i = 0; i < nz; i++)
		assert_true(str_starts(zn[i], "hoist_"));
	tn = tar_names(info.tar_path, &nt);
	assert_true(has(tn, nt, "app.py"));
	assert_true(has(tn, nt, "big.txt"));
	assert_true(has(tn, nt, "pkg/mod.py"));
	assert_false(has(tn, nt, "hoist_settings.py"));
	for (i = 1; i < nt; i++)
		assert_true(strcmp(tn[i - 1], tn[i]) < 0);
	assert_int_equal(info.file_count, nz + nt);

	za = zip_open(info.zip_path, ZIP_RDONLY, &err);
	assert_non_null(za);
	{
		zip_file_t *zf = zip_fopen(za, "hoist_settings.py", 0);
		char buf[4096] = { 0 };

		assert_non_null(zf);
		assert_true(zip_fread(zf, buf, sizeof(buf) - 1) > 0);
		zip_fclose(zf);
		settings = xstrdup(buf);
	}
	zip_close(za);
	assert_non_null(strstr(settings,
			       "SLIM_BUNDLE = {\"url\":\"demo-dev.tar.gz\",\"project\":\"demo\"}\n"));
	free(settings);

	/* the tarball is deterministic too */
	assert_int_equal(build(f, "again.zip", &aws, &again, &e), 0);
	tar = slurp(info.tar_path, &l1);
	tar2 = slurp(again.tar_path, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(tar, tar2, l1);
	assert_string_equal(info.tar_sha256_hex, again.tar_sha256_hex);
	free(tar);
	free(tar2);
	free_names(zn, nz);
	free_names(tn, nt);
	package_info_free(&info);
	package_info_free(&again);

	/* slim_handler forces it even when small; other providers refuse it */
	json_object_set_new(f->st.settings, "slim_handler", json_true());
	aws.unzipped = 0;
	assert_int_equal(build(f, "forced.zip", &aws, &info, &e), 0);
	assert_true(info.slim);
	package_info_free(&info);
	aws.slim = false;
	assert_int_equal(build(f, "refused.zip", &aws, &info, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "slim_handler"));
}

/* ---- settings module ---- */

static void test_settings_module(void **state)
{
	struct fixture *f = *state;
	struct herr e = { 0 };
	char *py = NULL, *name;

	json_object_set_new(f->st.settings, "environment_variables",
			    json_pack("{s:s}", "GREETING", "h\u00e9llo \"x\""));
	json_object_set_new(f->st.settings, "events", json_pack(
		"[{s:s, s:s}, {s:s, s:s, s:[s,s], s:{s:i}}, {s:s, s:{s:s}}]",
		"function", "tasks.send_report", "expression", "rate(1 hour)",
		"function", "tasks.cleanup", "name", "nightly", "expressions", "cron(0 1 * * ? *)",
		"cron(0 2 * * ? *)", "kwargs", "days", 7,
		"function", "tasks.on_upload", "event_source", "arn", "arn:aws:s3:::bucket"));
	assert_int_equal(pkg_settings_module(&f->st, NULL, &py, &e), 0);
	assert_true(str_starts(py, "true, false, null = True, False, None\n"));
	assert_non_null(strstr(py, "\nSTAGE = \"dev\"\n"));
	assert_non_null(strstr(py, "\nFUNCTION_NAME = \"demo-dev\"\n"));
	assert_non_null(strstr(py, "\nAPP_FUNCTION = \"app.app\"\n"));
	assert_non_null(strstr(py, "\nAPP_TYPE = \"auto\"\n"));
	assert_non_null(strstr(py, "\nDJANGO_SETTINGS = null\n"));
	assert_non_null(strstr(py, "\nBINARY_SUPPORT = true\n"));
	assert_non_null(strstr(py, "\nENVIRONMENT_VARIABLES = {\"GREETING\":\"h\\u00E9llo \\\"x\\\"\"}\n"));
	assert_non_null(strstr(py, "\nEVENTS = {\"tasks-send-report\":{\"function\":\"tasks.send_report\","
				   "\"kwargs\":{}},\"nightly\":{\"function\":\"tasks.cleanup\","
				   "\"kwargs\":{\"days\":7}}}\n"));
	assert_non_null(strstr(py, "\nEVENT_SOURCES = [{\"arn\":\"arn:aws:s3:::bucket\","
				   "\"function\":\"tasks.on_upload\"}]\n"));
	assert_non_null(strstr(py, "\nSLIM_BUNDLE = null\n"));
	free(py);

	name = pkg_event_name(NULL, "jobs.Daily_Digest");
	assert_string_equal(name, "jobs-daily-digest");
	free(name);

	/* two events with the same name */
	json_object_set_new(f->st.settings, "events", json_pack(
		"[{s:s, s:s}, {s:s, s:s}]", "function", "a.b", "expression", "rate(1 hour)",
		"function", "a.b", "expression", "rate(2 hours)"));
	assert_int_equal(pkg_settings_module(&f->st, NULL, &py, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "'a-b'"));
}

/* ---- errors ---- */

static void test_unreadable_and_missing(void **state)
{
	struct fixture *f = *state;
	struct package_info info;
	struct herr e = { 0 };

	f->st.project_dir = "/nonexistent/hoist/project";
	assert_int_equal(build(f, "a.zip", NULL, &info, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "cannot read the project directory"));
	assert_non_null(strstr(e.msg, "nothing was packaged"));
	f->st.project_dir = f->proj;

	json_object_set_new(f->st.settings, "site_packages", json_string("no/such/dir"));
	assert_int_equal(build(f, "a.zip", NULL, &info, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "site_packages"));
	json_object_del(f->st.settings, "site_packages");

	json_object_set_new(f->st.settings, "include", json_pack("[s]", "missing.txt"));
	assert_int_equal(build(f, "a.zip", NULL, &info, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "include"));
}

static void test_include_and_venv(void **state)
{
	struct fixture *f = *state;
	struct package_info info;
	struct herr e = { 0 };
	char *extra = path_join(f->dir, "extra");
	char *venv = path_join(f->proj, "venv");
	char *site = path_join(venv, "lib/python3.12/site-packages");
	char **v;
	size_t n;

	write_text(extra, "lib/notes.md", "x");
	write_text(f->proj, "vendor.zip", "not really a zip");
	write_text(site, "dep/__init__.py", "x");
	json_object_set_new(f->st.settings, "exclude", json_pack("[s]", "*.md"));
	json_object_set_new(f->st.settings, "include", json_pack("[s,s]", extra, "vendor.zip"));
	setenv("VIRTUAL_ENV", venv, 1);
	assert_int_equal(build(f, "a.zip", NULL, &info, &e), 0);
	unsetenv("VIRTUAL_ENV");
	v = zip_names(info.zip_path, &n);
	assert_true(has(v, n, "extra/lib/notes.md"));   /* include bypasses user excludes */
	assert_true(has(v, n, "vendor.zip"));
	assert_true(has(v, n, "dep/__init__.py"));      /* site-packages at the root */
	assert_false(has(v, n, "venv/lib/python3.12/site-packages/dep/__init__.py"));
	free_names(v, n);
	package_info_free(&info);
	free(extra);
	free(venv);
	free(site);
}

/* path_replace: a file replaced (never missing), a new name made, a directory never swapped. */
static void test_path_replace(void **state)
{
	struct fixture *f = *state;
	char *a = path_join(f->out, "a"), *b = path_join(f->out, "b"), *d = path_join(f->out, "d");
	char *c = path_join(f->out, "c"), *text = NULL;
	struct herr e = { 0 };
	size_t n;

	assert_int_equal(path_write_atomic(a, "new", 3, &e), 0);
	assert_int_equal(path_write_atomic(b, "old", 3, &e), 0);
	assert_int_equal(path_replace(a, b), 0);
	assert_int_equal(path_read(b, &text, &n, &e), 0);
	assert_string_equal(text, "new");
	assert_int_equal(access(a, F_OK), -1);   /* the old file is gone, not left at `a` */
	free(text);
	assert_int_equal(path_replace(b, c), 0);   /* nothing there: a plain rename */
	assert_int_equal(access(b, F_OK), -1);
	assert_int_equal(access(c, F_OK), 0);
	assert_int_equal(path_mkdirs(d, &e), 0);   /* a directory: refused as rename refuses */
	assert_int_not_equal(path_replace(c, d), 0);
	assert_int_equal(access(c, F_OK), 0);
	struct stat sb;
	assert_int_equal(stat(d, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	free(a);
	free(b);
	free(c);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_exclude_rules),
		cmocka_unit_test(test_native_problem),
		cmocka_unit_test_setup_teardown(test_walk_excludes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sorted_fixed_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sha256_taken_while_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_native_check_names_file_and_wheel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings_module, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_and_venv, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
