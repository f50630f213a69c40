/*
 * function_url.c — the stage's Lambda function URL (function_url_enabled):
 * CreateFunctionUrlConfig / UpdateFunctionUrlConfig with AuthType NONE (or
 * AWS_IAM with iam_authorization, or Zappa's function_url_config.authorizer)
 * and Cors from `cors` (or function_url_config.cors in Zappa's camelCase),
 * plus — for AuthType NONE — the public permissions a function URL needs:
 * lambda:InvokeFunctionUrl (FunctionUrlAuthType NONE) and, since October
 * 2025, lambda:InvokeFunction restricted to calls through the URL
 * (InvokedViaFunctionUrl).  The URL is whatever Lambda answers in FunctionUrl.
 */
#include "frontdoor.h"

#include "../../core/cors.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/settings.h"
#include "../../core/stage.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

static char *url_path(const struct aws_ctx *x)
{
	char *f = aws_path_escape(x->st->function_name);
	char *p = xasprintf("/2021-10-31/functions/%s/url", f);

	free(f);
	return p;
}

static const char *auth_type(const struct aws_ctx *x)
{
	const char *a = fd_str(json_object_get(x->st->settings, "function_url_config"),
			       "authorizer");

	if (a && (!strcmp(a, "AWS_IAM") || !strcmp(a, "NONE")))
		return a;
	return settings_bool(x->st->settings, "iam_authorization", false) ? "AWS_IAM" : "NONE";
}

/* Methods a function URL accepts in AllowMethods (≤ 6 characters; no OPTIONS). */
static json_t *url_methods(const char *csv, bool dflt)
{
	json_t *in = cors_split(csv), *out = json_array(), *m;
	size_t i;

	if (dflt) {
		json_decref(in);
		json_array_append_new(out, json_string("*"));
		return out;
	}
	json_array_foreach(in, i, m)
		if (strlen(json_string_value(m)) <= 6)
			json_array_append(out, m);
	json_decref(in);
	return out;
}

/* Zappa's function_url_config.cors keys → Lambda's Cors members. */
static json_t *zappa_cors(const json_t *c)
{
	static const char *const map[][2] = {
		{ "allowCredentials", "AllowCredentials" }, { "allowedHeaders", "AllowHeaders" },
		{ "allowedMethods", "AllowMethods" }, { "allowedOrigins", "AllowOrigins" },
		{ "exposedResponseHeaders", "ExposeHeaders" }, { "maxAge", "MaxAge" },
	};
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++) {
		const json_t *v = json_object_get(c, map[i][0]);

		if (!v)
			v = json_object_get(c, map[i][1]);
		if (v)
			json_object_set(o, map[i][1], (json_t *)v);
	}
	return o;
}

/* The wanted Cors (new reference), or NULL for none. */
static json_t *cors_want(const struct aws_ctx *x)
{
	const json_t *z = json_object_get(json_object_get(x->st->settings, "function_url_config"),
					  "cors");
	const json_t *cs = json_object_get(x->st->settings, "cors");
	struct cors c;
	json_t *o;

	if (json_is_object(z))
		return zappa_cors(z);
	cors_read(x->st->settings, &c);
	if (!c.on)
		return NULL;
	o = json_pack("{s:o, s:o, s:o}", "AllowOrigins", cors_split(c.origin), "AllowHeaders",
		      cors_split(c.headers), "AllowMethods",
		      url_methods(c.methods, !json_object_get(cs, "allowed_methods")));
	if (c.credentials)
		json_object_set_new(o, "AllowCredentials", json_true());
	if (c.expose)
		json_object_set_new(o, "ExposeHeaders", cors_split(c.expose));
	if (c.max_age >= 0)
		json_object_set_new(o, "MaxAge", json_integer(c.max_age));
	cors_free(&c);
	return o;
}

static bool config_matches(const json_t *have, const char *auth, const json_t *cors)
{
	const json_t *hc = json_object_get(have, "Cors");

	if (!fd_str(have, "AuthType") || strcmp(fd_str(have, "AuthType"), auth))
		return false;
	if (!cors)
		return !hc || !json_object_size(hc);
	return json_equal(hc, cors);
}

static int permissions(struct aws_ctx *x, const char *auth, struct herr *e)
{
	json_t *stmts = NULL;
	int rc;

	if ((rc = fd_policy(x, NULL, &stmts, e)))
		return rc;
	if (!strcmp(auth, "NONE")) {
		rc = fd_permission(x, stmts, &(struct fd_perm){ .sid = FD_SID_URL,
			.action = "lambda:InvokeFunctionUrl", .principal = "*",
			.url_auth_type = "NONE" }, NULL, e);
		if (!rc)
			rc = fd_permission(x, stmts, &(struct fd_perm){ .sid = FD_SID_URL_INVOKE,
				.action = "lambda:InvokeFunction", .principal = "*",
				.via_function_url = true }, NULL, e);
	} else {
		/* AWS_IAM: callers need their own IAM permission; no public statement. */
		rc = fd_permission_drop(x, stmts, NULL, FD_SID_URL, e);
		if (!rc)
			rc = fd_permission_drop(x, stmts, NULL, FD_SID_URL_INVOKE, e);
	}
	json_decref(stmts);
	return rc;
}

int function_url_ensure(struct aws_ctx *x, char **url, struct herr *e)
{
	const char *auth = auth_type(x);
	json_t *cors = cors_want(x), *have = NULL, *out = NULL, *body;
	char *path = url_path(x);
	int rc;

	*url = NULL;
	rc = fd_do(x, &aws_lambda, "GetFunctionUrlConfig", "GET", path, NULL, NULL,
		   "ResourceNotFoundException", &have, e);
	if (!rc && (!have || !config_matches(have, auth, cors))) {
		body = json_pack("{s:s}", "AuthType", auth);
		json_object_set_new(body, "Cors", cors ? json_incref(cors) : json_object());
		if (!have) {
			out_step("Creating the function URL (AuthType %s)", auth);
			rc = fd_do(x, &aws_lambda, "CreateFunctionUrlConfig", "POST", path, NULL, body,
				   NULL, &out, e);
			/* A retried create that had worked: read what is there. */
			if (rc && strstr(e->msg, "ResourceConflictException")) {
				herr_clear(e);
				rc = fd_do(x, &aws_lambda, "GetFunctionUrlConfig", "GET", path, NULL,
					   NULL, NULL, &out, e);
			}
		} else {
			out_step("Updating the function URL (AuthType %s)", auth);
			rc = fd_do(x, &aws_lambda, "UpdateFunctionUrlConfig", "PUT", path, NULL, body,
				   NULL, &out, e);
		}
	}
	if (!rc)
		rc = permissions(x, auth, e);
	if (!rc) {
		const char *u = fd_str(out ? out : have, "FunctionUrl");

		if (!u)
			rc = herr_set(e, HOIST_FAIL, "Lambda function URL of %s: no FunctionUrl in "
				      "the answer", x->st->function_name);
		else
			*url = xstrdup(u);
	}
	json_decref(out);
	json_decref(have);
	json_decref(cors);
	free(path);
	return rc;
}

int function_url_get(struct aws_ctx *x, char **url, json_t *status, struct herr *e)
{
	char *path = url_path(x);
	json_t *have = NULL;
	int rc;

	*url = NULL;
	rc = fd_do(x, &aws_lambda, "GetFunctionUrlConfig", "GET", path, NULL, NULL,
		   "ResourceNotFoundException", &have, e);
	if (!rc && fd_str(have, "FunctionUrl")) {
		*url = xstrdup(fd_str(have, "FunctionUrl"));
		if (status)
			json_object_set_new(status, "function_url", json_string(*url));
	}
	json_decref(have);
	free(path);
	return rc;
}

int function_url_present(struct aws_ctx *x, const json_t *stmts, char **url, bool *present,
			 struct herr *e)
{
	int rc = function_url_get(x, url, NULL, e);

	/* AuthType NONE needs its two public statements; AWS_IAM has none. */
	*present = !rc && *url && (strcmp(auth_type(x), "NONE") ||
				   (fd_statement(stmts, FD_SID_URL) &&
				    fd_statement(stmts, FD_SID_URL_INVOKE)));
	return rc;
}

int function_url_remove(struct aws_ctx *x, bool *removed, struct herr *e)
{
	char *path = url_path(x);
	json_t *have = NULL, *stmts = NULL;
	int rc;

	*removed = false;
	rc = fd_do(x, &aws_lambda, "GetFunctionUrlConfig", "GET", path, NULL, NULL,
		   "ResourceNotFoundException", &have, e);
	if (!rc && have) {
		out_step("Removing the function URL %s", fd_str(have, "FunctionUrl"));
		rc = fd_do(x, &aws_lambda, "DeleteFunctionUrlConfig", "DELETE", path, NULL, NULL,
			   "ResourceNotFoundException", NULL, e);
		*removed = true;
		if (!rc)
			rc = fd_policy(x, NULL, &stmts, e);
		if (!rc)
			rc = fd_permission_drop(x, stmts, NULL, FD_SID_URL, e);
		if (!rc)
			rc = fd_permission_drop(x, stmts, NULL, FD_SID_URL_INVOKE, e);
	}
	json_decref(stmts);
	json_decref(have);
	free(path);
	return rc;
}
