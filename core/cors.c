/*
 * cors.c — the `cors` setting read once for every front door (see cors.h).
 */
#include "cors.h"

#include "str.h"

#include <stdlib.h>
#include <string.h>

#define CORS_HEADERS "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"
#define CORS_METHODS "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"

/* A setting given as a string or a list of strings, as one comma-separated string. */
static char *csv_of(const json_t *v, const char *dflt)
{
	struct sbuf b;
	size_t i;
	json_t *s;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (!json_is_array(v) || !json_array_size(v))
		return dflt ? xstrdup(dflt) : NULL;
	sbuf_init(&b);
	json_array_foreach(v, i, s)
		if (json_is_string(s))
			sbuf_printf(&b, "%s%s", b.len ? "," : "", json_string_value(s));
	return sbuf_detach(&b);
}

static const json_t *first_of(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	return v ? v : json_object_get(o, b);
}

void cors_read(const json_t *settings, struct cors *c)
{
	const json_t *v = json_object_get(settings, "cors"), *o = json_is_object(v) ? v : NULL;
	const json_t *age;

	memset(c, 0, sizeof(*c));
	c->max_age = -1;
	c->on = json_is_true(v) || o;
	if (!c->on)
		return;
	c->origin = csv_of(first_of(o, "allowed_origin", "allowed_origins"), "*");
	c->headers = csv_of(json_object_get(o, "allowed_headers"), CORS_HEADERS);
	c->methods = csv_of(json_object_get(o, "allowed_methods"), CORS_METHODS);
	c->expose = csv_of(first_of(o, "expose_headers", "exposed_headers"), NULL);
	c->credentials = json_is_true(first_of(o, "allow_credentials", "allowed_credentials"));
	age = json_object_get(o, "max_age");
	if (json_is_integer(age))
		c->max_age = json_integer_value(age);
}

void cors_free(struct cors *c)
{
	free(c->origin);
	free(c->headers);
	free(c->methods);
	free(c->expose);
	memset(c, 0, sizeof(*c));
}

json_t *cors_split(const char *csv)
{
	json_t *a = json_array();
	char *copy = xstrdup(csv ? csv : ""), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		for (size_t n = strlen(t); n && t[n - 1] == ' '; n--)
			t[n - 1] = '\0';
		if (*t)
			json_array_append_new(a, json_string(t));
	}
	free(copy);
	return a;
}
