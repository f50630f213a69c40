/*
 * cmd_certify.c — `hoist certify [stage] [--manual]`: a certificate and the
 * custom `domain` for the stage; prints the HTTPS URL.
 */
#include "cli.h"
#include "commands.h"
#include "stage_ops.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/stage.h"
#include "../providers/provider.h"

#include <stdlib.h>

static bool manual_opt;

const struct opt certify_opts[] = {
	{ "manual", 0, OPT_BOOL, &manual_opt, NULL,
	  "install nothing: print the certificate files or DNS records to install by hand" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

static int certify_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	const struct provider *p;
	struct certify_args a = { manual_opt, json_object() };
	char *url = NULL;
	int rc;

	rc = cli_provider(st, &p, e);
	if (!rc && !p->certify)
		rc = cli_no_op(p, "certify", e);
	if (!rc)
		rc = p->certify(st, &a, &url, e);
	if (rc) {
		json_decref(a.manual_out);
		return herr_prefix(e, "certify %s: ", st->name);
	}
	*doc = cli_live_doc("certify", st, url);
	if (json_object_size(a.manual_out))
		json_object_set(*doc, "manual", a.manual_out);
	json_decref(a.manual_out);
	free(url);
	return HOIST_OK;
}

/* --manual: "name TYPE value" per DNS record, "what: path" per file. */
static void show(const struct stage *st, json_t *doc, void *ctx)
{
	json_t *m = json_object_get(doc, "manual"), *files = json_object_get(m, "files"), *r;
	static const char *const what[] = { "certificate", "key", "chain" };
	size_t i;

	json_array_foreach(json_object_get(m, "records"), i, r)
		out_result("%s %s %s", json_string_value(json_object_get(r, "name")),
			   json_string_value(json_object_get(r, "type")),
			   json_string_value(json_object_get(r, "value")));
	for (i = 0; files && i < sizeof(what) / sizeof(what[0]); i++)
		out_result("%s: %s", what[i], json_string_value(json_object_get(files, what[i])));
	cli_show_live("Certificate installed! Your domain is live", doc);
}

static const struct stage_cmd certify = { .run = certify_stage, .show = show };

int cmd_certify(const struct cmd *self, int argc, char **argv)
{
	return cli_stage_command(self, argc, argv, &certify, NULL);
}
