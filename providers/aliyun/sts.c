/*
 * sts.c — Security Token Service (RPC 2015-04-01, sts.aliyuncs.com):
 * GetCallerIdentity, the account id the OSS bucket and the SLS project
 * names are built from (FC3's endpoint is the region's alone).
 */
#include "aliyun.h"

#include "../../core/err.h"
#include "../../core/str.h"

int sts_account_id(struct ali_ctx *x, char **id, struct herr *e)
{
	struct ali_call c = { .svc = &ali_sts, .action = "GetCallerIdentity", .method = "POST" };
	struct ali_result r;
	const char *acct;
	int rc;

	*id = NULL;
	rc = ali_do(&x->client, &c, &r, e);
	if (!rc) {
		acct = json_string_value(json_object_get(r.data, "AccountId"));
		if (acct && *acct)
			*id = xstrdup(acct);
		else
			rc = herr_set(e, HOIST_FAIL, "STS GetCallerIdentity: no AccountId in the answer");
	}
	ali_result_free(&r);
	return rc;
}
