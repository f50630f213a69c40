/*
 * settings.c — the settings file: find it, parse it (errors at file:line:col),
 * resolve a stage's `extends` chain, apply defaults, validate every key
 * against the table in settings_keys.c.
 *
 * Resolution of a stage:
 *   1. the chain root … stage is merged shallowly (a child's key replaces
 *      the parent's, objects included, as Zappa does); `extends` is dropped;
 *   2. null means "not set": the key is removed, then defaults fill in;
 *   3. defaults for the stage's provider (settings_keys.c), project_name from
 *      the project directory, region from aws_region;
 *   4. every key is checked: type, range, syntax, provider support.
 * Unknown keys only warn (with the closest known key), once per file.
 */
#include "settings.h"

#include "err.h"
#include "log.h"
#include "path.h"
#include "schedule.h"
#include "settings_keys.h"
#include "str.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 32

/*
 * What a check needs to report: the file, the stage, the provider, the key
 * being checked (for its line:column); the problems found so far.
 */
struct ctx {
	const struct settings *s;
	const char *stage;
	int pv;             /* PV_* */
	struct herr *e;
	const char **chain; /* stage … root ancestor, to find where a key is written */
	size_t nchain;
	const char *key;    /* the top-level key being checked, or NULL */
	struct sbuf problems;
	int count;
};

/* ":line:col" of the key being checked, in the stage of the chain that sets it. */
static void locate(const struct ctx *c, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; c->key && i < c->nchain; i++) {
		json_t *obj = json_object_get(c->s->root, c->chain[i]), *pos;
		char *id;

		if (!json_object_get(obj, c->key))
			continue;
		id = xasprintf("%s\t%s", c->chain[i], c->key);
		pos = json_object_get(c->s->where, id);
		free(id);
		if (pos)
			snprintf(buf, len, ":%lld:%lld",
				 (long long)json_integer_value(json_array_get(pos, 0)),
				 (long long)json_integer_value(json_array_get(pos, 1)));
		return;
	}
}

/* One problem: recorded (all are reported together) and returned as HOIST_USAGE. */
static int bad(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct ctx *c, const char *fmt, ...)
{
	char msg[3072], loc[48];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	locate(c, loc, sizeof(loc));
	if (c->count++)
		sbuf_addc(&c->problems, '\n');
	sbuf_printf(&c->problems, "%s%s: stage '%s': %s", c->s->path, loc, c->stage, msg);
	return herr_set(c->e, HOIST_USAGE, "%s%s: stage '%s': %s", c->s->path, loc, c->stage, msg);
}

/* All the problems found, as one error: the line itself, or a count and the lines. */
static int problems(struct ctx *c)
{
	struct sbuf b;
	const char *p;

	if (c->count <= 1)
		return c->count ? HOIST_USAGE : HOIST_OK;
	sbuf_init(&b);
	sbuf_printf(&b, "%s: stage '%s': %d problems (nothing was changed):", c->s->path,
		    c->stage, c->count);
	for (p = c->problems.s; p && *p;) {
		size_t n = strcspn(p, "\n");

		sbuf_printf(&b, "\n  %.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
	herr_set(c->e, HOIST_USAGE, "%s", b.s);
	sbuf_free(&b);
	return HOIST_USAGE;
}

/* ---- loading ------------------------------------------------------------ */

bool settings_valid_stage_name(const char *n)
{
	size_t len = strlen(n);

	if (!len || len > 64 || *n == '-')
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && *n != '_' && *n != '-')
			return false;
	return true;
}

static int check_stages(const struct settings *s, struct herr *e)
{
	const char *name;
	struct sbuf b;
	json_t *v;
	int n = 0;

	if (!json_is_object(s->root))
		return herr_set(e, HOIST_USAGE, "%s: the settings file must be a mapping of "
				"stages (a JSON object), e.g. {\"dev\": {\"app_function\": \"app.app\"}}",
				s->path);
	if (json_object_size(s->root) == 0)
		return herr_set(e, HOIST_USAGE, "%s: no stages defined; add one, e.g. "
				"{\"dev\": {\"app_function\": \"app.app\"}}", s->path);
	sbuf_init(&b);
	json_object_foreach(s->root, name, v) {
		if (!settings_valid_stage_name(name))
			sbuf_printf(&b, "%s%s: stage name '%s' is not valid: use 1-64 letters, "
				    "digits, '_' or '-', not starting with '-'", n++ ? "\n" : "",
				    s->path, name);
		else if (!json_is_object(v))
			sbuf_printf(&b, "%s%s: stage '%s' must be a JSON object of settings",
				    n++ ? "\n" : "", s->path, name);
	}
	if (n)
		herr_set(e, HOIST_USAGE, "%s", b.s);
	sbuf_free(&b);
	return n ? HOIST_USAGE : HOIST_OK;
}

/* The settings file of the current directory, as Zappa looks for it. */
static const char *default_path(struct herr *e)
{
	static const char *const names[] = {
		"hoist.json", "zappa_settings.json", "zappa_settings.yml", "zappa_settings.yaml",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (path_exists(names[i]))
			return names[i];
	if (path_exists("zappa_settings.toml"))
		return "zappa_settings.toml";   /* refused, by name, when read */
	herr_set(e, HOIST_USAGE, "no hoist.json or zappa_settings.json (or .yml, .yaml) in the "
		 "current directory; run 'hoist init' or give one with -s FILE");
	return NULL;
}

int settings_load(struct settings *s, const char *path, struct herr *e)
{
	char *dir = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!path && !(path = default_path(e)))
		return HOIST_USAGE;
	s->path = xstrdup(path);
	if (path_is_dir(path)) {
		rc = herr_set(e, HOIST_USAGE, "%s is a directory; -s takes the settings file "
			      "(e.g. %s/hoist.json)", path, path);
		goto fail;
	}
	if (!path_exists(path)) {
		rc = herr_set(e, HOIST_USAGE, "%s: no such settings file", path);
		goto fail;
	}
	s->where = json_object();
	rc = settings_file_read(path, &s->root, s->where, e);
	if (rc)
		goto fail;
	rc = check_stages(s, e);
	if (rc)
		goto fail;
	dir = path_dir(path);
	s->dir = path_real(dir);
	free(dir);
	if (!s->dir) {
		rc = herr_set(e, HOIST_USAGE, "%s: cannot resolve the project directory", path);
		goto fail;
	}
	s->warned = json_object();
	return HOIST_OK;
fail:
	settings_free(s);
	return rc;
}

void settings_free(struct settings *s)
{
	json_decref(s->root);
	json_decref(s->warned);
	json_decref(s->where);
	free(s->path);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

size_t settings_stage_names(const struct settings *s, const char ***names)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	*names = xcalloc(json_object_size(s->root) + 1, sizeof(**names));
	json_object_foreach(s->root, key, v)
		(*names)[n++] = key;
	return n;
}

static char *stage_list(const struct settings *s)
{
	const char **names;
	struct sbuf b;
	size_t n, i;

	sbuf_init(&b);
	n = settings_stage_names(s, &names);
	for (i = 0; i < n; i++)
		sbuf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	free(names);
	return sbuf_detach(&b);
}

int settings_pick_stage(const struct settings *s, const char *arg, const char **stage,
			struct herr *e)
{
	const char **names, *best;
	char *list;
	size_t n;
	int rc = HOIST_OK;

	n = settings_stage_names(s, &names);
	list = stage_list(s);
	if (arg && json_object_get(s->root, arg)) {
		*stage = json_object_iter_key(json_object_iter_at(s->root, arg));
	} else if (arg) {
		best = str_closest(arg, names, n);
		if (best)
			rc = herr_set(e, HOIST_USAGE, "%s: no stage '%s' (did you mean '%s'?); stages: %s",
				      s->path, arg, best, list);
		else
			rc = herr_set(e, HOIST_USAGE, "%s: no stage '%s'; stages: %s", s->path, arg, list);
	} else if (n == 1) {
		*stage = names[0];
	} else {
		rc = herr_set(e, HOIST_USAGE, "%s defines %zu stages; name one: %s", s->path, n, list);
	}
	free(list);
	free(names);
	return rc;
}

/* ---- warnings ----------------------------------------------------------- */

static void warn_unknown(const struct settings *s, const char *stage, const char *where,
			 const char *key, const char *const *known, size_t n)
{
	char *id = xasprintf("%s\t%s\t%s", stage, where, key);
	const char *best = str_closest(key, known, n);

	if (!json_object_get(s->warned, id)) {
		json_object_set_new(s->warned, id, json_true());
		if (best)
			out_warn("%s: unknown key '%s' in stage '%s'%s%s (did you mean '%s'?)", s->path,
				 key, stage, *where ? " " : "", where, best);
		else
			out_warn("%s: unknown key '%s' in stage '%s'%s%s (see hoist-settings(5))",
				 s->path, key, stage, *where ? " " : "", where);
	}
	free(id);
}

static const char **known_names(void)
{
	const char **v = xcalloc(settings_keys_count, sizeof(*v));
	size_t i;

	for (i = 0; i < settings_keys_count; i++)
		v[i] = settings_keys[i].name;
	return v;
}

static void warn_unknown_keys(const struct settings *s, const char *stage, json_t *obj)
{
	const char **names = known_names();
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
		if (!settings_key_find(key))
			warn_unknown(s, stage, "", key, names, settings_keys_count);
	free(names);
}

/* ---- extends ------------------------------------------------------------ */

static int chain_error(const struct settings *s, const char **chain, size_t n, const char *again,
		       struct herr *e)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	for (i = 0; i < n; i++)
		sbuf_printf(&b, "%s -> ", chain[i]);
	sbuf_adds(&b, again);
	herr_set(e, HOIST_USAGE, "%s: circular extends: %s", s->path, b.s);
	sbuf_free(&b);
	return HOIST_USAGE;
}

/* chain[0] = stage, chain[n-1] = the root ancestor. */
static int build_chain(const struct settings *s, const char *stage, const char **chain,
		       size_t *n, struct herr *e)
{
	const char *cur = stage, **names, *best;
	json_t *obj, *ext;
	size_t i, count;
	char *list;

	*n = 0;
	for (;;) {
		for (i = 0; i < *n; i++)
			if (!strcmp(chain[i], cur))
				return chain_error(s, chain, *n, cur, e);
		if (*n == MAX_CHAIN)
			return herr_set(e, HOIST_USAGE, "%s: stage '%s': extends chain longer than %d",
					s->path, stage, MAX_CHAIN);
		obj = json_object_get(s->root, cur);
		chain[(*n)++] = json_object_iter_key(json_object_iter_at(s->root, cur));
		ext = json_object_get(obj, "extends");
		if (!ext || json_is_null(ext))
			return HOIST_OK;
		if (!json_is_string(ext))
			return herr_set(e, HOIST_USAGE, "%s: stage '%s': extends: expected a stage "
					"name (string)", s->path, cur);
		if (json_object_get(s->root, json_string_value(ext))) {
			cur = json_string_value(ext);
			continue;
		}
		count = settings_stage_names(s, &names);
		best = str_closest(json_string_value(ext), names, count);
		list = stage_list(s);
		herr_set(e, HOIST_USAGE, "%s: stage '%s' extends '%s', which is not a stage%s%s%s; "
			 "stages: %s", s->path, cur, json_string_value(ext),
			 best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "", list);
		free(list);
		free(names);
		return HOIST_USAGE;
	}
}

/* ---- value checks ------------------------------------------------------- */

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static unsigned type_bit(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return T_OBJ;
	case JSON_ARRAY: return T_ARR;
	case JSON_STRING: return T_STR;
	case JSON_INTEGER: return T_INT;
	case JSON_REAL: return T_REAL;
	case JSON_TRUE: case JSON_FALSE: return T_BOOL;
	default: return 0;
	}
}

static char *expected(unsigned types)
{
	static const struct { unsigned bit; const char *name; } t[] = {
		{ T_STR, "a string" }, { T_BOOL, "a boolean (true/false)" },
		{ T_INT, "an integer" }, { T_REAL, "a number" },
		{ T_OBJ, "an object" }, { T_ARR, "an array" },
	};
	struct sbuf b;
	size_t i;
	int n = 0;

	sbuf_init(&b);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (types & t[i].bit)
			sbuf_printf(&b, "%s%s", n++ ? " or " : "", t[i].name);
	return sbuf_detach(&b);
}

/* The value, compact and short, for messages; allocates. */
static char *show(const json_t *v)
{
	char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT), *r;

	if (!d)
		return xstrdup("?");
	if (strlen(d) > 60)
		strcpy(d + 57, "...");
	r = xstrdup(d);
	free(d);
	return r;
}

static int type_error(struct ctx *c, const char *what, unsigned types, const json_t *v)
{
	char *exp = expected(types), *val = show(v);
	int rc;

	if (types == T_STR && !json_is_object(v) && !json_is_array(v))
		rc = bad(c, "%s: expected %s, got %s %s (quote it: \"%s\")", what, exp,
			 type_name(v), val, val);
	else
		rc = bad(c, "%s: expected %s, got %s %s", what, exp, type_name(v), val);
	free(exp);
	free(val);
	return rc;
}

static bool is_ident(const char *s, size_t n)
{
	size_t i;

	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* Identifiers joined by dots; at least `min_parts` of them. */
static bool is_dotted(const char *s, int min_parts)
{
	int parts = 0;

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

static bool is_hostname(const char *s)
{
	size_t total = strlen(s);
	int labels = 0;

	if (!total || total > 253)
		return false;
	for (;;) {
		size_t n = strcspn(s, "."), i;

		if (!n || n > 63 || s[0] == '-' || s[n - 1] == '-')
			return false;
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '-')
				return false;
		labels++;
		if (!s[n])
			return labels >= 2;
		s += n + 1;
	}
}

static bool is_base_path(const char *s)
{
	if (*s == '/')
		s++;
	if (!*s)
		return false;
	for (;;) {
		size_t n = strcspn(s, "/"), i;

		if (!n)
			return false;
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)s[i]) && !strchr("-._~", s[i]))
				return false;
		if (!s[n])
			return true;
		s += n + 1;
	}
}

static bool is_region(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static bool is_url(const char *s)
{
	return (str_starts(s, "https://") && s[8]) || (str_starts(s, "http://") && s[7]);
}

static int check_choice(struct ctx *c, const char *what, const char *choices, const json_t *v)
{
	const char *s = json_string_value(v), *p = choices;
	size_t n = strlen(s);
	char *list, *q;
	int rc;

	while (*p) {
		size_t len = strcspn(p, "|");

		if (len == n && !strncmp(p, s, n))
			return HOIST_OK;
		p += len + (p[len] == '|');
	}
	list = xstrdup(choices);
	for (q = list; *q; q++)
		if (*q == '|')
			*q = ',';
	rc = bad(c, "%s: '%s' is not one of %s", what, s, list);
	free(list);
	return rc;
}

static int check_schedule(struct ctx *c, const char *what, const char *expr)
{
	struct schedule sc;
	struct herr se = { 0 };
	const char *why;

	if (schedule_parse(expr, &sc, &se))
		return bad(c, "%s: %s", what, se.msg);
	why = schedule_why_not(&sc, settings_provider_names[c->pv]);
	if (why)
		return bad(c, "%s: %s cannot run on %s: %s", what, expr,
			   settings_provider_names[c->pv], why);
	return HOIST_OK;
}

static int check_strlist(struct ctx *c, const char *what, const json_t *v, const char *choices)
{
	const json_t *item;
	size_t i;
	char sub[256];

	json_array_foreach(v, i, item) {
		snprintf(sub, sizeof(sub), "%s[%zu]", what, i);
		if (!json_is_string(item))
			return type_error(c, sub, T_STR, item);
		if (choices && check_choice(c, sub, choices, item))
			return HOIST_USAGE;
	}
	return HOIST_OK;
}

static int check_strmap(struct ctx *c, const char *what, const json_t *v, bool env)
{
	const char *key;
	json_t *item;
	char sub[512];

	json_object_foreach((json_t *)v, key, item) {
		snprintf(sub, sizeof(sub), "%s.%s", what, key);
		if (env && !is_ident(key, strlen(key)))
			return bad(c, "%s: '%s' is not a valid environment variable name (letters, "
				   "digits and '_', not starting with a digit)", what, key);
		if (!json_is_string(item))
			return type_error(c, sub, T_STR, item);
	}
	return HOIST_OK;
}

/* ---- what a provider honours: its own table, else the central row ------- */

static const struct settings_honour *own_word(int pv, const char *key)
{
	const struct settings_honour *h = settings_provider_table(settings_provider_names[pv]);

	for (; h && h->key; h++)
		if (!strcmp(h->key, key))
			return h;
	return NULL;
}

static bool honoured_by(const struct settings_key *k, int pv)
{
	const struct settings_honour *h = own_word(pv, k->name);

	if (h && h->honoured)
		return h->honoured > 0;
	return k->honoured & (1U << pv);
}

static const struct skey_range *range_of(const struct settings_key *k, int pv)
{
	const struct settings_honour *h = own_word(pv, k->name);

	return h && h->range.max ? &h->range : &k->range[pv];
}

static const char *default_of(const struct settings_key *k, int pv)
{
	const struct settings_honour *h = own_word(pv, k->name);

	return h && h->dflt ? h->dflt : k->dflt[pv];
}

static const char *hint_of(const struct settings_key *k, int pv)
{
	const struct settings_honour *h = own_word(pv, k->name);

	return h && h->hint ? h->hint : k->hint;
}

static int check_range(struct ctx *c, const struct settings_key *k, const json_t *v)
{
	const struct skey_range *r = range_of(k, c->pv);
	long long n = json_integer_value(v);

	if (r->min == 0 && r->max == 0)
		return HOIST_OK;   /* not honoured here: the provider check reports it */
	if (n < r->min || n > r->max)
		return bad(c, "%s: %lld is out of range %lld–%lld for %s", k->name, n, r->min, r->max,
			   settings_provider_names[c->pv]);
	if (r->step > 1 && n % r->step)
		return bad(c, "%s: %lld must be a multiple of %lld for %s (%lld–%lld)", k->name, n,
			   r->step, settings_provider_names[c->pv], r->min, r->max);
	return HOIST_OK;
}

/* One "events" entry (Zappa: schedules and event sources). */
static int check_event(struct ctx *c, size_t i, json_t *ev)
{
	char where[64], what[128];
	const char *key;
	json_t *v, *fn, *expr, *exprs, *src;
	size_t j;
	int given;

	snprintf(where, sizeof(where), "events[%zu]", i);
	if (!json_is_object(ev))
		return type_error(c, where, T_OBJ, ev);
	json_object_foreach(ev, key, v) {
		for (j = 0; j < settings_event_keys_count; j++)
			if (!strcmp(key, settings_event_keys[j]))
				break;
		if (j == settings_event_keys_count)
			warn_unknown(c->s, c->stage, where, key, settings_event_keys,
				     settings_event_keys_count);
	}
	fn = json_object_get(ev, "function");
	if (!fn)
		return bad(c, "%s: missing 'function' (module.function to run)", where);
	snprintf(what, sizeof(what), "%s.function", where);
	if (!json_is_string(fn))
		return type_error(c, what, T_STR, fn);
	if (!is_dotted(json_string_value(fn), 2))
		return bad(c, "%s: '%s' is not module.function (e.g. 'tasks.cleanup')", what,
			   json_string_value(fn));
	expr = json_object_get(ev, "expression");
	exprs = json_object_get(ev, "expressions");
	src = json_object_get(ev, "event_source");
	given = !!expr + !!exprs + !!src;
	if (given != 1)
		return bad(c, "%s: give exactly one of 'expression', 'expressions' or 'event_source'",
			   where);
	if (expr) {
		snprintf(what, sizeof(what), "%s.expression", where);
		if (!json_is_string(expr))
			return type_error(c, what, T_STR, expr);
		if (check_schedule(c, what, json_string_value(expr)))
			return HOIST_USAGE;
	}
	if (exprs) {
		snprintf(what, sizeof(what), "%s.expressions", where);
		if (!json_is_array(exprs) || !json_array_size(exprs))
			return bad(c, "%s: expected a non-empty array of schedule expressions", what);
		json_array_foreach(exprs, j, v) {
			snprintf(what, sizeof(what), "%s.expressions[%zu]", where, j);
			if (!json_is_string(v))
				return type_error(c, what, T_STR, v);
			if (check_schedule(c, what, json_string_value(v)))
				return HOIST_USAGE;
		}
	}
	if (src) {
		snprintf(what, sizeof(what), "%s.event_source", where);
		if (!json_is_object(src))
			return type_error(c, what, T_OBJ, src);
		if (c->pv != PV_AWS)
			return bad(c, "%s: event sources (S3, SNS, SQS, DynamoDB, Kinesis) are not "
				   "supported by the %s provider; only schedules (expression) are",
				   what, settings_provider_names[c->pv]);
		v = json_object_get(src, "arn");
		if (!json_is_string(v))
			return bad(c, "%s: needs an 'arn' (string)", what);
		v = json_object_get(src, "events");
		snprintf(what, sizeof(what), "%s.event_source.events", where);
		if (v && !json_is_array(v))
			return type_error(c, what, T_ARR, v);
		if (v && check_strlist(c, what, v, NULL))
			return HOIST_USAGE;
	}
	v = json_object_get(ev, "enabled");
	snprintf(what, sizeof(what), "%s.enabled", where);
	if (v && !json_is_boolean(v) && !json_is_null(v))
		return type_error(c, what, T_BOOL, v);
	v = json_object_get(ev, "kwargs");
	snprintf(what, sizeof(what), "%s.kwargs", where);
	if (v && !json_is_object(v) && !json_is_null(v))
		return type_error(c, what, T_OBJ, v);
	for (j = 0; j < 2; j++) {
		key = j ? "description" : "name";
		v = json_object_get(ev, key);
		snprintf(what, sizeof(what), "%s.%s", where, key);
		if (v && !json_is_string(v) && !json_is_null(v))
			return type_error(c, what, T_STR, v);
	}
	return HOIST_OK;
}

/* Every entry is checked: each bad one is a problem of its own. */
static int check_events(struct ctx *c, json_t *v)
{
	size_t i;
	json_t *ev;
	int rc = HOIST_OK;

	json_array_foreach(v, i, ev)
		if (check_event(c, i, ev))
			rc = HOIST_USAGE;
	return rc;
}

static int check_vpc(struct ctx *c, json_t *v)
{
	const char *key;
	json_t *item;
	char what[128];
	size_t j;
	int rc = HOIST_OK;

	json_object_foreach(v, key, item) {
		for (j = 0; j < settings_vpc_keys_count; j++)
			if (!strcmp(key, settings_vpc_keys[j]))
				break;
		if (j == settings_vpc_keys_count) {
			warn_unknown(c->s, c->stage, "vpc_config", key, settings_vpc_keys,
				     settings_vpc_keys_count);
			continue;
		}
		snprintf(what, sizeof(what), "vpc_config.%s", key);
		if (str_ends(key, "Ids")) {
			if (!json_is_array(item))
				rc = type_error(c, what, T_ARR, item);
			else if (check_strlist(c, what, item, NULL))
				rc = HOIST_USAGE;
		} else if (!strcmp(key, "Ipv6AllowedForDualStack")) {
			if (!json_is_boolean(item))
				rc = type_error(c, what, T_BOOL, item);
		} else if (!json_is_string(item)) {
			rc = type_error(c, what, T_STR, item);
		}
	}
	return rc;
}

/*
 * remote_env: the object-storage URL of the stage's provider (s3://bucket/key,
 * oss://bucket/key, cos://bucket-appid/key), or a file path on local.
 */
static int check_remote_env(struct ctx *c, const char *what, const char *v)
{
	static const char *const scheme[PV_COUNT] = { "s3", "oss", "cos", NULL };
	const char *want = scheme[c->pv], *rest, *slash;

	if (!want) {
		if (strstr(v, "://"))
			return bad(c, "%s: '%s': on local remote_env is a file path (a JSON object "
				   "of strings), not a URL", what, v);
		return HOIST_OK;
	}
	rest = strstr(v, "://");
	slash = rest ? strchr(rest + 3, '/') : NULL;
	if (!rest || (size_t)(rest - v) != strlen(want) || strncmp(v, want, strlen(want)) ||
	    !slash || slash == rest + 3 || !slash[1])
		return bad(c, "%s: '%s' is not %s://bucket/key (the JSON file in the %s provider's "
			   "object storage)", what, v, want, settings_provider_names[c->pv]);
	return HOIST_OK;
}

/* Syntax and range of one value whose JSON type is already right. */
static int check_value(struct ctx *c, const struct settings_key *k, json_t *v)
{
	const char *s = json_string_value(v);

	switch (k->check) {
	case CK_CHOICE: return check_choice(c, k->name, k->choices, v);
	case CK_RANGE: return check_range(c, k, v);
	case CK_STRLIST: return check_strlist(c, k->name, v, NULL);
	case CK_CHOICELIST: return check_strlist(c, k->name, v, k->choices);
	case CK_STRMAP: return check_strmap(c, k->name, v, false);
	case CK_ENVMAP: return check_strmap(c, k->name, v, true);
	case CK_SCHEDULE: return check_schedule(c, k->name, s);
	case CK_EVENTS: return check_events(c, v);
	case CK_VPC: return check_vpc(c, v);
	case CK_DOTTED:
		if (!is_dotted(s, 2))
			return bad(c, "%s: '%s' is not module.attribute (e.g. 'app.app')", k->name, s);
		return HOIST_OK;
	case CK_MODULE:
		if (!is_dotted(s, 1))
			return bad(c, "%s: '%s' is not a Python module path (e.g. 'mysite.settings')",
				   k->name, s);
		return HOIST_OK;
	case CK_HOSTNAME:
		if (!is_hostname(s))
			return bad(c, "%s: '%s' is not a host name (e.g. 'api.example.com')", k->name, s);
		return HOIST_OK;
	case CK_BASE_PATH:
		if (!is_base_path(s))
			return bad(c, "%s: '%s' is not a URL path (letters, digits, '-._~', "
				   "segments separated by '/')", k->name, s);
		return HOIST_OK;
	case CK_URL_PATH:
		if (*s != '/')
			return bad(c, "%s: '%s' must start with '/'", k->name, s);
		return HOIST_OK;
	case CK_REGION:
		if (!is_region(s))
			return bad(c, "%s: '%s' is not a region name (e.g. 'us-east-1')", k->name, s);
		return HOIST_OK;
	case CK_URL:
		if (!is_url(s))
			return bad(c, "%s: '%s' is not an http(s):// URL", k->name, s);
		return HOIST_OK;
	case CK_URLMAP: {
		const char *key;
		json_t *item;
		char what[256];

		json_object_foreach(v, key, item) {
			snprintf(what, sizeof(what), "%s.%s", k->name, key);
			if (!json_is_string(item))
				return type_error(c, what, T_STR, item);
			if (!is_url(json_string_value(item)))
				return bad(c, "%s: '%s' is not an http(s):// URL", what,
					   json_string_value(item));
		}
		return HOIST_OK;
	}
	case CK_EFS:   /* normalize_efs checked it where it is honoured */
		return HOIST_OK;
	case CK_OBJLIST: {
		json_t *item;
		size_t i;
		char what[128];

		json_array_foreach(v, i, item) {
			snprintf(what, sizeof(what), "%s[%zu]", k->name, i);
			if (!json_is_object(item))
				return type_error(c, what, T_OBJ, item);
		}
		return HOIST_OK;
	}
	case CK_REMOTE_ENV:
		return check_remote_env(c, k->name, s);
	case CK_TABLE: {
		size_t n = strlen(s), i;

		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
				break;
		if (n < 3 || n > 255 || i < n)
			return bad(c, "%s: '%s' is not a table name (3-255 letters, digits, '_', '.', "
				   "'-')", k->name, s);
		return HOIST_OK;
	}
	case CK_PROJECT: {
		/* Only the default is cut to 15; the function name's limit is checked later. */
		char *slug = str_slug(s);
		size_t len = strlen(slug);

		free(slug);
		if (!len)
			return bad(c, "%s: '%s' has no letters or digits", k->name, s);
		return HOIST_OK;
	}
	default:
		return HOIST_OK;
	}
}

/* null, false, "", [], {} or the provider's default: never "not honoured". */
static bool benign(const struct settings_key *k, int pv, const json_t *v)
{
	json_t *d;
	bool eq;

	if (json_is_null(v) ||
	    (json_is_string(v) && !*json_string_value(v)) ||
	    (json_is_array(v) && !json_array_size(v)) ||
	    (json_is_object(v) && !json_object_size(v)))
		return true;
	/*
	 * A provider without the concept treats false as "off".  Where the
	 * provider has a default, that default is what it does without the key
	 * (touch: true on aws, false on aliyun), so only that value is benign.
	 */
	if (!default_of(k, pv))
		return json_is_false(v);
	d = json_loads(default_of(k, pv), JSON_DECODE_ANY, NULL);
	eq = d && json_equal(d, v);
	json_decref(d);
	return eq;
}

static int check_honoured(struct ctx *c, const struct settings_key *k, const json_t *v)
{
	const char *hint = hint_of(k, c->pv);
	struct sbuf who;
	int i, rc;

	if (honoured_by(k, c->pv) || benign(k, c->pv, v))
		return HOIST_OK;
	sbuf_init(&who);
	for (i = 0; i < PV_COUNT; i++)
		if (honoured_by(k, i))
			sbuf_printf(&who, "%s%s", who.len ? ", " : "", settings_provider_names[i]);
	if (!who.len)
		rc = bad(c, "%s: %s", k->name, hint ? hint : "not implemented by hoist; remove it");
	else
		rc = bad(c, "%s is not supported by the %s provider (supported by: %s)%s%s",
			 k->name, settings_provider_names[c->pv], who.s, hint ? ": " : "",
			 hint ? hint : "");
	sbuf_free(&who);
	return rc;
}

static int check_key(struct ctx *c, const struct settings_key *k, json_t *v)
{
	if (!(type_bit(v) & k->types))
		return type_error(c, k->name, k->types, v);
	if (check_value(c, k, v))
		return HOIST_USAGE;
	return check_honoured(c, k, v);
}

/* ---- Zappa's other spellings --------------------------------------------- */

/* Older names: where the old one is honoured its value moves to the current name. */
static const struct { const char *old, *cur; } aliases[] = {
	{ "aws_endpoint_urls", "endpoint_urls" },
	{ "delete_zip", "delete_local_zip" },
	{ "use_apigateway", "apigateway_enabled" },
};

/* Is `key` a value apply_aliases copied (its old name is checked instead)? */
static bool from_alias(struct ctx *c, json_t *st, const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(key, aliases[i].cur) && json_object_get(st, aliases[i].old) &&
		    honoured_by(settings_key_find(aliases[i].old), c->pv) &&
		    json_equal(json_object_get(st, aliases[i].old), json_object_get(st, key)))
			return true;
	return false;
}

static void apply_aliases(struct ctx *c, json_t *st)
{
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		json_t *old = json_object_get(st, aliases[i].old);
		json_t *cur = json_object_get(st, aliases[i].cur);

		if (!old || !honoured_by(settings_key_find(aliases[i].old), c->pv))
			continue;
		c->key = aliases[i].old;
		if (!cur)
			json_object_set(st, aliases[i].cur, old);
		else if (!json_equal(old, cur))
			bad(c, "%s (Zappa's name) and %s disagree; keep one of them", aliases[i].old,
			    aliases[i].cur);
	}
	c->key = NULL;
}

/* An EFS access point ARN, as Lambda's FileSystemConfig.Arn pattern has it (loosely). */
static bool is_access_point(const char *s)
{
	return str_starts(s, "arn:aws") && strstr(s, ":elasticfilesystem:") &&
	       strstr(s, ":access-point/fsap-") && strlen(s) <= 200;
}

static bool is_mount_path(const char *s)
{
	size_t n = strlen(s), i;

	if (!str_starts(s, "/mnt/") || n == 5 || n > 160)
		return false;
	for (i = 5; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

#define EFS_CREATE \
	"hoist does not create EFS file systems (Zappa's efs_config: true or an entry " \
	"without Arn); create an access point and give it: {\"Arn\": " \
	"\"arn:aws:elasticfilesystem:…:access-point/fsap-…\", \"LocalMountPath\": \"/mnt/efs\"}"

/* One efs_config entry → {"Arn", "LocalMountPath"} (new reference), or NULL. */
static json_t *efs_entry(struct ctx *c, size_t i, json_t *x)
{
	const char *key, *arn, *mnt;
	char where[48];
	json_t *v;
	int bad_before = c->count;

	snprintf(where, sizeof(where), "efs_config[%zu]", i);
	if (!json_is_object(x)) {
		type_error(c, where, T_OBJ, x);
		return NULL;
	}
	json_object_foreach(x, key, v) {
		if (!strcmp(key, "ThroughputMode") || !strcmp(key, "PerformanceMode"))
			bad(c, "%s.%s: applies to file systems Zappa creates; hoist mounts an existing "
			    "access point (Arn), so it cannot honour it; remove it", where, key);
		else if (strcmp(key, "Arn") && strcmp(key, "LocalMountPath"))
			bad(c, "%s: unknown key '%s' (Arn, LocalMountPath)", where, key);
	}
	arn = json_string_value(json_object_get(x, "Arn"));
	v = json_object_get(x, "LocalMountPath");
	mnt = v ? json_string_value(v) : "/mnt/efs";
	if (!json_object_get(x, "Arn"))
		bad(c, "%s: %s", where, EFS_CREATE);
	else if (!arn || !is_access_point(arn))
		bad(c, "%s.Arn: not an EFS access point ARN (arn:aws:elasticfilesystem:<region>:"
		    "<account>:access-point/fsap-…)", where);
	if (!mnt || !is_mount_path(mnt))
		bad(c, "%s.LocalMountPath: must be /mnt/<name> (letters, digits, '-', '_', '.')",
		    where);
	if (c->count != bad_before)
		return NULL;
	return json_pack("{s:s, s:s}", "Arn", arn, "LocalMountPath", mnt);
}

/* efs_config → [{"Arn", "LocalMountPath"}]: Lambda's FileSystemConfigs, inside the VPC. */
static void normalize_efs(struct ctx *c, json_t *st)
{
	json_t *v = json_object_get(st, "efs_config"), *list, *out, *x, *one;
	json_t *vpc = json_object_get(st, "vpc_config");
	int bad_before = c->count;
	size_t i;

	if (!v || !honoured_by(settings_key_find("efs_config"), c->pv) ||
	    !(json_is_boolean(v) || json_is_object(v) || json_is_array(v)))
		return;   /* the type and provider checks report it */
	c->key = "efs_config";
	if (json_is_false(v) || (json_is_array(v) && !json_array_size(v))) {
		json_object_del(st, "efs_config");
		return;
	}
	if (json_is_true(v)) {
		bad(c, "efs_config: %s", EFS_CREATE);
		return;
	}
	list = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
	out = json_array();
	if (json_array_size(list) > 1)
		bad(c, "efs_config: Lambda mounts one file system per function (FileSystemConfigs "
		    "takes one entry), not %zu", json_array_size(list));
	json_array_foreach(list, i, x)
		if ((one = efs_entry(c, i, x)))
			json_array_append_new(out, one);
	if (!json_array_size(json_object_get(vpc, "SubnetIds")) ||
	    !json_array_size(json_object_get(vpc, "SecurityGroupIds")))
		bad(c, "efs_config needs vpc_config with SubnetIds and SecurityGroupIds: Lambda "
		    "reaches the file system's mount targets through the VPC");
	if (c->count == bad_before)
		json_object_set(st, "efs_config", out);
	json_decref(out);
	json_decref(list);
	c->key = NULL;
}

/* Zappa's shorthand forms, rewritten to the one form providers read. */
static void normalize(struct ctx *c, json_t *st)
{
	json_t *v = json_object_get(st, "ephemeral_storage");

	if (json_is_object(v)) {
		json_t *size = json_object_get(v, "Size");
		char *val = show(v);

		c->key = "ephemeral_storage";
		if (json_object_size(v) == 1 && json_is_integer(size))
			json_object_set(st, "ephemeral_storage", size);
		else
			bad(c, "ephemeral_storage: expected {\"Size\": MB} (Zappa) or MB, got %s", val);
		free(val);
		c->key = NULL;
	}
	normalize_efs(c, st);
}

/* ---- resolution --------------------------------------------------------- */

static int provider_index(const char *name)
{
	int i;

	for (i = 0; i < PV_COUNT; i++)
		if (!strcmp(settings_provider_names[i], name))
			return i;
	return -1;
}

char *settings_default_project_name(const char *dir)
{
	char *slug = str_slug(path_base(dir));
	size_t n = strlen(slug);

	if (n > 15)
		n = 15;
	while (n && slug[n - 1] == '-')
		n--;
	slug[n] = '\0';
	if (!*slug) {
		free(slug);
		slug = xstrdup("hoist-app");
	}
	return slug;
}

static void drop_nulls(json_t *st)
{
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(st, tmp, key, v)
		if (json_is_null(v))
			json_object_del(st, key);
}

static int apply_region(struct ctx *c, json_t *st)
{
	json_t *aws = json_object_get(st, "aws_region"), *reg = json_object_get(st, "region");

	c->key = "aws_region";
	if (!aws)
		return HOIST_OK;
	if (!json_is_string(aws))
		return type_error(c, "aws_region", T_STR, aws);
	if (reg && !json_equal(reg, aws))
		return bad(c, "aws_region (%s) and region (%s) disagree; keep one of them",
			   json_string_value(aws), json_is_string(reg) ? json_string_value(reg) : "?");
	if (!reg && c->pv == PV_AWS)
		json_object_set(st, "region", aws);
	return HOIST_OK;
}

static void apply_defaults(const struct settings *s, int pv, json_t *st)
{
	size_t i;

	for (i = 0; i < settings_keys_count; i++) {
		const struct settings_key *k = &settings_keys[i];
		const char *d = default_of(k, pv);

		if (d && !json_object_get(st, k->name))
			json_object_set_new(st, k->name, json_loads(d, JSON_DECODE_ANY, NULL));
	}
	if (!json_object_get(st, "project_name")) {
		char *p = settings_default_project_name(s->dir);

		json_object_set_new(st, "project_name", json_string(p));
		free(p);
	}
}

static int check_function_name(struct ctx *c, json_t *st)
{
	char *raw = xasprintf("%s-%s", json_string_value(json_object_get(st, "project_name")),
			      c->stage);
	char *fn = str_slug(raw);
	size_t n = strlen(fn), max = c->pv == PV_TENCENT ? 60 : 64;
	int rc = HOIST_OK;

	if (n > max)
		rc = bad(c, "the function name '%s' is %zu characters; %s allows %zu: shorten "
			 "project_name or the stage name", fn, n, settings_provider_names[c->pv], max);
	free(raw);
	free(fn);
	return rc;
}

/*
 * What a tencent stage can ask of SCF, beyond the key table: the Python
 * runtimes SCF offers (Python3.9 and Python3.10 in its API model), a CMQ
 * dead-letter target (SCF's only kind), layers as "name:version", and the
 * VPC by VpcId + SubnetId.
 */
/*
 * tencent's tasks: no SNS (a task is an SCF Invoke), and remote_env names a
 * COS bucket by its full name, <bucket>-<appid>.
 */
static void check_tencent_tasks(struct ctx *c, json_t *st)
{
	const char *src = json_string_value(json_object_get(st, "async_source"));
	const char *env = json_string_value(json_object_get(st, "remote_env"));
	const char *b = env && str_starts(env, "cos://") ? env + 6 : NULL;
	size_t blen = b ? strcspn(b, "/") : 0, digits = 0;

	c->key = "async_source";
	if (src && !strcmp(src, "sns"))
		bad(c, "async_source: \"sns\" is not available on tencent: Tencent Cloud has no SNS; "
		    "tasks are SCF Invoke calls with InvocationType Event (remove the key or set "
		    "it to \"lambda\")");
	while (digits < blen && isdigit((unsigned char)b[blen - 1 - digits]))
		digits++;
	c->key = "remote_env";
	if (b && (!digits || digits + 1 >= blen || b[blen - 1 - digits] != '-'))
		bad(c, "remote_env: '%s' does not name a COS bucket as <bucket>-<appid> "
		    "(e.g. cos://config-1250000000/app.json)", env);
}

static void check_tencent(struct ctx *c, json_t *st)
{
	const char *rt = json_string_value(json_object_get(st, "runtime"));
	const char *dlq = json_string_value(json_object_get(st, "dead_letter_arn"));
	const json_t *vpc = json_object_get(st, "vpc_config"), *l;
	size_t i;

	c->key = "runtime";
	if (rt && strcmp(rt, "python3.9") && strcmp(rt, "python3.10"))
		bad(c, "runtime: %s is not offered by Tencent SCF, whose Python runtimes are "
		    "python3.9 and python3.10", rt);
	c->key = "dead_letter_arn";
	if (dlq && !(str_starts(dlq, "qcs::cmq:") && (strstr(dlq, ":queueName/") ||
						     strstr(dlq, ":topicName/"))))
		bad(c, "dead_letter_arn: '%s' is not something SCF can deliver failed "
		    "invocations to; SCF's dead-letter queue is a CMQ queue or topic, e.g. "
		    "qcs::cmq:ap-guangzhou:uin/100000000001:queueName/my-dlq", dlq);
	c->key = "layers";
	json_array_foreach(json_object_get(st, "layers"), i, l) {
		const char *s = json_string_value(l), *colon = s ? strrchr(s, ':') : NULL;

		size_t name = colon ? (size_t)(colon - s) : 0;

		if (!colon || !name || name > 64 || !isalpha((unsigned char)s[0]) ||
		    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") <
		    name || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
			bad(c, "layers[%zu]: '%s' is not an SCF layer as name:version "
			    "(e.g. \"flask-deps:3\")", i, s ? s : "?");
	}
	c->key = "vpc_config";
	if (json_object_size(vpc) && (json_object_get(vpc, "SubnetIds") ||
				      json_object_get(vpc, "SecurityGroupIds") ||
				      !json_object_get(vpc, "VpcId") ||
				      !json_object_get(vpc, "SubnetId")))
		bad(c, "vpc_config: a tencent stage takes {\"VpcId\": \"vpc-…\", "
		    "\"SubnetId\": \"subnet-…\"} (SCF's VpcConfig); SubnetIds and "
		    "SecurityGroupIds are AWS's");
	check_tencent_tasks(c, st);
	c->key = NULL;
}

/* Every key, each problem recorded (ctx): the caller reports them all at once. */
static void validate(struct ctx *c, json_t *st)
{
	const char *key;
	json_t *v;
	const struct settings_key *k;

	json_object_foreach(st, key, v) {
		k = settings_key_find(key);
		c->key = key;
		if (k && !from_alias(c, st, key))
			check_key(c, k, v);
	}
	c->key = NULL;
	if (!json_object_get(st, "app_function") && !json_object_get(st, "django_settings"))
		bad(c, "missing app_function: set it to your WSGI/ASGI app as module.attribute "
		    "(e.g. \"app_function\": \"app.app\"), or set django_settings");
	if (c->pv == PV_TENCENT)
		check_tencent(c, st);
	c->key = "project_name";
	check_function_name(c, st);
	c->key = NULL;
}

static json_t *merge_chain(const struct settings *s, const char **chain, size_t n)
{
	json_t *st = json_object(), *obj;
	size_t i;

	for (i = n; i-- > 0;) {
		obj = json_object_get(s->root, chain[i]);
		warn_unknown_keys(s, chain[i], obj);
		json_object_update(st, obj);
	}
	json_object_del(st, "extends");
	return st;
}

int settings_resolve(const struct settings *s, const char *stage, json_t **out, struct herr *e)
{
	const char *chain[MAX_CHAIN];
	struct ctx c = { .s = s, .stage = stage, .pv = PV_AWS, .e = e, .chain = chain };
	json_t *st, *prov;
	size_t n;
	int rc;

	*out = NULL;
	if (!json_object_get(s->root, stage))
		return settings_pick_stage(s, stage, &stage, e);
	rc = build_chain(s, stage, chain, &n, e);
	if (rc)
		return rc;
	c.nchain = n;
	sbuf_init(&c.problems);
	st = merge_chain(s, chain, n);
	drop_nulls(st);
	prov = json_object_get(st, "provider");
	c.key = "provider";
	if (prov && !json_is_string(prov))
		type_error(&c, "provider", T_STR, prov);
	else if (prov && provider_index(json_string_value(prov)) < 0)
		check_choice(&c, "provider", "aws|aliyun|tencent|local", prov);
	else if (prov)
		c.pv = provider_index(json_string_value(prov));
	c.key = NULL;
	if (!c.count) {   /* an unknown provider: its keys cannot be judged */
		apply_region(&c, st);
		c.key = NULL;
		apply_aliases(&c, st);
		apply_defaults(s, c.pv, st);
		normalize(&c, st);
		validate(&c, st);
	}
	rc = problems(&c);
	sbuf_free(&c.problems);
	if (rc) {
		json_decref(st);
		return rc;
	}
	*out = st;
	return HOIST_OK;
}

/* ---- typed reads -------------------------------------------------------- */

const char *settings_str(const json_t *st, const char *key)
{
	return json_string_value(json_object_get(st, key));
}

long long settings_int(const json_t *st, const char *key, long long dflt)
{
	json_t *v = json_object_get(st, key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

bool settings_bool(const json_t *st, const char *key, bool dflt)
{
	json_t *v = json_object_get(st, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *settings_strmap(const json_t *st, const char *key)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach(json_object_get(st, key), k, v)
		if (json_is_string(v))
			json_object_set(out, k, v);
	return out;
}

json_t *settings_strlist(const json_t *st, const char *key)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(st, key), i, v)
		if (json_is_string(v))
			json_array_append(out, v);
	return out;
}
