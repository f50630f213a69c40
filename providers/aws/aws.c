/*
 * aws.c — the AWS provider's descriptor: Lambda + API Gateway limits, the
 * packages the Lambda Python runtime already ships, and the operations
 * (ops.c; schedule/unschedule/tail/certify in events.c, logs.c, certify.c).
 */
#include "aws.h"

#include "../provider.h"

static const char *const aws_runtime_provided[] = { "boto3", "botocore", "s3transfer", NULL };

const struct provider aws_provider = {
	.name = "aws",
	.limits = {
		.inline_zip = 50ULL * 1024 * 1024,      /* 69,905,067 bytes once base64'd */
		.objstore_zip = 0,
		.objstore_from = PACKAGE_OBJSTORE_FROM,
		.unzipped = 262144000ULL,               /* incl. layers */
		.objstore = "S3",
		.slim = true,
	},
	.runtime_provided = aws_runtime_provided,
	.package_beside = true,
	.remote = true,
	.settings = aws_settings,           /* settings.c */
	.deploy = aws_deploy,
	.deployed = aws_deployed,
	.update = aws_update,
	.status = aws_status,
	.invoke = aws_invoke,
	.rollback = aws_rollback,
	.undeploy = aws_undeploy,
	.schedule = aws_op_schedule,        /* events.c (issue 6) */
	.unschedule = aws_op_unschedule,    /* events.c */
	.tail = aws_op_tail,                /* logs.c */
	.certify = aws_op_certify,          /* certify.c */
	.request = aws_request,              /* request.c */
	.slim_location = aws_slim_location,
	.lock_put = aws_lock_put,           /* lock.c */
	.lock_delete = aws_lock_delete,
	.lock_get = aws_lock_get,
};
