/*
 * ssl.c — SSL Certificates (2019-12-05): a certificate hoist uploads for a
 * custom domain (UploadCertificate, Alias "hoist-<domain>", so undeploy and
 * renewals know it is hoist's) and its removal.  A certificate the user
 * uploaded themselves is never deleted.
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

char *tc_cert_alias(const char *domain)
{
	return xasprintf("hoist-%s", domain);
}

int tc_cert_upload(struct tc_ctx *x, const char *domain, const char *cert_pem,
		   const char *key_pem, char **id, struct herr *e)
{
	char *alias = tc_cert_alias(domain);
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:b}", "CertificatePublicKey", cert_pem,
			      "CertificatePrivateKey", key_pem, "CertificateType", "SVR",
			      "Alias", alias, "Repeatable", 0);
	struct tc_result r;
	int rc = tc_call(x, &tc_ssl, "UploadCertificate", p, &r, e);

	*id = NULL;
	if (!rc && tc_str(r.data, "CertificateId"))
		*id = xstrdup(tc_str(r.data, "CertificateId"));
	else if (!rc)
		rc = herr_set(e, HOIST_FAIL, "SSL UploadCertificate: no CertificateId in the answer");
	tc_result_free(&r);
	json_decref(p);
	free(alias);
	return rc;
}

int tc_cert_delete_ours(struct tc_ctx *x, const char *id, const char *domain, struct herr *e)
{
	char *alias = tc_cert_alias(domain);
	json_t *p = json_pack("{s:[s]}", "CertIds", id), *c;
	struct tc_result r;
	bool ours = false;
	size_t i;
	int rc = tc_call(x, &tc_ssl, "DescribeCertificates", p, &r, e);

	json_array_foreach(json_object_get(r.data, "Certificates"), i, c)
		ours |= !strcmp(tc_str(c, "CertificateId") ?: "", id) &&
			!strcmp(tc_str(c, "Alias") ?: "", alias);
	tc_result_free(&r);
	json_decref(p);
	if (!rc && ours) {
		p = json_pack("{s:s}", "CertificateId", id);
		rc = tc_call(x, &tc_ssl, "DeleteCertificate", p, &r, e);
		if (!rc)
			out_step("Deleted certificate %s (%s)", id, alias);
		tc_result_free(&r);
		json_decref(p);
	}
	free(alias);
	return rc;
}
