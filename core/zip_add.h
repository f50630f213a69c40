/*
 * zip_add.h — a copy of a finished archive with one more file in it.
 *
 * Used when hoist takes over a function another tool deployed: the first
 * code it sends carries a module under the old handler's name that hands
 * over to hoist's handler (providers/aws/ops.c).  The source archive is not
 * changed; its entries are copied without being recompressed.
 */
#ifndef HOIST_ZIP_ADD_H
#define HOIST_ZIP_ADD_H

#include <stdbool.h>
#include <stddef.h>

struct herr;

/*
 * dst = src + `name` holding data[len] (mode 0644, fixed time).  *had is true,
 * and nothing is written, when src already has `name`.
 */
int zip_add_copy(const char *src, const char *dst, const char *name, const char *data,
		 size_t len, bool *had, struct herr *e);

#endif
