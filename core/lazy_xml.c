/*
 * lazy_xml.c — the libxml2 functions hoist calls (core/xml.c), opened on the
 * first call (lazylib.h), its parser set up then.  xmlFree is a variable of
 * libxml2's (its allocator's free): lazy_xml_free calls it.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lazylib.h"

static struct lazylib lib = LAZYLIB(LAZY_SONAME, "libxml2");
_Static_assert(sizeof(LAZY_SONAME) > 1, "the Makefile found no soname for this library");
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct {
	__typeof__(&xmlInitParser) xmlInitParser;
	__typeof__(&xmlReadMemory) xmlReadMemory;
	__typeof__(&xmlDocGetRootElement) xmlDocGetRootElement;
	__typeof__(&xmlNodeGetContent) xmlNodeGetContent;
	__typeof__(&xmlFreeDoc) xmlFreeDoc;
	xmlFreeFunc *xmlFree;
} f;

static void load(void)
{
	LAZYLIB_SYM(&lib, f, xmlInitParser);
	LAZYLIB_SYM(&lib, f, xmlReadMemory);
	LAZYLIB_SYM(&lib, f, xmlDocGetRootElement);
	LAZYLIB_SYM(&lib, f, xmlNodeGetContent);
	LAZYLIB_SYM(&lib, f, xmlFreeDoc);
	LAZYLIB_SYM(&lib, f, xmlFree);
	/* once, before any parse: libxml2 2.9 sets itself up unsafely when two threads
	   (reads side by side, beside.h) parse their first document at once */
	f.xmlInitParser();
}

void lazy_xml_ready(void)
{
	pthread_once(&once, load);
}

xmlDocPtr xmlReadMemory(const char *buffer, int size, const char *url, const char *encoding,
			int options)
{
	lazy_xml_ready();
	return f.xmlReadMemory(buffer, size, url, encoding, options);
}

xmlNodePtr xmlDocGetRootElement(const xmlDoc *doc)
{
	lazy_xml_ready();
	return f.xmlDocGetRootElement(doc);
}

xmlChar *xmlNodeGetContent(const xmlNode *cur)
{
	lazy_xml_ready();
	return f.xmlNodeGetContent(cur);
}

void xmlFreeDoc(xmlDocPtr doc)
{
	lazy_xml_ready();
	f.xmlFreeDoc(doc);
}

void lazy_xml_free(void *p)
{
	lazy_xml_ready();
	(*f.xmlFree)(p);
}
