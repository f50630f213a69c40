/*
 * upload_early.c — the code object's upload to the artifacts bucket while
 * the package's pre-flight still runs (core/upload_early.h): only into a
 * bucket that is there already, under the stage lock.
 */
#include "deploy.h"

#include "../../core/err.h"
#include "../../core/http.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

static int put(void *arg, struct herr *e)
{
	struct aws_early *u = arg;

	return s3_upload(&u->copy, u->bucket, u->key, u->zip, u->size, u->sha, e);
}

static int drop(void *arg, struct herr *e)
{
	struct aws_early *u = arg;

	return s3_delete(u->x, u->bucket, u->key, e);
}

/* After the verdict: what the upload held. */
static void done(void *arg)
{
	struct aws_early *u = arg;

	aws_ctx_copy_free(&u->copy);
	free(u->bucket);
	free(u->key);
	u->bucket = u->key = NULL;
}

int aws_early_upload_start(struct aws_ctx *x, struct aws_early *u, const char *zip,
			   unsigned long long size, const char *sha_hex, struct herr *e)
{
	struct http_client *http;
	struct herr e2 = { 0 };
	bool exists = false;
	int rc = HOIST_OK;

	memset(u, 0, sizeof(*u));
	if (s3_bucket_name(x, &u->bucket, &e2) == HOIST_OK)
		exists = x->bucket_ok && !strcmp(x->bucket_ok, u->bucket);
	if (!exists && u->bucket && s3_bucket_exists(x, u->bucket, &exists, &e2) != HOIST_OK)
		exists = false;
	herr_clear(&e2);
	/* no bucket yet: the usual step makes (or reports) it, once the pre-flight passed */
	if (!exists || (rc = upload_early_client(x->st, &http, e)) != HOIST_OK || !http) {
		free(u->bucket);
		u->bucket = NULL;
		return rc;
	}
	aws_ctx_copy(x, &u->copy, http);
	u->x = x;
	u->key = s3_zip_key(x, sha_hex);
	u->zip = zip;
	u->size = size;
	u->sha = sha_hex;
	upload_early_start(&u->up, http, put, drop, done, u, zip, size,
			   xasprintf("s3://%s/%s", u->bucket, u->key));
	return HOIST_OK;
}
