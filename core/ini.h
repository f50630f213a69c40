/*
 * ini.h — the INI credential files clouds keep in the user's home
 * (~/.aws/credentials and ~/.aws/config, ~/.tencentcloud/credentials):
 * read one section, expand "~/".
 */
#ifndef HOIST_INI_H
#define HOIST_INI_H

#include <jansson.h>

/*
 * The keys of section `[want]` in the INI file `path` as a JSON object of
 * strings (new reference), or NULL when the file or the section does not
 * exist.  Lines starting with '#' or ';' are comments; indented lines
 * (nested AWS settings) are skipped; keys and values are trimmed.
 */
json_t *ini_section(const char *path, const char *want);

/* "~/x" → $HOME/x, anything else as is; allocates. */
char *ini_expand_home(const char *path);

#endif
