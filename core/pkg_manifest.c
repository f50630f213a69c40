/*
 * pkg_manifest.c — the list of a package's entries for the pre-flight
 * (core/preflight.c), known once the file list is and before anything is
 * compressed, so the app can be imported while the zip is made.
 *
 * The key comes first (a list that passed before needs no manifest): the
 * SHA-256 of every entry's name, file, size, mtime, ctime, inode, device and
 * mode (a generated entry's content hash instead; for hoist_settings.py the
 * caller's, which leaves the stage's name out): any change to what the
 * package would hold, but for the stage's name, changes it.
 *
 * The manifest is "name NUL file NUL" for each entry, in archive order:
 * the file on disk, or for a generated entry (hoist_handler.py,
 * hoist_settings.py, ...) a private copy under gen_dir/<its SHA-256>/name,
 * written once per content (so its compiled code is reused too).
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
static char *generated_copy(const char *gen_dir, const struct pkg_entry *en)
{
	char hex[65], *dir, *file, *sub;

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

void pkg_manifest_key(const struct pkg_list *const *lists, size_t nlists,
		      const char *settings_key, char key[65])
{
	struct sbuf k;
	size_t i, j;

	sbuf_init(&k);
	for (i = 0; i < nlists; i++)
		for (j = 0; j < lists[i]->n; j++) {
			const struct pkg_entry *en = &lists[i]->v[j];
			char hex[65];

			sbuf_add(&k, en->arc, strlen(en->arc) + 1);
			if (en->src) {   /* binary, not printf: thousands of entries per run */
				unsigned long long st[6] = {
					en->size, (unsigned long long)en->stamp.mtime_ns,
					(unsigned long long)en->stamp.ctime_ns, en->stamp.ino,
					en->stamp.dev, en->mode,
				};

				sbuf_add(&k, en->src, strlen(en->src) + 1);
				sbuf_add(&k, st, sizeof(st));
			} else {
				const char *h = settings_key && !strcmp(en->arc, "hoist_settings.py")
						? settings_key : hex;

				if (h == hex)
					digest_sha256_hex(en->data, (size_t)en->size, hex);
				sbuf_add(&k, h, 65);
			}
		}
	digest_sha256_hex(k.s ? k.s : "", k.len, key);
	sbuf_free(&k);
}

int pkg_manifest_write(const struct pkg_list *const *lists, size_t nlists, const char *path,
		       const char *gen_dir, struct herr *e)
{
	struct sbuf m;
	size_t i, j;
	int rc = HOIST_OK;

	sbuf_init(&m);
	for (i = 0; i < nlists && !rc; i++)
		for (j = 0; j < lists[i]->n; j++) {
			const struct pkg_entry *en = &lists[i]->v[j];
			char *copy = NULL;
			const char *file = en->src;

			if (!file && !(file = copy = generated_copy(gen_dir, en))) {
				rc = herr_set(e, HOIST_FAIL, "cannot write %s under %s", en->arc,
					      gen_dir);
				break;
			}
			sbuf_add(&m, en->arc, strlen(en->arc) + 1);
			sbuf_add(&m, file, strlen(file) + 1);
			free(copy);
		}
	if (!rc)
		rc = path_write_scratch(path, m.s ? m.s : "", m.len, e);
	sbuf_free(&m);
	return rc;
}
