/*
 * ctx.c — the per-command AWS context (aws.h): one signed client for the
 * stage, and the account id: from the function's ARN once GetFunction has
 * given it, else from STS GetCallerIdentity, fetched at most once per
 * process for the same access key (the stage lock's own context asks too);
 * and the reads a deploy or update makes while its package is being built.
 */
#include "deploy.h"

#include "../../core/err.h"
#include "../../core/known.h"
#include "../../core/http.h"
#include "../../core/settings.h"
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

/* What x read and remembered (not its client). */
static void drop_answers(struct aws_ctx *x)
{
	free(x->account_id);
	free(x->function_arn);
	json_decref(x->cfg);
	json_decref(x->policy);
	free(x->role_arn);
	json_decref(x->role_policy);
	free(x->bucket_ok);
	json_decref(x->rule_names);
	free(x->rule_target);
}

void aws_ctx_close(struct aws_ctx *x)
{
	aws_client_close(&x->client);
	drop_answers(x);
	memset(x, 0, sizeof(*x));
}

void aws_ctx_copy(const struct aws_ctx *x, struct aws_ctx *copy, struct http_client *http)
{
	memset(copy, 0, sizeof(*copy));
	copy->client = x->client;   /* the configuration and credentials, borrowed */
	copy->client.http = http;
	copy->st = x->st;
	copy->region = x->region;
	copy->account_id = x->account_id ? xstrdup(x->account_id) : NULL;
	copy->function_arn = x->function_arn ? xstrdup(x->function_arn) : NULL;
	copy->role_read = x->role_read;   /* what it may ask next: the role's policy */
	copy->role_arn = x->role_arn ? xstrdup(x->role_arn) : NULL;
}

void aws_ctx_copy_free(struct aws_ctx *copy)
{
	http_client_free(copy->client.http);
	drop_answers(copy);
	memset(copy, 0, sizeof(*copy));
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

/* The account of an access key, once known in this process (core/known.h). */
static void account_known(const struct aws_ctx *x)
{
	known_put("aws-account", x->client.cfg.creds.id, x->account_id);
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
	if (!x->account_id)
		x->account_id = known_get("aws-account", key);
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

static void role_read(struct aws_ctx *x)
{
	struct herr e2 = { 0 };

	iam_role_read(x, &e2);   /* what failed is read again where it is needed */
	herr_clear(&e2);
}

void aws_prefetch(struct aws_ctx *x, bool bucket)
{
	const json_t *s = x->st->settings;
	bool mine = !settings_str(s, "role_arn"), policy = settings_bool(s, "manage_roles", true);
	struct aws_beside role;
	struct herr e2 = { 0 };
	const char *acct;
	char *name = NULL;
	bool exists, beside;

	/* the role and its policy beside the account and the bucket, unless known already */
	beside = mine && (!x->role_read || (policy && !x->role_policy_read && x->role_arn));
	if (beside)
		aws_beside_start(x, &role, role_read);
	if (aws_account_id(x, &acct, &e2) == HOIST_OK && bucket &&
	    s3_bucket_name(x, &name, &e2) == HOIST_OK)
		s3_bucket_exists(x, name, &exists, &e2);
	herr_clear(&e2);
	if (beside)
		aws_beside_join(x, &role);
	free(name);
}

/* ---- reads side by side ----------------------------------------------------- */

static void beside_run(void *p)
{
	struct aws_beside *b = p;

	if (b->prefetch)
		b->prefetch(&b->copy);
	else
		b->read(&b->copy, b->arg);
}

static void start(struct aws_ctx *x, struct aws_beside *b, void (*prefetch)(struct aws_ctx *x),
		  void (*read)(struct aws_ctx *x, void *arg), void *arg)
{
	const char *acct;
	struct herr e2 = { 0 };

	/* the account from the ARN when it is known: the copy never asks STS for it */
	if (x->function_arn)
		aws_account_id(x, &acct, &e2);
	herr_clear(&e2);
	memset(b, 0, sizeof(*b));
	b->prefetch = prefetch;
	b->read = read;
	b->arg = arg;
	aws_ctx_copy(x, &b->copy, http_client_new());
	if (b->copy.client.http) {
		beside_start(&b->job, beside_run, b);
	} else {   /* no client of its own: it reads in the join, after the caller, with x's */
		b->copy.client.http = x->client.http;
		b->borrowed = true;
		b->job.fn = beside_run;
		b->job.arg = b;
	}
}

void aws_beside_read(struct aws_ctx *x, struct aws_beside *b,
		     void (*read)(struct aws_ctx *x, void *arg), void *arg)
{
	start(x, b, NULL, read, arg);
}

void aws_beside_start(struct aws_ctx *x, struct aws_beside *b, void (*read)(struct aws_ctx *x))
{
	start(x, b, read, NULL, NULL);
}

/* Move *from into *to when *to is not set; clear *from either way (a string or a json_t). */
#define ADOPT(to, from, drop) do {                      \
		if (!(to)) {                            \
			(to) = (from);                  \
		} else {                                \
			drop(from);                     \
		}                                       \
		(from) = NULL;                          \
	} while (0)

static void json_drop(json_t *j)
{
	json_decref(j);
}

void aws_beside_join(struct aws_ctx *x, struct aws_beside *b)
{
	struct aws_ctx *c = &b->copy;

	beside_join(&b->job);
	if (c->cfg && !x->cfg)
		x->cfg_gen = c->cfg_gen;
	ADOPT(x->cfg, c->cfg, json_drop);
	if (c->policy && !x->policy)
		x->policy_gen = c->policy_gen;
	ADOPT(x->policy, c->policy, json_drop);
	if (c->role_read && !x->role_read) {
		x->role_read = true;
		ADOPT(x->role_arn, c->role_arn, free);
	}
	if (c->role_policy_read && !x->role_policy_read) {
		x->role_policy_read = true;
		ADOPT(x->role_policy, c->role_policy, json_drop);
	}
	ADOPT(x->bucket_ok, c->bucket_ok, free);
	if (c->rule_names && !x->rule_names) {
		x->rule_names_gen = c->rule_names_gen;
		free(x->rule_target);
		x->rule_target = c->rule_target;
		c->rule_target = NULL;
	}
	ADOPT(x->rule_names, c->rule_names, json_drop);
	ADOPT(x->account_id, c->account_id, free);
	ADOPT(x->function_arn, c->function_arn, free);
	if (!b->borrowed)
		http_client_free(c->client.http);
	free(c->role_arn);
	json_decref(c->role_policy);
	free(c->rule_target);
	memset(b, 0, sizeof(*b));
}
