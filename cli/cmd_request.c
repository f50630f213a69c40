/*
 * cmd_request.c — `hoist request [stage] [METHOD] PATH [-d BODY|@FILE]
 * [-H 'K: V']… [--app-code]`: one HTTP request to the stage's live URL,
 * signed the way the stage's front door requires (the provider's `request`
 * op knows how), so a private stage can be called from a terminal or CI.
 *
 * The response body goes to stdout as it came (binary-safe); with -v the
 * status line and headers go to stderr first.  Exit 0 on 2xx, 1 otherwise.
 * --json prints {"stage", "status", "headers", "body"} (body base64 with
 * "body_encoding": "base64" when it is not UTF-8 text).
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/path.h"
#include "../core/stage.h"
#include "../core/str.h"
#include "../providers/provider.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *data_opt;
static struct opt_list header_opts;
static bool app_code_opt;

const struct opt request_opts[] = {
	{ "data", 'd', OPT_STRING, &data_opt, "BODY", "send BODY (or @FILE, @- for stdin)" },
	{ "header", 'H', OPT_LIST, &header_opts, "K:V", "add a request header (repeatable)" },
	{ "app-code", 0, OPT_BOOL, &app_code_opt, NULL,
	  "Alibaba API Gateway: authorize with the app's AppCode, not a signature" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};


/* "GET", "post" → "POST"; anything that is not an HTTP token is not a method. */
static char *method_of(const char *word)
{
	char *m;

	if (!*word || strlen(word) > 16)
		return NULL;
	for (const char *p = word; *p; p++)
		if (!isalpha((unsigned char)*p))
			return NULL;
	m = xstrdup(word);
	for (char *p = m; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return m;
}

/* -H 'Name: value' → headers; a usage error for anything else. */
static int parse_headers(struct http_headers *h, struct herr *e)
{
	for (int i = 0; i < header_opts.n; i++) {
		const char *s = header_opts.v[i], *colon = strchr(s, ':'), *v;
		char *name;

		if (!colon || colon == s)
			return herr_set(e, HOIST_USAGE, "header '%s' is not 'Name: value'", s);
		for (const char *p = s; p < colon; p++)
			if (!isgraph((unsigned char)*p))
				return herr_set(e, HOIST_USAGE, "header name in '%s' has a space or "
						"a control character", s);
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		name = xasprintf("%.*s", (int)(colon - s), s);
		http_headers_add(h, name, v);
		free(name);
	}
	return HOIST_OK;
}

/* -d BODY, -d @FILE, -d @- (stdin); *body allocated. */
static int read_body(char **body, size_t *len, struct herr *e)
{
	struct sbuf b;
	char buf[65536];
	size_t n;

	*body = NULL;
	*len = 0;
	if (!data_opt)
		return HOIST_OK;
	if (data_opt[0] != '@') {
		*body = xstrdup(data_opt);
		*len = strlen(data_opt);
		return HOIST_OK;
	}
	if (strcmp(data_opt, "@-") != 0) {
		if (path_read(data_opt + 1, body, len, e) != HOIST_OK)
			e->code = HOIST_USAGE;  /* path_read names the file and the cause */
		return e->code ? e->code : HOIST_OK;
	}
	sbuf_init(&b);
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		sbuf_add(&b, buf, n);
	*len = b.len;
	*body = sbuf_detach(&b);
	if (!*body)
		*body = xstrdup("");
	return HOIST_OK;
}

static bool is_utf8(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	bool ok = j != NULL;

	json_decref(j);
	return ok;
}

/* {"stage", "status", "headers", "body"[, "body_encoding": "base64"]}. */
static json_t *response_doc(const struct stage *st, const struct http_response *rs)
{
	json_t *h = json_object(), *doc;

	for (size_t i = 0; i < rs->headers.n; i++)
		json_object_set_new(h, rs->headers.v[i].name, json_string(rs->headers.v[i].value));
	doc = json_pack("{s:s, s:i, s:o}", "stage", st->name, "status", (json_int_t)rs->status,
			"headers", h);
	if (is_utf8(rs->body.s ? rs->body.s : "", rs->body.len)) {
		json_object_set_new(doc, "body", json_stringn(rs->body.s ? rs->body.s : "",
							     rs->body.len));
	} else {
		char *b64 = xmalloc(4 * ((rs->body.len + 2) / 3) + 1);

		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)rs->body.s,
				(int)rs->body.len);
		json_object_set_new(doc, "body", json_string(b64));
		json_object_set_new(doc, "body_encoding", json_string("base64"));
		free(b64);
	}
	return doc;
}

/* For a human: the body on stdout as it came, whatever the status. */
static void show(const struct stage *st, json_t *doc, void *ctx)
{
	json_t *body = json_object_get(doc, "body");
	size_t n = json_string_length(body);

	if (!n)
		return;
	if (json_object_get(doc, "body_encoding")) {
		size_t len = 0;
		unsigned char *raw = str_b64_decode(json_string_value(body), n, &len);

		if (raw)
			fwrite(raw, 1, len, stdout);
		free(raw);
	} else {
		fwrite(json_string_value(body), 1, n, stdout);
	}
	fflush(stdout);
}

static int request_stage(struct stage *st, void *arg, json_t **doc, struct herr *e)
{
	const struct request_args *a = arg;
	const struct provider *p;
	struct http_response rs = { 0 };
	int rc;

	rc = cli_provider(st, &p, e);
	if (!rc && !p->request)
		rc = cli_no_op(p, "request", e);
	if (!rc)
		rc = p->request(st, a, &rs, e);
	if (rc)
		return herr_prefix(e, "request %s: ", st->name);
	if (out_get()->verbosity >= 1 && !out_get()->json) {
		fprintf(stderr, "HTTP %ld\n", rs.status);
		for (size_t i = 0; i < rs.headers.n; i++)
			fprintf(stderr, "%s: %s\n", rs.headers.v[i].name, rs.headers.v[i].value);
		fprintf(stderr, "\n");
	}
	*doc = response_doc(st, &rs);
	if (rs.status < 200 || rs.status > 299)
		rc = herr_set(e, HOIST_FAIL, "request %s: %s %s answered HTTP %ld", st->name,
			      a->method, a->path, rs.status);
	http_response_free(&rs);
	return rc;
}

/* The body is shown for any status: show() runs for a failed stage with a document. */
static const struct stage_cmd request = { .run = request_stage, .show = show };

int cmd_request(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	struct http_headers hdrs = { 0 };
	struct request_args a;
	char **pos = NULL, **rest, *method = NULL, *body = NULL;
	const char *stage;
	int npos = 0, nrest, rc;
	size_t body_len = 0;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		goto out_ok;
	if (!rc)
		rc = cli_split_stage(pos, npos, &stage, &rest, &nrest, &e);
	if (rc)
		goto out;
	if (nrest == 2 && !(method = method_of(rest[0]))) {
		rc = herr_set(&e, HOIST_USAGE, "'%s' is not an HTTP method (or a stage of the "
			      "settings file); usage: hoist request %s", rest[0], self->usage);
		goto out;
	}
	if (nrest < 1 || nrest > 2) {
		rc = herr_set(&e, HOIST_USAGE, "give a PATH (and optionally a METHOD before it); "
			      "usage: hoist request %s", self->usage);
		goto out;
	}
	if (rest[nrest - 1][0] != '/') {
		rc = herr_set(&e, HOIST_USAGE, "PATH must start with '/', not '%s'", rest[nrest - 1]);
		goto out;
	}
	if ((rc = parse_headers(&hdrs, &e)) || (rc = read_body(&body, &body_len, &e)))
		goto out;
	if (!method)
		method = xstrdup(data_opt ? "POST" : "GET");
	a = (struct request_args){ .method = method, .path = rest[nrest - 1], .body = body,
				     .body_len = body_len, .headers = &hdrs,
				     .app_code = app_code_opt };
	rc = cli_each_stage(stage, &request, &a, &e);
out:
	if (rc)
		out_error(&e);
out_ok:
	http_headers_free(&hdrs);
	free(header_opts.v);
	free(method);
	free(body);
	free(pos);
	return rc < 0 ? HOIST_OK : rc;
}
