/*
 * certify.c — `hoist certify` on AWS: a certificate for the stage's `domain`
 * and the custom domain in front of its REST API.
 *
 * The certificate, by the first setting present:
 *   certificate_arn            an ACM certificate (checked: ISSUED, covers domain);
 *   certificate (+ certificate_key, certificate_chain)   PEM files → ImportCertificate
 *                              (re-imported into the domain's current imported ARN);
 *   lets_encrypt_key           ACME v2 (core/acme.c, `acme_directory`, default Let's
 *                              Encrypt production) with dns-01 TXT records written
 *                              through Route 53 → ImportCertificate;
 *   none of them               ACM RequestCertificate with DNS validation records in
 *                              Route 53, then a wait for ISSUED.
 * HTTP APIs (apigateway_version v2) are refused for now (usage error).
 * ACM region: us-east-1 for edge-optimised endpoints (the default), the
 * stage's region when endpoint_configuration is ["REGIONAL"].
 *
 * Then (domain.c) CreateDomainName or UpdateDomainName, the base path
 * mapping and, with route53_enabled (default true), an alias A record in
 * the best-matching hosted zone.  Re-running converges and renews.
 *
 * Everything that can be checked is checked before the first change: the
 * domain setting and files (usage errors, exit 2), the deployed function,
 * its REST API and the hosted zone (exit 1).
 *
 * --manual changes nothing in API Gateway or Route 53 (only ACME's temporary
 * _acme-challenge TXT records are written and removed) and returns (in
 * certify_args.manual_out; the command prints it) what to install by hand:
 *   lets_encrypt_key, certificate files   key, certificate and chain written
 *                              under <state dir>/certs/<domain>/ (the key
 *                              0600), their paths printed;
 *   no certificate setting     the ACM certificate is requested (or found) and
 *                              its DNS validation records printed, no wait;
 *   certificate_arn            nothing to obtain: a usage error.
 */
#include "ev_common.h"

#include "../certfiles.h"
#include "../provider.h"
#include "../../core/acme.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/stage.h"
#include "../../core/str.h"
#include "../../core/x509.h"

#include <stdlib.h>
#include <string.h>

enum cert_mode { CERT_ARN, CERT_FILES, CERT_ACME, CERT_ACM };

static bool regional_endpoint(const struct stage *st)
{
	json_t *ep = json_object_get(st->settings, "endpoint_configuration"), *v;
	size_t i;

	json_array_foreach(ep, i, v)
		if (!strcmp(json_string_value(v) ?: "", "REGIONAL"))
			return true;
	return false;
}

/* Settings checks: nothing is sent before these pass. */
static int plan(const struct stage *st, enum cert_mode *mode, struct cert_pem *p, struct herr *e)
{
	const char *domain = json_string_value(json_object_get(st->settings, "domain"));
	int rc = HOIST_OK;

	if (!domain || !*domain) {
		rc = herr_set(e, HOIST_USAGE, "certify: stage '%s' has no `domain` setting",
			      st->name);
		herr_hint(e, "add \"domain\": \"api.example.com\" (and optionally \"base_path\") "
			  "to the stage in %s", st->settings_path);
		return rc;
	}
	if (!strcmp(json_string_value(json_object_get(st->settings, "apigateway_version")) ?: "",
		    "v2")) {
		rc = herr_set(e, HOIST_USAGE, "certify: custom domains for HTTP APIs "
			      "(apigateway_version v2) are not supported yet; nothing was changed");
		herr_hint(e, "use apigateway_version v1 (REST API) for %s, or create the API "
			  "Gateway v2 domain name and API mapping yourself", domain);
		return rc;
	}
	if (json_string_value(json_object_get(st->settings, "certificate_arn"))) {
		*mode = CERT_ARN;
	} else if (json_string_value(json_object_get(st->settings, "certificate"))) {
		*mode = CERT_FILES;
		rc = cert_pem_read(st, domain, p, e);
	} else if (json_string_value(json_object_get(st->settings, "lets_encrypt_key"))) {
		*mode = CERT_ACME;
		rc = cert_acme_key_check(st, e);
	} else {
		*mode = CERT_ACM;
	}
	return rc;
}

/* The checks against AWS before any change: deployed, REST API, hosted zone. */
static int preflight(struct aws_ctx *x, const char *domain, bool need_zone, char **zone,
		     struct herr *e)
{
	char *api = NULL, *zname = NULL;
	const char *arn;
	int rc;

	*zone = NULL;
	if ((rc = ev_function_arn(x, &arn, e)) || (rc = domain_rest_api(x, &api, e)))
		return rc;
	if (!api) {
		rc = herr_set(e, HOIST_FAIL, "certify: the stage %s has no REST API (%s) to put "
			      "%s in front of", x->st->name, x->st->function_name, domain);
		herr_hint(e, "deploy with apigateway_enabled (REST v1) first: hoist deploy %s",
			  x->st->name);
		return rc;
	}
	free(api);
	if (!need_zone)
		return HOIST_OK;
	rc = r53_zone_for(x, domain, zone, &zname, e);
	if (!rc && !*zone) {
		rc = herr_set(e, HOIST_FAIL, "certify: no Route 53 hosted zone matches %s "
			      "(ListHostedZones)", domain);
		herr_hint(e, "create the zone for the domain's parent in Route 53, or set "
			  "\"route53_enabled\": false with a certificate_arn or certificate files "
			  "and point DNS at the domain yourself");
	}
	free(zname);
	return rc;
}

int aws_op_certify(const struct stage *st, const struct certify_args *a, char **url,
		   struct herr *e)
{
	const char *domain = json_string_value(json_object_get(st->settings, "domain"));
	bool regional = regional_endpoint(st), r53, manual = a && a->manual;
	enum cert_mode mode = CERT_ACM;
	struct cert_pem p = { 0 };
	struct aws_ctx x, ax;
	struct stage tmp;
	char *zone = NULL, *arn = NULL, *current = NULL;
	int rc;

	*url = NULL;
	if ((rc = plan(st, &mode, &p, e)))
		goto out_plain;
	if (manual && mode == CERT_ARN) {
		rc = herr_set(e, HOIST_USAGE, "certify --manual: with certificate_arn there is "
			      "no certificate to obtain or DNS record to print");
		herr_hint(e, "run hoist certify %s without --manual to install %s", st->name,
			  domain);
		goto out_plain;
	}
	if ((rc = aws_ctx_open(&x, st, e)))
		goto out_plain;
	r53 = ev_setting_bool(&x, "route53_enabled", true);
	rc = preflight(&x, domain, manual ? mode == CERT_ACME :
		       r53 || mode == CERT_ACME || mode == CERT_ACM, &zone, e);
	if (rc)
		goto out_x;
	if ((rc = acm_ctx_open(&x, regional ? x.region : "us-east-1", &ax, &tmp, e))) {
		json_decref(tmp.settings);
		goto out_x;
	}
	if (mode == CERT_ACME && (rc = cert_acme_obtain(st, domain, r53_acme_set_txt, &x, &p, e)))
		goto out;
	if (manual && mode == CERT_ACM) {
		json_t *records = json_array();

		rc = acm_request(&ax, &x, domain, NULL, records, &arn, e);
		json_object_set_new(a->manual_out, "records", records);
		goto out;
	}
	if (manual) {
		rc = cert_write_manual(domain, &p, a->manual_out, e);
		goto out;
	}
	switch (mode) {
	case CERT_ARN:
		arn = xstrdup(ev_setting_str(&x, "certificate_arn"));
		rc = acm_check(&ax, arn, domain, e);
		break;
	case CERT_FILES:
	case CERT_ACME:
		rc = domain_cert(&x, domain, &current, e);
		if (!rc)
			rc = acm_import(&ax, p.cert, p.key, p.chain,
					current && acm_imported(&ax, current) ? current : NULL,
					domain, &arn, e);
		break;
	case CERT_ACM:
		rc = acm_request(&ax, &x, domain, zone, NULL, &arn, e);
		break;
	}
	if (!rc)
		rc = domain_install(&x, domain, arn, regional, r53 ? zone : NULL, e);
	if (!rc) {
		rc = aws_domain_url(&x, url, e);
		out_warn("DNS and the %s can take up to 40 minutes to propagate before %s answers",
			 regional ? "regional endpoint" : "CloudFront distribution", domain);
	}
out:
	acm_ctx_close(&ax, &tmp);
out_x:
	aws_ctx_close(&x);
out_plain:
	cert_pem_free(&p);
	free(zone);
	free(arn);
	free(current);
	return rc;
}
