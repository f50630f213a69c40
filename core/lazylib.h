/*
 * lazylib.h — shared libraries hoist opens when it first calls them, not
 * when it starts.  libcurl (the network), libxml2 (XML answers), libarchive
 * (slim bundles) and libmicrohttpd (the local gateway) bring some forty
 * shared objects between them; the dynamic loader took about 7 ms to map
 * and relocate them at every start, most of a `hoist package` of an
 * unchanged tree or a `hoist settings`, whether the run needed them or not.
 *
 * Each lazy_*.c defines the functions of one library that hoist calls, with
 * the library's own prototypes (its header, so the compiler checks them),
 * and forwards each call to the library, opened on the first one.  The
 * library's soname comes from the Makefile (LAZY_SONAME: the one the build
 * saw, as linking against it would have recorded).
 */
#ifndef HOIST_LAZYLIB_H
#define HOIST_LAZYLIB_H

#include <pthread.h>

struct lazylib {
	const char *soname;    /* e.g. "libcurl.so.4" */
	const char *package;   /* the Debian package that has it, for the message */
	void *handle;          /* once opened */
};

#define LAZYLIB(soname, package) { (soname), (package), NULL }

/*
 * The address of `name` in l (opened the first time); a library or symbol
 * that is not there ends hoist (exit 1) with a message naming the package
 * to install — as the dynamic loader would have at start.  Called from a
 * lazy_*.c file's load(), which its pthread_once runs once, so not twice
 * at a time for one library.
 */
void *lazylib_sym(struct lazylib *l, const char *name);

/*
 * Open the network's libraries (libcurl, libxml2) now: a process that
 * forks workers which will all call them (--all's stages) opens them once,
 * before forking, rather than once in each.
 */
void lazylib_preload_net(void);
void lazy_curl_ready(void);
void lazy_xml_ready(void);

/* libxml2's xmlFree (a variable of the library's, so not defined by lazy_xml.c). */
void lazy_xml_free(void *p);

/* Fill a function pointer declared as `__typeof__(&fn) fn` in struct `s`. */
#define LAZYLIB_SYM(l, s, fn) ((s).fn = (__typeof__((s).fn))lazylib_sym((l), #fn))

#endif
