/*
 * stage_ops.h — what the provider-generic commands (deploy, update, status,
 * tail, schedule, invoke, manage, rollback, undeploy, certify) share:
 * finding the stage's provider, packaging into a temporary directory,
 * printing a live URL per SPEC.md §1, splitting "[stage] args…".
 */
#ifndef HOIST_STAGE_OPS_H
#define HOIST_STAGE_OPS_H

#include "../core/package.h"

#include <jansson.h>
#include <stdbool.h>

struct herr;
struct provider;
struct stage_cmd;
struct stage;

/* The stage's provider, or a usage error. */
int cli_provider(const struct stage *st, const struct provider **p, struct herr *e);

/*
 * sc->run on one stage the way the command being run (cli_g.command) needs:
 * the commands that change a stage (deploy, update, schedule, unschedule,
 * certify, rollback, undeploy) hold the stage lock (core/stagelock.h)
 * around it, the others run it as is.
 */
int cli_run_locked(const struct stage_cmd *sc, struct stage *st, void *ctx, json_t **doc,
		   struct herr *e);

/* The error for a provider without this operation (exit 1). */
int cli_no_op(const struct provider *p, const char *cmd, struct herr *e);

struct deploy_args;
typedef int (*deploy_op)(const struct stage *st, const struct deploy_args *a, char **url,
			 struct herr *e);

/* A check that may refuse the stage before anything is packaged (deploy: deployed already?). */
typedef int (*deploy_check)(const struct stage *st, const struct provider *p, struct herr *e);

/*
 * deploy or update (`op`, announced by the step line `step`) with its
 * package: `zip` when given (--zip FILE), else a fresh one in a temporary
 * directory (the package cache when `cache`), built beside the provider's
 * first reads when the provider can (package_beside), else before.  With
 * `preflight`, the app must import from the package before the provider
 * gets it (core/preflight.h).  A package that failed, or its pre-flight, is
 * the error reported.  `check` (or NULL) comes first: nothing is packaged
 * or shown unless it passes; beside, the pre-flight's Python starts
 * meanwhile (package_job_start's `held`).
 */
int cli_deploy_run(const struct stage *st, const struct provider *p, const char *zip, bool cache,
		   bool preflight, deploy_check check, struct deploy_args *a, deploy_op op,
		   const char *step, char **url, struct herr *e);

/*
 * A live URL.  The document: {"stage", "url", "action"}, and "domain_url"
 * ("https://<domain>") when the stage sets `domain` (new reference).
 * For a human: on stdout the bare URL (so URL=$(hoist deploy dev) works) and
 * "<headline>: <url>" as the last line on stderr; when stdout is a terminal
 * only the headline line, on stdout.  An update of a stage with a domain
 * shows "https://<domain> (<url>)" there, as Zappa does.
 */
json_t *cli_live_doc(const char *action, const struct stage *st, const char *url);
void cli_show_live(const char *headline, json_t *doc);

/* A stage_cmd show() for commands whose human output is all on stderr. */
void cli_show_nothing(const struct stage *st, json_t *doc, void *ctx);

/*
 * For "[stage] rest…" commands: is pos[0] a stage of the settings file?
 * Then *stage = pos[0] and the rest follows; else the only stage is meant.
 */
int cli_split_stage(char **pos, int npos, const char **stage, char ***rest, int *nrest,
		    struct herr *e);

#endif
