/*
 * events.c — `hoist schedule` / `unschedule` on AWS: EventBridge rules for
 * every `events` entry with `expression(s)` plus keep_warm, the single
 * Lambda permission that lets all of them invoke the function, and the
 * event sources (S3 notifications, SNS subscriptions, SQS/DynamoDB/Kinesis
 * event source mappings).
 *
 * Converging, not recreating: the rules that exist are found with
 * ListRuleNamesByTarget(function ARN) and kept to those named
 * "<prefix>-…" or named the way Zappa names them (a stage taken over from
 * Zappa: its rules are replaced, and the permission Zappa added for each
 * goes with it); a wanted rule whose expression, state, description and
 * target Input are unchanged is left alone, a changed one is PutRule +
 * PutTargets in place, an unwanted one loses its targets and is deleted.
 * Lines in Zappa's wording: "Scheduled <rule> with expression <expr>!" and
 * "Unscheduled <rule>.".
 * A rule left without targets (a run stopped between RemoveTargets and
 * DeleteRule) is invisible to ListRuleNamesByTarget, so schedule,
 * unschedule and undeploy also list the rules by name prefix (ListRules)
 * and take those tagged hoist:function=<function> (PutRule tags every rule
 * it creates), or, untagged, named like one of the stage's rules and
 * without targets (made by an older hoist).
 *
 * Rule names (SPEC §2): "<function>-<event name>" when that fits in 64
 * characters.  A function name longer than 40 characters is replaced by the
 * first 16 hex digits of its SHA-1 (the hash prefix), and an event name too
 * long for what is left is cut and ends in "-<8 hex digits of its SHA-1>",
 * so names stay unique and every rule of the stage starts with the same
 * "<prefix>-".  keep_warm's rule is "<prefix>-keep_warm"; the second and
 * further expressions of an `expressions` entry get "-2", "-3"… after the
 * event name.
 *
 * One permission for all rules (statement "hoist-events", principal
 * events.amazonaws.com, SourceArn arn:aws:events:<region>:<account>:
 * rule/<prefix>-*): Zappa adds one statement per rule and runs into the
 * 20 KB function policy limit.
 *
 * Each rule has one target, Id "hoist", with the Input the handler reads
 * (templates/python/README.md):
 *   {"hoist_event": {"name": "<event>", "function": "mod.func", "kwargs": {…}}}
 *   {"hoist_event": {"name": "keep_warm", "keep_warm": true}}
 *
 * Event sources, by the ARN's service:
 *   s3      Lambda permission "hoist-s3-<sha1>" (SourceArn the bucket) and a
 *           LambdaFunctionConfiguration "hoist-<function>-<n>" merged into the
 *           bucket's notification configuration (others' entries kept);
 *           events default to s3:ObjectCreated:*, key_filters as Zappa's.
 *   sns     permission "hoist-sns-<sha1>" + Subscribe(protocol lambda).
 *   sqs, kinesis, dynamodb (streams)
 *           CreateEventSourceMapping (batch_size, enabled; streams get
 *           StartingPosition = starting_position, default TRIM_HORIZON);
 *           changed batch size/enabled → UpdateEventSourceMapping.
 * What was configured before is found again from the function's policy
 * (the hoist-s3-/hoist-sns- statements' SourceArn) and its mappings.
 */
#include "ev_common.h"
#include "frontdoor.h"

#include "../provider.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/schedule.h"
#include "../../core/stage.h"
#include "../../core/str.h"
#include "../../core/timers.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS_SID "hoist-events"
#define TARGET_ID "hoist"
#define FUNCTION_TAG "hoist:function"

/* ---- names ---------------------------------------------------------------- */

/* The stage's rule prefix: the function name, or a hash of it when long; allocates. */
static char *rule_prefix(const char *function)
{
	char *h;

	if (strlen(function) <= 40)
		return xstrdup(function);
	h = ev_sha1_hex(function);
	h[16] = '\0';
	return h;
}

char *aws_rule_name(const char *function, const char *event);

char *aws_rule_name(const char *function, const char *event)
{
	char *prefix = rule_prefix(function), *name = xstrdup(event), *out, *h, *p;
	size_t keep;

	for (p = name; *p; p++)
		if (!strchr("._-", *p) && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					    (*p >= '0' && *p <= '9')))
			*p = '-';
	out = xasprintf("%s-%s", prefix, name);
	if (strlen(out) > 64) {
		free(out);
		keep = 64 - strlen(prefix) - 1 - 9;
		h = ev_sha1_hex(event);
		out = xasprintf("%s-%.*s-%.8s", prefix, (int)keep, name, h);
		free(h);
	}
	free(prefix);
	free(name);
	return out;
}

/* ---- the wanted rules ---------------------------------------------------- */

struct rule {
	char *name;       /* rule name */
	char *event;      /* event name */
	char *expr;
	char *desc;
	json_t *input;    /* the target's Input document */
	bool enabled;
};

struct rules {
	struct rule *v;
	size_t n;
};

static void rules_free(struct rules *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].event);
		free(r->v[i].expr);
		free(r->v[i].desc);
		json_decref(r->v[i].input);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static struct rule *rules_find(const struct rules *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	return NULL;
}

/* Add a rule; steals input.  HOIST_USAGE when two events map to the same rule. */
static int rules_add(struct rules *r, const char *function, const char *rule_suffix,
		     const char *event, const char *expr, const char *desc, bool enabled,
		     json_t *input, struct herr *e)
{
	char *name = aws_rule_name(function, rule_suffix);
	struct rule *x;

	if (rules_find(r, name)) {
		json_decref(input);
		herr_set(e, HOIST_USAGE, "events: two schedules map to the rule name %s; give each "
			 "event a distinct \"name\"", name);
		free(name);
		return HOIST_USAGE;
	}
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	x = &r->v[r->n++];
	x->name = name;
	x->event = xstrdup(event);
	x->expr = xstrdup(expr);
	x->desc = desc ? xstrdup(desc) : NULL;
	x->input = input;
	x->enabled = enabled;
	return HOIST_OK;
}

/* Every rule the settings ask for (core/timers.h: events with expression(s), keep_warm). */
static int wanted_rules(const struct stage *st, struct rules *r, struct herr *e)
{
	json_t *list = NULL, *t;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = timers_wanted(st, &list, e)))
		return rc;
	json_array_foreach(list, i, t) {
		rc = rules_add(r, st->function_name, json_string_value(json_object_get(t, "suffix")),
			       json_string_value(json_object_get(t, "event")),
			       json_string_value(json_object_get(t, "expression")),
			       json_string_value(json_object_get(t, "description")),
			       json_is_true(json_object_get(t, "enabled")),
			       json_incref(json_object_get(t, "payload")), e);
		if (rc)
			break;
	}
	json_decref(list);
	if (rc)
		rules_free(r);
	return rc;
}

/* ---- EventBridge --------------------------------------------------------- */

/*
 * Did Zappa name this rule for the function?  Zappa's rule is
 * "{prefix:.{63 - len(postfix)}}-{postfix}" cut to 64, where prefix is the
 * function name (or, when that is too long, the hex SHA-1 of it) and postfix
 * ends with the dotted function the rule runs ("name-mod.func", "1-mod.func",
 * "zappa-keep-warm-handler.keep_warm_callback").
 */
static bool zappa_prefixed(const char *rule, const char *prefix)
{
	size_t n = strlen(rule), plen = strlen(prefix), k;
	const char *tail = strrchr(rule, '-');

	if (!tail || !strchr(tail, '.') || tail[1] == '.' || rule[n - 1] == '.')
		return false;
	for (k = 1; k <= plen && k + 1 < n; k++)
		if (rule[k] == '-' && !strncmp(rule, prefix, k) &&
		    (k == plen || k == 63 - (n - k - 1)))
			return true;
	return false;
}

static bool zappa_rule(const char *function, const char *rule)
{
	char *h = ev_sha1_hex(function);
	bool yes = zappa_prefixed(rule, function) || zappa_prefixed(rule, h);

	free(h);
	return yes;
}

/* All targets of a rule (new array), following NextToken. */
static int rule_targets(struct aws_ctx *x, const char *rule, json_t **targets, struct herr *e)
{
	return ev_json_pages(x, &aws_events, "ListTargetsByRule", json_pack("{s:s}", "Rule", rule),
			     "Targets", targets, e);
}

/* The value of the hoist:function tag of a rule, "" when untagged (allocated). */
static int rule_owner(struct aws_ctx *x, const char *rule_arn, char **owner, struct herr *e)
{
	json_t *out = NULL, *t;
	size_t i;
	int rc;

	*owner = NULL;
	rc = ev_json(x, &aws_events, "ListTagsForResource",
		     json_pack("{s:s}", "ResourceARN", rule_arn), &out, "ResourceNotFoundException", e);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(out, "Tags"), i, t)
		if (!strcmp(json_string_value(json_object_get(t, "Key")) ?: "", FUNCTION_TAG))
			*owner = xstrdup(json_string_value(json_object_get(t, "Value")) ?: "");
	if (!*owner)
		*owner = xstrdup("");
	json_decref(out);
	return HOIST_OK;
}

/* Is the rule (from ListRules) one of this stage's, though nothing targets it any more? */
static int is_orphan(struct aws_ctx *x, const json_t *rule, const struct rules *names_like,
		     bool *ours, struct herr *e)
{
	const char *name = json_string_value(json_object_get(rule, "Name")) ?: "";
	char *owner = NULL;
	json_t *targets = NULL;
	int rc;

	*ours = false;
	rc = rule_owner(x, json_string_value(json_object_get(rule, "Arn")) ?: "", &owner, e);
	if (!rc && *owner)
		*ours = !strcmp(owner, x->st->function_name);
	else if (!rc && rules_find(names_like, name) &&
		 !(rc = rule_targets(x, name, &targets, e)))
		*ours = json_array_size(targets) == 0;
	json_decref(targets);
	free(owner);
	return rc;
}

/* Add to `names` the stage's rules found by name prefix that it does not have yet. */
static int orphan_rules(struct aws_ctx *x, const char *dash, json_t *names, struct herr *e)
{
	struct rules like = { 0 };
	struct herr e2 = { 0 };
	json_t *all = NULL, *r, *n;
	size_t i, j;
	int rc;

	wanted_rules(x->st, &like, &e2);   /* the names this stage's settings give (best effort) */
	rc = ev_json_pages(x, &aws_events, "ListRules", json_pack("{s:s}", "NamePrefix", dash),
			   "Rules", &all, e);
	json_array_foreach(all, i, r) {
		const char *name = json_string_value(json_object_get(r, "Name")) ?: "";
		bool known = false, ours = false;

		if (rc)
			break;
		json_array_foreach(names, j, n)
			known |= !strcmp(json_string_value(n), name);
		if (known || (rc = is_orphan(x, r, &like, &ours, e)) || !ours)
			continue;
		out_info("rule %s has no target any more: it is the stage's", name);
		json_array_append_new(names, json_string(name));
	}
	json_decref(all);
	rules_free(&like);
	return rc;
}

/*
 * Names of the rules that target `arn` and are the stage's: they start with
 * "<prefix>-", or Zappa named them (a stage taken over from Zappa), new array;
 * with `orphans`, also the stage's rules that lost their targets.
 */
static int existing_rules(struct aws_ctx *x, const char *arn, bool orphans, json_t **names,
			  struct herr *e)
{
	char *prefix = rule_prefix(x->st->function_name), *dash = xasprintf("%s-", prefix);
	json_t *all = NULL, *n;
	size_t i;
	int rc;

	*names = json_array();
	if (x->rule_names && !strcmp(x->rule_target, arn) &&
	    x->rule_names_gen == x->client.events_writes) {   /* no rule changed by hoist since */
		all = json_deep_copy(x->rule_names);
		rc = HOIST_OK;
	} else {
		rc = ev_json_pages(x, &aws_events, "ListRuleNamesByTarget",
				   json_pack("{s:s}", "TargetArn", arn), "RuleNames", &all, e);
		json_decref(x->rule_names);
		free(x->rule_target);
		x->rule_names = rc ? NULL : json_deep_copy(all);
		x->rule_target = xstrdup(arn);
		x->rule_names_gen = x->client.events_writes;
	}
	json_array_foreach(all, i, n)
		if (str_starts(json_string_value(n), dash) ||
		    zappa_rule(x->st->function_name, json_string_value(n)))
			json_array_append(*names, n);
	json_decref(all);
	if (!rc && orphans)
		rc = orphan_rules(x, dash, *names, e);
	free(prefix);
	free(dash);
	if (rc) {
		json_decref(*names);
		*names = NULL;
	}
	return rc;
}

/* Is the existing rule `w`'s twin (expression, state, description, one target)? */
static int rule_unchanged(struct aws_ctx *x, const struct rule *w, const char *arn, bool *same,
			  struct herr *e)
{
	json_t *d = NULL, *targets = NULL, *t, *input = NULL;
	const char *desc;
	int rc;

	*same = false;
	rc = ev_json(x, &aws_events, "DescribeRule", json_pack("{s:s}", "Name", w->name), &d,
		     NULL, e);
	if (rc)
		return rc;
	rc = rule_targets(x, w->name, &targets, e);
	if (rc)
		goto out;
	desc = json_string_value(json_object_get(d, "Description"));
	if (strcmp(json_string_value(json_object_get(d, "ScheduleExpression")) ?: "", w->expr) ||
	    strcmp(json_string_value(json_object_get(d, "State")) ?: "",
		   w->enabled ? "ENABLED" : "DISABLED") ||
	    strcmp(desc ?: "", w->desc ?: "") || json_array_size(targets) != 1)
		goto out;
	t = json_array_get(targets, 0);
	if (strcmp(json_string_value(json_object_get(t, "Id")) ?: "", TARGET_ID) ||
	    strcmp(json_string_value(json_object_get(t, "Arn")) ?: "", arn))
		goto out;
	input = json_loads(json_string_value(json_object_get(t, "Input")) ?: "", 0, NULL);
	*same = input && json_equal(input, w->input);
out:
	json_decref(input);
	json_decref(targets);
	json_decref(d);
	return rc;
}

static int put_rule(struct aws_ctx *x, const struct rule *w, const char *arn, struct herr *e)
{
	char *input = json_dumps(w->input, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *req = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "Name", w->name,
				"ScheduleExpression", w->expr,
				"State", w->enabled ? "ENABLED" : "DISABLED", "Tags",
				"Key", FUNCTION_TAG, "Value", x->st->function_name), *out = NULL;
	int rc;

	if (w->desc)
		json_object_set_new(req, "Description", json_string(w->desc));
	rc = ev_json(x, &aws_events, "PutRule", req, NULL, NULL, e);
	if (!rc)
		rc = ev_json(x, &aws_events, "PutTargets",
			     json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "Rule", w->name, "Targets",
				       "Id", TARGET_ID, "Arn", arn, "Input", input), &out, NULL, e);
	if (!rc && json_integer_value(json_object_get(out, "FailedEntryCount")) > 0) {
		json_t *f = json_array_get(json_object_get(out, "FailedEntries"), 0);

		rc = herr_set(e, HOIST_FAIL, "EventBridge PutTargets failed for rule %s: %s: %s",
			      w->name, json_string_value(json_object_get(f, "ErrorCode")) ?: "?",
			      json_string_value(json_object_get(f, "ErrorMessage")) ?: "");
	}
	json_decref(out);
	free(input);
	return rc;
}

static int delete_rule(struct aws_ctx *x, const char *name, struct herr *e)
{
	json_t *targets = NULL, *ids, *t;
	size_t i;
	int rc;

	rc = rule_targets(x, name, &targets, e);
	if (rc)
		return rc;
	if (json_array_size(targets)) {
		ids = json_array();
		json_array_foreach(targets, i, t)
			json_array_append(ids, json_object_get(t, "Id"));
		rc = ev_json(x, &aws_events, "RemoveTargets",
			     json_pack("{s:s, s:o}", "Rule", name, "Ids", ids), NULL,
			     "ResourceNotFoundException", e);
	}
	json_decref(targets);
	if (!rc)
		rc = ev_json(x, &aws_events, "DeleteRule", json_pack("{s:s}", "Name", name), NULL,
			     "ResourceNotFoundException", e);
	return rc;
}

/* ---- Lambda permissions -------------------------------------------------- */

static const char *stmt_source(json_t *s)
{
	json_t *c = json_object_get(s, "Condition"), *k;
	const char *op, *key;
	json_t *m;

	json_object_foreach(c, op, m)
		json_object_foreach(m, key, k)
			if (!strcasecmp(key, "AWS:SourceArn"))
				return json_string_value(k);
	return NULL;
}

static json_t *stmt_find(json_t *stmts, const char *sid)
{
	json_t *s;
	size_t i;

	json_array_foreach(stmts, i, s)
		if (!strcmp(json_string_value(json_object_get(s, "Sid")) ?: "", sid))
			return s;
	return NULL;
}

static int remove_permission(struct aws_ctx *x, const char *sid, struct herr *e)
{
	char *fn = aws_path_escape(x->st->function_name), *s = aws_path_escape(sid);
	char *path = xasprintf("/2015-03-31/functions/%s/policy/%s", fn, s);
	int rc;

	rc = ev_rest(x, &aws_lambda, "RemovePermission", "DELETE", path, NULL, NULL, NULL,
		     "ResourceNotFoundException", e);
	free(path);
	free(fn);
	free(s);
	return rc;
}

/* Make statement `sid` allow `principal` from `source`; replaces a different one. */
static int ensure_permission(struct aws_ctx *x, json_t *stmts, const char *sid,
			     const char *principal, const char *source, struct herr *e)
{
	json_t *s = stmt_find(stmts, sid);
	char *fn, *path;
	const char *acct;
	int rc;

	if (s && !strcmp(stmt_source(s) ?: "", source))
		return HOIST_OK;
	if (s && (rc = remove_permission(x, sid, e)))
		return rc;
	if ((rc = aws_account_id(x, &acct, e)))
		return rc;
	fn = aws_path_escape(x->st->function_name);
	path = xasprintf("/2015-03-31/functions/%s/policy", fn);
	rc = ev_rest(x, &aws_lambda, "AddPermission", "POST", path, NULL,
		     json_pack("{s:s, s:s, s:s, s:s, s:s}", "StatementId", sid,
			       "Action", "lambda:InvokeFunction", "Principal", principal,
			       "SourceArn", source, "SourceAccount", acct), NULL, NULL, e);
	free(path);
	free(fn);
	return rc;
}

/* ---- event sources --------------------------------------------------------- */

enum src_kind { SRC_S3, SRC_SNS, SRC_ESM, SRC_STREAM, SRC_UNKNOWN };

static enum src_kind src_kind(const char *arn)
{
	if (str_starts(arn, "arn:aws:s3:::") || strstr(arn, ":s3:::"))
		return SRC_S3;
	if (strstr(arn, ":sns:"))
		return SRC_SNS;
	if (strstr(arn, ":sqs:"))
		return SRC_ESM;
	if (strstr(arn, ":kinesis:") || (strstr(arn, ":dynamodb:") && strstr(arn, "/stream/")))
		return SRC_STREAM;
	return SRC_UNKNOWN;
}

/* The event_source objects of the settings, checked (borrowed refs in a new array). */
static int wanted_sources(const struct stage *st, json_t **out, struct herr *e)
{
	json_t *events = json_object_get(st->settings, "events"), *ev, *src;
	const char *arn;
	size_t i;

	*out = json_array();
	json_array_foreach(events, i, ev) {
		src = json_object_get(ev, "event_source");
		if (!json_is_object(src))
			continue;
		arn = json_string_value(json_object_get(src, "arn"));
		if (!arn || src_kind(arn) == SRC_UNKNOWN) {
			json_decref(*out);
			*out = NULL;
			return herr_set(e, HOIST_USAGE, "events[%zu].event_source.arn: '%s' is not "
					"an S3 bucket, SNS topic, SQS queue, Kinesis stream or "
					"DynamoDB stream ARN", i, arn ? arn : "");
		}
		json_array_append_new(*out, json_pack("{s:O, s:O}", "source", src, "function",
						      json_object_get(ev, "function")));
	}
	return HOIST_OK;
}

/* Short statement id for a source: "<kind>-<16 hex of sha1(arn)>"; allocates. */
static char *src_sid(const char *kind, const char *arn)
{
	char *h = ev_sha1_hex(arn), *s = xasprintf("hoist-%s-%.16s", kind, h);

	free(h);
	return s;
}

static const char *bucket_of(const char *arn)
{
	const char *p = strstr(arn, ":::");

	return p ? p + 3 : arn;
}

/* JSON image of XML (xml_to_json) back to XML: <key>…</key>. */
static void xml_from_json(struct sbuf *b, const char *key, json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			xml_from_json(b, key, x);
		return;
	}
	sbuf_printf(b, "<%s>", key);
	if (json_is_object(v))
		json_object_foreach(v, k, x)
			xml_from_json(b, k, x);
	else
		ev_xml_text(b, json_string_value(v) ?: "");
	sbuf_printf(b, "</%s>", key);
}

/*
 * Rebuild the bucket's notification XML (wire names: TopicConfiguration,
 * QueueConfiguration, CloudFunctionConfiguration with CloudFunction, Event,
 * Filter/S3Key/FilterRule): others' entries kept, ours (Id our_prefix…)
 * replaced by `ours`.
 */
static void notif_xml(struct sbuf *b, json_t *cur, const char *our_prefix, json_t *ours,
		      const char *fn_arn)
{
	const char *key;
	json_t *v, *c, *src, *ev, *f;
	size_t i, j;

	sbuf_adds(b, "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	json_object_foreach(cur, key, v) {
		json_t *list = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);

		json_array_foreach(list, i, c) {
			const char *id = json_string_value(json_object_get(c, "Id"));

			if (!strcmp(key, "CloudFunctionConfiguration") && id &&
			    str_starts(id, our_prefix))
				continue;
			xml_from_json(b, key, c);
		}
		json_decref(list);
	}
	json_array_foreach(ours, i, src) {
		json_t *evs = json_object_get(src, "events"), *kf = json_object_get(src, "key_filters");

		sbuf_printf(b, "<CloudFunctionConfiguration><Id>%s%zu</Id><CloudFunction>",
			    our_prefix, i + 1);
		ev_xml_text(b, fn_arn);
		sbuf_adds(b, "</CloudFunction>");
		if (json_array_size(evs)) {
			json_array_foreach(evs, j, ev) {
				sbuf_adds(b, "<Event>");
				ev_xml_text(b, json_string_value(ev) ?: "");
				sbuf_adds(b, "</Event>");
			}
		} else {
			sbuf_adds(b, "<Event>s3:ObjectCreated:*</Event>");
		}
		if (json_array_size(kf)) {
			sbuf_adds(b, "<Filter><S3Key>");
			json_array_foreach(kf, j, f) {
				sbuf_adds(b, "<FilterRule><Name>");
				ev_xml_text(b, json_string_value(json_object_get(f, "type")) ?:
					    json_string_value(json_object_get(f, "name")) ?: "prefix");
				sbuf_adds(b, "</Name><Value>");
				ev_xml_text(b, json_string_value(json_object_get(f, "value")) ?: "");
				sbuf_adds(b, "</Value></FilterRule>");
			}
			sbuf_adds(b, "</S3Key></Filter>");
		}
		sbuf_adds(b, "</CloudFunctionConfiguration>");
	}
	sbuf_adds(b, "</NotificationConfiguration>");
}

/* Set our entries of `bucket`'s notifications to `ours` (event_source objects). */
static int s3_notifications(struct aws_ctx *x, const char *bucket, json_t *ours,
			    const char *fn_arn, struct herr *e)
{
	char *prefix = xasprintf("hoist-%s-", x->st->function_name);
	json_t *cur = NULL;
	struct sbuf b;
	int rc;

	rc = ev_xml(x, &aws_s3, "GetBucketNotificationConfiguration", "GET", bucket, "/",
		    "notification=", NULL, &cur, NULL, e);
	if (rc) {
		free(prefix);
		return rc;
	}
	sbuf_init(&b);
	notif_xml(&b, cur, prefix, ours, fn_arn);
	rc = ev_xml(x, &aws_s3, "PutBucketNotificationConfiguration", "PUT", bucket, "/",
		    "notification=", b.s, NULL, NULL, e);
	sbuf_free(&b);
	json_decref(cur);
	free(prefix);
	return rc;
}

/* Subscriptions of `topic` whose endpoint is `fn_arn` (new array of ARNs). */
static int sns_subscriptions(struct aws_ctx *x, const char *topic, const char *fn_arn,
			     json_t **subs, struct herr *e)
{
	json_t *out = NULL, *list, *s;
	char *tok = NULL;
	size_t i;
	int rc;

	*subs = json_array();
	do {
		json_t *p = json_pack("{s:s}", "TopicArn", topic);

		if (tok)
			json_object_set_new(p, "NextToken", json_string(tok));
		free(tok);
		tok = NULL;
		rc = ev_query(x, &aws_sns, "ListSubscriptionsByTopic", p, &out, "NotFound", e);
		if (rc || !out)
			break;
		list = xml_list(json_object_get(json_object_get(out, "ListSubscriptionsByTopicResult"),
						"Subscriptions"), "member");
		json_array_foreach(list, i, s)
			if (!strcmp(json_string_value(json_object_get(s, "Endpoint")) ?: "", fn_arn))
				json_array_append(*subs, json_object_get(s, "SubscriptionArn"));
		json_decref(list);
		s = json_object_get(json_object_get(out, "ListSubscriptionsByTopicResult"),
				    "NextToken");
		if (json_string_value(s) && *json_string_value(s))
			tok = xstrdup(json_string_value(s));
		json_decref(out);
		out = NULL;
	} while (tok);
	return rc;
}

static int sns_unsubscribe_all(struct aws_ctx *x, const char *topic, const char *fn_arn,
			       struct herr *e)
{
	json_t *subs = NULL, *s;
	size_t i;
	int rc;

	rc = sns_subscriptions(x, topic, fn_arn, &subs, e);
	json_array_foreach(subs, i, s) {
		if (rc)
			break;
		rc = ev_query(x, &aws_sns, "Unsubscribe",
			      json_pack("{s:O}", "SubscriptionArn", s), NULL, "NotFound", e);
	}
	json_decref(subs);
	return rc;
}

/* Mappings of the function (new array), following NextMarker. */
static int esm_list(struct aws_ctx *x, json_t **maps, struct herr *e)
{
	json_t *out = NULL;
	char *marker = NULL;
	int rc;

	*maps = json_array();
	do {
		struct sbuf q;
		sbuf_init(&q);
		aws_query_add(&q, "FunctionName", x->st->function_name);
		if (marker)
			aws_query_add(&q, "Marker", marker);
		free(marker);
		marker = NULL;
		rc = ev_rest(x, &aws_lambda, "ListEventSourceMappings", "GET",
			     "/2015-03-31/event-source-mappings/", q.s, NULL, &out, NULL, e);
		sbuf_free(&q);
		if (rc)
			break;
		json_array_extend(*maps, json_object_get(out, "EventSourceMappings"));
		if (json_string_value(json_object_get(out, "NextMarker")))
			marker = xstrdup(json_string_value(json_object_get(out, "NextMarker")));
		json_decref(out);
	} while (marker);
	return rc;
}

static int esm_delete(struct aws_ctx *x, const char *uuid, struct herr *e)
{
	char *u = aws_path_escape(uuid), *path = xasprintf("/2015-03-31/event-source-mappings/%s", u);
	int rc = ev_rest(x, &aws_lambda, "DeleteEventSourceMapping", "DELETE", path, NULL, NULL,
			 NULL, "ResourceNotFoundException", e);

	free(path);
	free(u);
	return rc;
}

static int esm_ensure(struct aws_ctx *x, json_t *maps, json_t *src, const char *fn_arn,
		      struct herr *e)
{
	const char *arn = json_string_value(json_object_get(src, "arn"));
	json_t *bs = json_object_get(src, "batch_size"), *m, *req;
	bool enabled = !json_is_false(json_object_get(src, "enabled"));
	size_t i;
	char *path;
	int rc;

	json_array_foreach(maps, i, m) {
		if (strcmp(json_string_value(json_object_get(m, "EventSourceArn")) ?: "", arn))
			continue;
		json_object_set_new(m, "hoist_wanted", json_true());
		if ((!json_is_integer(bs) || json_equal(bs, json_object_get(m, "BatchSize"))) &&
		    enabled == !strcmp(json_string_value(json_object_get(m, "State")) ?: "",
				       "Enabled"))
			return HOIST_OK;
		req = json_pack("{s:b}", "Enabled", enabled);
		if (json_is_integer(bs))
			json_object_set(req, "BatchSize", bs);
		path = xasprintf("/2015-03-31/event-source-mappings/%s",
				 json_string_value(json_object_get(m, "UUID")));
		rc = ev_rest(x, &aws_lambda, "UpdateEventSourceMapping", "PUT", path, NULL, req,
			     NULL, NULL, e);
		free(path);
		return rc;
	}
	req = json_pack("{s:s, s:s, s:b}", "EventSourceArn", arn, "FunctionName", fn_arn,
			"Enabled", enabled);
	if (json_is_integer(bs))
		json_object_set(req, "BatchSize", bs);
	if (src_kind(arn) == SRC_STREAM)
		json_object_set_new(req, "StartingPosition", json_string(
			json_string_value(json_object_get(src, "starting_position")) ?: "TRIM_HORIZON"));
	/* ResourceConflictException: the mapping exists (created meanwhile): it is there */
	return ev_rest(x, &aws_lambda, "CreateEventSourceMapping", "POST",
		       "/2015-03-31/event-source-mappings/", NULL, req, NULL,
		       "ResourceConflictException", e);
}

/* Converge S3/SNS/ESM sources with `want` (array of {source, function}); empty = remove all. */
static int sources_converge(struct aws_ctx *x, json_t *want, const char *fn_arn, struct herr *e)
{
	json_t *stmts = NULL, *maps = NULL, *w, *s, *m, *buckets = json_object(), *topics = json_object();
	const char *key, *acct;
	size_t i;
	int rc;

	if ((rc = fd_policy(x, NULL, &stmts, e)) || (rc = esm_list(x, &maps, e)))
		goto out;
	/* group wanted S3 sources by bucket, SNS by topic; mappings directly */
	json_array_foreach(want, i, w) {
		json_t *src = json_object_get(w, "source");
		const char *arn = json_string_value(json_object_get(src, "arn"));
		json_t *l;

		switch (src_kind(arn)) {
		case SRC_S3:
			l = json_object_get(buckets, bucket_of(arn));
			if (!l)
				json_object_set_new(buckets, bucket_of(arn), l = json_array());
			json_array_append(l, src);
			break;
		case SRC_SNS:
			json_object_set(topics, arn, src);
			break;
		default:
			if ((rc = esm_ensure(x, maps, src, fn_arn, e)))
				goto out;
		}
	}
	json_array_foreach(maps, i, m)
		if (!json_object_get(m, "hoist_wanted") &&
		    (rc = esm_delete(x, json_string_value(json_object_get(m, "UUID")), e)))
			goto out;
	if (json_object_size(buckets) && (rc = aws_account_id(x, &acct, e)))
		goto out;
	json_object_foreach(buckets, key, w) {
		char *barn = xasprintf("arn:aws:s3:::%s", key), *sid = src_sid("s3", barn);

		rc = ensure_permission(x, stmts, sid, "s3.amazonaws.com", barn, e);
		if (!rc)
			rc = s3_notifications(x, key, w, fn_arn, e);
		free(sid);
		free(barn);
		if (rc)
			goto out;
	}
	json_object_foreach(topics, key, w) {
		char *sid = src_sid("sns", key);

		rc = ensure_permission(x, stmts, sid, "sns.amazonaws.com", key, e);
		if (!rc)
			rc = ev_query(x, &aws_sns, "Subscribe",
				      json_pack("{s:s, s:s, s:s}", "TopicArn", key, "Protocol",
						"lambda", "Endpoint", fn_arn), NULL, NULL, e);
		free(sid);
		if (rc)
			goto out;
	}
	/* what an earlier run configured and the settings no longer want */
	json_array_foreach(stmts, i, s) {
		const char *sid = json_string_value(json_object_get(s, "Sid")) ?: "";
		const char *arn = stmt_source(s);

		if (!arn)
			continue;
		if (str_starts(sid, "hoist-s3-") && !json_object_get(buckets, bucket_of(arn))) {
			rc = s3_notifications(x, bucket_of(arn), NULL, fn_arn, e);
			if (rc && strstr(e->msg, "NoSuchBucket")) {
				herr_clear(e);
				rc = HOIST_OK;
			}
		} else if (str_starts(sid, "hoist-sns-") && !json_object_get(topics, arn)) {
			rc = sns_unsubscribe_all(x, arn, fn_arn, e);
		} else {
			continue;
		}
		if (!rc)
			rc = remove_permission(x, sid, e);
		if (rc)
			goto out;
	}
out:
	json_decref(stmts);
	json_decref(maps);
	json_decref(buckets);
	json_decref(topics);
	return rc;
}

/*
 * Zappa adds one permission per rule (a random statement id, principal
 * events.amazonaws.com, SourceArn the rule): the rules removed here that
 * Zappa named lose theirs, so a taken-over function's policy does not keep
 * growing towards Lambda's 20 KB limit.
 */
static int drop_zappa_permissions(struct aws_ctx *x, json_t *stmts, const json_t *have,
				  const struct rules *want, struct herr *e)
{
	json_t *s, *n;
	size_t i, j;
	int rc = HOIST_OK;

	json_array_foreach(stmts, i, s) {
		const char *sid = json_string_value(json_object_get(s, "Sid")) ?: "";
		const char *src = stmt_source(s), *rule;

		if (rc || !src || !strcmp(sid, EVENTS_SID) || !strstr(src, ":rule/"))
			continue;
		rule = strstr(src, ":rule/") + strlen(":rule/");
		json_array_foreach(have, j, n)
			if (!strcmp(json_string_value(n), rule) && !rules_find(want, rule) &&
			    zappa_rule(x->st->function_name, rule)) {
				rc = remove_permission(x, sid, e);
				break;
			}
	}
	return rc;
}

/* ---- entry points ------------------------------------------------------------ */

static int rules_converge(struct aws_ctx *x, const struct rules *want, const char *fn_arn,
			  struct herr *e)
{
	json_t *have = NULL, *n, *stmts = NULL;
	char *prefix = rule_prefix(x->st->function_name), *source = NULL;
	const char *acct;
	size_t i, added = 0, changed = 0, kept = 0, removed = 0;
	int rc;

	rc = existing_rules(x, fn_arn, true, &have, e);
	if (rc)
		goto out;
	for (i = 0; i < want->n && !rc; i++) {
		const struct rule *w = &want->v[i];
		bool exists = false, same = false;
		size_t j;

		json_array_foreach(have, j, n)
			if (!strcmp(json_string_value(n), w->name))
				exists = true;
		if (exists && (rc = rule_unchanged(x, w, fn_arn, &same, e)))
			break;
		if (same) {
			kept++;
			continue;
		}
		rc = put_rule(x, w, fn_arn, e);
		exists ? changed++ : added++;
		if (!rc)   /* Zappa's wording */
			out_step("Scheduled %s with expression %s!", w->name, w->expr);
	}
	json_array_foreach(have, i, n) {
		if (rc)
			break;
		if (rules_find(want, json_string_value(n)))
			continue;
		rc = delete_rule(x, json_string_value(n), e);
		removed++;
		if (!rc)
			out_step("Unscheduled %s.", json_string_value(n));
	}
	if (rc)
		goto out;
	if ((rc = fd_policy(x, NULL, &stmts, e)))
		goto out;
	if ((rc = drop_zappa_permissions(x, stmts, have, want, e)))
		goto out;
	if (want->n) {
		if ((rc = aws_account_id(x, &acct, e)))
			goto out;
		source = xasprintf("arn:aws:events:%s:%s:rule/%s-*", x->region, acct, prefix);
		rc = ensure_permission(x, stmts, EVENTS_SID, "events.amazonaws.com", source, e);
	} else if (stmt_find(stmts, EVENTS_SID)) {
		rc = remove_permission(x, EVENTS_SID, e);
	}
	if (!rc)
		out_step("Rules: %zu created, %zu updated, %zu unchanged, %zu removed",
			 added, changed, kept, removed);
out:
	json_decref(have);
	json_decref(stmts);
	free(source);
	free(prefix);
	return rc;
}

int aws_events_ensure(struct aws_ctx *x, struct herr *e)
{
	struct rules want = { 0 };
	json_t *srcs = NULL;
	const char *arn;
	int rc;

	if ((rc = wanted_rules(x->st, &want, e)) || (rc = wanted_sources(x->st, &srcs, e)))
		goto out;
	if ((rc = ev_function_arn(x, &arn, e)))
		goto out;
	rc = rules_converge(x, &want, arn, e);
	if (!rc)
		rc = sources_converge(x, srcs, arn, e);
out:
	json_decref(srcs);
	rules_free(&want);
	return rc;
}

/* Does `maps` have an Enabled-as-wanted mapping of `src` with its batch size? */
static bool esm_there(const json_t *maps, const json_t *src)
{
	const char *arn = json_string_value(json_object_get(src, "arn"));
	const json_t *bs = json_object_get(src, "batch_size"), *m;
	bool enabled = !json_is_false(json_object_get(src, "enabled"));
	size_t i;

	json_array_foreach(maps, i, m)
		if (!strcmp(json_string_value(json_object_get(m, "EventSourceArn")) ?: "", arn) &&
		    (!json_is_integer(bs) || json_equal(bs, json_object_get(m, "BatchSize"))) &&
		    enabled == !strcmp(json_string_value(json_object_get(m, "State")) ?: "",
				       "Enabled"))
			return true;
	return false;
}

/* Every wanted source's permission or mapping is there, and no other hoist-s3/sns one. */
static int sources_present(struct aws_ctx *x, json_t *stmts, const json_t *want,
			   bool *present, struct herr *e)
{
	json_t *maps = NULL, *w, *s;
	size_t i, ours = 0;
	int rc = HOIST_OK;

	*present = true;
	json_array_foreach(want, i, w) {
		const json_t *src = json_object_get(w, "source");
		const char *arn = json_string_value(json_object_get(src, "arn"));
		enum src_kind k = src_kind(arn);
		char *barn = k == SRC_S3 ? xasprintf("arn:aws:s3:::%s", bucket_of(arn)) : NULL;
		char *sid = k == SRC_S3 ? src_sid("s3", barn) : k == SRC_SNS ? src_sid("sns", arn)
										: NULL;

		if (sid) {
			s = stmt_find(stmts, sid);
			*present &= s && !strcmp(stmt_source(s) ?: "", barn ? barn : arn);
		} else {
			if (!maps && (rc = esm_list(x, &maps, e)))
				break;
			*present &= esm_there(maps, src);
		}
		free(sid);
		free(barn);
	}
	/* one statement per bucket: count the distinct ones the settings want */
	json_array_foreach(stmts, i, s) {
		const char *sid = json_string_value(json_object_get(s, "Sid")) ?: "";

		ours += str_starts(sid, "hoist-s3-") || str_starts(sid, "hoist-sns-");
	}
	if (!rc && *present) {
		json_t *sids = json_object();

		json_array_foreach(want, i, w) {
			const char *arn = json_string_value(json_object_get(json_object_get(
				w, "source"), "arn"));

			if (src_kind(arn) == SRC_S3 || src_kind(arn) == SRC_SNS)
				json_object_set_new(sids, src_kind(arn) == SRC_S3 ? bucket_of(arn)
						    : arn, json_true());
		}
		*present = ours == json_object_size(sids);
		json_decref(sids);
	}
	json_decref(maps);
	return rc;
}

void aws_events_read(struct aws_ctx *x)
{
	struct rules want = { 0 };
	struct herr e = { 0 };
	json_t *names = NULL;
	const char *arn;

	if (wanted_rules(x->st, &want, &e) == HOIST_OK && want.n &&
	    ev_function_arn(x, &arn, &e) == HOIST_OK)
		existing_rules(x, arn, false, &names, &e);
	herr_clear(&e);
	json_decref(names);
	rules_free(&want);
}

int aws_events_present(struct aws_ctx *x, const json_t *stmts, bool *present, struct herr *e)
{
	struct rules want = { 0 };
	json_t *srcs = NULL, *have = NULL, *st = (json_t *)stmts, *s, *n;
	char *prefix = NULL, *source = NULL;
	const char *arn, *acct;
	size_t i;
	int rc;

	*present = false;
	if ((rc = wanted_rules(x->st, &want, e)) || (rc = wanted_sources(x->st, &srcs, e)) ||
	    (rc = ev_function_arn(x, &arn, e)) || (rc = aws_account_id(x, &acct, e)))
		goto out;
	prefix = rule_prefix(x->st->function_name);
	source = xasprintf("arn:aws:events:%s:%s:rule/%s-*", x->region, acct, prefix);
	s = stmt_find(st, EVENTS_SID);
	if (want.n ? !s || strcmp(stmt_source(s) ?: "", source) : s != NULL)
		goto out;
	if (want.n) {
		if ((rc = existing_rules(x, arn, false, &have, e)) || json_array_size(have) != want.n)
			goto out;
		json_array_foreach(have, i, n)
			if (!rules_find(&want, json_string_value(n)))
				goto out;
	}
	rc = sources_present(x, st, srcs, present, e);
out:
	json_decref(have);
	json_decref(srcs);
	rules_free(&want);
	free(prefix);
	free(source);
	return rc;
}

int aws_events_remove(struct aws_ctx *x, struct herr *e)
{
	struct rules none = { 0 };
	json_t *empty = json_array();
	const char *arn;
	int rc;

	rc = ev_function_arn(x, &arn, e);
	if (!rc)
		rc = rules_converge(x, &none, arn, e);
	if (!rc)
		rc = sources_converge(x, empty, arn, e);
	json_decref(empty);
	return rc;
}

int aws_events_status(struct aws_ctx *x, json_t *status, struct herr *e)
{
	json_t *have = NULL, *n, *list = json_array(), *d, *maps = NULL, *srcs = json_array(), *m;
	const char *arn;
	size_t i;
	int rc;

	rc = ev_function_arn(x, &arn, e);
	if (!rc)
		rc = existing_rules(x, arn, false, &have, e);
	json_array_foreach(have, i, n) {
		char *next;

		if (rc)
			break;
		rc = ev_json(x, &aws_events, "DescribeRule", json_pack("{s:O}", "Name", n), &d,
			     "ResourceNotFoundException", e);
		if (rc || !d)
			continue;
		if (!strcmp(json_string_value(json_object_get(d, "State")) ?: "", "DISABLED"))
			next = xstrdup("never (rule DISABLED)");
		else
			next = timers_next_fire(json_string_value(
				json_object_get(d, "ScheduleExpression")) ?: "");
		json_array_append_new(list, json_pack("{s:O, s:O, s:O, s:s}", "name", n,
			"expression", json_object_get(d, "ScheduleExpression") ?: json_null(),
			"state", json_object_get(d, "State") ?: json_null(), "next", next));
		free(next);
		json_decref(d);
	}
	if (!rc)
		rc = esm_list(x, &maps, e);
	json_array_foreach(maps, i, m)
		json_array_append_new(srcs, json_pack("{s:O, s:O}", "arn",
			json_object_get(m, "EventSourceArn"), "state", json_object_get(m, "State")));
	if (!rc) {
		json_object_set(status, "schedules", list);
		json_object_set(status, "event_sources", srcs);
	}
	json_decref(list);
	json_decref(srcs);
	json_decref(maps);
	json_decref(have);
	return rc;
}

/* ---- provider operations ------------------------------------------------------- */

int aws_op_schedule(const struct stage *st, json_t **scheduled, struct herr *e)
{
	struct aws_ctx x;
	json_t *status = json_object();
	int rc;

	*scheduled = NULL;
	if ((rc = aws_ctx_open(&x, st, e)))
		goto out;
	rc = aws_events_ensure(&x, e);
	if (!rc)
		rc = aws_events_status(&x, status, e);
	if (!rc)
		*scheduled = json_incref(json_object_get(status, "schedules"));
	aws_ctx_close(&x);
out:
	json_decref(status);
	return rc;
}

int aws_op_unschedule(const struct stage *st, struct herr *e)
{
	struct aws_ctx x;
	int rc;

	if ((rc = aws_ctx_open(&x, st, e)))
		return rc;
	rc = aws_events_remove(&x, e);
	aws_ctx_close(&x);
	return rc;
}
