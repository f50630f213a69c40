/*
 * dnspod.c — DNSPod (2021-03-23), Tencent Cloud's DNS: the zone a name
 * belongs to (the longest of the account's domains that is a suffix of it),
 * the CNAME a custom domain needs, and the `_acme-challenge` TXT records of
 * Let's Encrypt's dns-01 (the set_txt hook of core/acme.h).  Records are on
 * the default line ("默认"); converging means one record per name and type.
 */
#include "tencent.h"

#include "../../core/dns_name.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define LINE "\xe9\xbb\x98\xe8\xae\xa4"   /* 默认: the default line */

int dnspod_zone_for(struct tc_ctx *x, const char *name, char **zone, struct herr *e)
{
	json_t *p, *d;
	struct tc_result r;
	long long off = 0, total = 0;
	size_t i, best = 0;
	int rc;

	*zone = NULL;
	do {
		p = json_pack("{s:I, s:i}", "Offset", (json_int_t)off, "Limit", 100);
		rc = tc_call(x, &tc_dnspod, "DescribeDomainList", p, &r, e);
		json_decref(p);
		if (rc && tc_error_is(&r, "ResourceNotFound")) {   /* no domains at all */
			herr_clear(e);
			rc = HOIST_OK;
		}
		total = json_integer_value(json_object_get(json_object_get(r.data,
			"DomainCountInfo"), "AllTotal"));
		json_array_foreach(json_object_get(r.data, "DomainList"), i, d) {
			const char *z = tc_str(d, "Name") ?: "";
			size_t zl = strlen(z);

			if (zl > best && dns_zone_match(name, z) == zl) {
				free(*zone);
				*zone = xstrdup(z);
				best = zl;
			}
			off++;
		}
		if (!json_array_size(json_object_get(r.data, "DomainList")))
			total = off;
		tc_result_free(&r);
	} while (!rc && off < total);
	return rc;
}

/* The records of sub/type in zone (new reference; empty when none). */
static int records(struct tc_ctx *x, const char *zone, const char *sub, const char *type,
		   json_t **out, struct herr *e)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:i}", "Domain", zone, "Subdomain", sub,
			      "RecordType", type, "ErrorOnEmpty", "no", "Limit", 100);
	struct tc_result r;
	int rc = tc_call(x, &tc_dnspod, "DescribeRecordList", p, &r, e);

	*out = NULL;
	if (rc && tc_error_is(&r, "ResourceNotFound.NoDataOfRecord")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	if (!rc) {
		json_t *l = json_object_get(r.data, "RecordList");

		*out = json_is_array(l) ? json_incref(l) : json_array();
	}
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

static int write_record(struct tc_ctx *x, const char *action, const char *zone,
			const char *sub, const char *type, const char *value, json_t *id,
			struct herr *e)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "Domain", zone, "SubDomain", sub,
			      "RecordType", type, "RecordLine", LINE, "Value", value, "TTL", 600);
	struct tc_result r;
	int rc;

	if (id)
		json_object_set(p, "RecordId", id);
	rc = tc_call(x, &tc_dnspod, action, p, &r, e);
	if (rc && tc_error_is(&r, "InvalidParameter.DomainRecordExist")) {
		herr_clear(e);                    /* an earlier attempt made it */
		rc = HOIST_OK;
	}
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

static int delete_record(struct tc_ctx *x, const char *zone, json_t *id, struct herr *e)
{
	json_t *p = json_pack("{s:s, s:O}", "Domain", zone, "RecordId", id);
	struct tc_result r;
	int rc = tc_call(x, &tc_dnspod, "DeleteRecord", p, &r, e);

	if (rc && tc_error_is(&r, "InvalidParameter.RecordIdInvalid")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

int dnspod_cname_ensure(struct tc_ctx *x, const char *zone, const char *name,
			const char *target, struct herr *e)
{
	char *sub = dns_relative_name(name, zone);
	json_t *have = NULL, *rec;
	const char *value;
	int rc = records(x, zone, sub, "CNAME", &have, e);

	rec = json_array_get(have, 0);
	value = tc_str(rec, "Value");
	if (!rc && !rec) {
		out_step("Creating DNS record %s CNAME %s (DNSPod)", name, target);
		rc = write_record(x, "CreateRecord", zone, sub, "CNAME", target, NULL, e);
	} else if (!rc && value && !dns_same_name(value, target)) {
		out_step("Pointing DNS record %s at %s (DNSPod)", name, target);
		rc = write_record(x, "ModifyRecord", zone, sub, "CNAME", target,
				  json_object_get(rec, "RecordId"), e);
	}
	json_decref(have);
	free(sub);
	return rc;
}

int dnspod_acme_set_txt(const char *fqdn, const char *value, bool present, void *ctx,
			struct herr *e)
{
	struct tc_ctx *x = ctx;
	char *zone = NULL, *sub = NULL;
	json_t *have = NULL, *rec;
	bool found = false;
	size_t i;
	int rc = dnspod_zone_for(x, fqdn, &zone, e);

	if (!rc && !zone)
		rc = herr_set(e, HOIST_FAIL, "no DNSPod domain of this account holds %s", fqdn);
	if (rc)
		goto out;
	sub = dns_relative_name(fqdn, zone);
	rc = records(x, zone, sub, "TXT", &have, e);
	json_array_foreach(have, i, rec) {
		const char *v = tc_str(rec, "Value") ?: "";
		size_t vl = strlen(v);

		if (rc || !(!strcmp(v, value) || (vl > 2 && v[0] == '"' && !strncmp(v + 1, value,
			    vl - 2) && strlen(value) == vl - 2)))
			continue;
		found = true;
		if (!present)
			rc = delete_record(x, zone, json_object_get(rec, "RecordId"), e);
	}
	if (!rc && present && !found) {
		out_info("DNS: %s TXT %s (DNSPod)", fqdn, value);
		rc = write_record(x, "CreateRecord", zone, sub, "TXT", value, NULL, e);
	}
out:
	json_decref(have);
	free(sub);
	free(zone);
	return rc;
}
