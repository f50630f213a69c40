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

void lazylib_preload_net(void)
{
	lazy_curl_ready();
	lazy_xml_ready();
}

void *lazylib_sym(struct lazylib *l, const char *name)
{
	void *p;

	if (!l->handle && !(l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL)))
		die(l, NULL);
	dlerror();
	if (!(p = dlsym(l->handle, name)))
		die(l, name);   /* an older library than the one hoist was built with */
	return p;
}
