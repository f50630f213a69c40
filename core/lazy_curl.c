/*
 * lazy_curl.c — the libcurl functions hoist calls (core/http.c), opened on
 * the first call (lazylib.h).
 */
#define CURL_DISABLE_TYPECHECK   /* curl_easy_setopt is defined here, not checked */
#include <curl/curl.h>

#include "lazylib.h"

#include <stdarg.h>

static struct lazylib lib = LAZYLIB(LAZY_SONAME, "libcurl4");
_Static_assert(sizeof(LAZY_SONAME) > 1, "the Makefile found no soname for this library");
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct {
	__typeof__(&curl_global_init) curl_global_init;
	__typeof__(&curl_easy_init) curl_easy_init;
	__typeof__(&curl_easy_setopt) curl_easy_setopt;
	__typeof__(&curl_easy_getinfo) curl_easy_getinfo;
	__typeof__(&curl_easy_perform) curl_easy_perform;
	__typeof__(&curl_easy_reset) curl_easy_reset;
	__typeof__(&curl_easy_cleanup) curl_easy_cleanup;
	__typeof__(&curl_easy_strerror) curl_easy_strerror;
	__typeof__(&curl_slist_append) curl_slist_append;
	__typeof__(&curl_slist_free_all) curl_slist_free_all;
	__typeof__(&curl_share_init) curl_share_init;
	__typeof__(&curl_share_setopt) curl_share_setopt;
	__typeof__(&curl_share_cleanup) curl_share_cleanup;
} f;

static void load(void)
{
	LAZYLIB_SYM(&lib, f, curl_global_init);
	LAZYLIB_SYM(&lib, f, curl_easy_init);
	LAZYLIB_SYM(&lib, f, curl_easy_setopt);
	LAZYLIB_SYM(&lib, f, curl_easy_getinfo);
	LAZYLIB_SYM(&lib, f, curl_easy_perform);
	LAZYLIB_SYM(&lib, f, curl_easy_reset);
	LAZYLIB_SYM(&lib, f, curl_easy_cleanup);
	LAZYLIB_SYM(&lib, f, curl_easy_strerror);
	LAZYLIB_SYM(&lib, f, curl_slist_append);
	LAZYLIB_SYM(&lib, f, curl_slist_free_all);
	LAZYLIB_SYM(&lib, f, curl_share_init);
	LAZYLIB_SYM(&lib, f, curl_share_setopt);
	LAZYLIB_SYM(&lib, f, curl_share_cleanup);
}

void lazy_curl_ready(void)
{
	pthread_once(&once, load);
}

CURLcode curl_global_init(long flags)
{
	lazy_curl_ready();
	return f.curl_global_init(flags);
}

CURL *curl_easy_init(void)
{
	lazy_curl_ready();
	return f.curl_easy_init();
}

/* The one argument after the option, by the option's type (as libcurl reads it). */
CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	lazy_curl_ready();
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = f.curl_easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_OFF_T)   /* objects, strings, lists, callbacks */
		rc = f.curl_easy_setopt(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = f.curl_easy_setopt(h, opt, va_arg(ap, curl_off_t));
	else
		rc = f.curl_easy_setopt(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	lazy_curl_ready();
	va_start(ap, info);
	rc = f.curl_easy_getinfo(h, info, va_arg(ap, void *));   /* always where to put it */
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *h)
{
	lazy_curl_ready();
	return f.curl_easy_perform(h);
}

void curl_easy_reset(CURL *h)
{
	lazy_curl_ready();
	f.curl_easy_reset(h);
}

void curl_easy_cleanup(CURL *h)
{
	lazy_curl_ready();
	f.curl_easy_cleanup(h);
}

const char *curl_easy_strerror(CURLcode code)
{
	lazy_curl_ready();
	return f.curl_easy_strerror(code);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	lazy_curl_ready();
	return f.curl_slist_append(l, s);
}

void curl_slist_free_all(struct curl_slist *l)
{
	lazy_curl_ready();
	f.curl_slist_free_all(l);
}

CURLSH *curl_share_init(void)
{
	lazy_curl_ready();
	return f.curl_share_init();
}

/* The one argument after the option: a long (what to share), else a function. */
CURLSHcode curl_share_setopt(CURLSH *sh, CURLSHoption opt, ...)
{
	va_list ap;
	CURLSHcode rc;

	lazy_curl_ready();
	va_start(ap, opt);
	if (opt == CURLSHOPT_SHARE || opt == CURLSHOPT_UNSHARE)
		rc = f.curl_share_setopt(sh, opt, va_arg(ap, long));
	else
		rc = f.curl_share_setopt(sh, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLSHcode curl_share_cleanup(CURLSH *sh)
{
	lazy_curl_ready();
	return f.curl_share_cleanup(sh);
}
