/*
 * registry.c — the table of providers.  One line per platform.
 */
#include "provider.h"

#include "../core/settings_keys.h"

#include <string.h>

extern const struct provider aws_provider;
extern const struct provider aliyun_provider;
extern const struct provider tencent_provider;
extern const struct provider local_provider;

const struct provider *const hoist_providers[] = {
	&aws_provider,
	&aliyun_provider,
	&tencent_provider,
	&local_provider,
	NULL,
};

const struct provider *provider_find(const char *name)
{
	const struct provider *const *p;

	for (p = hoist_providers; name && *p; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

const struct settings_honour *settings_provider_table(const char *name)
{
	const struct provider *p = provider_find(name);

	return p ? p->settings : NULL;
}
