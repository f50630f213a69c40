/*
 * ctx.c — the per-command Tencent context (tencent.h): one signed client
 * for the stage, the alias name, the AppId and owner UIN from CAM GetUserAppId
 * (fetched at most once per process and SecretId), and small helpers every file uses.
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/known.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	x->opened = time(NULL);
	/* SCF alias names start with a letter: [A-Za-z][A-Za-z0-9_-]{0,63}. */
	x->alias = isalpha((unsigned char)st->name[0]) ? xstrdup(st->name)
						       : xasprintf("s%s", st->name);
	return HOIST_OK;
}

/* A reader's context: x's, with a client of its own (tc_read_ahead). */
struct tc_reader {
	void (*read)(struct tc_ctx *copy);
	struct tc_ctx copy;
};

static void reader_run(void *p)
{
	struct tc_reader *r = p;

	r->read(&r->copy);
}

static void reader_done(void *p)
{
	struct tc_reader *r = p;

	tc_ctx_copy_free(&r->copy);
	free(r);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void tc_ctx_copy(const struct tc_ctx *x, struct tc_ctx *copy, struct http_client *http)
{
	memset(copy, 0, sizeof(*copy));
	copy->client = x->client;   /* the configuration and credentials, borrowed */
	copy->client.stage = NULL;  /* the command takes the stage lock, before any copy writes */
	copy->client.http = http;
	copy->st = x->st;
	copy->region = x->region;
	copy->fn = x->fn;
	copy->opened = x->opened;
	copy->alias = dup_or_null(x->alias);
	copy->appid = dup_or_null(x->appid);
	copy->uin = dup_or_null(x->uin);
	copy->role = dup_or_null(x->role);
}

void tc_ctx_copy_free(struct tc_ctx *copy)
{
	http_client_free(copy->client.http);
	free(copy->alias);
	free(copy->appid);
	free(copy->uin);
	free(copy->role);
	memset(copy, 0, sizeof(*copy));
}

void tc_read_ahead(struct tc_ctx *x, void (*read)(struct tc_ctx *copy))
{
	struct tc_reader *r = xcalloc(1, sizeof(*r));

	r->read = read;
	tc_ctx_copy(x, &r->copy, readahead_reader_client(&x->ahead, x->client.http));
	if (r->copy.client.http)
		readahead_readers_start(&x->ahead, reader_run, reader_done, r);
	else
		reader_done(r);   /* x reads it itself */
}

void tc_ctx_close(struct tc_ctx *x)
{
	readahead_readers_end(&x->ahead, x->client.http);
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
 * The AppId and owner UIN of a SecretId are asked once per process
 * (core/known.h): the stage lock's marker (lock.c) opens contexts of its
 * own, and readers (tc_read_ahead) may ask too.
 */
int tc_appid(struct tc_ctx *x, const char **appid, struct herr *e)
{
	struct tc_result r;
	json_t *id;
	int rc;

	if (!x->appid && (x->appid = known_get("tencent-appid", x->client.cfg.creds.id))) {
		free(x->uin);
		x->uin = known_get("tencent-uin", x->client.cfg.creds.id);
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
		known_put("tencent-uin", x->client.cfg.creds.id, x->uin);
		known_put("tencent-appid", x->client.cfg.creds.id, x->appid);
	}
	*appid = x->appid;
	return HOIST_OK;
}

int tc_not_deployed(const struct tc_ctx *x, struct herr *e)
{
	return stage_not_deployed(e, x->st, "SCF function", x->region);
}
