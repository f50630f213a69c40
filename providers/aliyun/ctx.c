/*
 * ctx.c — the per-command Alibaba Cloud context (aliyun.h): one signed
 * client for the stage, the alias (the stage name) and the account id (the
 * account_id setting, else STS GetCallerIdentity, fetched at most once).
 */
#include "aliyun.h"

#include "../../core/err.h"
#include "../../core/known.h"
#include "../../core/readahead.h"
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
	x->opened = time(NULL);
	return HOIST_OK;
}

/* A reader's context: x's, with a client of its own (ali_read_ahead). */
struct ali_reader {
	void (*read)(struct ali_ctx *copy);
	struct ali_ctx copy;
};

static void reader_run(void *p)
{
	struct ali_reader *r = p;

	r->read(&r->copy);
}

static void reader_done(void *p)
{
	struct ali_reader *r = p;

	ali_ctx_copy_free(&r->copy);
	free(r);
}

void ali_ctx_copy(const struct ali_ctx *x, struct ali_ctx *copy, struct http_client *http)
{
	memset(copy, 0, sizeof(*copy));
	copy->client = x->client;   /* the configuration and credentials, borrowed */
	copy->client.stage = NULL;  /* the command takes the stage lock, before any copy writes */
	copy->client.http = http;
	copy->st = x->st;
	copy->region = x->region;
	copy->alias = x->alias;
	copy->opened = x->opened;
	copy->account_id = x->account_id ? xstrdup(x->account_id) : NULL;
	copy->fn_role = x->fn_role ? xstrdup(x->fn_role) : NULL;
}

void ali_ctx_copy_free(struct ali_ctx *copy)
{
	http_client_free(copy->client.http);
	free(copy->account_id);
	free(copy->fn_role);
	memset(copy, 0, sizeof(*copy));
}

void ali_read_ahead(struct ali_ctx *x, void (*read)(struct ali_ctx *copy))
{
	struct ali_reader *r = xcalloc(1, sizeof(*r));

	r->read = read;
	ali_ctx_copy(x, &r->copy, readahead_reader_client(&x->ahead, x->client.http));
	if (r->copy.client.http)
		readahead_readers_start(&x->ahead, reader_run, reader_done, r);
	else
		reader_done(r);   /* x reads it itself */
}

void ali_ctx_close(struct ali_ctx *x)
{
	readahead_readers_end(&x->ahead, x->client.http);
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
	if (!x->account_id)   /* asked once per process (core/known.h): the lock's contexts too */
		x->account_id = known_get("aliyun-account", x->client.cfg.creds.id);
	if (!x->account_id) {
		if ((rc = sts_account_id(x, &x->account_id, e)) != HOIST_OK)
			return rc;
		known_put("aliyun-account", x->client.cfg.creds.id, x->account_id);
	}
	*id = x->account_id;
	return HOIST_OK;
}
