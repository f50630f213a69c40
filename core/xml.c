/*
 * xml.c — XML answers as JSON (see xml.h); libxml2 with network access and
 * error output off.
 */
#include "xml.h"

#include "lazylib.h"
#include "str.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>

static void xml_into(json_t *obj, xmlNode *parent);

static json_t *xml_value(xmlNode *n)
{
	bool kids = false;

	for (xmlNode *k = n->children; k; k = k->next)
		kids |= k->type == XML_ELEMENT_NODE;
	if (kids) {
		json_t *o = json_object();

		xml_into(o, n);
		return o;
	} else {
		xmlChar *t = xmlNodeGetContent(n);
		json_t *s = json_string(t ? (const char *)t : "");

		lazy_xml_free(t);
		return s ? s : json_string("");
	}
}

static void xml_into(json_t *obj, xmlNode *parent)
{
	for (xmlNode *k = parent->children; k; k = k->next) {
		const char *name = (const char *)k->name;
		json_t *v, *old;

		if (k->type != XML_ELEMENT_NODE)
			continue;
		v = xml_value(k);
		old = json_object_get(obj, name);
		if (!old) {
			json_object_set_new(obj, name, v);
		} else if (json_is_array(old)) {
			json_array_append_new(old, v);
		} else {
			json_t *arr = json_array();

			json_array_append(arr, old);
			json_array_append_new(arr, v);
			json_object_set_new(obj, name, arr);
		}
	}
}

json_t *xml_to_json(const char *xml, size_t len, char **root_name)
{
	xmlDoc *doc;
	xmlNode *root;
	json_t *out;

	if (root_name)
		*root_name = NULL;
	if (!xml || !len || len > 0x7fffffff)
		return NULL;
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	if (!doc)
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (!root) {
		xmlFreeDoc(doc);
		return NULL;
	}
	out = json_object();
	xml_into(out, root);
	if (root_name)
		*root_name = xstrdup((const char *)root->name);
	xmlFreeDoc(doc);
	return out;
}

json_t *xml_list(const json_t *parent, const char *name)
{
	json_t *v = parent ? json_object_get(parent, name) : NULL, *a;

	if (!v || (json_is_string(v) && !*json_string_value(v)))
		return json_array();
	if (json_is_array(v))
		return json_incref(v);
	a = json_array();
	json_array_append(a, v);
	return a;
}
