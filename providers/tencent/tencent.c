/*
 * tencent.c — the Tencent Cloud provider's descriptor: SCF code-size limits
 * and the operations (ops.c; schedule/unschedule in timers.c, tail in
 * logs.c, request in request.c, the stage lock's marker in lock.c).
 *
 * Inline code: a zip goes in the request body as Code.ZipFile (base64);
 * CreateFunction documents ≤ 50 MB and UpdateFunctionCode "max 20 MB", and
 * API 3.0 request bodies are believed to be capped at 10 MB (unconfirmed),
 * so nothing over 10 MiB of body (zip ≤ 7.5 MiB − 48 KiB) may go inline; as
 * on every cloud, hoist sends inline only zips up to 4 MiB and uploads
 * anything larger to COS (core/package.h, objstore_from).  SCF takes code
 * up to 500 MB unzipped (checked before any upload).
 */
#include "tencent.h"

#include "../provider.h"

const struct provider tencent_provider = {
	.name = "tencent",
	.limits = {
		.inline_zip = (10ULL * 1024 * 1024 - 64 * 1024) / 4 * 3,
		.objstore_zip = 0,
		.objstore_from = PACKAGE_OBJSTORE_FROM,
		.unzipped = 500ULL * 1024 * 1024,
		.objstore = "COS",
		.slim = false,
	},
	.package_beside = true,             /* deploy/update read while it is built */
	.remote = true,
	.deploy = tc_deploy,
	.deployed = tc_deployed,
	.update = tc_update,
	.status = tc_status,
	.invoke = tc_invoke,
	.rollback = tc_rollback,
	.undeploy = tc_undeploy,
	.schedule = tc_schedule,
	.unschedule = tc_unschedule,
	.tail = tc_tail,
	.certify = tc_certify,
	.request = tc_request,
	.lock_put = tc_lock_put,            /* lock.c */
	.lock_delete = tc_lock_delete,
	.lock_get = tc_lock_get,
};
