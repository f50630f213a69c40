/*
 * dns_name.c — a domain name against a DNS zone (see dns_name.h).
 */
#include "dns_name.h"

#include "str.h"

#include <string.h>
#include <strings.h>

size_t dns_zone_match(const char *name, const char *zone)
{
	size_t nl = strlen(name), zl = strlen(zone);

	if (zl && zone[zl - 1] == '.')
		zl--;
	if (zl > nl || strncasecmp(name + nl - zl, zone, zl))
		return 0;
	if (zl < nl && name[nl - zl - 1] != '.')
		return 0;
	return zl;
}

bool dns_same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && !strncasecmp(a, b, la);
}

char *dns_relative_name(const char *name, const char *zone)
{
	size_t zl = dns_zone_match(name, zone), nl = strlen(name);

	return zl >= nl ? xstrdup("@") : xasprintf("%.*s", (int)(nl - zl - 1), name);
}
