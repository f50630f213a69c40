/*
 * ini.c — one section of an INI credentials file (see ini.h).
 */
#include "ini.h"

#include "err.h"
#include "path.h"
#include "str.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

char *ini_expand_home(const char *p)
{
	const char *home = getenv("HOME");

	if (p[0] == '~' && (p[1] == '/' || !p[1]) && home && *home)
		return xasprintf("%s%s", home, p + 1);
	return xstrdup(p);
}

static char *strip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

json_t *ini_section(const char *path, const char *want)
{
	char *text = NULL, *line, *save = NULL;
	size_t len;
	struct herr ignore;
	json_t *out = NULL;
	bool in = false;

	if (path_read(path, &text, &len, &ignore) != HOIST_OK)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool indented = *line == ' ' || *line == '\t';
		char *l = strip(line), *eq;

		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *close = strchr(l, ']');

			if (!close)
				continue;
			*close = '\0';
			in = strcmp(strip(l + 1), want) == 0;
			if (in && !out)
				out = json_object();
			continue;
		}
		if (!in || indented || !(eq = strchr(l, '=')))
			continue;
		*eq = '\0';
		json_object_set_new(out, strip(l), json_string(strip(eq + 1)));
	}
	free(text);
	return out;
}
