/*
 * aws.c — the AWS provider's descriptor: Lambda + API Gateway limits and the
 * packages the Lambda Python runtime already ships.
 */
#include "../provider.h"

static const char *const aws_runtime_provided[] = { "boto3", "botocore", "s3transfer", NULL };

const struct provider aws_provider = {
	.name = "aws",
	.limits = {
		.inline_zip = 50ULL * 1024 * 1024,      /* 69,905,067 bytes once base64'd */
		.objstore_zip = 0,
		.unzipped = 262144000ULL,               /* incl. layers */
		.objstore = "S3",
		.slim = true,
	},
	.runtime_provided = aws_runtime_provided,
};
