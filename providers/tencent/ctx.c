/*
 * ctx.c — the per-command Tencent context (tencent.h): one signed client
 * for the stage, the alias name, the AppId and owner UIN from CAM GetUserAppId
 * (fetched at most once per process and SecretId), and small helpers every file uses.
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int tc_ctx_open(struct tc_ctx *x, const struct stage *st, struct herr *e)
{
	int rc;

	memset(x, 0, sizeof(*x));
	if ((rc = tc_client_open(&x->client, st->settings, e)) != HOIST_OK)
		return rc;
	x->st = st;
	x->client.stage = st;
	x->region = x->client.cfg.region;
	x->fn = st->function_name;
	/* SCF alias names start with a letter: [A-Za-z][A-Za-z0-9_-]{0,63}. */
	x->alias = isalpha((unsigned char)st->name[0]) ? xstrdup(st->name)
						       : xasprintf("s%s", st->name);
	return HOIST_OK;
}

void tc_ctx_close(struct tc_ctx *x)
{
	tc_client_close(&x->client);
	free(x->alias);
	free(x->appid);
	free(x->uin);
	free(x->role);
	memset(x, 0, sizeof(*x));
}

int tc_call(struct tc_ctx *x, const struct tc_service *svc, const char *action,
	    const json_t *params, struct tc_result *r, struct herr *e)
{
	struct tc_call c = { .svc = svc, .action = action, .params = params };

	return tc_do(&x->client, &c, r, e);
}

const char *tc_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/*
 * The AppId of the last SecretId asked, for the whole process: the stage
 * lock's marker (lock.c) opens contexts of its own.
 */
static char *known_id, *known_appid, *known_uin;

int tc_appid(struct tc_ctx *x, const char **appid, struct herr *e)
{
	struct tc_result r;
	json_t *id;
	int rc;

	if (!x->appid && known_id && !strcmp(known_id, x->client.cfg.creds.id)) {
		x->appid = xstrdup(known_appid);
		x->uin = known_uin ? xstrdup(known_uin) : NULL;
	}
	if (!x->appid) {
		rc = tc_call(x, &tc_cam, "GetUserAppId", NULL, &r, e);
		id = json_object_get(r.data, "AppId");
		if (!rc && json_is_integer(id))
			x->appid = xasprintf("%lld", (long long)json_integer_value(id));
		if (!rc && tc_str(r.data, "OwnerUin"))
			x->uin = xstrdup(tc_str(r.data, "OwnerUin"));
		else if (!rc)
			rc = herr_set(e, HOIST_FAIL, "CAM GetUserAppId: no AppId in the answer");
		tc_result_free(&r);
		if (rc)
			return rc;
		free(known_id);
		free(known_appid);
		free(known_uin);
		known_id = xstrdup(x->client.cfg.creds.id);
		known_appid = xstrdup(x->appid);
		known_uin = x->uin ? xstrdup(x->uin) : NULL;
	}
	*appid = x->appid;
	return HOIST_OK;
}

int tc_not_deployed(const struct tc_ctx *x, struct herr *e)
{
	return stage_not_deployed(e, x->st, "SCF function", x->region);
}
