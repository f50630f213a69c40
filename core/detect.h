/*
 * detect.h — find the Python web app in a project directory, for `hoist init`.
 *
 * Looks (without importing anything) for a Django `manage.py` that sets
 * DJANGO_SETTINGS_MODULE, and for .py files that create a Flask, FastAPI or
 * Starlette app at top level (`app = Flask(__name__)`).  Provider-independent;
 * the line and file parsers are exposed so they can be unit-tested alone.
 */
#ifndef HOIST_DETECT_H
#define HOIST_DETECT_H

#include <stdbool.h>
#include <stddef.h>

struct herr;

enum detect_kind {
	DETECT_DJANGO,  /* value is the settings module ("mysite.settings") */
	DETECT_WSGI,    /* value is app_function ("pkg.app.app"), Flask */
	DETECT_ASGI,    /* value is app_function, FastAPI / Starlette */
};

struct detect_app {
	enum detect_kind kind;
	char *value;      /* django_settings or app_function */
	char *file;       /* where it was found, relative to the project dir */
	unsigned line;    /* 1-based line of the assignment (0 for manage.py) */
	char *framework;  /* "Django", "Flask", "FastAPI", "Starlette" */
};

struct detect_result {
	struct detect_app *apps;
	size_t n;
};

/* Directories never searched (besides hidden ones and virtualenvs). */
#define DETECT_MAX_DEPTH 3   /* files at most 3 directories below the project */

/*
 * Search `dir` (depth ≤ DETECT_MAX_DEPTH, skipping hidden directories,
 * virtualenvs, node_modules, __pycache__, site-packages and symlinked
 * directories).  Candidates come sorted: shallowest file first, then by
 * path, then by position in the file.  Finding nothing is not an error.
 */
int detect_apps(const char *dir, struct detect_result *r, struct herr *e);
void detect_free(struct detect_result *r);

/*
 * One top-level line `name = Flask(` (also `name: Flask = flask.Flask(`):
 * returns the kind (DETECT_WSGI / DETECT_ASGI) and sets *name (allocated)
 * and *framework (static), or returns -1.
 */
int detect_app_line(const char *line, size_t len, char **name, const char **framework);

/* The string literal assigned to DJANGO_SETTINGS_MODULE in a manage.py; allocates, or NULL. */
char *detect_django_settings(const char *text);

/* "pkg/sub/app.py" → "pkg.sub.app", "pkg/__init__.py" → "pkg"; NULL when not importable. */
char *detect_module_path(const char *relpath);

/* A Python dotted name with at least `min_parts` identifiers ("app.app": 2). */
bool detect_is_dotted(const char *s, int min_parts);

/* hoist's default project_name for a directory: its slugified name, ≤ 15 chars. */
char *detect_project_name(const char *dir);

#endif
