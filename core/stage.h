/*
 * stage.h — one stage to act on: its name, resolved settings and the names
 * derived from them (the function name every provider uses).
 */
#ifndef HOIST_STAGE_H
#define HOIST_STAGE_H

#include <jansson.h>

struct herr;
struct settings;
struct stage_lock;

struct stage {
	char *name;            /* as written in the settings file */
	char *function_name;   /* slug(project_name + "-" + stage), "_" -> "-" */
	char *project_name;    /* resolved project_name */
	char *project_dir;     /* absolute project directory */
	char *settings_path;   /* the settings file */
	json_t *settings;      /* resolved (extends, defaults, validated); owned */
	const char *provider;  /* settings "provider" (points into settings) */
	struct stage_lock *lock;  /* commands that write: the stage lock (stagelock.h) */
};

/* Resolve stage `name` of `s` into `st`; st owns everything it points to. */
int stage_open(struct stage *st, const struct settings *s, const char *name, struct herr *e);
void stage_close(struct stage *st);

#endif
