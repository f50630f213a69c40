/*
 * settings_file.c — reading the settings file into a jansson object, the
 * way Zappa reads zappa_settings.{json,yml,yaml}: JSON (jansson) or YAML
 * (libyaml, with PyYAML's safe_load meanings: yes/no/on/off are booleans,
 * anchors, aliases and "<<" merge keys work).  TOML is refused by name.
 *
 * Besides the document it records where each stage and each stage's key is
 * written ("stage" and "stage\tkey" → [line, column], 1-based) so settings
 * errors can point at them, and it warns about duplicate keys (the last one
 * wins, as in Python).  JSON errors name what editors leave behind: a UTF-8
 * byte order mark, // or slash-star comments.
 */
#include "settings.h"

#include "err.h"
#include "log.h"
#include "path.h"
#include "str.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_SETTINGS_BYTES (16 << 20)
#define MAX_DEPTH 64

static int read_all(const char *path, char **data, size_t *len, struct herr *e)
{
	FILE *f = fopen(path, "rb");
	struct sbuf b;
	char buf[8192];
	size_t n;

	if (!f)
		return herr_set(e, HOIST_USAGE, "%s: cannot read the settings file: %s", path,
				strerror(errno));
	sbuf_init(&b);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		sbuf_add(&b, buf, n);
		if (b.len > MAX_SETTINGS_BYTES) {
			fclose(f);
			sbuf_free(&b);
			return herr_set(e, HOIST_USAGE, "%s: a settings file larger than %d MiB is "
					"surely not one", path, MAX_SETTINGS_BYTES >> 20);
		}
	}
	if (ferror(f)) {
		fclose(f);
		sbuf_free(&b);
		return herr_set(e, HOIST_USAGE, "%s: cannot read the settings file", path);
	}
	fclose(f);
	*len = b.len;
	*data = sbuf_detach(&b);
	if (!*data)
		*data = xstrdup("");
	return HOIST_OK;
}

static void note_where(json_t *where, const char *stage, const char *key, int line, int col)
{
	char *id = key ? xasprintf("%s\t%s", stage, key) : xstrdup(stage);

	json_object_set_new(where, id, json_pack("[i, i]", line, col));
	free(id);
}

/* ---- JSON --------------------------------------------------------------- */

/* A walk over text jansson already accepted: positions and duplicate keys. */
struct jscan {
	const char *p, *end, *path;
	int line, col;
	json_t *where;
};

static void js_adv(struct jscan *s)
{
	if (*s->p == '\n') {
		s->line++;
		s->col = 1;
	} else if (((unsigned char)*s->p & 0xC0) != 0x80) {
		s->col++;   /* columns count characters, as jansson's do */
	}
	s->p++;
}

static void js_ws(struct jscan *s)
{
	while (s->p < s->end && strchr(" \t\r\n", *s->p))
		js_adv(s);
}

/* The string at s->p, decoded (allocated). */
static char *js_string(struct jscan *s)
{
	const char *start = s->p;
	json_t *j;
	char *out;

	js_adv(s);
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\')
			js_adv(s);
		js_adv(s);
	}
	js_adv(s);
	j = json_loadb(start, (size_t)(s->p - start), JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	out = xstrdup(json_string_value(j) ? json_string_value(j) : "");
	json_decref(j);
	return out;
}

static void js_value(struct jscan *s, int depth, const char *stage);

static void js_object(struct jscan *s, int depth, const char *stage)
{
	json_t *seen = json_object();

	js_adv(s);
	for (js_ws(s); s->p < s->end && *s->p != '}'; js_ws(s)) {
		int line = s->line, col = s->col;
		char *key = js_string(s);

		if (json_object_get(seen, key)) {
			if (depth == 0)
				out_warn("%s:%d:%d: stage '%s' is defined twice; the last one is used",
					 s->path, line, col, key);
			else
				out_warn("%s:%d:%d: duplicate key '%s'%s%s%s; the last one is used",
					 s->path, line, col, key, stage ? " in stage '" : "",
					 stage ? stage : "", stage ? "'" : "");
		}
		json_object_set_new(seen, key, json_true());
		if (depth == 0)
			note_where(s->where, key, NULL, line, col);
		else if (depth == 1)
			note_where(s->where, stage, key, line, col);
		js_ws(s);
		js_adv(s);   /* ':' */
		js_ws(s);
		js_value(s, depth + 1, depth == 0 ? key : stage);
		free(key);
		js_ws(s);
		if (s->p < s->end && *s->p == ',')
			js_adv(s);
	}
	if (s->p < s->end)
		js_adv(s);
	json_decref(seen);
}

static void js_value(struct jscan *s, int depth, const char *stage)
{
	if (s->p >= s->end || depth > MAX_DEPTH)
		return;
	if (*s->p == '{') {
		js_object(s, depth, stage);
	} else if (*s->p == '[') {
		js_adv(s);
		for (js_ws(s); s->p < s->end && *s->p != ']'; js_ws(s)) {
			js_value(s, depth + 1, stage);
			js_ws(s);
			if (s->p < s->end && *s->p == ',')
				js_adv(s);
		}
		if (s->p < s->end)
			js_adv(s);
	} else if (*s->p == '"') {
		free(js_string(s));
	} else {
		while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
			js_adv(s);
	}
}

/* The first comment outside strings, as line:column; 0 when none. */
static int find_comment(const char *p, const char *end, int *line, int *col, char *kind)
{
	bool in_str = false;
	int l = 1, c = 1;

	for (; p < end; p++) {
		if (in_str) {
			if (*p == '\\' && p + 1 < end) {
				p++;
				c++;
			} else if (*p == '"') {
				in_str = false;
			}
		} else if (*p == '"') {
			in_str = true;
		} else if (*p == '/' && p + 1 < end && (p[1] == '/' || p[1] == '*')) {
			*line = l;
			*col = c;
			*kind = p[1];
			return 1;
		} else if (*p == '#') {
			*line = l;
			*col = c;
			*kind = '#';
			return 1;
		}
		if (*p == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)*p & 0xC0) != 0x80) {
			c++;
		}
	}
	return 0;
}

static int load_json(const char *path, const char *data, size_t len, json_t **root,
		     json_t *where, struct herr *e)
{
	json_error_t jerr;
	struct jscan s;
	int line, col;
	char kind;

	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		return herr_set(e, HOIST_USAGE, "%s:1:1: the file starts with a UTF-8 byte order "
				"mark (BOM), which JSON does not allow; save it as UTF-8 without "
				"a BOM", path);
	*root = json_loadb(data, len, 0, &jerr);
	if (!*root) {
		if (find_comment(data, data + len, &line, &col, &kind) &&
		    (line < jerr.line || (line == jerr.line && col <= jerr.column + 1)))
			return herr_set(e, HOIST_USAGE, "%s:%d:%d: %s comment: JSON has no comments; "
					"remove it (or write the settings as YAML, "
					"zappa_settings.yml, where '#' starts a comment)", path, line,
					col, kind == '/' ? "a '//'" : kind == '*' ? "a '/*'" :
					"a '#'");
		if (jerr.line <= 0)
			return herr_set(e, HOIST_USAGE, "%s: %s", path, jerr.text);
		return herr_set(e, HOIST_USAGE, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				jerr.text);
	}
	s = (struct jscan){ data, data + len, path, 1, 1, where };
	js_ws(&s);
	js_value(&s, 0, NULL);
	return HOIST_OK;
}

/* ---- YAML --------------------------------------------------------------- */

struct ydoc {
	yaml_parser_t parser;
	const char *path;
	json_t *anchors;   /* anchor name → value */
	json_t *where;
	struct herr *e;
};

static int y_error(struct ydoc *y)
{
	yaml_parser_t *p = &y->parser;

	if (p->context)
		return herr_set(y->e, HOIST_USAGE, "%s:%zu:%zu: %s %s", y->path,
				p->problem_mark.line + 1, p->problem_mark.column + 1, p->problem,
				p->context);
	return herr_set(y->e, HOIST_USAGE, "%s:%zu:%zu: %s", y->path, p->problem_mark.line + 1,
			p->problem_mark.column + 1, p->problem ? p->problem : "YAML error");
}

static bool y_match(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

/* Digits (with '_' separators) of the given base; at least one digit. */
static bool y_digits(const char *s, int base, long long *out)
{
	char buf[80];
	size_t n = 0;
	char *end;

	for (; *s; s++) {
		if (*s == '_')
			continue;
		if (n + 1 >= sizeof(buf))
			return false;
		buf[n++] = *s;
	}
	buf[n] = '\0';
	if (!n)
		return false;
	errno = 0;
	*out = strtoll(buf, &end, base);
	return !*end && errno != ERANGE;
}

/* Digits and '_' at *p, at least one (`min`); returns the end. */
static const char *y_run(const char *p, int min)
{
	const char *start = p;

	while (isdigit((unsigned char)*p) || *p == '_')
		p++;
	return p - start >= min ? p : NULL;
}

/*
 * PyYAML's float resolver (YAML 1.1) minus sexagesimal, .inf and .nan:
 * [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? or \.[0-9_]+([eE][-+][0-9]+)?
 */
static bool y_is_float(const char *s)
{
	const char *p = s;

	if (*p == '.') {
		p = y_run(p + 1, 1);
	} else {
		p += *p == '-' || *p == '+';
		if (!isdigit((unsigned char)*p))
			return false;
		p = y_run(p, 1);
		if (!p || *p != '.')
			return false;
		p = y_run(p + 1, 0);
	}
	if (p && (*p == 'e' || *p == 'E')) {
		if (p[1] != '-' && p[1] != '+')
			return false;
		p += 2;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p && !*p;
}

/* A plain scalar as PyYAML's safe_load resolves it (YAML 1.1). */
static json_t *y_plain(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "yes", "Yes", "YES", "true", "True", "TRUE", "on",
					     "On", "ON", NULL };
	static const char *const falses[] = { "no", "No", "NO", "false", "False", "FALSE", "off",
					      "Off", "OFF", NULL };
	const char *d = s + (*s == '-' || *s == '+');
	long long v;
	char *end;
	double f;

	if (y_match(s, nulls))
		return json_null();
	if (y_match(s, trues))
		return json_true();
	if (y_match(s, falses))
		return json_false();
	if (isdigit((unsigned char)*d)) {
		int neg = *s == '-';

		if (!strncmp(d, "0x", 2) && y_digits(d + 2, 16, &v))
			return json_integer(neg ? -v : v);
		if (!strncmp(d, "0b", 2) && y_digits(d + 2, 2, &v))
			return json_integer(neg ? -v : v);
		if (d[0] == '0' && d[1] && y_digits(d + 1, 8, &v))
			return json_integer(neg ? -v : v);
		if (y_digits(d, 10, &v) && (d[0] != '0' || !d[1]))
			return json_integer(neg ? -v : v);
	}
	/* .inf and .nan stay text: JSON has no such numbers */
	if (y_is_float(s)) {
		char buf[80];
		size_t n = 0;

		for (; *s && n + 1 < sizeof(buf); s++)
			if (*s != '_')
				buf[n++] = *s;
		buf[n] = '\0';
		f = strtod(buf, &end);
		if (!*end)
			return json_real(f);
	}
	return json_string(s);
}

static int y_node(struct ydoc *y, yaml_event_t *ev, int depth, const char *stage,
		  json_t **out);

/* The next event's node into *out (the event is consumed). */
static int y_next(struct ydoc *y, int depth, const char *stage, json_t **out)
{
	yaml_event_t ev;
	int rc;

	if (!yaml_parser_parse(&y->parser, &ev))
		return y_error(y);
	rc = y_node(y, &ev, depth, stage, out);
	yaml_event_delete(&ev);
	return rc;
}

/* "<<": merge a mapping (or a list of them) into obj, keys already set win. */
static int y_merge(struct ydoc *y, json_t *obj, json_t *v, size_t line)
{
	const char *k;
	json_t *x, *m;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			if (!json_object_get(obj, k))
				json_object_set(obj, k, x);
		return HOIST_OK;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (y_merge(y, obj, m, line))
				return HOIST_USAGE;
		return HOIST_OK;
	}
	return herr_set(y->e, HOIST_USAGE, "%s:%zu: a '<<' merge key needs a mapping (or a list of "
			"mappings) to merge", y->path, line);
}

static int y_mapping(struct ydoc *y, int depth, const char *stage, json_t *obj)
{
	json_t *seen = json_object(), *v = NULL;
	yaml_event_t ev;
	int rc = HOIST_OK;

	for (;;) {
		size_t line, col;
		bool merge;
		char *key;

		if (!yaml_parser_parse(&y->parser, &ev)) {
			rc = y_error(y);
			break;
		}
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		line = ev.start_mark.line + 1;
		col = ev.start_mark.column + 1;
		if (ev.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&ev);
			rc = herr_set(y->e, HOIST_USAGE, "%s:%zu:%zu: keys must be plain strings",
				      y->path, line, col);
			break;
		}
		key = xstrdup((const char *)ev.data.scalar.value);
		merge = !strcmp(key, "<<") && ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		yaml_event_delete(&ev);
		rc = y_next(y, depth + 1, depth == 0 ? key : stage, &v);
		if (!rc && merge)
			rc = y_merge(y, obj, v, line);
		else if (!rc) {
			if (json_object_get(seen, key))
				out_warn("%s:%zu:%zu: %s '%s'%s%s%s is defined twice; the last one is "
					 "used", y->path, line, col, depth == 0 ? "stage" : "key",
					 key, depth ? " in stage '" : "", depth ? stage : "",
					 depth ? "'" : "");
			json_object_set_new(seen, key, json_true());
			if (depth == 0)
				note_where(y->where, key, NULL, (int)line, (int)col);
			else if (depth == 1)
				note_where(y->where, stage, key, (int)line, (int)col);
			json_object_set(obj, key, v);
		}
		json_decref(v);
		v = NULL;
		free(key);
		if (rc)
			break;
	}
	json_decref(seen);
	return rc;
}

static int y_node(struct ydoc *y, yaml_event_t *ev, int depth, const char *stage,
		  json_t **out)
{
	const char *anchor = NULL;
	int rc = HOIST_OK;

	*out = NULL;
	if (depth > MAX_DEPTH)
		return herr_set(y->e, HOIST_USAGE, "%s:%zu: nested too deeply", y->path,
				ev->start_mark.line + 1);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		*out = json_deep_copy(json_object_get(y->anchors,
						      (const char *)ev->data.alias.anchor));
		if (!*out)
			return herr_set(y->e, HOIST_USAGE, "%s:%zu:%zu: unknown alias '*%s'", y->path,
					ev->start_mark.line + 1, ev->start_mark.column + 1,
					ev->data.alias.anchor);
		return HOIST_OK;
	case YAML_SCALAR_EVENT: {
		const char *v = (const char *)ev->data.scalar.value;
		const char *tag = (const char *)ev->data.scalar.tag;

		anchor = (const char *)ev->data.scalar.anchor;
		if (tag && !strcmp(tag, YAML_STR_TAG))
			*out = json_string(v);
		else if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			*out = json_stringn(v, ev->data.scalar.length);
		else
			*out = y_plain(v);
		if (!*out)
			return herr_set(y->e, HOIST_USAGE, "%s:%zu:%zu: not UTF-8 text", y->path,
					ev->start_mark.line + 1, ev->start_mark.column + 1);
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
		anchor = (const char *)ev->data.sequence_start.anchor;
		*out = json_array();
		for (;;) {
			yaml_event_t item;
			json_t *v = NULL;

			if (!yaml_parser_parse(&y->parser, &item)) {
				rc = y_error(y);
				break;
			}
			if (item.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&item);
				break;
			}
			rc = y_node(y, &item, depth + 1, stage, &v);
			yaml_event_delete(&item);
			if (rc)
				break;
			json_array_append_new(*out, v);
		}
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = (const char *)ev->data.mapping_start.anchor;
		*out = json_object();
		rc = y_mapping(y, depth, stage, *out);
		break;
	default:
		return herr_set(y->e, HOIST_USAGE, "%s:%zu:%zu: unexpected YAML event", y->path,
				ev->start_mark.line + 1, ev->start_mark.column + 1);
	}
	if (rc) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	if (anchor)
		json_object_set(y->anchors, anchor, *out);
	return HOIST_OK;
}

static int load_yaml(const char *path, const char *data, size_t len, json_t **root,
		     json_t *where, struct herr *e)
{
	struct ydoc y = { .path = path, .anchors = json_object(), .where = where, .e = e };
	yaml_event_t ev;
	int rc = HOIST_OK, docs = 0;

	*root = NULL;
	yaml_parser_initialize(&y.parser);
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)data, len);
	for (;;) {
		if (!yaml_parser_parse(&y.parser, &ev)) {
			rc = y_error(&y);
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			rc = herr_set(e, HOIST_USAGE, "%s:%zu: a second YAML document ('---'); the "
				      "settings are one document", path, ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_ALIAS_EVENT)
			rc = y_node(&y, &ev, 0, NULL, root);
		yaml_event_delete(&ev);
		if (rc)
			break;
	}
	yaml_parser_delete(&y.parser);
	json_decref(y.anchors);
	if (rc) {
		json_decref(*root);
		*root = NULL;
		return rc;
	}
	if (!*root)
		*root = json_object();   /* an empty document: "no stages" is reported later */
	return HOIST_OK;
}

/* ---- the file ----------------------------------------------------------- */

int settings_file_read(const char *path, json_t **root, json_t *where, struct herr *e)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*root = NULL;
	if (str_ends(path, ".toml"))
		return herr_set(e, HOIST_USAGE, "%s: TOML settings are not supported by hoist; "
				"write the same stages as JSON (hoist.json) or YAML "
				"(zappa_settings.yml)", path);
	rc = read_all(path, &data, &len, e);
	if (rc)
		return rc;
	if (str_ends(path, ".yml") || str_ends(path, ".yaml"))
		rc = load_yaml(path, data, len, root, where, e);
	else
		rc = load_json(path, data, len, root, where, e);
	free(data);
	return rc;
}
