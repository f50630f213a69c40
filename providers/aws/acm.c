/*
 * acm.c — the ACM calls certify needs: a context in the certificate's region
 * (us-east-1 for edge-optimised API Gateway domains, the stage's region for
 * regional ones), checking a given certificate_arn, importing PEM files
 * (re-importing into the same ARN on renewal), and requesting an
 * Amazon-issued certificate validated through Route 53 DNS records.
 */
#include "ev_common.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int acm_ctx_open(struct aws_ctx *x, const char *region, struct aws_ctx *out, struct stage *tmp,
		 struct herr *e)
{
	*tmp = *x->st;
	tmp->settings = json_deep_copy(x->st->settings);
	json_object_set_new(tmp->settings, "aws_region", json_string(region));
	json_object_del(tmp->settings, "region");
	return aws_ctx_open(out, tmp, e);
}

void acm_ctx_close(struct aws_ctx *ax, struct stage *tmp)
{
	aws_ctx_close(ax);
	json_decref(tmp->settings);
	tmp->settings = NULL;
}

static bool covers(json_t *cert, const char *domain)
{
	json_t *sans = json_object_get(cert, "SubjectAlternativeNames"), *n;
	const char *dot = strchr(domain, '.');
	size_t i;

	json_array_foreach(sans, i, n) {
		const char *s = json_string_value(n) ?: "";

		if (!strcasecmp(s, domain) || (s[0] == '*' && s[1] == '.' && dot &&
					      !strcasecmp(s + 2, dot + 1)))
			return true;
	}
	return !strcasecmp(json_string_value(json_object_get(cert, "DomainName")) ?: "", domain);
}

static int describe(struct aws_ctx *ax, const char *arn, json_t **cert, struct herr *e)
{
	json_t *out = NULL;
	int rc = ev_json(ax, &aws_acm, "DescribeCertificate",
			 json_pack("{s:s}", "CertificateArn", arn), &out, NULL, e);

	*cert = rc ? NULL : json_incref(json_object_get(out, "Certificate"));
	json_decref(out);
	return rc;
}

bool acm_imported(struct aws_ctx *ax, const char *arn)
{
	struct herr e = { 0 };
	json_t *c = NULL;
	bool imported;

	if (describe(ax, arn, &c, &e))
		return false;
	imported = !strcmp(json_string_value(json_object_get(c, "Type")) ?: "", "IMPORTED");
	json_decref(c);
	return imported;
}

int acm_check(struct aws_ctx *ax, const char *arn, const char *domain, struct herr *e)
{
	json_t *c = NULL;
	const char *status;
	int rc;

	rc = describe(ax, arn, &c, e);
	if (rc) {
		herr_hint(e, "certificate_arn must name a certificate in %s", ax->region);
		return rc;
	}
	status = json_string_value(json_object_get(c, "Status")) ?: "?";
	if (strcmp(status, "ISSUED"))
		rc = herr_set(e, HOIST_FAIL, "certificate %s is %s, not ISSUED", arn, status);
	else if (!covers(c, domain))
		rc = herr_set(e, HOIST_FAIL, "certificate %s does not cover %s", arn, domain);
	json_decref(c);
	return rc;
}

static json_t *blob(const char *pem)
{
	unsigned char *b64;
	size_t n = strlen(pem);
	json_t *j;

	b64 = malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock(b64, (const unsigned char *)pem, (int)n);
	j = json_string((char *)b64);
	free(b64);
	return j;
}

int acm_import(struct aws_ctx *ax, const char *cert, const char *key, const char *chain,
	       const char *into, const char *domain, char **arn, struct herr *e)
{
	json_t *req = json_pack("{s:o, s:o}", "Certificate", blob(cert), "PrivateKey", blob(key));
	json_t *out = NULL;
	int rc;

	*arn = NULL;
	if (chain && *chain)
		json_object_set_new(req, "CertificateChain", blob(chain));
	if (into)
		json_object_set_new(req, "CertificateArn", json_string(into));
	else
		json_object_set_new(req, "Tags", json_pack("[{s:s, s:s}, {s:s, s:s}]",
			"Key", "hoist:stage", "Value", ax->st->function_name,
			"Key", "hoist:domain", "Value", domain));
	rc = ev_json(ax, &aws_acm, "ImportCertificate", req, &out, NULL, e);
	if (!rc)
		*arn = xstrdup(json_string_value(json_object_get(out, "CertificateArn")) ?: "");
	json_decref(out);
	if (!rc)
		out_step("%s the certificate for %s into ACM (%s)", into ? "Re-imported" : "Imported",
			 domain, ax->region);
	return rc;
}

/* An ISSUED or pending Amazon certificate for exactly `domain` (allocated ARN) or NULL. */
static int find_amazon(struct aws_ctx *ax, const char *domain, char **arn, struct herr *e)
{
	json_t *out = NULL, *c;
	size_t i;
	int rc;

	*arn = NULL;
	rc = ev_json(ax, &aws_acm, "ListCertificates",
		     json_pack("{s:[s,s]}", "CertificateStatuses", "ISSUED", "PENDING_VALIDATION"),
		     &out, NULL, e);
	json_array_foreach(json_object_get(out, "CertificateSummaryList"), i, c) {
		const char *type = json_string_value(json_object_get(c, "Type"));

		if (type && strcmp(type, "AMAZON_ISSUED"))
			continue;
		if (!strcasecmp(json_string_value(json_object_get(c, "DomainName")) ?: "", domain)) {
			*arn = xstrdup(json_string_value(json_object_get(c, "CertificateArn")));
			break;
		}
	}
	json_decref(out);
	return rc;
}

/* --manual: the validation CNAMEs into `records`, what to do with them on stderr. */
static void manual_records(json_t *c, const char *domain, json_t *records)
{
	const char *status = json_string_value(json_object_get(c, "Status")) ?: "?";
	json_t *o, *r;
	size_t i;

	out_step("ACM certificate for %s: %s (%s); its DNS validation record%s (keep %s in "
		 "DNS so ACM can renew it):", domain,
		 json_string_value(json_object_get(c, "CertificateArn")) ?: "?", status,
		 json_array_size(json_object_get(c, "DomainValidationOptions")) == 1 ? "" : "s",
		 json_array_size(json_object_get(c, "DomainValidationOptions")) == 1 ? "it" : "them");
	json_array_foreach(json_object_get(c, "DomainValidationOptions"), i, o) {
		r = json_object_get(o, "ResourceRecord");
		json_array_append_new(records, json_pack("{s:s, s:s, s:s}", "name",
			json_string_value(json_object_get(r, "Name")) ?: "?", "type",
			json_string_value(json_object_get(r, "Type")) ?: "CNAME", "value",
			json_string_value(json_object_get(r, "Value")) ?: "?"));
	}
	if (strcmp(status, "ISSUED"))
		out_step("Create %s, then run hoist certify without --manual once ACM has issued "
			 "the certificate", json_array_size(json_object_get(c,
				"DomainValidationOptions")) == 1 ? "it" : "them");
}

int acm_request(struct aws_ctx *ax, struct aws_ctx *x, const char *domain, const char *zone,
		json_t *records, char **arn, struct herr *e)
{
	long poll = env_number("HOIST_AWS_POLL_MS", 5000);
	time_t end = time(NULL) + 3600;
	json_t *c = NULL, *out = NULL, *o;
	bool written = false;
	char *tok;
	size_t i;
	int rc;

	rc = find_amazon(ax, domain, arn, e);
	if (!rc && !*arn) {
		char *h = ev_sha1_hex(domain);

		tok = xasprintf("hoist%.27s", h);
		free(h);
		rc = ev_json(ax, &aws_acm, "RequestCertificate",
			     json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "DomainName", domain,
				       "ValidationMethod", "DNS", "IdempotencyToken", tok, "Tags",
				       "Key", "hoist:stage", "Value", ax->st->function_name),
			     &out, NULL, e);
		free(tok);
		if (!rc) {
			*arn = xstrdup(json_string_value(json_object_get(out, "CertificateArn")) ?: "");
			out_step("Requested an ACM certificate for %s (%s)", domain, *arn);
		}
		json_decref(out);
	}
	while (!rc) {
		const char *status;
		bool all = true;

		rc = describe(ax, *arn, &c, e);
		if (rc)
			break;
		status = json_string_value(json_object_get(c, "Status")) ?: "?";
		if (!strcmp(status, "ISSUED")) {
			if (!zone)
				manual_records(c, domain, records);
			break;
		}
		if (strcmp(status, "PENDING_VALIDATION")) {
			rc = herr_set(e, HOIST_FAIL, "ACM certificate %s for %s is %s", *arn, domain,
				      status);
			break;
		}
		json_array_foreach(json_object_get(c, "DomainValidationOptions"), i, o)
			if (!json_object_get(o, "ResourceRecord"))
				all = false;
		if (all && !zone) {
			manual_records(c, domain, records);
			break;
		}
		if (all && !written) {
			json_array_foreach(json_object_get(c, "DomainValidationOptions"), i, o) {
				json_t *r = json_object_get(o, "ResourceRecord");
				const char *v = json_string_value(json_object_get(r, "Value")) ?: "";

				if (rc)
					break;
				rc = r53_change(x, zone, "UPSERT",
						json_string_value(json_object_get(r, "Name")) ?: "",
						"CNAME", &v, 1, NULL, NULL, false, e);
			}
			written = !rc;
			if (written)
				out_step("Wrote the DNS validation records; waiting for ACM to issue "
					 "the certificate");
		}
		json_decref(c);
		c = NULL;
		if (!rc && time(NULL) > end)
			rc = herr_set(e, HOIST_FAIL, "ACM certificate %s for %s is still pending "
				      "validation after an hour", *arn, domain);
		if (!rc)
			clock_sleep_ms(poll);
	}
	json_decref(c);
	if (rc) {
		free(*arn);
		*arn = NULL;
	}
	return rc;
}
