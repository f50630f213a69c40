/*
 * route53.c — the Route 53 calls certify needs: the best-matching hosted
 * zone for a domain, one record change (plain values or an alias) with an
 * optional wait for INSYNC (GetChange), reading a record set, and the ACME
 * dns-01 hook that adds/removes one TXT value of _acme-challenge.<domain>
 * without touching the other values of the set.
 */
#include "ev_common.h"

#include "../../core/dns_name.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define R53_NS "https://route53.amazonaws.com/doc/2013-04-01/"

static const char *zone_id(const char *id)
{
	const char *p = strrchr(id, '/');

	return p ? p + 1 : id;
}

int r53_zone_for(struct aws_ctx *x, const char *domain, char **id, char **name,
		 struct herr *e)
{
	json_t *out = NULL, *zones, *z;
	size_t i, best = 0;
	int rc;

	*id = *name = NULL;
	rc = ev_xml(x, &aws_route53, "ListHostedZones", "GET", NULL, "/2013-04-01/hostedzone",
		    NULL, NULL, &out, NULL, e);
	if (rc)
		return rc;
	zones = xml_list(json_object_get(out, "HostedZones"), "HostedZone");
	json_array_foreach(zones, i, z) {
		const char *zn = json_string_value(json_object_get(z, "Name")) ?: "";
		size_t m = dns_zone_match(domain, zn);

		if (json_is_true(json_object_get(json_object_get(z, "Config"), "PrivateZone")) ||
		    !strcmp(json_string_value(json_object_get(json_object_get(z, "Config"),
							      "PrivateZone")) ?: "", "true"))
			continue;
		if (m > best) {
			best = m;
			free(*id);
			free(*name);
			*id = xstrdup(zone_id(json_string_value(json_object_get(z, "Id")) ?: ""));
			*name = xstrdup(zn);
		}
	}
	json_decref(zones);
	json_decref(out);
	return HOIST_OK;
}

static int wait_insync(struct aws_ctx *x, const char *change, struct herr *e)
{
	long poll = env_number("HOIST_AWS_POLL_MS", 2000);
	time_t end = time(NULL) + 600;
	char *path = xasprintf("/2013-04-01/change/%s", zone_id(change));
	json_t *out = NULL;
	int rc;

	for (;;) {
		rc = ev_xml(x, &aws_route53, "GetChange", "GET", NULL, path, NULL, NULL, &out, NULL,
			    e);
		if (rc)
			break;
		if (!strcmp(json_string_value(json_object_get(json_object_get(out, "ChangeInfo"),
							      "Status")) ?: "", "INSYNC"))
			break;
		json_decref(out);
		out = NULL;
		if (time(NULL) > end) {
			rc = herr_set(e, HOIST_FAIL, "Route 53 change %s is still PENDING after 10 "
				      "minutes", change);
			break;
		}
		clock_sleep_ms(poll);
	}
	json_decref(out);
	free(path);
	return rc;
}

int r53_change(struct aws_ctx *x, const char *zone, const char *action, const char *name,
	       const char *type, const char *const *values, size_t n, const char *alias_zone,
	       const char *alias_dns, bool wait, struct herr *e)
{
	struct sbuf b;
	char *path = xasprintf("/2013-04-01/hostedzone/%s/rrset/", zone_id(zone));
	json_t *out = NULL;
	size_t i;
	int rc;

	sbuf_init(&b);
	sbuf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		  "<ChangeResourceRecordSetsRequest xmlns=\"" R53_NS "\"><ChangeBatch>"
		  "<Changes><Change><Action>");
	sbuf_adds(&b, action);
	sbuf_adds(&b, "</Action><ResourceRecordSet><Name>");
	ev_xml_text(&b, name);
	sbuf_printf(&b, "</Name><Type>%s</Type>", type);
	if (alias_zone) {
		sbuf_adds(&b, "<AliasTarget><HostedZoneId>");
		ev_xml_text(&b, alias_zone);
		sbuf_adds(&b, "</HostedZoneId><DNSName>");
		ev_xml_text(&b, alias_dns);
		sbuf_adds(&b, "</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth>"
			  "</AliasTarget>");
	} else {
		sbuf_adds(&b, "<TTL>60</TTL><ResourceRecords>");
		for (i = 0; i < n; i++) {
			sbuf_adds(&b, "<ResourceRecord><Value>");
			if (!strcmp(type, "TXT"))
				sbuf_addc(&b, '"');
			ev_xml_text(&b, values[i]);
			if (!strcmp(type, "TXT"))
				sbuf_addc(&b, '"');
			sbuf_adds(&b, "</Value></ResourceRecord>");
		}
		sbuf_adds(&b, "</ResourceRecords>");
	}
	sbuf_adds(&b, "</ResourceRecordSet></Change></Changes></ChangeBatch>"
		  "</ChangeResourceRecordSetsRequest>");
	rc = ev_xml(x, &aws_route53, "ChangeResourceRecordSets", "POST", NULL, path, NULL, b.s,
		    &out, NULL, e);
	if (!rc && wait)
		rc = wait_insync(x, json_string_value(json_object_get(json_object_get(out,
							"ChangeInfo"), "Id")) ?: "", e);
	json_decref(out);
	sbuf_free(&b);
	free(path);
	return rc;
}

int r53_get(struct aws_ctx *x, const char *zone, const char *name, const char *type,
	    json_t **rrset, struct herr *e)
{
	char *path = xasprintf("/2013-04-01/hostedzone/%s/rrset", zone_id(zone));
	struct sbuf q;
	json_t *out = NULL, *list, *r;
	size_t i;
	int rc;

	*rrset = NULL;
	sbuf_init(&q);
	aws_query_add(&q, "maxitems", "10");
	aws_query_add(&q, "name", name);
	aws_query_add(&q, "type", type);
	rc = ev_xml(x, &aws_route53, "ListResourceRecordSets", "GET", NULL, path, q.s, NULL, &out,
		    NULL, e);
	list = xml_list(json_object_get(out, "ResourceRecordSets"), "ResourceRecordSet");
	json_array_foreach(list, i, r)
		if (dns_same_name(json_string_value(json_object_get(r, "Name")) ?: "", name) &&
		    !strcmp(json_string_value(json_object_get(r, "Type")) ?: "", type)) {
			*rrset = json_incref(r);
			break;
		}
	json_decref(list);
	json_decref(out);
	sbuf_free(&q);
	free(path);
	return rc;
}

/* The unquoted values of a record set (new array of strings). */
static json_t *rr_values(json_t *rrset)
{
	json_t *list = xml_list(json_object_get(rrset, "ResourceRecords"), "ResourceRecord");
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(list, i, r) {
		const char *v = json_string_value(json_object_get(r, "Value")) ?: "";
		size_t n = strlen(v);

		if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
			json_array_append_new(out, json_stringn(v + 1, n - 2));
		else
			json_array_append_new(out, json_string(v));
	}
	json_decref(list);
	return out;
}

int r53_acme_set_txt(const char *fqdn, const char *value, bool present, void *ctx,
		     struct herr *e)
{
	struct aws_ctx *x = ctx;
	char *zone = NULL, *zname = NULL;
	json_t *rr = NULL, *vals = NULL, *v;
	const char **arr = NULL;
	size_t i, n = 0;
	bool have = false;
	int rc;

	rc = r53_zone_for(x, fqdn, &zone, &zname, e);
	if (!rc && !zone)
		rc = herr_set(e, HOIST_FAIL, "no Route 53 hosted zone for %s", fqdn);
	if (!rc)
		rc = r53_get(x, zone, fqdn, "TXT", &rr, e);
	if (rc)
		goto out;
	vals = rr ? rr_values(rr) : json_array();
	arr = xcalloc(json_array_size(vals) + 1, sizeof(*arr));
	json_array_foreach(vals, i, v) {
		if (!strcmp(json_string_value(v), value)) {
			have = true;
			if (!present)
				continue;
		}
		arr[n++] = json_string_value(v);
	}
	if (present && !have)
		arr[n++] = value;
	if (present == have)
		goto out;   /* already as wanted */
	out_info("%s TXT %s", present ? "publishing" : "removing", fqdn);
	if (n)
		rc = r53_change(x, zone, "UPSERT", fqdn, "TXT", arr, n, NULL, NULL, present, e);
	else
		rc = r53_change(x, zone, "DELETE", fqdn, "TXT", (const char *const[]){ value }, 1,
				NULL, NULL, false, e);
out:
	free(arr);
	json_decref(vals);
	json_decref(rr);
	free(zone);
	free(zname);
	return rc;
}
