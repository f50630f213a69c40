/*
 * ctx.c — the per-command Alibaba Cloud context (aliyun.h): one signed
 * client for the stage, the alias (the stage name) and the account id (the
 * account_id setting, else STS GetCallerIdentity, fetched at most once).
 */
#include "aliyun.h"

#include "../../core/err.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

int ali_ctx_open(struct ali_ctx *x, const struct stage *st, struct herr *e)
{
	int rc;

	memset(x, 0, sizeof(*x));
	if ((rc = ali_check_stage(st, e)) != HOIST_OK)
		return rc;
	if ((rc = ali_client_open(&x->client, st->settings, e)) != HOIST_OK)
		return rc;
	x->st = st;
	x->client.stage = st;
	x->region = x->client.cfg.region;
	x->alias = st->name;
	return HOIST_OK;
}

void ali_ctx_close(struct ali_ctx *x)
{
	ali_client_close(&x->client);
	free(x->account_id);
	free(x->fn_role);
	memset(x, 0, sizeof(*x));
}

int ali_account_id(struct ali_ctx *x, const char **id, struct herr *e)
{
	const json_t *v = json_object_get(x->st->settings, "account_id");
	int rc;

	if (!x->account_id && json_is_string(v))
		x->account_id = xstrdup(json_string_value(v));
	else if (!x->account_id && json_is_integer(v))
		x->account_id = xasprintf("%lld", (long long)json_integer_value(v));
	if (!x->account_id && (rc = sts_account_id(x, &x->account_id, e)) != HOIST_OK)
		return rc;
	*id = x->account_id;
	return HOIST_OK;
}
