/*
 * acme_get.c — test driver: obtain a certificate with core/acme.c against
 * pebble, publishing TXT records through pebble-challtestsrv's management
 * API (/set-txt, /clear-txt) with core/http.h.
 *
 *   acme_get --directory URL --key FILE --challtestsrv URL --out DIR
 *            --domain NAME [--domain NAME…] [--wrong-txt] [--ec] [--max-wait S] [-v]
 *
 * Writes DIR/key.pem (0600), cert.pem, chain.pem, fullchain.pem; prints
 * "account created|existing URL" on stdout and every hook call on stderr
 * ("hook: present NAME" / "hook: remove NAME").  Exit 0, or the error's
 * status with "error: …" on stderr.  --wrong-txt publishes a wrong value
 * on purpose (to see the CA refuse it).
 */
#include "../../core/acme.h"
#include "../../core/err.h"
#include "../../core/http.h"
#include "../../core/log.h"
#include "../../core/path.h"
#include "../../core/str.h"
#include "../../core/x509.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hook {
	struct http_client *http;
	const char *base;
	bool wrong;
};

static int post_json(struct hook *h, const char *path, json_t *body, struct herr *e)
{
	char *url = xasprintf("%s%s", h->base, path), *text = json_dumps(body, JSON_COMPACT);
	struct http_request rq = { .method = "POST", .url = url, .body = text,
				   .body_len = strlen(text), .what = "challtestsrv" };
	struct http_response rs;
	int rc = http_do(h->http, &rq, &rs, e);

	if (rc == HOIST_OK && rs.status != 200)
		rc = herr_set(e, HOIST_FAIL, "challtestsrv %s: HTTP %ld", path, rs.status);
	http_response_free(&rs);
	free(url);
	free(text);
	return rc;
}

static int set_txt(const char *fqdn, const char *value, bool present, void *ctx, struct herr *e)
{
	struct hook *h = ctx;
	char *host = xasprintf("%s.", fqdn);
	json_t *body;
	int rc;

	fprintf(stderr, "hook: %s %s\n", present ? "present" : "remove", fqdn);
	if (present)
		body = json_pack("{s:s, s:s}", "host", host, "value",
				 h->wrong ? "this-is-not-the-right-value" : value);
	else
		body = json_pack("{s:s}", "host", host);
	rc = post_json(h, present ? "/set-txt" : "/clear-txt", body, e);
	json_decref(body);
	free(host);
	return rc;
}

static int write_out(const char *dir, const struct acme_result *r, struct herr *e)
{
	struct { const char *name, *text; mode_t mode; } files[] = {
		{ "key.pem", r->key_pem, 0600 }, { "cert.pem", r->cert_pem, 0644 },
		{ "chain.pem", r->chain_pem, 0644 }, { "fullchain.pem", r->fullchain_pem, 0644 },
	};
	int rc = path_mkdirs(dir, e);

	for (size_t i = 0; rc == HOIST_OK && i < sizeof(files) / sizeof(*files); i++) {
		char *p = path_join(dir, files[i].name);

		rc = x509_write_file(p, files[i].text, files[i].mode, e);
		free(p);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "directory", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "challtestsrv", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "domain", required_argument, NULL, 'n' },
		{ "wrong-txt", no_argument, NULL, 'w' },
		{ "ec", no_argument, NULL, 'e' },
		{ "max-wait", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 },
	};
	struct out_opts oo = { 0 };
	struct acme_params p = { 0 };
	struct acme_result r = { 0 };
	struct hook h = { 0 };
	struct herr e = { 0 };
	const char **names = xcalloc((size_t)argc + 1, sizeof(char *));
	const char *out = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "v", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': p.directory_url = optarg; break;
		case 'k': p.account_key_path = optarg; break;
		case 'c': h.base = optarg; break;
		case 'o': out = optarg; break;
		case 'n': names[p.n_names++] = optarg; break;
		case 'w': h.wrong = true; break;
		case 'e': p.cert_key = X509_KEY_EC_P256; break;
		case 'm': p.max_wait_s = atoi(optarg); break;
		case 'v': oo.verbosity++; break;
		default: free(names); return 2;
		}
	}
	if (!h.base || !out) {
		fprintf(stderr, "usage: acme_get --directory URL --key FILE --challtestsrv URL "
			"--out DIR --domain NAME…\n");
		free(names);
		return 2;
	}
	out_init(&oo);
	h.http = http_client_new();
	p.names = names;
	p.set_txt = set_txt;
	p.set_txt_ctx = &h;
	rc = acme_obtain(&p, &r, &e);
	if (rc == HOIST_OK) {
		printf("account %s %s\n", r.account_existed ? "existing" : "created",
		       r.account_url);
		rc = write_out(out, &r, &e);
	}
	if (rc != HOIST_OK)
		fprintf(stderr, "error: %s\n", e.msg);
	acme_result_free(&r);
	http_client_free(h.http);
	free(names);
	return rc;
}
