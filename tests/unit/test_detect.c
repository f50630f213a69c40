/*
 * test_detect.c — core/detect.c: the line and manage.py parsers, module
 * paths, the default project name, and the directory walk (what it finds,
 * what it skips, the order it reports).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../core/detect.h"
#include "../../core/err.h"
#include "../../core/path.h"
#include "../../core/str.h"

static char tmpdir[] = "/tmp/hoist-test-detect-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return path_rmtree(tmpdir, NULL);
}

/* A fresh project directory <tmp>/<name>; allocates. */
static char *project(const char *name)
{
	char *d = path_join(tmpdir, name);

	assert_int_equal(path_rmtree(d, NULL), 0);
	assert_int_equal(path_mkdirs(d, NULL), 0);
	return d;
}

static void put_n(const char *dir, const char *rel, const char *data, size_t len)
{
	char *f = path_join(dir, rel), *parent = path_dir(f);

	assert_int_equal(path_mkdirs(parent, NULL), 0);
	assert_int_equal(path_write_atomic(f, data, len, NULL), 0);
	free(parent);
	free(f);
}

static void put(const char *dir, const char *rel, const char *text)
{
	put_n(dir, rel, text, strlen(text));
}

/* detect_app_line on a NUL-terminated line: the kind, and the name in *name. */
static int line(const char *s, char **name)
{
	const char *fw = NULL;
	int k;

	*name = NULL;
	k = detect_app_line(s, strlen(s), name, &fw);
	if (k >= 0)
		assert_non_null(fw);
	return k;
}

static void test_app_lines(void **state)
{
	char *n;

	(void)state;
	assert_int_equal(line("app = Flask(__name__)", &n), DETECT_WSGI);
	assert_string_equal(n, "app");
	free(n);
	assert_int_equal(line("application=flask.Flask('x')", &n), DETECT_WSGI);
	assert_string_equal(n, "application");
	free(n);
	assert_int_equal(line("api: FastAPI = fastapi.FastAPI (title='t')", &n), DETECT_ASGI);
	assert_string_equal(n, "api");
	free(n);
	assert_int_equal(line("star = Starlette(routes=routes)", &n), DETECT_ASGI);
	assert_string_equal(n, "star");
	free(n);

	assert_int_equal(line("    app = Flask(__name__)", &n), -1);   /* not top level */
	assert_int_equal(line("# app = Flask(__name__)", &n), -1);
	assert_int_equal(line("app == Flask(x)", &n), -1);
	assert_int_equal(line("app = MyFlask(__name__)", &n), -1);
	assert_int_equal(line("app = Flask", &n), -1);
	assert_int_equal(line("app = create_app()", &n), -1);
	assert_int_equal(line("from flask import Flask", &n), -1);
	assert_int_equal(line("", &n), -1);
	assert_null(n);
}

static void test_app_line_respects_length(void **state)
{
	const char *fw;
	char *n = NULL;

	(void)state;
	/* only the first 12 bytes are the line: "app = Flask(" */
	assert_int_equal(detect_app_line("app = Flask(\nx", 12, &n, &fw), DETECT_WSGI);
	assert_string_equal(fw, "Flask");
	free(n);
	assert_int_equal(detect_app_line("app = Flask(", 11, &n, &fw), -1);
}

static void test_django_settings(void **state)
{
	char *s;

	(void)state;
	s = detect_django_settings("import os\n"
				   "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"mysite.settings\")\n");
	assert_string_equal(s, "mysite.settings");
	free(s);
	s = detect_django_settings("os.environ['DJANGO_SETTINGS_MODULE'] = 'a.b.c'\n");
	assert_string_equal(s, "a.b.c");
	free(s);
	/* a read of the variable is skipped; the later assignment counts */
	s = detect_django_settings("x = os.environ.get('DJANGO_SETTINGS_MODULE')\n"
				   "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n");
	assert_string_equal(s, "proj.settings");
	free(s);
	assert_null(detect_django_settings("print('hello')\n"));
	assert_null(detect_django_settings("# DJANGO_SETTINGS_MODULE is set elsewhere\n"));
	assert_null(detect_django_settings("os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
					   "'not a module')\n"));
	assert_null(detect_django_settings("os.environ.setdefault('DJANGO_SETTINGS_MODULE', x)\n"));
}

static void test_module_paths(void **state)
{
	struct { const char *in, *out; } cases[] = {
		{ "app.py", "app" },
		{ "pkg/sub/web.py", "pkg.sub.web" },
		{ "pkg/__init__.py", "pkg" },
		{ "__init__.py", NULL },
		{ "my-dir/app.py", NULL },
		{ "pkg/2app.py", NULL },
		{ "app.txt", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = detect_module_path(cases[i].in);

		if (cases[i].out)
			assert_string_equal(m, cases[i].out);
		else
			assert_null(m);
		free(m);
	}
	assert_true(detect_is_dotted("app.app", 2));
	assert_false(detect_is_dotted("app", 2));
	assert_true(detect_is_dotted("app", 1));
	assert_false(detect_is_dotted("app..x", 1));
	assert_false(detect_is_dotted("a.1b", 1));
	assert_false(detect_is_dotted("", 1));
}

static void test_project_name(void **state)
{
	char *d = project("My Very Long Project Name"), *n;

	(void)state;
	n = detect_project_name(d);
	assert_string_equal(n, "my-very-long-pr");
	free(n);
	free(d);
	d = project("___");
	n = detect_project_name(d);
	assert_string_equal(n, "hoist-app");
	free(n);
	free(d);
}

static const char flask_app[] = "from flask import Flask\n\napp = Flask(__name__)\n";

static void test_walk_finds_and_orders(void **state)
{
	struct detect_result r;
	struct herr e = { 0 };
	char *d = project("walk");

	(void)state;
	put(d, "zeta.py", "import flask\nweb = flask.Flask('z')\n");
	put(d, "manage.py", "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site1.settings')\n");
	put(d, "pkg/__init__.py", "app = Flask(__name__)\n");
	put(d, "pkg/api/asgi.py", "from fastapi import FastAPI\nfast = FastAPI()\n");
	put(d, "sub/manage.py", "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'inner.settings')\n");
	assert_int_equal(detect_apps(d, &r, &e), 0);
	assert_int_equal(r.n, 5);
	/* depth first, then path, then line */
	assert_int_equal(r.apps[0].kind, DETECT_DJANGO);
	assert_string_equal(r.apps[0].value, "site1.settings");
	assert_string_equal(r.apps[0].file, "manage.py");
	assert_string_equal(r.apps[0].framework, "Django");
	assert_string_equal(r.apps[1].value, "zeta.web");
	assert_int_equal(r.apps[1].line, 2);
	assert_string_equal(r.apps[2].value, "pkg.app");
	assert_string_equal(r.apps[2].file, "pkg/__init__.py");
	assert_string_equal(r.apps[3].value, "sub.inner.settings");
	assert_int_equal(r.apps[3].kind, DETECT_DJANGO);
	assert_string_equal(r.apps[4].value, "pkg.api.asgi.fast");
	assert_int_equal(r.apps[4].kind, DETECT_ASGI);
	assert_string_equal(r.apps[4].framework, "FastAPI");
	detect_free(&r);
	assert_int_equal(r.n, 0);
	free(d);
}

static void test_walk_skips(void **state)
{
	struct detect_result r;
	struct herr e = { 0 };
	char *d = project("skips"), *link;

	(void)state;
	put(d, "venv/pyvenv.cfg", "home = /usr/bin\n");
	put(d, "venv/lib/x.py", flask_app);
	put(d, "oldenv/bin/activate", "# virtualenv\n");
	put(d, "oldenv/x.py", flask_app);
	put(d, "node_modules/x.py", flask_app);
	put(d, "__pycache__/x.py", flask_app);
	put(d, ".git/x.py", flask_app);
	put(d, "lib/site-packages/x.py", flask_app);
	put(d, "a/b/c/d/x.py", flask_app);
	put_n(d, "bin.py", "app = Flask(\0binary\n", 20);   /* not text */
	link = path_join(d, "loop");
	assert_int_equal(symlink(d, link), 0);       /* symlinked dirs are not followed */
	free(link);
	assert_int_equal(detect_apps(d, &r, &e), 0);
	assert_int_equal(r.n, 0);
	detect_free(&r);

	put(d, "a/b/c/x.py", flask_app);             /* three levels down is searched */
	assert_int_equal(detect_apps(d, &r, &e), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.apps[0].value, "a.b.c.x.app");
	assert_int_equal(r.apps[0].line, 3);
	detect_free(&r);
	free(d);
}

static void test_walk_missing_and_empty_dir(void **state)
{
	struct detect_result r;
	struct herr e = { 0 };
	char *d = path_join(tmpdir, "nope");

	(void)state;
	assert_int_equal(detect_apps(d, &r, &e), HOIST_USAGE);
	assert_non_null(strstr(e.msg, "not a directory"));
	assert_int_equal(r.n, 0);
	free(d);
	d = project("empty");                         /* nothing to find is not an error */
	assert_int_equal(detect_apps(d, &r, &e), 0);
	assert_int_equal(r.n, 0);
	detect_free(&r);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_lines),
		cmocka_unit_test(test_app_line_respects_length),
		cmocka_unit_test(test_django_settings),
		cmocka_unit_test(test_module_paths),
		cmocka_unit_test(test_project_name),
		cmocka_unit_test(test_walk_finds_and_orders),
		cmocka_unit_test(test_walk_skips),
		cmocka_unit_test(test_walk_missing_and_empty_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
