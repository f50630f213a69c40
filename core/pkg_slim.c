/*
 * pkg_slim.c — the project tarball of the slim bundle (libarchive).
 *
 * On AWS, a project too big for Lambda's unzipped limit (or `slim_handler:
 * true`) ships as a small handler zip plus this .tar.gz, which the handler
 * downloads from S3 and unpacks into /tmp at cold start.  Deterministic like
 * the zip: sorted entries, mtime 1980-01-01, uid/gid 0 with empty names,
 * modes 0644/0755, no gzip timestamp or file name.  Contents are streamed
 * in 64 KiB chunks to a temporary file that is renamed into place.
 */
#include "pkg.h"

#include "err.h"
#include "log.h"
#include "str.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EPOCH_1980 315532800
#define PKG_TAR_LEVEL "6"

static int copy_file(struct archive *a, const struct pkg_entry *en, struct herr *e)
{
	char buf[65536];
	unsigned long long left = en->size;
	int fd = open(en->src, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return herr_set(e, HOIST_USAGE, "cannot read %s: %s; nothing was uploaded", en->src,
				strerror(errno));
	while (left > 0) {
		n = read(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n <= 0) {
			close(fd);
			return herr_set(e, HOIST_FAIL, "%s changed while it was being packaged "
					"(%s); run the command again", en->src,
					n < 0 ? strerror(errno) : "file got shorter");
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			close(fd);
			return herr_set(e, HOIST_FAIL, "cannot write the slim bundle: %s",
					archive_error_string(a));
		}
		left -= (unsigned long long)n;
	}
	close(fd);
	return HOIST_OK;
}

static int add_entry(struct archive *a, struct archive_entry *ae, const struct pkg_entry *en,
		     struct herr *e)
{
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, en->arc);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, en->mode);
	archive_entry_set_size(ae, (la_int64_t)en->size);
	archive_entry_set_mtime(ae, EPOCH_1980, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_uname(ae, "");
	archive_entry_set_gname(ae, "");
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		return herr_set(e, HOIST_FAIL, "cannot add %s to the slim bundle: %s", en->arc,
				archive_error_string(a));
	return copy_file(a, en, e);
}

static struct archive *open_tar(const char *tmp, struct herr *e)
{
	struct archive *a = archive_write_new();

	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "compression-level", PKG_TAR_LEVEL) !=
		    ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		herr_set(e, HOIST_FAIL, "cannot create %s: %s", tmp, archive_error_string(a));
		archive_write_free(a);
		return NULL;
	}
	return a;
}

int pkg_write_tar(const char *path, const struct pkg_list *l, struct herr *e)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	struct archive *a;
	struct archive_entry *ae = NULL;
	size_t i;
	int rc = HOIST_OK;

	a = open_tar(tmp, e);
	if (!a) {
		rc = e->code;
		goto out;
	}
	ae = archive_entry_new();
	for (i = 0; i < l->n && !rc; i++) {
		if (!l->v[i].src)
			continue;
		rc = add_entry(a, ae, &l->v[i], e);
		out_progress("Packaging", i + 1, l->n);
	}
	out_progress_end();
	if (archive_write_close(a) != ARCHIVE_OK && !rc)
		rc = herr_set(e, HOIST_FAIL, "cannot write %s: %s", tmp, archive_error_string(a));
	archive_write_free(a);
	if (!rc && rename(tmp, path) != 0)
		rc = herr_set(e, HOIST_FAIL, "cannot rename %s to %s: %s", tmp, path,
			      strerror(errno));
	if (rc)
		unlink(tmp);
out:
	archive_entry_free(ae);
	free(tmp);
	return rc;
}
