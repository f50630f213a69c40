/*
 * templates.h — the files of templates/<dir>/, compiled into the binary so
 * an installed hoist needs nothing beside itself.  Generated at build time by
 * templates/embed.c.
 */
#ifndef HOIST_TEMPLATES_H
#define HOIST_TEMPLATES_H

#include <stddef.h>

struct template_file {
	const char *name;            /* path below templates/, e.g. "python/hoist_handler.py" */
	const unsigned char *data;
	size_t len;
};

extern const struct template_file hoist_templates[];
extern const size_t hoist_templates_count;

/* The template called `name`, or NULL. */
const struct template_file *template_find(const char *name);

#endif
