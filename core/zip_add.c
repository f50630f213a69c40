/*
 * zip_add.c — a copy of a zip with one more file (see zip_add.h), with
 * libzip: the copy is made by streaming the file, then the entry is added
 * in place; libzip rewrites the archive copying the other entries'
 * compressed data as they are.
 */
#include "zip_add.h"

#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zip.h>

static int copy_file(const char *src, const char *dst, struct herr *e)
{
	FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
	char buf[65536];
	size_t n;
	int rc = HOIST_OK;

	if (!in || !out) {
		rc = herr_set(e, HOIST_FAIL, "cannot copy %s to %s: %s", src, dst, strerror(errno));
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", dst, strerror(errno));
			break;
		}
out:
	if (out && fclose(out) && !rc)
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", dst, strerror(errno));
	if (in)
		fclose(in);
	return rc;
}

int zip_add_copy(const char *src, const char *dst, const char *name, const char *data,
		 size_t len, bool *had, struct herr *e)
{
	zip_t *za;
	zip_source_t *zs;
	zip_int64_t idx;
	int err = 0, rc;

	*had = false;
	za = zip_open(src, ZIP_RDONLY, &err);
	if (!za)
		return herr_set(e, HOIST_FAIL, "cannot open %s as a zip (libzip error %d)", src, err);
	*had = zip_name_locate(za, name, 0) >= 0;
	zip_discard(za);
	if (*had)
		return HOIST_OK;
	if ((rc = copy_file(src, dst, e)) != HOIST_OK)
		return rc;
	za = zip_open(dst, 0, &err);
	if (!za)
		return herr_set(e, HOIST_FAIL, "cannot open %s as a zip (libzip error %d)", dst, err);
	zs = zip_source_buffer(za, data, len, 0);
	idx = zs ? zip_file_add(za, name, zs, ZIP_FL_ENC_UTF_8) : -1;
	if (idx < 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot add %s to %s: %s", name, dst,
			      zip_strerror(za));
		zip_source_free(zs);
		zip_discard(za);
		return rc;
	}
	zip_file_set_mtime(za, (zip_uint64_t)idx, 315532800, 0);   /* 1980-01-01, as package */
	zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
					 (zip_uint32_t)0100644 << 16);
	if (zip_close(za) < 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", dst, zip_strerror(za));
		zip_discard(za);
		return rc;
	}
	return HOIST_OK;
}
