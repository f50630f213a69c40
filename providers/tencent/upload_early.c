/*
 * upload_early.c — the code zip's upload to the COS artifacts bucket while
 * the package's pre-flight still runs (core/upload_early.h): only into a
 * bucket that is there already, under the stage lock.
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

static int put(void *arg, struct herr *e)
{
	struct tc_early *u = arg;

	return cos_upload(&u->copy, u->bucket, u->key, u->zip, u->sha, e);
}

static int drop(void *arg, struct herr *e)
{
	struct tc_early *u = arg;

	return cos_delete(u->x, u->bucket, u->key, e);
}

/* After the verdict: what the upload held. */
static void done(void *arg)
{
	struct tc_early *u = arg;

	tc_ctx_copy_free(&u->copy);
	free(u->bucket);
	free(u->key);
	u->bucket = u->key = NULL;
}

int tc_early_upload_start(struct tc_ctx *x, struct tc_early *u, const char *zip,
			  unsigned long long size, const char *sha256_hex, struct herr *e)
{
	struct http_client *http;
	struct herr e2 = { 0 };
	bool exists = false;
	int rc = HOIST_OK;

	memset(u, 0, sizeof(*u));
	u->bucket = cos_bucket_name(x);
	if (cos_bucket_exists(x, u->bucket, &exists, &e2) != HOIST_OK)
		exists = false;
	herr_clear(&e2);
	/* no bucket yet: the usual step makes (or reports) it, once the pre-flight passed */
	if (!exists || (rc = upload_early_client(x->st, &http, e)) != HOIST_OK || !http) {
		free(u->bucket);
		u->bucket = NULL;
		return rc;
	}
	tc_ctx_copy(x, &u->copy, http);
	u->x = x;
	u->key = cos_code_key(x, sha256_hex);
	u->zip = zip;
	u->sha = sha256_hex;
	u->size = size;
	upload_early_start(&u->up, http, put, drop, done, u, zip, size,
			   xasprintf("cos://%s/%s", u->bucket, u->key));
	return HOIST_OK;
}
