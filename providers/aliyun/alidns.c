/*
 * alidns.c — Alibaba Cloud DNS (RPC 2015-01-09, alidns.aliyuncs.com): the
 * zone a domain belongs to, the CNAME from a custom domain to the account's
 * FC endpoint, and the ACME dns-01 hook (core/acme.h) that publishes and
 * removes "_acme-challenge" TXT records.
 *
 * Alibaba Cloud DNS has no "change is in sync" call (Route 53's GetChange):
 * a published TXT record is read back until it is there and enabled, then
 * hoist waits HOIST_ALIDNS_WAIT_MS (default 20000) for the authoritative
 * servers before the CA is asked to look.
 */
#include "alidns.h"

#include "../../core/clock.h"
#include "../../core/dns_name.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int dns_call(struct ali_ctx *x, const char *action, json_t *query, json_t **out,
		    const char *absent, struct herr *e)
{
	struct ali_call c = { .svc = &ali_alidns, .action = action, .method = "POST",
			      .query = query };
	struct ali_result r;
	int rc = ali_do(&x->client, &c, &r, e);

	if (out)
		*out = NULL;
	if (rc && absent && r.error_code && str_starts(r.error_code, absent)) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc && out) {
		*out = json_incref(r.data);
	}
	ali_result_free(&r);
	return rc;
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int alidns_zone_for(struct ali_ctx *x, const char *domain, char **zone, char **rr,
		    struct herr *e)
{
	const char *p = domain;
	int rc = HOIST_OK;

	*zone = *rr = NULL;
	/* The longest suffix with at least two labels that Alibaba Cloud DNS hosts. */
	for (; p && strchr(p, '.'); p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
		json_t *q = json_pack("{s:s, s:s, s:s}", "KeyWord", p, "SearchMode", "EXACT",
				      "PageSize", "100"), *out = NULL, *d;
		size_t i;

		rc = dns_call(x, "DescribeDomains", q, &out, NULL, e);
		json_decref(q);
		if (rc)
			return rc;
		json_array_foreach(json_object_get(json_object_get(out, "Domains"), "Domain"), i, d)
			if (str(d, "DomainName") && !strcasecmp(str(d, "DomainName"), p))
				*zone = xstrdup(str(d, "DomainName"));
		json_decref(out);
		if (*zone) {
			*rr = dns_relative_name(domain, p);
			return HOIST_OK;
		}
	}
	return rc;
}

int alidns_records(struct ali_ctx *x, const char *zone, const char *rr, const char *type,
		   json_t **records, struct herr *e)
{
	json_t *all = json_array();
	int rc = HOIST_OK;

	for (int page = 1;; page++) {
		char pn[16];
		json_t *q, *out = NULL, *r;
		size_t i, n;

		snprintf(pn, sizeof(pn), "%d", page);
		q = json_pack("{s:s, s:s, s:s, s:s, s:s}", "DomainName", zone, "RRKeyWord", rr,
			      "TypeKeyWord", type, "PageNumber", pn, "PageSize", "500");
		rc = dns_call(x, "DescribeDomainRecords", q, &out, NULL, e);
		json_decref(q);
		if (rc)
			break;
		n = json_array_size(json_object_get(json_object_get(out, "DomainRecords"), "Record"));
		json_array_foreach(json_object_get(json_object_get(out, "DomainRecords"), "Record"), i, r)
			if (!strcasecmp(str(r, "RR") ?: "", rr) && !strcmp(str(r, "Type") ?: "", type))
				json_array_append(all, r);
		json_decref(out);
		if (n < 500)
			break;
	}
	if (rc) {
		json_decref(all);
		all = NULL;
	}
	*records = all;
	return rc;
}

int alidns_add(struct ali_ctx *x, const char *zone, const char *rr, const char *type,
	       const char *value, struct herr *e)
{
	json_t *q = json_pack("{s:s, s:s, s:s, s:s, s:s}", "DomainName", zone, "RR", rr, "Type",
			      type, "Value", value, "TTL", "600");
	int rc = dns_call(x, "AddDomainRecord", q, NULL, "DomainRecordDuplicate", e);

	json_decref(q);
	return rc;
}

int alidns_delete(struct ali_ctx *x, const char *record_id, struct herr *e)
{
	json_t *q = json_pack("{s:s}", "RecordId", record_id);
	int rc = dns_call(x, "DeleteDomainRecord", q, NULL, "DomainRecordNotBelongToUser", e);

	json_decref(q);
	return rc;
}

int alidns_cname(struct ali_ctx *x, const char *zone, const char *rr, const char *target,
		 struct herr *e)
{
	json_t *recs = NULL, *r;
	int rc = alidns_records(x, zone, rr, "CNAME", &recs, e);

	if (rc)
		return rc;
	r = json_array_get(recs, 0);
	if (r && !strcasecmp(str(r, "Value") ?: "", target)) {
		out_info("CNAME %s.%s -> %s is there", rr, zone, target);
	} else if (r) {
		json_t *q = json_pack("{s:s, s:s, s:s, s:s, s:s}", "RecordId", str(r, "RecordId"),
				      "RR", rr, "Type", "CNAME", "Value", target, "TTL", "600");

		out_step("Pointing %s.%s at %s (CNAME)", rr, zone, target);
		rc = dns_call(x, "UpdateDomainRecord", q, NULL, NULL, e);
		json_decref(q);
	} else {
		out_step("Creating CNAME %s.%s -> %s", rr, zone, target);
		rc = alidns_add(x, zone, rr, "CNAME", target, e);
	}
	json_decref(recs);
	return rc;
}

/* Is the TXT record there and enabled? */
static int txt_ready(struct ali_ctx *x, const char *zone, const char *rr, const char *value,
		     bool *ready, struct herr *e)
{
	json_t *recs = NULL, *r;
	size_t i;
	int rc = alidns_records(x, zone, rr, "TXT", &recs, e);

	*ready = false;
	json_array_foreach(recs, i, r)
		*ready |= !strcmp(str(r, "Value") ?: "", value) &&
			  !strcmp(str(r, "Status") ?: "ENABLE", "ENABLE");
	json_decref(recs);
	return rc;
}

int alidns_acme_set_txt(const char *fqdn, const char *value, bool present, void *ctx,
			struct herr *e)
{
	struct ali_ctx *x = ctx;
	char *zone = NULL, *rr = NULL;
	json_t *recs = NULL, *r;
	bool ready = false;
	size_t i;
	int rc = alidns_zone_for(x, fqdn, &zone, &rr, e);

	if (!rc && !zone)
		rc = herr_set(e, HOIST_FAIL, "%s is in no zone of Alibaba Cloud DNS", fqdn);
	if (rc)
		goto out;
	if (!present) {
		if ((rc = alidns_records(x, zone, rr, "TXT", &recs, e)))
			goto out;
		json_array_foreach(recs, i, r)
			if (!rc && !strcmp(str(r, "Value") ?: "", value)) {
				out_info("removing TXT %s", fqdn);
				rc = alidns_delete(x, str(r, "RecordId"), e);
			}
		goto out;
	}
	out_info("publishing TXT %s", fqdn);
	if ((rc = alidns_add(x, zone, rr, "TXT", value, e)))
		goto out;
	for (int n = 0; !rc && !ready; n++) {
		if ((rc = txt_ready(x, zone, rr, value, &ready, e)) || ready)
			break;
		if (n >= 30) {
			rc = herr_set(e, HOIST_FAIL, "the TXT record %s never showed in Alibaba Cloud "
				      "DNS", fqdn);
			break;
		}
		clock_sleep_ms(n < 5 ? 200L << n : 5000);
	}
	if (!rc)
		clock_sleep_ms(env_number("HOIST_ALIDNS_WAIT_MS", 20000));
out:
	json_decref(recs);
	free(zone);
	free(rr);
	return rc;
}
