/*
 * ctx.c — the per-command AWS context (aws.h): one signed client for the
 * stage, and the account id: from the function's ARN once GetFunction has
 * given it, else from STS GetCallerIdentity, fetched at most once per
 * process for the same access key (the stage lock's own context asks too);
 * and the reads a deploy or update makes while its package is being built.
 */
#include "deploy.h"

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
	json_decref(x->cfg);
	json_decref(x->policy);
	free(x->role_arn);
	json_decref(x->role_policy);
	free(x->bucket_ok);
	json_decref(x->rule_names);
	free(x->rule_target);
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

/* The account of an access key, once known in this process (an account never changes keys). */
static char known_key[129], known_account[64];

static void account_known(const struct aws_ctx *x)
{
	const char *key = x->client.cfg.creds.id;

	if (key && strlen(key) < sizeof(known_key) && strlen(x->account_id) < sizeof(known_account)) {
		strcpy(known_key, key);
		strcpy(known_account, x->account_id);
	}
}

int aws_account_id(struct aws_ctx *x, const char **id, struct herr *e)
{
	struct aws_call c = { .svc = &aws_sts, .op = "GetCallerIdentity" };
	const char *key = x->client.cfg.creds.id;
	struct aws_result r;
	const char *acct;
	int rc;

	if (!x->account_id && x->function_arn && (x->account_id = arn_account(x->function_arn)))
		account_known(x);
	if (!x->account_id && key && known_key[0] && !strcmp(key, known_key))
		x->account_id = xstrdup(known_account);
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
	account_known(x);
	*id = x->account_id;
out:
	aws_result_free(&r);
	return rc;
}

void aws_prefetch(struct aws_ctx *x, bool bucket)
{
	struct herr e2 = { 0 };
	const char *acct;
	char *name = NULL;
	bool exists;

	if (aws_account_id(x, &acct, &e2) == HOIST_OK && bucket &&
	    s3_bucket_name(x, &name, &e2) == HOIST_OK)
		s3_bucket_exists(x, name, &exists, &e2);
	herr_clear(&e2);
	iam_role_read(x, &e2);
	herr_clear(&e2);
	free(name);
}
