/*
 * dns_name.h — domain names against DNS zones, as every cloud's DNS API
 * (Route 53, Alibaba Cloud DNS, DNSPod) needs them: does a name lie in a
 * zone, and what is it called relative to the zone.
 */
#ifndef HOIST_DNS_NAME_H
#define HOIST_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>

/*
 * "api.example.com" in zone "example.com" (or "example.com.", any case):
 * the zone's length without its trailing dot when `name` is the zone or a
 * name below it, else 0 (so the longest match is the zone to use).
 */
size_t dns_zone_match(const char *name, const char *zone);

/* The same name, case and a trailing dot aside ("Api.Example.com." = "api.example.com")? */
bool dns_same_name(const char *a, const char *b);

/* `name` relative to the zone it lies in: "api" for api.example.com, "@" for the apex; allocates. */
char *dns_relative_name(const char *name, const char *zone);

#endif
