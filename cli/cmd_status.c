/*
 * cmd_status.c — `hoist status [stage] [--show-secrets]`: what the provider
 * knows about the deployed stage (URL, version, counters, schedules), as a
 * short table on stdout or the provider's JSON with --json.  With
 * --show-secrets the front door's credentials (Alibaba API Gateway: the
 * app's AppSecret and AppCode) are added, on stdout only ("secrets").
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../providers/provider.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static bool show_secrets_opt;

const struct opt status_opts[] = {
	{ "show-secrets", 0, OPT_BOOL, &show_secrets_opt, NULL,
	  "also print the front door's secrets (API Gateway AppSecret, AppCode)" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

static void row(const char *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void row(const char *k, const char *fmt, ...)
{
	va_list ap;

	printf("%-14s ", k);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s ? s : "-";
}

/* "1 request", "2 requests": the number under key k of j. */
static const char *count(json_t *j, const char *k, const char *noun, char buf[64])
{
	long long n = (long long)json_integer_value(json_object_get(j, k));

	snprintf(buf, 64, "%lld %s%s", n, noun, n == 1 ? "" : "s");
	return buf;
}

static void print_human(const struct stage *st, const struct provider *p, json_t *j)
{
	char c1[64], c2[64], c3[64];
	json_t *sch = json_object_get(j, "schedules"), *x;
	size_t i;

	row("Stage:", "%s (provider %s)", st->name, p->name);
	row("Function:", "%s", st->function_name);
	if (json_object_get(j, "url"))
		row("URL:", "%s", jstr(j, "url"));
	if (json_object_get(j, "function_url") &&
	    strcmp(jstr(j, "function_url"), jstr(j, "url")) != 0)
		row("Function URL:", "%s", jstr(j, "function_url"));
	if (json_object_get(j, "https_url"))
		row("HTTPS URL:", "%s", jstr(j, "https_url"));
	if (json_object_get(j, "domain_url"))
		row("Domain:", "%s", jstr(j, "domain_url"));
	if ((x = json_object_get(j, "api_gateway"))) {
		row("API Gateway:", "%s %s (%s, %s)", jstr(x, "group"), jstr(x, "subdomain"),
		    jstr(x, "environment"), jstr(x, "auth"));
		if (json_object_get(x, "app_key"))
			row("AppKey:", "%s (app %s)", jstr(x, "app_key"), jstr(x, "app"));
	}
	if ((x = json_object_get(j, "secrets"))) {
		if (json_object_get(x, "app_secret"))
			row("AppSecret:", "%s", jstr(x, "app_secret"));
		if (json_object_get(x, "app_code"))
			row("AppCode:", "%s", jstr(x, "app_code"));
	}
	if (json_object_get(j, "state")) {
		if (json_object_get(j, "pid"))
			row("State:", "%s (pid %lld, up %llds)", jstr(j, "state"),
			    (long long)json_integer_value(json_object_get(j, "pid")),
			    (long long)json_integer_value(json_object_get(j, "uptime_s")));
		else
			row("State:", "%s", jstr(j, "state"));
	}
	if (json_object_get(j, "version"))
		row("Version:", "%lld", (long long)json_integer_value(json_object_get(j, "version")));
	if (json_object_get(j, "invocations_24h"))
		row("Last 24 hours:", "%s, %s", count(j, "invocations_24h", "invocation", c1),
		    count(j, "errors_24h", "error", c2));
	else if (json_object_get(j, "requests"))
		row("Invocations:", "%s, %s, %s", count(j, "requests", "request", c1),
		    count(j, "errors", "error", c2), count(j, "events", "event", c3));
	if (json_object_get(j, "concurrency"))
		row("Workers:", "%lld", (long long)json_integer_value(json_object_get(j, "concurrency")));
	if (json_object_get(j, "scheduled"))
		row("Schedules:", "%s", json_is_true(json_object_get(j, "scheduled")) ?
		    "enabled" : "disabled (hoist schedule to enable)");
	json_array_foreach(sch, i, x)
		printf("  %-24s %-28s next %s\n", jstr(x, "name"), jstr(x, "expression"),
		       jstr(x, "next"));
}

static int status_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	const struct provider *p;
	int rc;

	rc = cli_provider(st, &p, e);
	if (!rc && !p->status)
		rc = cli_no_op(p, "status", e);
	if (!rc)
		rc = p->status(st, doc, e);
	if (!rc && show_secrets_opt) {
		json_t *sec = NULL;

		if (p->secrets)
			rc = p->secrets(st, &sec, e);
		json_object_set_new(*doc, "secrets", sec ? sec : json_object());
		if (!rc && !json_object_size(json_object_get(*doc, "secrets")))
			out_info("stage %s has no front-door secrets to show", st->name);
	}
	if (rc)
		return herr_prefix(e, "status %s: ", st->name);
	return HOIST_OK;
}

static void show(const struct stage *st, json_t *doc, void *ctx)
{
	const struct provider *p = provider_find(st->provider ? st->provider : "aws");

	print_human(st, p, doc);
	fflush(stdout);
}

static const struct stage_cmd status = {
	.run = status_stage, .show = show, .json_flags = JSON_COMPACT | JSON_SORT_KEYS
};

int cmd_status(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, &status, NULL);
}
