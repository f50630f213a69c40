/*
 * aliyun.c — the Alibaba Cloud provider's descriptor: Function Compute 3.0
 * code-size limits (inline base64 zip ≤ 100 MiB, through OSS ≤ 500 MiB;
 * hoist sends inline only up to 4 MiB, core/package.h objstore_from) and
 * the operations (ops.c; tail in logs.c, request in request.c).
 */
#include "aliyun.h"

#include "../provider.h"

const struct provider aliyun_provider = {
	.name = "aliyun",
	.limits = {
		.inline_zip = 100ULL * 1024 * 1024 / 4 * 3,   /* base64 of the zip ≤ 100 MiB */
		.objstore_zip = 500ULL * 1024 * 1024,
		.objstore_from = PACKAGE_OBJSTORE_FROM,
		.unzipped = 0,
		.objstore = "OSS",
		.slim = false,
	},
	.package_beside = true,            /* ops.c: deploy_package() after the first reads */
	.remote = true,
	.deploy = ali_deploy,
	.update = ali_update,
	.status = ali_status,
	.secrets = ali_secrets,            /* apigw.c */
	.invoke = ali_invoke,
	.rollback = ali_rollback,
	.undeploy = ali_undeploy,
	.schedule = ali_schedule,
	.unschedule = ali_unschedule,
	.tail = ali_tail,
	.certify = ali_certify,            /* certify.c */
	.request = ali_request,
	.lock_put = ali_lock_put,          /* lock.c */
	.lock_delete = ali_lock_delete,
	.lock_get = ali_lock_get,
};
