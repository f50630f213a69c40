/*
 * settings.h — stage settings: find and parse the file, resolve `extends`,
 * apply defaults, validate every known key.
 *
 * The resolved stage is a jansson object (keys as in the file, Zappa names),
 * so `hoist settings` can print it and providers read keys by name.  All
 * validation happens here, once, before anything is changed anywhere.
 */
#ifndef HOIST_SETTINGS_H
#define HOIST_SETTINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct herr;

struct settings {
	json_t *root;   /* the file as parsed: one object per stage */
	char *path;     /* the file it came from */
	char *dir;      /* absolute project directory (the file's directory) */
	json_t *warned; /* warnings already given ("stage\tkey"), so --all says each once */
	json_t *where;  /* "stage", "stage\tkey" → [line, column] in the file (may be NULL) */
};

/*
 * Load `path`, or when NULL the first of hoist.json, zappa_settings.json,
 * zappa_settings.yml, zappa_settings.yaml in the current directory (a
 * zappa_settings.toml alone is refused by name).  Parse errors name
 * file:line:column (HOIST_USAGE).
 */
int settings_load(struct settings *s, const char *path, struct herr *e);

/*
 * The file as a JSON value: JSON, or YAML for .yml/.yaml (PyYAML's
 * meanings); .toml is refused.  Fills `where` (core/settings_file.c).
 */
int settings_file_read(const char *path, json_t **root, json_t *where, struct herr *e);
void settings_free(struct settings *s);

/* A stage name: 1-64 letters, digits, '_' or '-', not starting with '-' (an option). */
bool settings_valid_stage_name(const char *name);

/* Stage names in file order; *names is allocated (strings point into s). */
size_t settings_stage_names(const struct settings *s, const char ***names);

/*
 * The stage to act on: `arg` when given (must exist, else the stages are
 * listed), else the only stage in the file, else a usage error listing them.
 */
int settings_pick_stage(const struct settings *s, const char *arg, const char **stage,
			struct herr *e);

/*
 * The stage after `extends`, defaults and validation: a new reference the
 * caller owns.  Warnings (unknown keys, "did you mean") go to out_warn.
 * Every problem of the stage is reported at once, each as
 * "file[:line:col]: stage 'x': …" (HOIST_USAGE).
 */
int settings_resolve(const struct settings *s, const char *stage, json_t **out,
		     struct herr *e);

/*
 * The default project_name for a project directory: its name slugified and
 * cut to 15 characters ("hoist-app" when nothing is left); allocates.
 */
char *settings_default_project_name(const char *dir);

/* Typed reads from a resolved stage (defaults already applied). */
const char *settings_str(const json_t *st, const char *key);   /* NULL if absent/null */
long long settings_int(const json_t *st, const char *key, long long dflt);
bool settings_bool(const json_t *st, const char *key, bool dflt);
/* The string values of an object key ({} when absent) / a list key ([]); new references. */
json_t *settings_strmap(const json_t *st, const char *key);
json_t *settings_strlist(const json_t *st, const char *key);

#endif
