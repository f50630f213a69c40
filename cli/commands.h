/*
 * commands.h — one prototype per command; each lives in cli/cmd_<name>.c
 * and has one line in the table in cli/main.c.  A command's options are a
 * file-scope `const struct opt <name>_opts[]` (their values in file-scope
 * statics) declared here and named in the table, so help and the completion
 * scripts are generated from the same table the parser uses.
 */
#ifndef HOIST_COMMANDS_H
#define HOIST_COMMANDS_H

#include "cli.h"

int cmd_help(const struct cmd *self, int argc, char **argv);
int cmd_version(const struct cmd *self, int argc, char **argv);
int cmd_settings(const struct cmd *self, int argc, char **argv);
int cmd_init(const struct cmd *self, int argc, char **argv);
extern const struct opt init_opts[];  /* cli/cmd_init.c */
int cmd_package(const struct cmd *self, int argc, char **argv);
extern const struct opt package_options[];  /* cli/cmd_package.c */
int cmd_completion(const struct cmd *self, int argc, char **argv);
extern const struct opt completion_opts[];

/* provider-generic commands (cli/cmd_<name>.c, shared helpers in cli/stage_ops.c) */
int cmd_deploy(const struct cmd *self, int argc, char **argv);
extern const struct opt deploy_opts[];
int cmd_update(const struct cmd *self, int argc, char **argv);
extern const struct opt update_opts[];
int cmd_status(const struct cmd *self, int argc, char **argv);
extern const struct opt status_opts[];
int cmd_tail(const struct cmd *self, int argc, char **argv);
extern const struct opt tail_opts[];
int cmd_schedule(const struct cmd *self, int argc, char **argv);
int cmd_unschedule(const struct cmd *self, int argc, char **argv);
int cmd_invoke(const struct cmd *self, int argc, char **argv);
extern const struct opt invoke_opts[];
int cmd_manage(const struct cmd *self, int argc, char **argv);
int cmd_rollback(const struct cmd *self, int argc, char **argv);
extern const struct opt rollback_opts[];
int cmd_certify(const struct cmd *self, int argc, char **argv);
extern const struct opt certify_opts[];
int cmd_request(const struct cmd *self, int argc, char **argv);
extern const struct opt request_opts[];
int cmd_undeploy(const struct cmd *self, int argc, char **argv);
extern const struct opt undeploy_opts[];

#endif
