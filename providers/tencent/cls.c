/*
 * cls.c — CLS (Cloud Log Service, 2020-10-16): the logset and topic the
 * function ships its logs to (created on the first deploy so tail works at
 * once; SCF's ClsLogsetId/ClsTopicId name them), their removal with
 * undeploy --remove-logs, and one SearchLog page for tail.
 */
#include "tencent.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_LOGSET "hoist"

static const char *logset_name(const struct tc_ctx *x)
{
	return settings_str(x->st->settings, "cls_logset") ?: DEFAULT_LOGSET;
}

static const char *topic_name(const struct tc_ctx *x)
{
	return settings_str(x->st->settings, "cls_topic") ?: x->fn;
}

/* The first item of `list` whose `key` is exactly `value` (borrowed), or NULL. */
static json_t *named_item(const json_t *list, const char *key, const char *value)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (!strcmp(tc_str(v, key) ?: "", value))
			return v;
	return NULL;
}

static int find_logset(struct tc_ctx *x, char **id, struct herr *e)
{
	json_t *p = json_pack("{s:[{s:s, s:[s]}], s:i}", "Filters", "Key", "logsetName",
			      "Values", logset_name(x), "Limit", 100);
	struct tc_result r;
	json_t *hit;
	int rc = tc_call(x, &tc_cls, "DescribeLogsets", p, &r, e);

	*id = NULL;
	hit = rc ? NULL : named_item(json_object_get(r.data, "Logsets"), "LogsetName",
				     logset_name(x));
	if (hit && tc_str(hit, "LogsetId"))
		*id = xstrdup(tc_str(hit, "LogsetId"));
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

static int find_topic(struct tc_ctx *x, const char *logset, char **id, struct herr *e)
{
	json_t *p = json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s]}], s:i}", "Filters",
			      "Key", "topicName", "Values", topic_name(x),
			      "Key", "logsetId", "Values", logset, "Limit", 100);
	struct tc_result r;
	json_t *hit;
	int rc = tc_call(x, &tc_cls, "DescribeTopics", p, &r, e);

	*id = NULL;
	hit = rc ? NULL : named_item(json_object_get(r.data, "Topics"), "TopicName", topic_name(x));
	if (hit && tc_str(hit, "TopicId"))
		*id = xstrdup(tc_str(hit, "TopicId"));
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

/* Create-like call; ResourceInUse (an earlier attempt made it) is fine: the caller reads back. */
static int create(struct tc_ctx *x, const char *action, json_t *p, struct herr *e)
{
	struct tc_result r;
	int rc = tc_call(x, &tc_cls, action, p, &r, e);

	if (rc && tc_error_is(&r, "ResourceInUse")) {
		herr_clear(e);
		rc = HOIST_OK;
	}
	tc_result_free(&r);
	json_decref(p);
	return rc;
}

int cls_ensure(struct tc_ctx *x, char **logset, char **topic, struct herr *e)
{
	int rc = find_logset(x, logset, e);

	*topic = NULL;
	if (!rc && !*logset) {
		out_step("Creating CLS logset %s", logset_name(x));
		rc = create(x, "CreateLogset", json_pack("{s:s}", "LogsetName", logset_name(x)), e);
		if (!rc)
			rc = find_logset(x, logset, e);
		if (!rc && !*logset)
			rc = herr_set(e, HOIST_FAIL, "CLS logset %s was created but cannot be found",
				      logset_name(x));
	}
	if (!rc)
		rc = find_topic(x, *logset, topic, e);
	if (!rc && !*topic) {
		out_step("Creating CLS topic %s", topic_name(x));
		rc = create(x, "CreateTopic", json_pack("{s:s, s:s}", "LogsetId", *logset,
							"TopicName", topic_name(x)), e);
		if (!rc)
			rc = find_topic(x, *logset, topic, e);
		if (!rc && !*topic)
			rc = herr_set(e, HOIST_FAIL, "CLS topic %s was created but cannot be found",
				      topic_name(x));
	}
	if (rc) {
		free(*logset);
		free(*topic);
		*logset = *topic = NULL;
	}
	return rc;
}

int cls_topic_find(struct tc_ctx *x, char **topic, char **logset, struct herr *e)
{
	int rc = find_logset(x, logset, e);

	*topic = NULL;
	if (!rc && *logset)
		rc = find_topic(x, *logset, topic, e);
	return rc;
}

int cls_remove(struct tc_ctx *x, struct herr *e)
{
	char *logset = NULL, *topic = NULL;
	struct tc_result r;
	json_t *p;
	int rc = cls_topic_find(x, &topic, &logset, e);

	if (!rc && topic) {
		p = json_pack("{s:s}", "TopicId", topic);
		rc = tc_call(x, &tc_cls, "DeleteTopic", p, &r, e);
		if (rc && tc_error_is(&r, "ResourceNotFound")) {
			herr_clear(e);
			rc = HOIST_OK;
		}
		if (!rc)
			out_step("Deleted CLS topic %s", topic_name(x));
		tc_result_free(&r);
		json_decref(p);
	}
	/* hoist's own logset goes once no stage uses it; a named one is the user's. */
	if (!rc && logset && !settings_str(x->st->settings, "cls_logset")) {
		p = json_pack("{s:s}", "LogsetId", logset);
		rc = tc_call(x, &tc_cls, "DeleteLogset", p, &r, e);
		if (rc && (tc_error_is(&r, "OperationDenied") || tc_error_is(&r, "ResourceNotFound") ||
			   tc_error_is(&r, "FailedOperation"))) {
			herr_clear(e);          /* still used by other stages */
			rc = HOIST_OK;
		}
		tc_result_free(&r);
		json_decref(p);
	}
	free(topic);
	free(logset);
	return rc;
}

int cls_search(struct tc_ctx *x, const char *topic, long long from_ms, long long to_ms,
	       const char *query, char **context, json_t **results, bool *over, struct herr *e)
{
	json_t *p = json_pack("{s:s, s:I, s:I, s:s, s:i, s:i, s:s}", "TopicId", topic,
			      "From", (json_int_t)from_ms, "To", (json_int_t)to_ms,
			      "QueryString", query && *query ? query : "*", "SyntaxRule", 1,
			      "Limit", 1000, "Sort", "asc");
	struct tc_result r;
	int rc;

	*results = NULL;
	if (*context)
		json_object_set_new(p, "Context", json_string(*context));
	rc = tc_call(x, &tc_cls, "SearchLog", p, &r, e);
	if (!rc) {
		json_t *res = json_object_get(r.data, "Results");

		free(*context);
		*context = tc_str(r.data, "Context") && *tc_str(r.data, "Context")
			   ? xstrdup(tc_str(r.data, "Context")) : NULL;
		*over = json_is_true(json_object_get(r.data, "ListOver")) || !*context;
		*results = json_is_array(res) ? json_incref(res) : json_array();
	}
	tc_result_free(&r);
	json_decref(p);
	return rc;
}
