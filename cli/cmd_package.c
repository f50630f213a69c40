/*
 * cmd_package.c — `hoist package [stage] [-o FILE]`: build the deployable
 * archive(s) of a stage without deploying them.
 *
 * stdout: the archive path (or, with --json, an object with stage, path, size,
 * sha256, files, unzipped_size, slim, tar_path, needs_objstore); stderr: one
 * summary line.  Default output: <function_name>.zip in the current
 * directory (-o may name a file or an existing directory; with --all, one
 * archive per stage, -o a directory).
 */
#include "cli.h"
#include "commands.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/package.h"
#include "../core/path.h"
#include "../core/stage.h"
#include "../core/str.h"
#include "../providers/provider.h"

#include <jansson.h>
#include <stdlib.h>

static const char *output_opt;
static bool no_cache_opt;

const struct opt package_options[] = {
	{ "output", 'o', OPT_STRING, &output_opt, "FILE",
	  "write the archive to FILE (default: <function_name>.zip here)" },
	{ "no-cache", 0, OPT_BOOL, &no_cache_opt, NULL,
	  "compress every file afresh; leave the package cache alone" },
	{ NULL, 0, OPT_BOOL, NULL, NULL, NULL },
};

static char *output_path(const struct stage *st)
{
	char *name = xasprintf("%s.zip", st->function_name);
	char *p;

	if (!output_opt)
		return name;
	if (path_is_dir(output_opt)) {
		p = path_join(output_opt, name);
		free(name);
		return p;
	}
	free(name);
	return xstrdup(output_opt);
}

static json_t *package_doc(const struct stage *st, const struct package_info *pi)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:b, s:s?, s:b}", "stage", st->name,
			 "path", pi->zip_path, "size", (json_int_t)pi->zip_size,
			 "sha256", pi->sha256_hex, "sha256_base64", pi->sha256_b64,
			 "files", (json_int_t)pi->file_count,
			 "unzipped_size", (json_int_t)pi->unzipped_size, "slim", pi->slim,
			 "tar_path", pi->tar_path, "needs_objstore", pi->needs_objstore);
}

static void print_summary(const struct package_info *pi, const struct provider *p)
{
	char zs[32], us[32], ts[32];

	out_step("Packaged %zu files: %s (%s, unzipped %s) sha256 %s", pi->file_count,
		 pi->zip_path, str_size(pi->zip_size, zs, sizeof(zs)),
		 str_size(pi->unzipped_size, us, sizeof(us)), pi->sha256_hex);
	if (pi->slim)
		out_step("Slim bundle: %s (%s), unpacked into /tmp at cold start", pi->tar_path,
			 str_size(pi->tar_size, ts, sizeof(ts)));
	if (pi->needs_objstore && p)
		out_step("Over the inline upload limit: deploy will upload it through %s",
			 p->limits.objstore);
}

static int package_stage(struct stage *st, void *ctx, json_t **doc, struct herr *e)
{
	const struct provider *p = provider_find(st->provider ? st->provider : "aws");
	struct package_opts o = { 0 };
	struct package_info pi = { 0 };
	char *out = output_path(st);
	int rc;

	if (!p) {
		rc = herr_set(e, HOIST_USAGE, "unknown provider '%s'", st->provider);
		goto out;
	}
	o.stage = st;
	o.out_path = out;
	o.limits = &p->limits;
	o.runtime_provided = p->runtime_provided;
	o.cache = !no_cache_opt;
	o.keep_output = true;
	rc = package_build(&o, &pi, e);
	if (rc) {
		herr_prefix(e, "package %s: ", st->name);
		goto out;
	}
	print_summary(&pi, p);
	*doc = package_doc(st, &pi);
	package_info_free(&pi);
out:
	free(out);
	return rc;
}

/* stdout: the archive's path. */
static void show(const struct stage *st, json_t *doc, void *ctx)
{
	out_result("%s", json_string_value(json_object_get(doc, "path")));
}

static const struct stage_cmd package = { .run = package_stage, .show = show };

int cmd_package(const struct cmd *self, int argc, char **argv)
{
	struct herr e = { 0 };
	char **pos = NULL;
	int npos = 0, rc;

	rc = opts_parse(self, argc, argv, &pos, &npos, 0, &e);
	if (rc < 0)
		return HOIST_OK;
	if (rc)
		goto out;
	if (npos > 1) {
		rc = herr_set(&e, HOIST_USAGE, "too many arguments; usage: hoist package %s",
			      self->usage);
		goto out;
	}
	if (cli_g.all && output_opt && !path_is_dir(output_opt)) {
		rc = herr_set(&e, HOIST_USAGE, "with --all, -o must name a directory (one archive "
			      "per stage)");
		goto out;
	}
	rc = cli_each_stage(npos ? pos[0] : NULL, &package, NULL, &e);
out:
	if (rc)
		out_error(&e);
	free(pos);
	return rc;
}
