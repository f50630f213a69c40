/*
 * pkg_check.c — is a given archive (deploy/update --zip FILE) a hoist
 * package for this stage?  A zip with hoist_handler.py and hoist_settings.py
 * at its root whose settings module names the stage's function: checked
 * before anything is changed, so a wrong file is a usage error (exit 2).
 */
#include "package.h"

#include "err.h"
#include "stage.h"
#include "str.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define MAX_SETTINGS_MODULE (4u << 20)

/* The value of `FUNCTION_NAME = "…"` in the settings module (allocated), or NULL. */
static char *function_of(const char *module, size_t n)
{
	const char *p = module, *end = module + n;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		static const char key[] = "FUNCTION_NAME = ";

		if (len > sizeof(key) - 1 && !strncmp(p, key, sizeof(key) - 1)) {
			json_t *v = json_loadb(p + sizeof(key) - 1, len - (sizeof(key) - 1),
					       JSON_DECODE_ANY, NULL);
			char *s = json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;

			json_decref(v);
			return s;
		}
		p += len + 1;
	}
	return NULL;
}

/* The sum of the entries' unpacked sizes. */
static unsigned long long unzipped(zip_t *za)
{
	zip_int64_t n = zip_get_num_entries(za, 0), i;
	unsigned long long total = 0;
	zip_stat_t zs;

	for (i = 0; i < n; i++)
		if (zip_stat_index(za, (zip_uint64_t)i, 0, &zs) == 0 && (zs.valid & ZIP_STAT_SIZE))
			total += zs.size;
	return total;
}

int package_check_zip(const char *path, const struct stage *st,
		      const struct package_limits *lim, struct herr *e)
{
	zip_t *za;
	zip_stat_t zs;
	zip_file_t *zf = NULL;
	char *text = NULL, *fn = NULL;
	unsigned long long total;
	int err = 0, rc = HOIST_OK;

	za = zip_open(path, ZIP_RDONLY, &err);
	if (!za)
		return herr_set(e, HOIST_USAGE, "--zip %s: not a zip archive; build the package with "
				"'hoist package %s'", path, st->name);
	if (zip_name_locate(za, "hoist_handler.py", 0) < 0 ||
	    zip_stat(za, "hoist_settings.py", 0, &zs) != 0) {
		rc = herr_set(e, HOIST_USAGE, "--zip %s: not a hoist package (no hoist_handler.py "
			      "and hoist_settings.py at its root); build it with 'hoist package %s'",
			      path, st->name);
		goto out;
	}
	if (zs.size > MAX_SETTINGS_MODULE || !(zf = zip_fopen(za, "hoist_settings.py", 0))) {
		rc = herr_set(e, HOIST_USAGE, "--zip %s: cannot read its hoist_settings.py", path);
		goto out;
	}
	text = xmalloc(zs.size + 1);
	if (zip_fread(zf, text, zs.size) != (zip_int64_t)zs.size) {
		rc = herr_set(e, HOIST_USAGE, "--zip %s: cannot read its hoist_settings.py", path);
		goto out;
	}
	fn = function_of(text, zs.size);
	total = unzipped(za);
	if (!fn || strcmp(fn, st->function_name))
		rc = herr_set(e, HOIST_USAGE, "--zip %s was built for function '%s', not for stage "
			      "'%s' (%s); build it with 'hoist package %s'", path, fn ? fn : "?",
			      st->name, st->function_name, st->name);
	else if (lim && lim->unzipped && total > lim->unzipped)
		rc = herr_set(e, HOIST_USAGE, "--zip %s is %llu bytes unzipped; %s allows %llu "
			      "bytes unzipped (hoist package builds a slim bundle where the "
			      "provider has one)", path, total, st->provider ? st->provider : "aws",
			      lim->unzipped);
out:
	if (zf)
		zip_fclose(zf);
	zip_discard(za);
	free(text);
	free(fn);
	return rc;
}
