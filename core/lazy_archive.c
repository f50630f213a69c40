/*
 * lazy_archive.c — the libarchive functions hoist calls (core/pkg_slim.c: a
 * slim bundle's .tar.gz), opened on the first call (lazylib.h).
 */
#include <archive.h>
#include <archive_entry.h>

#include "lazylib.h"

static struct lazylib lib = LAZYLIB(LAZY_SONAME, "libarchive13");
_Static_assert(sizeof(LAZY_SONAME) > 1, "the Makefile found no soname for this library");
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct {
	__typeof__(&archive_write_data) archive_write_data;
	__typeof__(&archive_error_string) archive_error_string;
	__typeof__(&archive_write_new) archive_write_new;
	__typeof__(&archive_write_add_filter_gzip) archive_write_add_filter_gzip;
	__typeof__(&archive_write_set_filter_option) archive_write_set_filter_option;
	__typeof__(&archive_write_set_format_pax_restricted) archive_write_set_format_pax_restricted;
	__typeof__(&archive_write_open_filename) archive_write_open_filename;
	__typeof__(&archive_write_header) archive_write_header;
	__typeof__(&archive_write_close) archive_write_close;
	__typeof__(&archive_write_free) archive_write_free;
	__typeof__(&archive_entry_new) archive_entry_new;
	__typeof__(&archive_entry_clear) archive_entry_clear;
	__typeof__(&archive_entry_free) archive_entry_free;
	__typeof__(&archive_entry_set_pathname) archive_entry_set_pathname;
	__typeof__(&archive_entry_set_filetype) archive_entry_set_filetype;
	__typeof__(&archive_entry_set_perm) archive_entry_set_perm;
	__typeof__(&archive_entry_set_size) archive_entry_set_size;
	__typeof__(&archive_entry_set_mtime) archive_entry_set_mtime;
	__typeof__(&archive_entry_set_uid) archive_entry_set_uid;
	__typeof__(&archive_entry_set_gid) archive_entry_set_gid;
	__typeof__(&archive_entry_set_uname) archive_entry_set_uname;
	__typeof__(&archive_entry_set_gname) archive_entry_set_gname;
} f;

static void load(void)
{
	LAZYLIB_SYM(&lib, f, archive_write_data);
	LAZYLIB_SYM(&lib, f, archive_error_string);
	LAZYLIB_SYM(&lib, f, archive_write_new);
	LAZYLIB_SYM(&lib, f, archive_write_add_filter_gzip);
	LAZYLIB_SYM(&lib, f, archive_write_set_filter_option);
	LAZYLIB_SYM(&lib, f, archive_write_set_format_pax_restricted);
	LAZYLIB_SYM(&lib, f, archive_write_open_filename);
	LAZYLIB_SYM(&lib, f, archive_write_header);
	LAZYLIB_SYM(&lib, f, archive_write_close);
	LAZYLIB_SYM(&lib, f, archive_write_free);
	LAZYLIB_SYM(&lib, f, archive_entry_new);
	LAZYLIB_SYM(&lib, f, archive_entry_clear);
	LAZYLIB_SYM(&lib, f, archive_entry_free);
	LAZYLIB_SYM(&lib, f, archive_entry_set_pathname);
	LAZYLIB_SYM(&lib, f, archive_entry_set_filetype);
	LAZYLIB_SYM(&lib, f, archive_entry_set_perm);
	LAZYLIB_SYM(&lib, f, archive_entry_set_size);
	LAZYLIB_SYM(&lib, f, archive_entry_set_mtime);
	LAZYLIB_SYM(&lib, f, archive_entry_set_uid);
	LAZYLIB_SYM(&lib, f, archive_entry_set_gid);
	LAZYLIB_SYM(&lib, f, archive_entry_set_uname);
	LAZYLIB_SYM(&lib, f, archive_entry_set_gname);
}

static void ready(void)
{
	pthread_once(&once, load);
}

la_ssize_t archive_write_data(struct archive *a, const void *buf, size_t n)
{
	ready();
	return f.archive_write_data(a, buf, n);
}

const char *archive_error_string(struct archive *a)
{
	ready();
	return f.archive_error_string(a);
}

struct archive *archive_write_new(void)
{
	ready();
	return f.archive_write_new();
}

int archive_write_add_filter_gzip(struct archive *a)
{
	ready();
	return f.archive_write_add_filter_gzip(a);
}

int archive_write_set_filter_option(struct archive *a, const char *m, const char *o, const char *v)
{
	ready();
	return f.archive_write_set_filter_option(a, m, o, v);
}

int archive_write_set_format_pax_restricted(struct archive *a)
{
	ready();
	return f.archive_write_set_format_pax_restricted(a);
}

int archive_write_open_filename(struct archive *a, const char *file)
{
	ready();
	return f.archive_write_open_filename(a, file);
}

int archive_write_header(struct archive *a, struct archive_entry *ae)
{
	ready();
	return f.archive_write_header(a, ae);
}

int archive_write_close(struct archive *a)
{
	ready();
	return f.archive_write_close(a);
}

int archive_write_free(struct archive *a)
{
	ready();
	return f.archive_write_free(a);
}

struct archive_entry *archive_entry_new(void)
{
	ready();
	return f.archive_entry_new();
}

struct archive_entry *archive_entry_clear(struct archive_entry *ae)
{
	ready();
	return f.archive_entry_clear(ae);
}

void archive_entry_free(struct archive_entry *ae)
{
	ready();
	f.archive_entry_free(ae);
}

void archive_entry_set_pathname(struct archive_entry *ae, const char *p)
{
	ready();
	f.archive_entry_set_pathname(ae, p);
}

void archive_entry_set_filetype(struct archive_entry *ae, unsigned int t)
{
	ready();
	f.archive_entry_set_filetype(ae, t);
}

void archive_entry_set_perm(struct archive_entry *ae, __LA_MODE_T m)
{
	ready();
	f.archive_entry_set_perm(ae, m);
}

void archive_entry_set_size(struct archive_entry *ae, la_int64_t s)
{
	ready();
	f.archive_entry_set_size(ae, s);
}

void archive_entry_set_mtime(struct archive_entry *ae, time_t t, long ns)
{
	ready();
	f.archive_entry_set_mtime(ae, t, ns);
}

void archive_entry_set_uid(struct archive_entry *ae, la_int64_t id)
{
	ready();
	f.archive_entry_set_uid(ae, id);
}

void archive_entry_set_gid(struct archive_entry *ae, la_int64_t id)
{
	ready();
	f.archive_entry_set_gid(ae, id);
}

void archive_entry_set_uname(struct archive_entry *ae, const char *n)
{
	ready();
	f.archive_entry_set_uname(ae, n);
}

void archive_entry_set_gname(struct archive_entry *ae, const char *n)
{
	ready();
	f.archive_entry_set_gname(ae, n);
}
