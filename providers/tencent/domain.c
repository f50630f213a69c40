/*
 * domain.c — the stage's SCF custom domain (CreateCustomDomain): looked up
 * for status and removed with undeploy, together with the certificate hoist
 * uploaded for it (SSL, Alias "hoist <domain>").  certify.c creates it.
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

/* GetCustomDomain: *d the answer, NULL when absent. */
int tc_domain_get(struct tc_ctx *x, const char *domain, json_t **d, struct herr *e)
{
	json_t *p = json_pack("{s:s}", "Domain", domain);
	struct tc_result r;
	int rc = tc_call(x, &tc_scf, "GetCustomDomain", p, &r, e);

	*d = NULL;
	if (rc && tc_error_is(&r, "ResourceNotFound")) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc) {
		*d = json_incref(r.data);
	}
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

/* Does the custom domain route to this stage's function? */
bool tc_domain_ours(const struct tc_ctx *x, const json_t *d)
{
	const json_t *ep;
	size_t i;

	json_array_foreach(json_object_get(d, "EndpointsConfig"), i, ep)
		if (!strcmp(tc_str(ep, "FunctionName") ?: "", x->fn))
			return true;
	return false;
}

int tc_domain_url(struct tc_ctx *x, char **url, struct herr *e)
{
	const char *domain = settings_str(x->st->settings, "domain");
	const char *base = settings_str(x->st->settings, "base_path");
	json_t *d = NULL;
	int rc = HOIST_OK;

	*url = NULL;
	if (domain)
		rc = tc_domain_get(x, domain, &d, e);
	if (!rc && d && tc_domain_ours(x, d))
		*url = xasprintf("%s://%s%s%s", strstr(tc_str(d, "Protocol") ?: "", "HTTPS")
				 ? "https" : "http", domain, base ? "/" : "", base ? base : "");
	json_decref(d);
	return rc;
}

int tc_domain_remove(struct tc_ctx *x, struct herr *e)
{
	const char *domain = settings_str(x->st->settings, "domain");
	const char *cert;
	json_t *d = NULL, *p;
	struct tc_result r;
	int rc = HOIST_OK;

	if (domain)
		rc = tc_domain_get(x, domain, &d, e);
	if (rc || !d || !tc_domain_ours(x, d))
		goto out;
	out_step("Deleting custom domain %s", domain);
	p = json_pack("{s:s}", "Domain", domain);
	rc = tc_call(x, &tc_scf, "DeleteCustomDomain", p, &r, e);
	if (rc && tc_error_is(&r, "ResourceNotFound")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	tc_result_free(&r);
	json_decref(p);
	cert = tc_str(json_object_get(d, "CertConfig"), "CertificateId");
	if (!rc && cert && *cert)
		rc = tc_cert_delete_ours(x, cert, domain, e);
out:
	json_decref(d);
	return rc;
}
