/*
 * lazylib.c — opening a library on its first call (lazylib.h).
 */
#include "lazylib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void die(const struct lazylib *l, const char *sym)
{
	const char *why = dlerror();

	if (sym)
		fprintf(stderr, "hoist: error: %s has no %s: %s\n", l->soname, sym,
			why ? why : "not found");
	else
		fprintf(stderr, "hoist: error: cannot load %s: %s\n", l->soname,
			why ? why : "not found");
	fprintf(stderr, "hint: install it (Debian: apt-get install %s)\n", l->package);
	exit(1);
}

/* pthread_once has no argument: the library being opened is passed here. */
static __thread struct lazylib *opening;

static void open_it(void)
{
	opening->handle = dlopen(opening->soname, RTLD_NOW | RTLD_LOCAL);
}

void lazylib_preload_net(void)
{
	lazy_curl_ready();
	lazy_xml_ready();
}

void *lazylib_sym(struct lazylib *l, const char *name)
{
	void *p;

	opening = l;
	pthread_once(&l->once, open_it);
	if (!l->handle)
		die(l, NULL);
	dlerror();
	if (!(p = dlsym(l->handle, name)))
		die(l, name);   /* an older library than the one hoist was built with */
	return p;
}
