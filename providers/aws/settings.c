/*
 * settings.c — the settings keys the AWS provider declares itself (see
 * struct settings_honour in core/settings_keys.h): what it honours beyond
 * the central table.
 */
#include "aws.h"

#include "../../core/settings_keys.h"

#include <stddef.h>

const struct settings_honour aws_settings[] = {
	/* Lambda FileSystemConfigs (one EFS access point, inside vpc_config): ops.c, iam.c */
	{ .key = "efs_config", .honoured = 1 },
	{ .key = NULL },
};
