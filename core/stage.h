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

/*
 * The errors every cloud's deploy and update give about the stage's state:
 * HOIST_FAIL "stage 'dev' is not deployed: there is no <what> <fn> in
 * <region>" hinting at deploy; HOIST_FAIL "stage 'dev' is already deployed
 * at <where>; did you mean 'hoist update dev'?"; and the hint a deploy that
 * failed half-way adds (what it created stays; a re-run finishes it).
 */
int stage_not_deployed(struct herr *e, const struct stage *st, const char *what,
		       const char *region);
int stage_already_deployed(struct herr *e, const struct stage *st, const char *where);
int stage_deploy_kept_hint(struct herr *e, const struct stage *st);

#endif
