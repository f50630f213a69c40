/*
 * cloudwatch.c — what `status` and `undeploy --remove-logs` need from
 * CloudWatch: the last 24 hours of an AWS/Lambda metric as one datapoint
 * (GetMetricStatistics, Period 86400, Sum), and deleting the function's
 * log group (tailing logs lives in logs.c).
 */
#include "deploy.h"

#include "../../core/err.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <time.h>

static void iso8601(time_t t, char *buf, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cw_sum_24h(struct aws_ctx *x, const char *metric, long long *sum, struct herr *e)
{
	char from[32], to[32];
	time_t now = time(NULL);
	json_t *params, *pts, *p;
	struct aws_result r;
	size_t i;
	int rc;

	*sum = 0;
	iso8601(now - 86400, from, sizeof(from));
	iso8601(now, to, sizeof(to));
	params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
			   "Namespace", "AWS/Lambda", "MetricName", metric,
			   "Dimensions.member.1.Name", "FunctionName",
			   "Dimensions.member.1.Value", x->st->function_name,
			   "StartTime", from, "EndTime", to, "Period", 86400,
			   "Statistics.member.1", "Sum");
	{
		struct aws_call c = { .svc = &aws_cloudwatch, .op = "GetMetricStatistics",
				      .params = params };

		rc = aws_do(&x->client, &c, &r, e);
	}
	json_decref(params);
	if (!rc) {
		const json_t *res = json_object_get(r.data, "GetMetricStatisticsResult");

		pts = xml_list(json_object_get(res, "Datapoints"), "member");
		json_array_foreach(pts, i, p)
			*sum += (long long)strtod(json_string_value(json_object_get(p, "Sum")) ?: "0",
						  NULL);
		json_decref(pts);
	}
	aws_result_free(&r);
	return rc;
}
