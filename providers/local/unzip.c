/*
 * unzip.c — unpack a package into a version directory (libzip), refusing
 * entries that would land outside it.
 */
#include "local.h"

#include "../../core/err.h"
#include "../../core/path.h"
#include "../../core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

static bool safe_name(const char *n)
{
	const char *p = n;

	if (!*n || n[0] == '/')
		return false;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && !strncmp(p, "..", 2))
			return false;
		p += len;
		if (*p == '/')
			p++;
	}
	return true;
}

static int extract_one(zip_t *z, zip_uint64_t i, const char *name, const char *dest,
		       struct herr *e)
{
	char *path = path_join(dest, name), *dir = path_dir(path), buf[65536];
	zip_uint8_t os;
	zip_uint32_t attr;
	mode_t mode = 0644;
	zip_file_t *zf = NULL;
	zip_int64_t n;
	int fd = -1, rc;

	rc = path_mkdirs(dir, e);
	if (rc)
		goto out;
	if (zip_file_get_external_attributes(z, i, 0, &os, &attr) == 0 && os == ZIP_OPSYS_UNIX &&
	    (attr >> 16) & 0111)
		mode = 0755;
	zf = zip_fopen_index(z, i, 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (!zf || fd < 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot unpack %s to %s: %s", name, path,
			      zf ? strerror(errno) : zip_strerror(z));
		goto out;
	}
	while ((n = zip_fread(zf, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", path, strerror(errno));
			goto out;
		}
	if (n < 0)
		rc = herr_set(e, HOIST_FAIL, "cannot unpack %s: %s", name, zip_file_strerror(zf));
out:
	if (zf)
		zip_fclose(zf);
	if (fd >= 0)
		close(fd);
	free(dir);
	free(path);
	return rc;
}

int local_unzip(const char *zip_path, const char *dest, struct herr *e)
{
	int err = 0, rc = HOIST_OK;
	zip_t *z = zip_open(zip_path, ZIP_RDONLY, &err);
	zip_int64_t n, i;

	if (!z) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, err);
		rc = herr_set(e, HOIST_FAIL, "cannot open %s: %s", zip_path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return rc;
	}
	rc = path_mkdirs(dest, e);
	n = zip_get_num_entries(z, 0);
	for (i = 0; i < n && !rc; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);

		if (!name || !safe_name(name)) {
			rc = herr_set(e, HOIST_FAIL, "%s: unsafe entry name '%s'", zip_path,
				      name ? name : "?");
		} else if (str_ends(name, "/")) {
			char *p = path_join(dest, name);

			rc = path_mkdirs(p, e);
			free(p);
		} else {
			rc = extract_one(z, (zip_uint64_t)i, name, dest, e);
		}
	}
	zip_discard(z);
	return rc;
}
