/*
 * unzip.c — fill a version directory: unpack a package (libzip), refusing
 * entries that would land outside it; or, for update --no-upload, link the
 * previous version's files and unpack only the regenerated settings module.
 */
#include "local.h"

#include "../../core/err.h"
#include "../../core/interrupt.h"
#include "../../core/path.h"
#include "../../core/str.h"

#include <dirent.h>
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
	mode_t mode = 0600;   /* the package holds the environment variables: this user only */
	zip_file_t *zf = NULL;
	zip_int64_t n;
	int fd = -1, rc;

	rc = path_mkdirs_mode(dir, 0700, e);
	if (rc)
		goto out;
	if (zip_file_get_external_attributes(z, i, 0, &os, &attr) == 0 && os == ZIP_OPSYS_UNIX &&
	    (attr >> 16) & 0111)
		mode = 0700;
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
	rc = path_mkdirs_mode(dest, 0700, e);
	n = zip_get_num_entries(z, 0);
	for (i = 0; i < n && !rc; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);

		if ((rc = intr_check(e)) != HOIST_OK)   /* a safe point between files */
			break;
		if (!name || !safe_name(name)) {
			rc = herr_set(e, HOIST_FAIL, "%s: unsafe entry name '%s'", zip_path,
				      name ? name : "?");
		} else if (str_ends(name, "/")) {
			char *p = path_join(dest, name);

			rc = path_mkdirs_mode(p, 0700, e);
			free(p);
		} else {
			rc = extract_one(z, (zip_uint64_t)i, name, dest, e);
		}
	}
	zip_discard(z);
	return rc;
}

int local_unzip_entry(const char *zip_path, const char *name, const char *dest,
		      struct herr *e)
{
	int err = 0, rc;
	zip_t *z = zip_open(zip_path, ZIP_RDONLY, &err);
	zip_int64_t i;
	char *path;

	if (!z)
		return herr_set(e, HOIST_FAIL, "cannot open %s (libzip error %d)", zip_path, err);
	i = zip_name_locate(z, name, 0);
	if (i < 0) {
		zip_discard(z);
		return herr_set(e, HOIST_FAIL, "%s has no %s", zip_path, name);
	}
	path = path_join(dest, name);
	unlink(path);   /* it may be a hard link into the previous version */
	free(path);
	rc = extract_one(z, (zip_uint64_t)i, name, dest, e);
	zip_discard(z);
	return rc;
}

/* One entry of local_link_tree: a directory recurses, a file is linked or copied. */
static int link_entry(const char *src, const char *dst, struct herr *e);

static int copy_file(const char *src, const char *dst, mode_t mode, struct herr *e)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = HOIST_OK;
	char buf[65536];
	ssize_t n;

	if (in >= 0)
		out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0777);
	if (in < 0 || out < 0) {
		rc = herr_set(e, HOIST_FAIL, "cannot copy %s to %s: %s", src, dst, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", dst, strerror(errno));
			goto out;
		}
	if (n < 0)
		rc = herr_set(e, HOIST_FAIL, "cannot read %s: %s", src, strerror(errno));
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

int local_link_tree(const char *src, const char *dst, struct herr *e)
{
	DIR *d;
	struct dirent *de;
	int rc = path_mkdirs_mode(dst, 0700, e);

	if (rc)
		return rc;
	d = opendir(src);
	if (!d)
		return herr_set(e, HOIST_FAIL, "cannot read %s: %s", src, strerror(errno));
	while (!rc && (de = readdir(d))) {
		char *s, *t;

		/* __pycache__: the old version's bytecode, possibly of the settings module */
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "__pycache__"))
			continue;
		s = path_join(src, de->d_name);
		t = path_join(dst, de->d_name);
		rc = link_entry(s, t, e);
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

static int link_entry(const char *src, const char *dst, struct herr *e)
{
	struct stat sb;
	char target[4096];
	ssize_t n;

	if (lstat(src, &sb) != 0)
		return herr_set(e, HOIST_FAIL, "cannot read %s: %s", src, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return local_link_tree(src, dst, e);
	if (S_ISLNK(sb.st_mode)) {
		n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return herr_set(e, HOIST_FAIL, "cannot read %s: %s", src, strerror(errno));
		target[n] = '\0';
		if (symlink(target, dst) != 0)
			return herr_set(e, HOIST_FAIL, "cannot create %s: %s", dst, strerror(errno));
		return HOIST_OK;
	}
	if (!S_ISREG(sb.st_mode))
		return HOIST_OK;
	/* versions are never written in place, so a hard link is a copy */
	if (link(src, dst) == 0)
		return HOIST_OK;
	return copy_file(src, dst, sb.st_mode, e);
}
