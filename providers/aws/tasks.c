/*
 * tasks.c — what Zappa's asynchronous tasks need on AWS, created by deploy
 * and update when async_resources is true (Zappa's default), removed by
 * undeploy:
 *
 *   async_source "sns"     the topic <function>-zappa-async (Zappa's name, so a
 *                          stage taken over from Zappa keeps its topic), the
 *                          Lambda permission "hoist-async-sns" for
 *                          sns.amazonaws.com from that topic, and the function
 *                          subscribed to it (protocol lambda);
 *   async_response_table   a DynamoDB table keyed by "id" (S) with
 *                          async_response_table_read/write_capacity
 *                          (Zappa's defaults: 1 and 1), TTL on "ttl", tagged
 *                          hoist:stage=<function>.
 *
 * Read first, write only what is missing, so an unchanged update makes no
 * write call (and a stage without these settings no call at all);
 * aws_tasks_present is the no-change update's check that they are there.  A table hoist did not create (no tag: Zappa's, or the user's)
 * is used as it is: a capacity that differs is converged on hoist's own
 * table and only warned about on another's, as Zappa warns.  Undeploy
 * deletes the topic (it is the stage's by name, whatever async_source says
 * now) and the table only when it carries the stage's tag.  The role's permissions to use them
 * (sns:Publish, dynamodb:GetItem/PutItem/UpdateItem) are in iam.c.
 */
#include "deploy.h"
#include "ev_common.h"
#include "frontdoor.h"

#include "../../core/clock.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"
#include "../../core/xml.h"

#include <stdlib.h>
#include <string.h>

#define SID_SNS "hoist-async-sns"
#define TABLE_WAIT_POLLS 120

char *aws_tasks_topic_arn(const struct aws_ctx *x, const char *account)
{
	return xasprintf("arn:%s:sns:%s:%s:%s-zappa-async", fd_partition(x), x->region, account,
			 x->st->function_name);
}

static bool sns_wanted(const struct aws_ctx *x)
{
	const char *src = settings_str(x->st->settings, "async_source");

	return src && !strcmp(src, "sns");
}

/* ---- the SNS topic ---------------------------------------------------------------- */

static int topic_exists(struct aws_ctx *x, const char *arn, bool *exists, struct herr *e)
{
	json_t *out = NULL;
	int rc = ev_query(x, &aws_sns, "GetTopicAttributes", json_pack("{s:s}", "TopicArn", arn),
			  &out, "NotFound", e);

	*exists = out != NULL;
	json_decref(out);
	return rc;
}

/* Is the function subscribed to the topic (protocol lambda)? */
static int subscribed(struct aws_ctx *x, const char *topic, const char *fn_arn, bool *yes,
		      struct herr *e)
{
	json_t *out = NULL, *list, *s;
	char *tok = NULL;
	size_t i;
	int rc;

	*yes = false;
	do {
		json_t *p = json_pack("{s:s}", "TopicArn", topic);
		json_t *res, *next;

		if (tok)
			json_object_set_new(p, "NextToken", json_string(tok));
		free(tok);
		tok = NULL;
		rc = ev_query(x, &aws_sns, "ListSubscriptionsByTopic", p, &out, NULL, e);
		if (rc)
			break;
		res = json_object_get(out, "ListSubscriptionsByTopicResult");
		list = xml_list(json_object_get(res, "Subscriptions"), "member");
		json_array_foreach(list, i, s)
			if (!strcmp(fd_str(s, "Endpoint") ?: "", fn_arn) &&
			    !strcmp(fd_str(s, "Protocol") ?: "", "lambda"))
				*yes = true;
		json_decref(list);
		next = json_object_get(res, "NextToken");
		if (!*yes && json_string_value(next) && *json_string_value(next))
			tok = xstrdup(json_string_value(next));
		json_decref(out);
		out = NULL;
	} while (tok);
	return rc;
}

static int topic_ensure(struct aws_ctx *x, const char *account, const char *fn_arn,
			struct herr *e)
{
	char *arn = aws_tasks_topic_arn(x, account), *name = NULL;
	json_t *stmts = NULL;
	bool exists = false, subbed = false;
	int rc;

	rc = topic_exists(x, arn, &exists, e);
	if (!rc && !exists) {
		name = xasprintf("%s-zappa-async", x->st->function_name);
		rc = ev_query(x, &aws_sns, "CreateTopic", json_pack("{s:s}", "Name", name), NULL,
			      NULL, e);
		if (!rc)
			out_step("SNS Topic created: %s", arn);
	}
	/* The permission first, so the first notification is already allowed. */
	if (!rc)
		rc = fd_policy(x, NULL, &stmts, e);
	if (!rc)
		rc = fd_permission(x, stmts, &(struct fd_perm){ .sid = SID_SNS,
			.action = "lambda:InvokeFunction", .principal = "sns.amazonaws.com",
			.source_arn = arn }, NULL, e);
	if (!rc && exists)
		rc = subscribed(x, arn, fn_arn, &subbed, e);
	if (!rc && !subbed) {
		rc = ev_query(x, &aws_sns, "Subscribe", json_pack("{s:s, s:s, s:s}", "TopicArn", arn,
			      "Protocol", "lambda", "Endpoint", fn_arn), NULL, NULL, e);
		if (!rc)
			out_info("subscribed %s to %s", x->st->function_name, arn);
	}
	json_decref(stmts);
	free(name);
	free(arn);
	return rc;
}

static int topic_remove(struct aws_ctx *x, const char *account, struct herr *e)
{
	char *arn = aws_tasks_topic_arn(x, account);
	json_t *stmts = NULL;
	bool exists = false;
	int rc;

	rc = topic_exists(x, arn, &exists, e);
	if (!rc && exists) {
		/* DeleteTopic also deletes its subscriptions. */
		rc = ev_query(x, &aws_sns, "DeleteTopic", json_pack("{s:s}", "TopicArn", arn), NULL,
			      "NotFound", e);
		if (!rc)
			out_step("SNS Topic removed: %s", arn);
	}
	if (!rc)
		rc = fd_policy(x, NULL, &stmts, e);
	if (!rc)
		rc = fd_permission_drop(x, stmts, NULL, SID_SNS, e);
	json_decref(stmts);
	free(arn);
	return rc;
}

/* ---- the DynamoDB response table ----------------------------------------------------- */

static int describe_table(struct aws_ctx *x, const char *table, json_t **t, struct herr *e)
{
	json_t *out = NULL;
	int rc = ev_json(x, &aws_dynamodb, "DescribeTable", json_pack("{s:s}", "TableName", table),
			 &out, "ResourceNotFoundException", e);

	*t = out ? json_incref(json_object_get(out, "Table")) : NULL;
	json_decref(out);
	return rc;
}

static int table_is_ours(struct aws_ctx *x, const json_t *t, bool *ours, struct herr *e)
{
	json_t *out = NULL, *tag;
	size_t i;
	int rc = ev_json(x, &aws_dynamodb, "ListTagsOfResource",
			 json_pack("{s:s}", "ResourceArn", fd_str(t, "TableArn") ?: ""), &out,
			 NULL, e);

	*ours = false;
	json_array_foreach(json_object_get(out, "Tags"), i, tag)
		if (!strcmp(fd_str(tag, "Key") ?: "", FD_TAG) &&
		    !strcmp(fd_str(tag, "Value") ?: "", x->st->function_name))
			*ours = true;
	json_decref(out);
	return rc;
}

static int table_wait_active(struct aws_ctx *x, const char *table, struct herr *e)
{
	json_t *t = NULL;
	int n, rc = HOIST_OK;

	for (n = 0; n < TABLE_WAIT_POLLS; n++) {
		rc = describe_table(x, table, &t, e);
		if (rc || (t && !strcmp(fd_str(t, "TableStatus") ?: "", "ACTIVE")))
			break;
		json_decref(t);
		t = NULL;
		clock_poll_sleep(n);
	}
	if (!rc && !t)
		rc = herr_set(e, HOIST_FAIL, "DynamoDB table %s disappeared while being created",
			      table);
	else if (!rc && strcmp(fd_str(t, "TableStatus") ?: "", "ACTIVE"))
		rc = herr_set(e, HOIST_FAIL, "DynamoDB table %s is still %s; run the command "
			      "again in a minute", table, fd_str(t, "TableStatus") ?: "?");
	json_decref(t);
	return rc;
}

static int table_create(struct aws_ctx *x, const char *table, long long rd, long long wr,
			struct herr *e)
{
	int rc;

	rc = ev_json(x, &aws_dynamodb, "CreateTable", json_pack(
		"{s:[{s:s, s:s}], s:s, s:[{s:s, s:s}], s:{s:I, s:I}, s:[{s:s, s:s}]}",
		"AttributeDefinitions", "AttributeName", "id", "AttributeType", "S",
		"TableName", table, "KeySchema", "AttributeName", "id", "KeyType", "HASH",
		"ProvisionedThroughput", "ReadCapacityUnits", (json_int_t)rd,
		"WriteCapacityUnits", (json_int_t)wr, "Tags", "Key", FD_TAG, "Value",
		x->st->function_name), NULL, NULL, e);
	if (!rc)
		rc = table_wait_active(x, table, e);
	if (!rc)
		rc = ev_json(x, &aws_dynamodb, "UpdateTimeToLive", json_pack(
			"{s:s, s:{s:b, s:s}}", "TableName", table, "TimeToLiveSpecification",
			"Enabled", 1, "AttributeName", "ttl"), NULL, NULL, e);
	if (!rc)
		out_step("DynamoDB table created: %s", table);
	return rc;
}

static int table_ensure(struct aws_ctx *x, const char *table, struct herr *e)
{
	const json_t *s = x->st->settings, *pt;
	long long rd = settings_int(s, "async_response_table_read_capacity", 1);
	long long wr = settings_int(s, "async_response_table_write_capacity", 1);
	json_t *t = NULL;
	bool ours = false;
	int rc;

	if ((rc = describe_table(x, table, &t, e)))
		return rc;
	if (!t)
		return table_create(x, table, rd, wr, e);
	out_info("DynamoDB table exists: %s", table);
	pt = json_object_get(t, "ProvisionedThroughput");
	if (json_integer_value(json_object_get(pt, "ReadCapacityUnits")) != rd ||
	    json_integer_value(json_object_get(pt, "WriteCapacityUnits")) != wr) {
		rc = table_is_ours(x, t, &ours, e);
		if (!rc && ours) {
			out_step("Updating the capacity of DynamoDB table %s to %lld/%lld", table, rd,
				 wr);
			rc = ev_json(x, &aws_dynamodb, "UpdateTable", json_pack(
				"{s:s, s:{s:I, s:I}}", "TableName", table, "ProvisionedThroughput",
				"ReadCapacityUnits", (json_int_t)rd, "WriteCapacityUnits",
				(json_int_t)wr), NULL, NULL, e);
		} else if (!rc) {
			out_warn("Existing DynamoDB table (%s) does not match configured capacity "
				 "(it was not created by hoist; left as it is)", table);
		}
	}
	json_decref(t);
	return rc;
}

static int table_remove(struct aws_ctx *x, const char *table, struct herr *e)
{
	json_t *t = NULL;
	bool ours = false;
	int rc = describe_table(x, table, &t, e);

	if (!rc && t)
		rc = table_is_ours(x, t, &ours, e);
	if (!rc && t && !ours)
		out_info("DynamoDB table %s was not created by hoist; keeping it", table);
	if (!rc && ours) {
		rc = ev_json(x, &aws_dynamodb, "DeleteTable", json_pack("{s:s}", "TableName", table),
			     NULL, "ResourceNotFoundException", e);
		if (!rc)
			out_step("DynamoDB table removed: %s", table);
	}
	json_decref(t);
	return rc;
}

/* ---- entry points --------------------------------------------------------------------- */

int aws_tasks_ensure(struct aws_ctx *x, struct herr *e)
{
	const char *table = settings_str(x->st->settings, "async_response_table");
	const char *account, *fn_arn;
	int rc;

	if (!settings_bool(x->st->settings, "async_resources", true))
		return HOIST_OK;
	if (!sns_wanted(x) && !table)
		return HOIST_OK;
	if ((rc = aws_account_id(x, &account, e)) || (rc = ev_function_arn(x, &fn_arn, e)))
		return rc;
	if (sns_wanted(x))
		rc = topic_ensure(x, account, fn_arn, e);
	if (!rc && table)
		rc = table_ensure(x, table, e);
	return rc;
}

int aws_tasks_present(struct aws_ctx *x, const json_t *stmts, bool *ok, struct herr *e)
{
	const char *table = settings_str(x->st->settings, "async_response_table");
	const char *account, *fn_arn;
	json_t *t = NULL, *s;
	char *arn;
	size_t i;
	int rc;

	*ok = true;
	if (!settings_bool(x->st->settings, "async_resources", true) || (!sns_wanted(x) && !table))
		return HOIST_OK;
	if ((rc = aws_account_id(x, &account, e)) || (rc = ev_function_arn(x, &fn_arn, e)))
		return rc;
	if (sns_wanted(x)) {
		bool perm = false;

		json_array_foreach(stmts, i, s)
			perm |= !strcmp(fd_str(s, "Sid") ?: "", SID_SNS);
		arn = aws_tasks_topic_arn(x, account);
		*ok = perm;
		if (*ok)
			rc = topic_exists(x, arn, ok, e);
		if (!rc && *ok)
			rc = subscribed(x, arn, fn_arn, ok, e);
		free(arn);
	}
	if (!rc && *ok && table) {
		rc = describe_table(x, table, &t, e);
		*ok = t != NULL;
		json_decref(t);
	}
	return rc;
}

int aws_tasks_remove(struct aws_ctx *x, struct herr *e)
{
	const char *table = settings_str(x->st->settings, "async_response_table");
	const char *account;
	int rc;

	if ((rc = aws_account_id(x, &account, e)))
		return rc;
	rc = topic_remove(x, account, e);
	if (!rc && table)
		rc = table_remove(x, table, e);
	return rc;
}
