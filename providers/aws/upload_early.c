/*
 * upload_early.c — the code object's upload to the artifacts bucket while
 * the package's pre-flight still runs (provider.h, deploy_package_built).
 *
 * On the critical path of a deploy or update with new code the pre-flight
 * (the app imported by a local Python) and the upload came one after the
 * other; now they overlap.  What makes this safe to do before the pre-flight
 * has passed:
 *   - only into a bucket that is there already (nothing is created), under
 *     the stage lock (taken first: another run of the stage cannot remove
 *     the object under this one, nor this one under it);
 *   - the object is only that: nothing about the stage refers to it until
 *     the pre-flight passed and the function's code is updated from it;
 *   - a refused pre-flight (or an interrupt) stops the transfer where it is
 *     (http_client_cancel; a multipart upload is aborted) and removes an
 *     object that got there, so the bucket is as it was.
 * A failed early upload is only a lost head start: the usual step uploads.
 */
#include "deploy.h"

#include "../../core/err.h"
#include "../../core/http.h"
#include "../../core/interrupt.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/stage.h"
#include "../../core/stagelock.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

static void upload(struct aws_ctx *c, void *arg)
{
	struct aws_early *u = arg;

	out_mute_thread();   /* the command said what it does; it reports the outcome */
	if (atomic_load(&u->unwanted))   /* no thread of its own: run in the join, too late */
		u->rc = herr_set(&u->e, HOIST_FAIL, "not wanted any more");
	else
		u->rc = s3_upload(c, u->bucket, u->key, u->zip, u->size, u->sha, &u->e);
}

int aws_early_upload_start(struct aws_ctx *x, struct aws_early *u, const char *zip,
			   unsigned long long size, const char *sha_hex, struct herr *e)
{
	struct herr e2 = { 0 };
	bool exists = false;
	char sz[32];
	int rc;

	memset(u, 0, sizeof(*u));
	if (s3_bucket_name(x, &u->bucket, &e2) == HOIST_OK)
		exists = x->bucket_ok && !strcmp(x->bucket_ok, u->bucket);
	if (!exists && u->bucket && s3_bucket_exists(x, u->bucket, &exists, &e2) != HOIST_OK)
		exists = false;
	herr_clear(&e2);
	if (!exists) {   /* the usual step makes (or reports) it, once the pre-flight passed */
		free(u->bucket);
		u->bucket = NULL;
		return HOIST_OK;
	}
	if ((rc = stage_before_write(x->st, e)) != HOIST_OK) {
		free(u->bucket);
		u->bucket = NULL;
		return rc;
	}
	u->key = s3_zip_key(x, sha_hex);
	u->zip = zip;
	u->size = size;
	u->sha = sha_hex;
	out_step("Uploading %s to s3://%s/%s (%s) while the pre-flight runs", path_base(zip),
		 u->bucket, u->key, str_size(size, sz, sizeof(sz)));
	aws_beside_read(x, &u->side, upload, u);
	u->started = true;
	return HOIST_OK;
}

bool aws_early_upload_end(struct aws_ctx *x, struct aws_early *u, bool wanted)
{
	struct herr e2 = { 0 };
	bool sent;

	if (!u->started)
		return false;
	if (!wanted) {
		atomic_store(&u->unwanted, true);
		http_client_cancel(u->side.copy.client.http);
	}
	aws_beside_join(x, &u->side);
	sent = u->rc == HOIST_OK;
	if (!sent && wanted)
		out_info("the upload made while the pre-flight ran did not finish (%s): "
			 "uploading again", u->e.msg);
	if (sent && !wanted) {   /* nothing may refer to it: the bucket as it was */
		intr_defer(true);
		if (s3_delete(x, u->bucket, u->key, &e2) != HOIST_OK)
			out_warn("could not remove s3://%s/%s: %s", u->bucket, u->key, e2.msg);
		intr_defer(false);
		sent = false;
	}
	free(u->bucket);
	free(u->key);
	u->bucket = u->key = NULL;
	u->started = false;
	return sent;
}
