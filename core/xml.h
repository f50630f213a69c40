/*
 * xml.h — XML answers as JSON (libxml2), for the clouds whose APIs speak
 * XML (S3, Route 53, the AWS query protocol, Alibaba OSS):
 * the root element's content becomes an object; an element with children
 * becomes an object, a text-only element a string, and repeated child names
 * an array — xml_list() reads "list of member" shapes whatever the count.
 */
#ifndef HOIST_XML_H
#define HOIST_XML_H

#include <jansson.h>
#include <stddef.h>

/* XML text → JSON (root element's content); NULL if not XML.  *root_name allocated. */
json_t *xml_to_json(const char *xml, size_t len, char **root_name);

/* `parent[name]` as an array whatever the count (none → empty); new reference. */
json_t *xml_list(const json_t *parent, const char *name);

#endif
