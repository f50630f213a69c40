/*
 * detect.c — find the Python web app of a project by reading its files (no
 * Python is run): Django's manage.py (DJANGO_SETTINGS_MODULE) and top-level
 * `name = Flask(` / `FastAPI(` / `Starlette(` assignments.  Used by
 * `hoist init` to propose app_function / django_settings.
 */
#include "detect.h"

#include "err.h"
#include "path.h"
#include "settings.h"
#include "str.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE_SIZE (1024 * 1024)   /* bigger .py files are not app modules */
#define MAX_ENTRIES 20000             /* directory entries visited, at most */
#define MAX_APPS 64

struct walk {
	const char *root;
	struct detect_result *r;
	size_t visited;
};

/* ---- small parsers ------------------------------------------------------ */

static bool is_ident_start(char c)
{
	return c == '_' || isalpha((unsigned char)c);
}

static bool is_ident_char(char c)
{
	return c == '_' || isalnum((unsigned char)c);
}

static bool is_ident(const char *s, size_t n)
{
	size_t i;

	if (!n || !is_ident_start(s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!is_ident_char(s[i]))
			return false;
	return true;
}

bool detect_is_dotted(const char *s, int min_parts)
{
	int parts = 0;

	if (!s)
		return false;
	for (;;) {
		size_t n = strcspn(s, ".");

		if (!is_ident(s, n))
			return false;
		parts++;
		if (!s[n])
			return parts >= min_parts;
		s += n + 1;
	}
}

static const struct {
	const char *callee;
	int kind;
} frameworks[] = {
	{ "Flask", DETECT_WSGI },
	{ "FastAPI", DETECT_ASGI },
	{ "Starlette", DETECT_ASGI },
};

int detect_app_line(const char *line, size_t len, char **name, const char **framework)
{
	size_t i = 0, id_end, c_start, c_last, k;

	if (!len || !is_ident_start(line[0]))
		return -1;
	while (i < len && is_ident_char(line[i]))
		i++;
	id_end = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] == ':') {              /* annotation: `app: Flask = …` */
		while (i < len && line[i] != '=')
			i++;
	}
	if (i >= len || line[i] != '=' || (i + 1 < len && line[i + 1] == '='))
		return -1;
	i++;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	c_start = c_last = i;
	while (i < len && (is_ident_char(line[i]) || line[i] == '.')) {
		if (line[i] == '.')
			c_last = i + 1;
		i++;
	}
	if (i == c_start || !is_ident(line + c_last, i - c_last))
		return -1;
	k = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != '(')
		return -1;
	for (size_t f = 0; f < sizeof(frameworks) / sizeof(frameworks[0]); f++) {
		const char *cal = frameworks[f].callee;

		if (strlen(cal) == k - c_last && !strncmp(line + c_last, cal, k - c_last)) {
			*name = xmalloc(id_end + 1);
			memcpy(*name, line, id_end);
			(*name)[id_end] = '\0';
			*framework = cal;
			return frameworks[f].kind;
		}
	}
	return -1;
}

/* The quoted literal starting at *p (a quote character); allocates, or NULL. */
static char *string_literal(const char *p)
{
	char q = *p;
	const char *end;
	char *s;

	if (q != '"' && q != '\'')
		return NULL;
	end = strchr(p + 1, q);
	if (!end || memchr(p + 1, '\n', (size_t)(end - p - 1)))
		return NULL;
	s = xmalloc((size_t)(end - p));
	memcpy(s, p + 1, (size_t)(end - p - 1));
	s[end - p - 1] = '\0';
	return s;
}

char *detect_django_settings(const char *text)
{
	static const char key[] = "DJANGO_SETTINGS_MODULE";
	const char *p = text;

	while ((p = strstr(p, key))) {
		const char *q = p + strlen(key);
		char *v;

		/* the key itself must be a string literal: "…" or '…' */
		if (p == text || (p[-1] != '"' && p[-1] != '\'') || *q != p[-1]) {
			p = q;
			continue;
		}
		q++;
		while (*q == ' ' || *q == '\t' || *q == ',' || *q == ']' || *q == '=')
			q++;
		v = string_literal(q);
		if (v && detect_is_dotted(v, 1))
			return v;
		free(v);
		p = q;
	}
	return NULL;
}

char *detect_module_path(const char *relpath)
{
	struct sbuf b;
	const char *s = relpath;
	size_t n;

	if (!str_ends(relpath, ".py"))
		return NULL;
	sbuf_init(&b);
	for (;;) {
		n = strcspn(s, "/");
		if (!s[n]) {                           /* the file name */
			n -= 3;
			if (n == strlen("__init__") && !strncmp(s, "__init__", n)) {
				if (!b.len)
					goto fail;
			} else {
				if (!is_ident(s, n))
					goto fail;
				sbuf_printf(&b, "%s%.*s", b.len ? "." : "", (int)n, s);
			}
			return sbuf_detach(&b);
		}
		if (!is_ident(s, n))
			goto fail;
		sbuf_printf(&b, "%s%.*s", b.len ? "." : "", (int)n, s);
		s += n + 1;
	}
fail:
	sbuf_free(&b);
	return NULL;
}

char *detect_project_name(const char *dir)
{
	char *real = path_real(dir);
	char *name = settings_default_project_name(real ? real : dir);

	free(real);
	return name;
}

/* ---- the walk ----------------------------------------------------------- */

static void add_app(struct walk *w, int kind, char *value, const char *rel, unsigned line,
		    const char *framework)
{
	struct detect_result *r = w->r;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->apps[i].kind == (enum detect_kind)kind && !strcmp(r->apps[i].value, value))
			break;
	if (i < r->n || r->n >= MAX_APPS) {
		free(value);
		return;
	}
	r->apps = xrealloc(r->apps, (r->n + 1) * sizeof(*r->apps));
	r->apps[r->n].kind = (enum detect_kind)kind;
	r->apps[r->n].value = value;
	r->apps[r->n].file = xstrdup(rel);
	r->apps[r->n].line = line;
	r->apps[r->n].framework = xstrdup(framework);
	r->n++;
}

static void scan_django(struct walk *w, const char *rel, const char *text)
{
	char *settings = detect_django_settings(text), *dir, *mod;

	if (!settings)
		return;
	dir = path_dir(rel);
	if (!strcmp(dir, ".")) {
		add_app(w, DETECT_DJANGO, settings, rel, 0, "Django");
	} else {
		/* manage.py in a sub-directory: its directory becomes a package prefix */
		char *init = xasprintf("%s/__init__.py", dir);

		mod = detect_module_path(init);
		if (mod)
			add_app(w, DETECT_DJANGO, xasprintf("%s.%s", mod, settings), rel, 0, "Django");
		free(mod);
		free(init);
		free(settings);
	}
	free(dir);
}

static void scan_apps(struct walk *w, const char *rel, const char *text)
{
	const char *line = text;
	unsigned lineno = 0;
	char *mod = detect_module_path(rel);

	if (!mod)
		return;
	while (*line) {
		size_t len = strcspn(line, "\n");
		const char *framework;
		char *name;
		int kind;

		lineno++;
		kind = detect_app_line(line, len, &name, &framework);
		if (kind >= 0) {
			add_app(w, kind, xasprintf("%s.%s", mod, name), rel, lineno, framework);
			free(name);
		}
		line += len;
		if (*line)
			line++;
	}
	free(mod);
}

static void scan_file(struct walk *w, const char *abs, const char *rel, off_t size)
{
	char *text = NULL;
	size_t len;

	if (size > MAX_FILE_SIZE || path_read(abs, &text, &len, NULL))
		return;
	if (memchr(text, '\0', len)) {   /* not text */
		free(text);
		return;
	}
	if (!strcmp(path_base(rel), "manage.py"))
		scan_django(w, rel, text);
	scan_apps(w, rel, text);
	free(text);
}

static bool skip_dir(const char *abs, const char *name)
{
	static const char *const never[] = {
		"node_modules", "__pycache__", "site-packages", "dist-packages",
	};
	char *marker;
	bool venv;
	size_t i;

	if (name[0] == '.')
		return true;
	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (!strcmp(name, never[i]))
			return true;
	marker = path_join(abs, "pyvenv.cfg");
	venv = path_exists(marker);
	free(marker);
	if (!venv) {
		marker = path_join(abs, "bin/activate");
		venv = path_exists(marker);
		free(marker);
	}
	return venv;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(struct walk *w, const char *rel, int depth)
{
	char *abs = *rel ? path_join(w->root, rel) : xstrdup(w->root);
	char **names = NULL;
	size_t n = 0, i;
	struct dirent *de;
	DIR *d = opendir(abs);

	if (!d) {
		free(abs);
		return;
	}
	while ((de = readdir(d)) && w->visited < MAX_ENTRIES) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		w->visited++;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		char *a = path_join(abs, names[i]);
		char *r = *rel ? path_join(rel, names[i]) : xstrdup(names[i]);
		struct stat sb;

		if (lstat(a, &sb) == 0) {
			if (S_ISDIR(sb.st_mode)) {
				if (depth < DETECT_MAX_DEPTH && !skip_dir(a, names[i]))
					walk_dir(w, r, depth + 1);
			} else if (S_ISREG(sb.st_mode) && str_ends(names[i], ".py")) {
				scan_file(w, a, r, sb.st_size);
			}
		}
		free(a);
		free(r);
		free(names[i]);
	}
	free(names);
	free(abs);
}

static size_t depth_of(const char *rel)
{
	size_t d = 0;

	for (; *rel; rel++)
		d += *rel == '/';
	return d;
}

static int cmp_app(const void *pa, const void *pb)
{
	const struct detect_app *a = pa, *b = pb;
	size_t da = depth_of(a->file), db = depth_of(b->file);
	int c;

	if (da != db)
		return da < db ? -1 : 1;
	c = strcmp(a->file, b->file);
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return strcmp(a->value, b->value);
}

int detect_apps(const char *dir, struct detect_result *r, struct herr *e)
{
	struct walk w = { dir, r, 0 };

	memset(r, 0, sizeof(*r));
	if (!path_is_dir(dir))
		return herr_set(e, HOIST_USAGE, "%s: not a directory", dir);
	walk_dir(&w, "", 0);
	if (r->n > 1)
		qsort(r->apps, r->n, sizeof(*r->apps), cmp_app);
	return HOIST_OK;
}

void detect_free(struct detect_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->apps[i].value);
		free(r->apps[i].file);
		free(r->apps[i].framework);
	}
	free(r->apps);
	r->apps = NULL;
	r->n = 0;
}
