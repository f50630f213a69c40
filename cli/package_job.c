/*
 * package_job.c — building a deploy's or update's package beside the
 * provider's first calls.
 *
 * A provider that can start before its package is ready (struct provider
 * .package_beside: AWS reads the function, its role, its permissions and
 * front door meanwhile) gets the package from a child process: the child
 * runs package_build into a private temporary directory and hands the
 * package_info back as JSON through a temporary file as soon as the archive
 * is built, then the pre-flight's outcome through another; the provider
 * calls deploy_package_built() (provider.h) before it needs the archive and
 * deploy_package() before it changes the stage, so a package that fails
 * (too big, wrong native code, refused by the pre-flight) still changes
 * nothing.  Its progress lines share stderr, each line written whole.
 * --zip FILE is ready at once (its pre-flight runs in deploy_package).
 */
#include "package_job.h"
#include "cli.h"

#include "../core/interrupt.h"
#include "../core/log.h"
#include "../core/path.h"
#include "../core/preflight.h"
#include "../core/stage.h"
#include "../core/str.h"
#include "../providers/provider.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- package_info through a file --------------------------------------------- */

static json_t *info_doc(const struct package_info *pi)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:b, s:b, s:s?, s:I, s:s, s:s}",
			 "zip_path", pi->zip_path, "zip_size", (json_int_t)pi->zip_size,
			 "unzipped_size", (json_int_t)pi->unzipped_size,
			 "file_count", (json_int_t)pi->file_count, "sha256_hex", pi->sha256_hex,
			 "sha256_b64", pi->sha256_b64, "needs_objstore", pi->needs_objstore,
			 "slim", pi->slim, "tar_path", pi->tar_path,
			 "tar_size", (json_int_t)pi->tar_size, "tar_sha256_hex", pi->tar_sha256_hex,
			 "tar_sha256_b64", pi->tar_sha256_b64);
}

static const char *str_of(const json_t *d, const char *k)
{
	return json_string_value(json_object_get(d, k)) ?: "";
}

static unsigned long long num_of(const json_t *d, const char *k)
{
	return (unsigned long long)json_integer_value(json_object_get(d, k));
}

static void info_from(const json_t *d, struct package_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->zip_path = xstrdup(str_of(d, "zip_path"));
	pi->zip_size = num_of(d, "zip_size");
	pi->unzipped_size = num_of(d, "unzipped_size");
	pi->file_count = (size_t)num_of(d, "file_count");
	snprintf(pi->sha256_hex, sizeof(pi->sha256_hex), "%s", str_of(d, "sha256_hex"));
	snprintf(pi->sha256_b64, sizeof(pi->sha256_b64), "%s", str_of(d, "sha256_b64"));
	pi->needs_objstore = json_is_true(json_object_get(d, "needs_objstore"));
	pi->slim = json_is_true(json_object_get(d, "slim"));
	pi->tar_path = json_is_string(json_object_get(d, "tar_path"))
		       ? xstrdup(str_of(d, "tar_path")) : NULL;
	pi->tar_size = num_of(d, "tar_size");
	snprintf(pi->tar_sha256_hex, sizeof(pi->tar_sha256_hex), "%s", str_of(d, "tar_sha256_hex"));
	snprintf(pi->tar_sha256_b64, sizeof(pi->tar_sha256_b64), "%s", str_of(d, "tar_sha256_b64"));
}

/* The pre-flight's outcome as the child told it. */
static void pf_from(struct package_job *j, const json_t *pf)
{
	if (!pf)
		return;
	j->pf_done = true;
	j->pf_rc = (int)json_integer_value(json_object_get(pf, "rc"));
	if (j->pf_rc)
		herr_set(&j->pf_e, j->pf_rc, "%s", str_of(pf, "message"));
}

/* ---- building ---------------------------------------------------------------- */

struct listed_ctx {
	struct package_job *j;
	const struct stage *st;
	const char *manifest;
};

/*
 * The entries are known: the pre-flight imports from them while they are
 * compressed, unless these files passed before (then no manifest is written).
 */
static void listed(void *ctx, const struct package_listing *l, const char key[65], bool slim)
{
	struct listed_ctx *c = ctx;
	struct herr e = { 0 };
	char *gen;

	c->j->pf = preflight_begin_files(c->j->pf_early, c->st, key, slim);
	c->j->pf_early = NULL;   /* now c->j->pf */
	if (!preflight_wants_files(c->j->pf))
		return;
	gen = preflight_gen_dir();
	if (package_listing_write(l, c->manifest, gen, &e) == HOIST_OK) {
		preflight_start_files(c->j->pf, c->manifest);
	} else {
		out_debug("pre-flight after packaging: %s", e.msg);
		preflight_cancel(c->j->pf);   /* tried on the zip instead */
		c->j->pf = NULL;
	}
	free(gen);
}

/*
 * Held (package_job_start): wait for package_job_go; without it (the stage
 * was refused, or the parent is gone) leave unseen, Python stopped.
 */
static void await_go(struct package_job *j)
{
	ssize_t n;
	char c;

	while ((n = read(j->go, &c, 1)) < 0 && errno == EINTR)
		;
	close(j->go);
	j->go = -1;
	if (n != 1) {
		preflight_cancel(j->pf_early);
		_exit(0);
	}
}

static int build(struct package_job *j, const struct stage *st, const struct provider *p,
		 const char *dir, bool cache, struct package_info *pi, struct herr *e)
{
	struct package_opts o = { 0 };
	char *out = xasprintf("%s/%s.zip", dir, st->function_name);
	char *manifest = xasprintf("%s/manifest", dir);
	struct listed_ctx lc = { j, st, manifest };
	int rc;

	o.slim_location = p->slim_location;
	o.stage = st;
	o.out_path = out;
	o.limits = &p->limits;
	o.runtime_provided = p->runtime_provided;
	o.cache = cache;
	if (j->preflight) {
		o.listed = listed;
		o.listed_ctx = &lc;
	}
	/*
	 * Python starts before the walk, unless stages run side by side (--all):
	 * there one stage tries the files its siblings share, and the others'
	 * early starts would only take CPU from the packaging.
	 */
	if (j->preflight && !cli_g.all)
		j->pf_early = preflight_prestart(st);
	if (j->go >= 0)
		await_go(j);   /* package_job_go said "Packaging" */
	else
		out_step("Packaging %s", st->function_name);
	rc = package_build(&o, pi, e);
	if (rc)
		herr_prefix(e, "package %s: ", st->name);
	preflight_cancel(j->pf_early);   /* the files were never listed: tried on the zip */
	j->pf_early = NULL;
	if (j->pf && rc) {
		preflight_cancel(j->pf);
		j->pf = NULL;
	}
	free(manifest);
	free(out);
	return rc;
}

/* The built package's pre-flight, to its outcome (its clean-up once the answer is given). */
static void decide(struct package_job *j, const struct package_info *pi)
{
	if (!j->pf)
		return;
	j->pf_rc = preflight_outcome(j->pf, pi, &j->pf_e);
	j->pf_done = true;
	j->pf_after = j->pf;
	j->pf = NULL;
}

/* Write doc to f and tell the parent `what` through `ready` (once f holds it whole). */
static void tell(FILE *f, json_t *doc, int ready, const char *what)
{
	json_dumpf(doc, f, JSON_COMPACT);
	json_decref(doc);
	if (fflush(f) == 0 && ready >= 0 && write(ready, what, 1) != 1) {
		/* the parent is gone: nobody to tell */
	}
}

/*
 * The child: build, answer, and leave the directory to the parent.  Two
 * answers: the package as soon as it is built ("b": the parent may upload
 * it meanwhile), then the pre-flight's outcome ("a").  The pre-flight's
 * clean-up (its Python's exit) happens after that.
 */
static void child(struct package_job *j, const struct stage *st, const struct provider *p,
		  bool cache, int ready)
{
	struct package_info pi = { 0 };
	struct herr e = { 0 };
	int rc = build(j, st, p, j->tmpdir, cache, &pi, &e);

	tell(j->answer, rc ? json_pack("{s:i, s:s}", "rc", rc, "message", e.msg) : info_doc(&pi),
	     ready, "b");
	decide(j, &pi);
	tell(j->pf_answer, j->pf_done ? json_pack("{s:i, s:s}", "rc", j->pf_rc, "message",
						  j->pf_e.msg) : json_object(), ready, "a");
	preflight_cancel(j->pf_after);
	_exit(0);
}

int package_job_start(struct package_job *j, const struct stage *st, const struct provider *p,
		      const char *zip, bool cache, bool beside, bool preflight, bool held,
		      struct herr *e)
{
	const char *tmp = getenv("TMPDIR");
	int rc, gate[2] = { -1, -1 }, ready[2] = { -1, -1 };

	memset(j, 0, sizeof(*j));
	j->preflight = preflight;
	j->go = j->hold = j->ready = -1;
	if (zip) {
		if (!path_exists(zip))
			return herr_set(e, HOIST_USAGE, "--zip %s: no such file", zip);
		if ((rc = package_check_zip(zip, st, &p->limits, e)) != HOIST_OK)
			return rc;   /* this stage's hoist package, within the limits */
		j->pi.zip_path = path_real(zip);
		j->built = j->waited = true;
		return HOIST_OK;
	}
	j->tmpdir = xasprintf("%s/hoist-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(j->tmpdir)) {
		free(j->tmpdir);
		j->tmpdir = NULL;
		return herr_set(e, HOIST_FAIL, "cannot create a temporary directory");
	}
	intr_temp_add(j->tmpdir);   /* the zip holds the environment variables */
	if (beside && (j->answer = tmpfile()) && !(j->pf_answer = tmpfile())) {
		fclose(j->answer);
		j->answer = NULL;
	}
	if (beside && j->answer) {
		fflush(stdout);
		fflush(stderr);
		if (held && pipe2(gate, O_CLOEXEC) != 0)
			gate[0] = gate[1] = -1;   /* not held, then: it goes at once */
		if (pipe2(ready, O_CLOEXEC) != 0)
			ready[0] = ready[1] = -1;   /* then its exit says it has answered */
		j->pid = fork();
		if (j->pid == 0) {
			if (gate[1] >= 0)
				close(gate[1]);
			if (ready[0] >= 0)
				close(ready[0]);
			j->go = gate[0];
			child(j, st, p, cache, ready[1]);
		}
		if (gate[0] >= 0)
			close(gate[0]);
		if (ready[1] >= 0)
			close(ready[1]);
		if (j->pid > 0) {
			j->hold = gate[1];
			j->ready = ready[0];
			return HOIST_OK;
		}
		if (gate[1] >= 0)
			close(gate[1]);
		if (ready[0] >= 0)
			close(ready[0]);
		j->pid = 0;   /* no child: build it here */
		fclose(j->answer);
		fclose(j->pf_answer);
		j->answer = j->pf_answer = NULL;
	}
	j->rc = build(j, st, p, j->tmpdir, cache, &j->pi, &j->e);
	if (!j->rc)
		decide(j, &j->pi);
	preflight_cancel(j->pf_after);
	j->pf_after = NULL;
	j->built = j->waited = true;
	return HOIST_OK;
}

void package_job_go(struct package_job *j, const struct stage *st)
{
	if (j->hold < 0)
		return;
	out_step("Packaging %s", st->function_name);   /* here, in order with what follows */
	if (write(j->hold, "g", 1) != 1)
		out_debug("package: the builder did not take its go-ahead: %s", strerror(errno));
	close(j->hold);
	j->hold = -1;
}

/*
 * The child's next word through `ready`: 'b' or 'a', or 0 once it is gone
 * without one.  Without the pipe, its exit says it has written both answers.
 */
static char heard(struct package_job *j)
{
	ssize_t n = 0;
	char c = 0;
	int status;

	if (j->ready < 0) {
		if (j->pid > 0)
			intr_waitpid(j->pid, &status);
		j->pid = 0;
		return 'a';
	}
	while ((n = read(j->ready, &c, 1)) < 0 && errno == EINTR)
		;
	return n == 1 ? c : 0;
}

/* The child is gone without its answer: how it ended. */
static int ended(struct package_job *j, const char *what)
{
	int status = 0;

	if (j->pid > 0)
		intr_waitpid(j->pid, &status);
	j->pid = 0;
	return herr_set(&j->e, HOIST_FAIL, "%s ended without a result (%s %d)", what,
			WIFSIGNALED(status) ? "signal" : "exit status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int package_job_built(struct package_job *j, struct herr *e)
{
	json_t *doc;

	if (!j->built) {
		j->built = true;
		/* told it has answered: its exit (the pre-flight's clean-up) is reaped later */
		j->said = heard(j);
		rewind(j->answer);
		doc = j->said ? json_loadf(j->answer, 0, NULL) : NULL;
		if (!doc)
			j->rc = ended(j, "packaging");
		else if (json_object_get(doc, "rc"))
			j->rc = herr_set(&j->e, (int)json_integer_value(json_object_get(doc, "rc")),
					 "%s", str_of(doc, "message"));
		else
			info_from(doc, &j->pi);
		json_decref(doc);
		if (j->rc)
			j->waited = true;   /* no pre-flight follows */
	}
	if (j->rc)
		*e = j->e;
	return j->rc;
}

int package_job_wait(struct package_job *j, struct herr *e)
{
	json_t *doc;

	package_job_built(j, e);
	if (!j->waited) {
		j->waited = true;
		if (j->said == 'b')
			j->said = heard(j);
		rewind(j->pf_answer);
		doc = j->said == 'a' ? json_loadf(j->pf_answer, 0, NULL) : NULL;
		if (!doc)
			j->rc = ended(j, "the pre-flight");
		else if (json_object_size(doc))
			pf_from(j, doc);
		json_decref(doc);
	}
	if (j->rc)
		*e = j->e;
	return j->rc;
}

void package_job_done(struct package_job *j)
{
	struct herr ignored;

	if (j->hold >= 0)   /* never let go: it leaves unseen */
		close(j->hold);
	if (!j->waited && j->pid > 0) {   /* the provider stopped first: stop the build too */
		kill(j->pid, SIGTERM);
		package_job_wait(j, &ignored);
	}
	if (j->pid > 0) {   /* it answered; its clean-up is done by now, or nearly */
		int status;

		intr_waitpid(j->pid, &status);
	}
	if (j->ready >= 0)
		close(j->ready);
	if (j->answer)
		fclose(j->answer);
	if (j->pf_answer)
		fclose(j->pf_answer);
	package_info_free(&j->pi);
	if (j->tmpdir) {
		path_rmtree(j->tmpdir, NULL);
		intr_temp_forget(j->tmpdir);
	}
	free(j->tmpdir);
	memset(j, 0, sizeof(*j));
}
