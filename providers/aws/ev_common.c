/*
 * ev_common.c — helpers shared by the events, logs, ACM, Route 53, domain and certify files (see ev_common.h):
 * call wrappers that turn an "absent" AWS error into an empty answer, the
 * function ARN lookup, hashing and small settings accessors.
 */
#include "ev_common.h"
#include "deploy.h"

#include "../../core/err.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int finish(struct aws_result *res, int rc, json_t **out, const char *absent,
		  struct herr *e)
{
	if (out)
		*out = NULL;
	if (rc && absent && aws_error_is(res, absent)) {
		herr_clear(e);
		rc = HOIST_OK;
	} else if (!rc && out) {
		*out = res->data ? json_incref(res->data) : json_object();
	}
	aws_result_free(res);
	return rc;
}

int ev_json(struct aws_ctx *x, const struct aws_service *svc, const char *op, json_t *req,
	    json_t **out, const char *absent, struct herr *e)
{
	struct aws_call c = { .svc = svc, .op = op };
	struct aws_result res = { 0 };
	int rc;

	c.json = req ? req : json_object();
	rc = aws_do(&x->client, &c, &res, e);
	json_decref(c.json);
	return finish(&res, rc, out, absent, e);
}

int ev_json_pages(struct aws_ctx *x, const struct aws_service *svc, const char *op, json_t *req,
		  const char *key, json_t **items, struct herr *e)
{
	json_t *out = NULL;
	const char *tok;
	int rc;

	*items = json_array();
	for (;;) {
		rc = ev_json(x, svc, op, json_deep_copy(req), &out, NULL, e);
		if (rc)
			break;
		json_array_extend(*items, json_object_get(out, key));
		tok = json_string_value(json_object_get(out, "NextToken"));
		if (!tok) {
			json_decref(out);
			break;
		}
		json_object_set_new(req, "NextToken", json_string(tok));
		json_decref(out);
	}
	json_decref(req);
	if (rc) {
		json_decref(*items);
		*items = NULL;
	}
	return rc;
}

int ev_rest(struct aws_ctx *x, const struct aws_service *svc, const char *op, const char *method,
	    const char *path, const char *query, json_t *req, json_t **out, const char *absent,
	    struct herr *e)
{
	struct aws_call c = { .svc = svc, .op = op, .method = method, .path = path,
			      .query = query, .json = req };
	struct aws_result res = { 0 };
	int rc;

	rc = lambda_do(x, &c, &res, e);   /* a rule's permission, a trigger: it may be settling */
	json_decref(req);
	return finish(&res, rc, out, absent, e);
}

int ev_xml(struct aws_ctx *x, const struct aws_service *svc, const char *op, const char *method,
	   const char *bucket, const char *path, const char *query, const char *body,
	   json_t **out, const char *absent, struct herr *e)
{
	struct aws_call c = { .svc = svc, .op = op, .method = method, .bucket = bucket,
			      .path = path, .query = query, .body = body,
			      .body_len = body ? strlen(body) : 0,
			      .content_type = body ? "application/xml" : NULL };
	struct aws_result res = { 0 };
	int rc;

	rc = aws_do(&x->client, &c, &res, e);
	return finish(&res, rc, out, absent, e);
}

int ev_query(struct aws_ctx *x, const struct aws_service *svc, const char *op, json_t *params,
	     json_t **out, const char *absent, struct herr *e)
{
	struct aws_call c = { .svc = svc, .op = op, .params = params ? params : json_object() };
	struct aws_result res = { 0 };
	int rc;

	rc = aws_do(&x->client, &c, &res, e);
	json_decref(c.params);
	return finish(&res, rc, out, absent, e);
}

int ev_function_arn(struct aws_ctx *x, const char **arn, struct herr *e)
{
	char *path, *fn;
	json_t *cfg = NULL;
	int rc;

	if (x->function_arn) {
		*arn = x->function_arn;
		return HOIST_OK;
	}
	fn = aws_path_escape(x->st->function_name);
	path = xasprintf("/2015-03-31/functions/%s/configuration", fn);
	rc = ev_rest(x, &aws_lambda, "GetFunctionConfiguration", "GET", path, NULL, NULL, &cfg,
		     "ResourceNotFoundException", e);
	free(path);
	free(fn);
	if (rc)
		return rc;
	if (!cfg) {
		rc = herr_set(e, HOIST_FAIL, "the function %s is not deployed (Lambda "
			      "GetFunctionConfiguration: ResourceNotFoundException)",
			      x->st->function_name);
		herr_hint(e, "run 'hoist deploy %s' first", x->st->name);
		return rc;
	}
	x->function_arn = xstrdup(json_string_value(json_object_get(cfg, "FunctionArn")));
	json_decref(cfg);
	*arn = x->function_arn;
	return HOIST_OK;
}

char *ev_sha1_hex(const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	char *hex;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha1(), NULL);
	hex = xmalloc(2 * n + 1);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}

void ev_xml_text(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': sbuf_adds(b, "&lt;"); break;
		case '>': sbuf_adds(b, "&gt;"); break;
		case '&': sbuf_adds(b, "&amp;"); break;
		case '"': sbuf_adds(b, "&quot;"); break;
		case '\'': sbuf_adds(b, "&apos;"); break;
		default: sbuf_addc(b, *s);
		}
	}
}

const char *ev_setting_str(const struct aws_ctx *x, const char *key)
{
	const char *s = json_string_value(json_object_get(x->st->settings, key));

	return s && *s ? s : NULL;
}

bool ev_setting_bool(const struct aws_ctx *x, const char *key, bool dflt)
{
	json_t *v = json_object_get(x->st->settings, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

