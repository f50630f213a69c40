/*
 * tencent.c — the Tencent Cloud provider's descriptor: SCF code-size limits
 * (ZipFile base64 ≤ 20 MiB inline, COS ≤ 500 MiB unpacked).
 */
#include "../provider.h"

const struct provider tencent_provider = {
	.name = "tencent",
	.limits = {
		.inline_zip = 20ULL * 1024 * 1024 / 4 * 3,    /* base64 of the zip ≤ 20 MiB */
		.objstore_zip = 0,
		.unzipped = 500ULL * 1024 * 1024,
		.objstore = "COS",
		.slim = false,
	},
};
