/*
 * ctx.c — the per-command AWS context (aws.h): one signed client for the
 * stage, and the account id: from the function's ARN once GetFunction has
 * given it, else from STS GetCallerIdentity, fetched at most once per command.
 */
#include "aws.h"

#include "../../core/err.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

int aws_ctx_open(struct aws_ctx *x, const struct stage *st, struct herr *e)
{
	int rc;

	memset(x, 0, sizeof(*x));
	rc = aws_client_open(&x->client, st->settings, e);
	if (rc)
		return rc;
	x->st = st;
	x->client.stage = st;
	x->region = x->client.cfg.region;
	return HOIST_OK;
}

void aws_ctx_close(struct aws_ctx *x)
{
	aws_client_close(&x->client);
	free(x->account_id);
	free(x->function_arn);
	memset(x, 0, sizeof(*x));
}

/* The account field of an ARN (arn:partition:service:region:ACCOUNT:…), or NULL; allocates. */
static char *arn_account(const char *arn)
{
	const char *p = arn;

	for (int i = 0; i < 4 && p; i++)
		p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
	if (!p || !strchr(p, ':') || strchr(p, ':') == p)
		return NULL;
	return xasprintf("%.*s", (int)(strchr(p, ':') - p), p);
}

int aws_account_id(struct aws_ctx *x, const char **id, struct herr *e)
{
	struct aws_call c = { .svc = &aws_sts, .op = "GetCallerIdentity" };
	struct aws_result r;
	const char *acct;
	int rc;

	if (!x->account_id && x->function_arn)
		x->account_id = arn_account(x->function_arn);
	if (x->account_id) {
		*id = x->account_id;
		return HOIST_OK;
	}
	c.params = json_object();
	rc = aws_do(&x->client, &c, &r, e);
	json_decref(c.params);
	if (rc)
		goto out;
	acct = json_string_value(json_object_get(json_object_get(r.data,
						 "GetCallerIdentityResult"), "Account"));
	if (!acct)
		acct = json_string_value(json_object_get(r.data, "Account"));
	if (!acct) {
		rc = herr_set(e, HOIST_FAIL, "STS GetCallerIdentity: no account id in the answer");
		goto out;
	}
	x->account_id = xstrdup(acct);
	*id = x->account_id;
out:
	aws_result_free(&r);
	return rc;
}
