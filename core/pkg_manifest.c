/*
 * pkg_manifest.c — the list of a package's entries for the pre-flight
 * (core/preflight.c), written once the file list is known and before
 * anything is compressed, so the app can be imported while the zip is made.
 *
 * The manifest is "name NUL file NUL" for each entry, in archive order:
 * the file on disk, or for a generated entry (hoist_handler.py,
 * hoist_settings.py, ...) a private copy under gen_dir/<its SHA-256>/name,
 * written once per content (so its compiled code is reused too).  The key
 * is the SHA-256 of every entry's name, file, size, mtime, ctime, inode and
 * device (a generated entry's content hash instead; for hoist_settings.py
 * the caller's, which leaves the stage's name out): any change to what the
 * package would hold, but for the stage's name, changes it.
 */
#include "pkg.h"

#include "digest.h"
#include "err.h"
#include "path.h"
#include "str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The private copy of a generated entry (allocated), written if not there; NULL on failure. */
static char *generated_copy(const char *gen_dir, const struct pkg_entry *en, char hex[65])
{
	char *dir, *file, *sub;

	digest_sha256_hex(en->data, (size_t)en->size, hex);
	sub = xasprintf("%.32s", hex);
	dir = path_join(gen_dir, sub);
	file = path_join(dir, en->arc);
	free(sub);
	free(dir);
	if (access(file, R_OK) != 0) {
		char *parent = path_dir(file);
		int rc = path_mkdirs_mode(parent, 0700, NULL);

		free(parent);
		if (rc || path_write_private(file, en->data, (size_t)en->size, NULL)) {
			free(file);
			return NULL;
		}
	}
	return file;
}

int pkg_manifest_write(const struct pkg_list *const *lists, size_t nlists, const char *path,
		       const char *gen_dir, const char *settings_key, char key[65], struct herr *e)
{
	struct sbuf m, k;
	size_t i, j;
	int rc = HOIST_OK;

	sbuf_init(&m);
	sbuf_init(&k);
	for (i = 0; i < nlists && !rc; i++)
		for (j = 0; j < lists[i]->n; j++) {
			const struct pkg_entry *en = &lists[i]->v[j];
			char hex[65], *copy = NULL;

			if (!en->src && !(copy = generated_copy(gen_dir, en, hex))) {
				rc = herr_set(e, HOIST_FAIL, "cannot write %s under %s", en->arc,
					      gen_dir);
				break;
			}
			sbuf_add(&m, en->arc, strlen(en->arc) + 1);
			sbuf_add(&m, en->src ? en->src : copy, strlen(en->src ? en->src : copy) + 1);
			sbuf_add(&k, en->arc, strlen(en->arc) + 1);
			if (en->src) {
				sbuf_add(&k, en->src, strlen(en->src) + 1);
				sbuf_printf(&k, "%llu %lld %lld %llu %llu %o\n", en->size,
					    en->stamp.mtime_ns, en->stamp.ctime_ns, en->stamp.ino,
					    en->stamp.dev, en->mode);
			} else {
				sbuf_printf(&k, "generated %s\n", settings_key &&
					    !strcmp(en->arc, "hoist_settings.py") ? settings_key : hex);
			}
			free(copy);
		}
	if (!rc)
		rc = path_write_private(path, m.s ? m.s : "", m.len, e);
	if (!rc)
		digest_sha256_hex(k.s ? k.s : "", k.len, key);
	sbuf_free(&m);
	sbuf_free(&k);
	return rc;
}
