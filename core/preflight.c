/*
 * preflight.c — catch a broken package before it is uploaded: a virtualenv
 * made with --system-site-packages, or a site_packages that misses the app's
 * dependencies, gives a package the cloud fails to import after the upload.
 *
 * templates/preflight/preflight.py imports hoist_handler and the app as a
 * cold start does, with `python -I -S` and the stage's environment_variables
 * and nothing else, from one of:
 *   files  the files a package is made of, listed before they are compressed
 *          (core/pkg_manifest.c): preflight_prestart starts Python before the
 *          walk, importing meanwhile the standard-library modules the last
 *          pass of this project imported (<cache dir>/preflight/warm-*);
 *          preflight_begin_files hands it the list as soon as it is known and
 *          preflight_end judges once the zip is made, so the import runs
 *          beside the walk, the compression and the provider's reads;
 *   zip    a package that exists (--zip FILE): preflight_run.
 * It prints one JSON line; what it says:
 *   ok             fine;
 *   missing M      M is not in the package: exit 2, saying where M lives on
 *                  this machine (asked of the virtualenv's python, else this
 *                  one, with its usual sys.path);
 *   not_found      app_function names nothing in the package: exit 2;
 *   missing M that is in the package, or anything else the app raised:
 *                  a warning (another Python version, native code, the
 *                  cloud's environment), and the deploy goes on.
 * No Python, another architecture, or no answer in time: skipped, a warning.
 *
 * Cost: compiled code is each file's own __pycache__ entry when current,
 * else kept in <cache dir>/preflight/pyc (private); the script itself is
 * imported from <cache dir>/preflight/code (script_text); what passed once is
 * not tried again: a file in <cache dir>/preflight/ named for the files'
 * key (or the zip's SHA-256), the Python, the stage's environment and this
 * check records it (a no-change update or a re-deploy costs nothing).
 */
#include "preflight.h"

#include "err.h"
#include "interrupt.h"
#include "log.h"
#include "package.h"
#include "path.h"
#include "settings.h"
#include "stage.h"
#include "str.h"
#include "templates.h"
#include "clock.h"
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- which Python ------------------------------------------------------- */

/* "python3.12" → 12; -1 when not python3.N. */
static int minor_of(const char *runtime)
{
	int m = -1;

	if (runtime && sscanf(runtime, "python3.%d", &m) == 1)
		return m;
	return -1;
}

#define MAX_PYTHONS 20

/*
 * The Pythons to try, best first (NULL-terminated, allocated): the `python`
 * setting (local), else python3.<runtime's minor> on PATH, then the nearer
 * python3.N, then python3 — for each name the interpreter itself rather than
 * a version manager's shim before it on PATH (a shim costs ~0.5 s a start);
 * a shim may still be all there is, and may not run (pyenv's, for a version
 * not installed), so the caller goes on to the next when one does not start.
 */
static char **pick_pythons(const struct stage *st)
{
	const char *set = settings_str(st->settings, "python");
	int want = minor_of(settings_str(st->settings, "runtime")), d, n = 0;
	char **v = xcalloc(MAX_PYTHONS + 1, sizeof(*v)), name[32], *p;

	if (set) {
		v[0] = path_which(set);
		return v;
	}
	for (d = 0; want >= 0 && d <= 8 && n < MAX_PYTHONS - 1; d++) {
		int tries[2] = { want - d, want + d }, i;

		for (i = 0; i < (d ? 2 : 1); i++) {
			snprintf(name, sizeof(name), "python3.%d", tries[i]);
			if (tries[i] >= 0 && (p = path_which_native(name)))
				v[n++] = p;
		}
	}
	if ((p = path_which_native("python3")))
		v[n++] = p;
	return v;
}

/* The host's architecture as the settings name it (x86_64, arm64, or another). */
static const char *host_arch(void)
{
	struct utsname u;

	if (uname(&u) != 0)
		return "?";
	if (!strcmp(u.machine, "aarch64") || !strcmp(u.machine, "arm64"))
		return "arm64";
	return !strcmp(u.machine, "x86_64") ? "x86_64" : "other";
}

/* ---- running it --------------------------------------------------------- */

/* The environment the import sees: PATH, HOME, LANG and the stage's variables. */
static char **stage_env(const struct stage *st)
{
	static const char *const keep[] = { "PATH", "HOME", "LANG", "TMPDIR" };
	static const char *const keys[] = { "environment_variables", "aws_environment_variables" };
	size_t n = 0, cap = 8, i;
	char **env = xcalloc(cap, sizeof(*env));
	const char *k;
	json_t *v;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (getenv(keep[i])) {
			env[n++] = xasprintf("%s=%s", keep[i], getenv(keep[i]));
		}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_foreach(json_object_get(st->settings, keys[i]), k, v) {
			if (!json_is_string(v))
				continue;
			if (n + 2 >= cap)
				env = xrealloc(env, (cap *= 2) * sizeof(*env));
			env[n++] = xasprintf("%s=%s", k, json_string_value(v));
		}
	env[n] = NULL;
	return env;
}

static void free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* A child whose stdout and stderr hoist reads, until it ends or time is up. */
struct proc {
	pid_t pid;
	int out, err;   /* pipes' read ends, -1 once closed */
	int in;         /* its stdin's write end (spawn with `feed`), else -1 */
	double end;     /* clock_now_s() deadline */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Start argv with envp (NULL: this environment), stdin a pipe p->in writes
 * to when `feed`, else /dev/null; -1 when it could not start.
 */
static int spawn(struct proc *p, char *const argv[], char *const envp[], int64_t timeout_ms,
		 bool feed)
{
	int po[2], pe[2], pi[2] = { -1, -1 };

	p->pid = -1;
	p->out = p->err = p->in = -1;
	p->end = clock_now_s() + (double)timeout_ms / 1000.0;
	if (feed && pipe2(pi, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(po, O_CLOEXEC) != 0) {
		close_fd(&pi[0]);
		close_fd(&pi[1]);
		return -1;
	}
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]);
		close(po[1]);
		close_fd(&pi[0]);
		close_fd(&pi[1]);
		return -1;
	}
	p->pid = fork();
	if (p->pid == 0) {
		int in = feed ? pi[0] : open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);   /* it ends with the process that waits for it */
		dup2(in, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execve(argv[0], argv, envp ? envp : environ);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	close_fd(&pi[0]);
	if (p->pid < 0) {
		close(po[0]);
		close(pe[0]);
		close_fd(&pi[1]);
		return -1;
	}
	p->out = po[0];
	p->err = pe[0];
	p->in = pi[1];
	return 0;
}

/* Wait for p to end: *status as waitpid's. */
static void proc_reap(struct proc *p, int *status)
{
	intr_waitpid(p->pid, status);
	p->pid = -1;
}

/*
 * Read p's stdout into *out and stderr into *err until it ends; *status as
 * waitpid's.  -1 when it did not end in time (then killed); an interrupt is
 * the error in e.  With `answered`, output that ends a line when both pipes
 * have closed is an answer: p is reaped if it has ended, else left to
 * proc_kill (it closes them once it has answered, and its exit, the teardown
 * of all it imported, takes a few ms) with *status 0.
 */
static int collect(struct proc *p, struct sbuf *out, struct sbuf *err, int *status,
		   bool answered, struct herr *e)
{
	int *fds[2] = { &p->out, &p->err }, rc = 0;

	while (p->out >= 0 || p->err >= 0) {
		struct pollfd pf[2] = { { p->out, POLLIN, 0 }, { p->err, POLLIN, 0 } };
		int64_t left = (int64_t)((p->end - clock_now_s()) * 1000.0);
		char buf[8192];
		int i;

		if (left <= 0 || intr_check(e)) {
			rc = -1;
			break;
		}
		if (poll(pf, 2, left > 200 ? 200 : (int)left) < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t k;

			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = read(pf[i].fd, buf, sizeof(buf));
			if (k > 0) {
				sbuf_add(i ? err : out, buf, (size_t)k);
			} else if (k == 0 || errno != EINTR) {
				close(pf[i].fd);
				*fds[i] = -1;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		close_fd(fds[i]);
	close_fd(&p->in);
	if (rc)
		kill(p->pid, SIGKILL);
	if (!rc && answered && out->len && out->s[out->len - 1] == '\n') {
		*status = 0;
		if (waitpid(p->pid, status, WNOHANG) == p->pid)
			p->pid = -1;
		return rc;
	}
	proc_reap(p, status);
	return rc;
}

/* Kill p and close its pipes; proc_kill reaps it (its teardown takes a few ms). */
static void proc_stop(struct proc *p)
{
	kill(p->pid, SIGKILL);
	close_fd(&p->in);
	close_fd(&p->out);
	close_fd(&p->err);
}

/* Kill p, close its pipes and reap it. */
static void proc_kill(struct proc *p)
{
	int status;

	proc_stop(p);
	proc_reap(p, &status);
}

/* Run argv to its end: spawn + collect. */
static int run(char *const argv[], char *const envp[], int64_t timeout_ms, struct sbuf *out,
	       struct sbuf *err, int *status, struct herr *e)
{
	struct proc p;

	if (spawn(&p, argv, envp, timeout_ms, false) != 0)
		return -1;
	return collect(&p, out, err, status, false, e);
}

/* The last line of s, parsed (new reference), or NULL. */
static json_t *last_json_line(const struct sbuf *s)
{
	const char *end, *start;

	if (!s->len)
		return NULL;
	end = s->s + s->len;
	while (end > s->s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (start = end; start > s->s && start[-1] != '\n'; start--)
		;
	return json_loadb(start, (size_t)(end - start), 0, NULL);
}

/* ---- where a module lives ---------------------------------------------- */

static const char locate_py[] =
	"import importlib.util, os, sys\n"
	"try:\n"
	"    s = importlib.util.find_spec(sys.argv[1])\n"
	"except Exception:\n"
	"    s = None\n"
	"if s and s.submodule_search_locations:\n"
	"    print(os.path.dirname(list(s.submodule_search_locations)[0]))\n"
	"elif s and s.origin and os.path.isabs(s.origin):\n"
	"    print(os.path.dirname(s.origin))\n";

/*
 * The directory holding module `name` for this machine's Python (the
 * virtualenv's when one is active, with its usual sys.path); allocated,
 * NULL when it is nowhere.
 */
static char *locate(const char *python, const char *name)
{
	const char *venv = getenv("VIRTUAL_ENV");
	char *vpy = venv && *venv ? path_join(venv, "bin/python") : NULL;
	char *py = vpy && access(vpy, X_OK) == 0 ? vpy : (char *)python;
	char *argv[] = { py, "-c", (char *)locate_py, (char *)name, NULL };
	struct sbuf out, err;
	struct herr e = { 0 };
	char *where = NULL;
	int st = 0;

	sbuf_init(&out);
	sbuf_init(&err);
	intr_defer(true);
	if (run(argv, NULL, 30000, &out, &err, &st, &e) == 0 && out.len) {
		while (out.len && (out.s[out.len - 1] == '\n' || out.s[out.len - 1] == '\r'))
			out.s[--out.len] = '\0';
		if (*out.s)
			where = xstrdup(out.s);
	}
	intr_defer(false);
	sbuf_free(&out);
	sbuf_free(&err);
	free(vpy);
	return where;
}

/* Is `path` `dir` or below it? */
static bool below(const char *path, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n && !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

static int refuse_missing(const struct stage *st, const char *python, const char *module,
			  const char *error, struct herr *e)
{
	const char *venv = getenv("VIRTUAL_ENV");
	const char *sp = settings_str(st->settings, "site_packages");
	char *top = xstrdup(module), *where;
	struct sbuf why;

	top[strcspn(top, ".")] = '\0';
	where = locate(python, top);
	sbuf_init(&why);
	if (!where)
		sbuf_printf(&why, "%s is not installed on this machine either", top);
	else if (venv && *venv && below(where, venv))
		sbuf_printf(&why, "%s is in %s, inside the virtualenv, yet not in the package: "
			    "is it excluded (exclude, exclude_glob)?", top, where);
	else if (sp && below(where, sp))
		sbuf_printf(&why, "%s is in %s, the site_packages setting, yet not in the package: "
			    "is it excluded (exclude, exclude_glob)?", top, where);
	else if (venv && *venv)
		sbuf_printf(&why, "%s is in %s, outside the virtualenv (%s)", top, where, venv);
	else
		sbuf_printf(&why, "%s is in %s, but no virtualenv is active and site_packages %s",
			    top, where, sp ? "does not hold it" : "is not set");
	herr_set(e, HOIST_USAGE, "pre-flight: the app does not import from the package: %s; %s",
		 error, why.s);
	herr_hint(e, "Install %s into the virtualenv that hoist packages (pip install %s), or "
		  "point site_packages at where it is; the stage was not changed. --no-preflight "
		  "skips this check.", top, top);
	sbuf_free(&why);
	free(where);
	free(top);
	return HOIST_USAGE;
}

/* What the script said: HOIST_OK (perhaps with a warning) or the refusal. */
static int judge(const struct stage *st, const char *python, json_t *ans, const char *ver,
		 double secs, struct herr *e)
{
	const char *missing = json_string_value(json_object_get(ans, "missing"));
	const char *error = json_string_value(json_object_get(ans, "error"));
	const char *nf = json_string_value(json_object_get(ans, "not_found"));

	if (json_is_true(json_object_get(ans, "ok"))) {
		out_step("Pre-flight: the app imports from the package alone (%s, %.1f s)", ver, secs);
		return HOIST_OK;
	}
	if (nf) {
		herr_set(e, HOIST_USAGE, "pre-flight: app_function: %s in the package", nf);
		return herr_hint(e, "Check app_function and exclude; the stage was not changed. "
				 "--no-preflight skips this check.");
	}
	if (missing && *missing && !json_is_true(json_object_get(ans, "in_package")))
		return refuse_missing(st, python, missing, error ? error : missing, e);
	out_warn("pre-flight: the app raised %s when imported from the package with %s here; "
		 "the cloud may differ, so hoist goes on (--no-preflight skips this check)",
		 error ? error : "an error", ver);
	return HOIST_OK;
}

/* What is tried: a zip (and slim bundle) that exists, or the files a package is made of. */
struct input {
	const char *mode;      /* "zip" or "files" */
	const char *src;       /* the zip, or the manifest */
	const char *extra;     /* zip: the slim bundle or "-"; files: "slim" or "-" */
	const char *key;       /* zip: its SHA-256; files: the manifest's key ("" none) */
	const char *key2;      /* zip: the slim bundle's SHA-256 */
};

/*
 * The name of the record that this input passed with this Python and this
 * environment (allocated), or NULL when the input has no key.
 */
static char *passed_record(const struct stage *st, const struct input *in, const char *python,
			   const char *check)
{
	json_t *env = json_object(), *what;
	struct stat sb;
	char *key, *cache, *dir, *file, hex[65];
	const char *k;
	json_t *v;

	if (!in->key[0] || stat(python, &sb) != 0) {
		json_decref(env);
		return NULL;
	}
	json_object_foreach(json_object_get(st->settings, "environment_variables"), k, v)
		json_object_set(env, k, v);
	json_object_foreach(json_object_get(st->settings, "aws_environment_variables"), k, v)
		json_object_set(env, k, v);
	what = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:s}", in->mode, in->key,
			 "tar", in->key2, "python", python, "mtime", (json_int_t)sb.st_mtime,
			 "size", (json_int_t)sb.st_size, "env", env, "check", check);
	key = json_dumps(what, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(what);
	digest_sha256_hex(key, strlen(key), hex);
	free(key);
	cache = path_cache_dir();
	dir = path_join(cache, "preflight");
	file = path_join(dir, hex);
	free(cache);
	free(dir);
	return file;
}

static bool record_exists(const char *record)
{
	return record && access(record, F_OK) == 0;
}

static void record_make(const char *record)
{
	char *dir = record ? path_dir(record) : NULL;
	int fd;

	if (dir && path_mkdirs_mode(dir, 0700, NULL) == HOIST_OK &&
	    (fd = open(record, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	free(dir);
}

/*
 * Where hoist notes that `python` (as it is now: its size and mtime) did not
 * start — a version manager's shim for a version not installed, which costs
 * most of a second each time it is asked — so later runs go straight to the
 * next; allocated, NULL if it cannot be named.
 */
static char *nostart_record(const char *python)
{
	struct stat sb;
	char *key, *cache, *file, hex[65];

	if (stat(python, &sb) != 0)
		return NULL;
	key = xasprintf("%s\n%lld\n%lld", python, (long long)sb.st_mtime, (long long)sb.st_size);
	digest_sha256_hex(key, strlen(key), hex);
	free(key);
	cache = path_cache_dir();
	key = xasprintf("preflight/nostart-%.32s", hex);
	file = path_join(cache, key);
	free(key);
	free(cache);
	return file;
}

/* A pre-flight under way (preflight_begin) or already decided. */
struct preflight {
	const struct stage *st;
	struct input in, zip;   /* what is tried; the zip it became (files), once known */
	char *mode, *src, *extra, *key, *key2;   /* in's strings, owned */
	char **pythons, **env, *script, *dir, *pkgdir, *pyc;
	char check[65];       /* the script's SHA-256: a record names the check it passed */
	int i;                /* pythons[i] is being tried */
	struct proc p;        /* its process, p.pid > 0 while it runs */
	char *lock;           /* the key's lock file (flock), while lock_fd >= 0 */
	int lock_fd;
	bool waiting;         /* another run tries the same files: wait for its record */
	bool early;           /* p started before its input was known: it waits on stdin */
	double t0;
	bool decided;         /* rc is the outcome */
	int rc;
};

static int64_t try_limit_ms(const struct preflight *f)
{
	long long limit = settings_int(f->st->settings, "timeout_seconds", 30);

	return (limit > 30 ? limit : 30) * 1000;
}

/* Hand the input to the Python started early (preflight_prestart), which waits for it. */
static void feed(struct preflight *f)
{
	const char *a[] = { f->mode, f->src, f->extra, f->pkgdir, f->pyc };
	struct sbuf b;

	sbuf_init(&b);
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		sbuf_add(&b, a[i], strlen(a[i]) + 1);   /* each NUL-terminated */
	path_fd_write_all(f->p.in, b.s, b.len);
	close_fd(&f->p.in);   /* a Python that did not start: its exit status says so */
	sbuf_free(&b);
	f->p.end = clock_now_s() + (double)try_limit_ms(f) / 1000.0;   /* its time counts from now */
}

/* Start pythons[f->i] on the input: 0 started, 1 it cannot be (try the next). */
static int try_start(struct preflight *f)
{
	char *argv[] = { f->pythons[f->i], "-I", "-S", "-c", f->script, f->mode, f->src,
			 f->extra, f->pkgdir, f->pyc, NULL };

	if (f->early) {
		f->early = false;
		feed(f);
		return 0;
	}
	if (f->p.pid > 0)   /* the last try's, answered and not reaped yet */
		proc_kill(&f->p);
	path_rmtree(f->pkgdir, NULL);
	return spawn(&f->p, argv, f->env, try_limit_ms(f), false) ? 1 : 0;
}

/*
 * Stop the Python started early, before it was given anything to try; it is
 * reaped by release(), once the packaging is done, not waited for here.
 */
static void stop_early(struct preflight *f)
{
	if (!f->early)
		return;
	f->early = false;
	proc_stop(&f->p);
}

/*
 * Where the standard-library modules that the last pass of this project
 * with `python` imported are listed, one per line (allocated): the next
 * Python started early imports them while it waits for its input.
 */
static char *warm_file(const struct stage *st, const char *python)
{
	char *key = xasprintf("%s\n%s", python, st->project_dir ? st->project_dir : ""), hex[65];
	char *cache = path_cache_dir(), *name, *file;

	digest_sha256_hex(key, strlen(key), hex);
	name = xasprintf("preflight/warm-%.32s", hex);
	file = path_join(cache, name);
	free(name);
	free(key);
	free(cache);
	return file;
}

/* Keep the list of modules a pass imported (its answer's "warm") for the next one. */
static void warm_save(const struct preflight *f, const json_t *names)
{
	char *file = warm_file(f->st, f->pythons[f->i]);
	struct herr ignored = { 0 };   /* no list: the next Python only starts colder */
	struct sbuf b;
	size_t i;
	json_t *v;

	sbuf_init(&b);
	json_array_foreach(names, i, v)
		if (json_is_string(v) && !strchr(json_string_value(v), '\n')) {
			sbuf_adds(&b, json_string_value(v));
			sbuf_addc(&b, '\n');
		}
	if (json_is_array(names))
		path_write_scratch(file, b.s ? b.s : "", b.len, &ignored);
	sbuf_free(&b);
	free(file);
}

/* The running try's answer: 0 in *ans, 1 it did not start (try the next), -1 skip. */
static int try_finish(struct preflight *f, json_t **ans, struct herr *e)
{
	const char *ver = path_base(f->pythons[f->i]);
	struct sbuf out, err;
	int status = 0, r;

	sbuf_init(&out);
	sbuf_init(&err);
	r = collect(&f->p, &out, &err, &status, true, e);
	*ans = r ? NULL : last_json_line(&out);
	if (!r && !*ans && f->p.pid > 0)   /* lines, and no answer: how it ended says why */
		proc_reap(&f->p, &status);
	if (r && e->code)
		r = -1;                              /* interrupted: e says so */
	else if (r)
		out_warn("pre-flight skipped: importing the app with %s did not finish in time", ver);
	else if (!*ans && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		r = 1;
	else if (!*ans)
		out_warn("pre-flight skipped: %s could not try the package (exit status %d)%s%.200s",
			 ver, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			 err.len ? ": " : "", err.len ? err.s : "");
	sbuf_free(&out);
	sbuf_free(&err);
	return *ans ? 0 : r ? r : -1;
}

/* Go on to the first Python from f->i that is not known not to start, and start it. */
/* pythons[f->i] is known not to start and another comes after it (the last is always tried). */
static bool known_not_to_start(const struct preflight *f)
{
	char *nostart = f->pythons[f->i + 1] ? nostart_record(f->pythons[f->i]) : NULL;
	bool skip = record_exists(nostart);

	free(nostart);
	return skip;
}

static void start_next(struct preflight *f)
{
	for (; f->pythons[f->i]; f->i++)
		if (!known_not_to_start(f) && try_start(f) == 0)
			return;
}

static void decide(struct preflight *f, int rc)
{
	f->decided = true;
	f->rc = rc;
}

/* Did any of the Pythons pass `in` before?  Then that is the outcome. */
static bool passed_before(struct preflight *f, const struct input *in)
{
	int i;

	for (i = 0; f->pythons[i]; i++) {   /* any Python that passed it before will do */
		char *record = passed_record(f->st, in, f->pythons[i], f->check);
		bool hit = record_exists(record);

		free(record);
		if (hit) {
			out_step("Pre-flight: this package imported with %s before",
				 path_base(f->pythons[i]));
			decide(f, HOIST_OK);
			return true;
		}
	}
	return false;
}

/*
 * One try per key at a time: the stages of a deploy --all whose files
 * differ only in the stage's name share a key; the first takes the lock and
 * tries, the others wait for its record.  1 when this run holds it (or no
 * lock can be had: try anyway), 0 when another run does.
 */
static int lock_key(struct preflight *f)
{
	char *record = f->pythons[0] ? passed_record(f->st, &f->in, f->pythons[0], f->check)
				     : NULL;

	if (!record)
		return 1;
	f->lock = xasprintf("%s.lock", record);
	free(record);
	f->lock_fd = open(f->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f->lock_fd < 0)
		return 1;
	return flock(f->lock_fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK;
}

/* Wait (interruptibly, bounded) until the run trying the same key has ended. */
static int wait_key(struct preflight *f, struct herr *e)
{
	double end = clock_now_s() + (double)settings_int(f->st->settings, "timeout_seconds", 30) +
		     30.0;

	while (flock(f->lock_fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
		if (intr_check(e))
			return e->code;
		if (clock_now_s() > end)
			break;
		poll(NULL, 0, 10);
	}
	return HOIST_OK;
}

static void set_input(struct preflight *f, const struct input *in)
{
	free(f->mode);
	free(f->src);
	free(f->extra);
	free(f->key);
	free(f->key2);
	f->mode = xstrdup(in->mode);
	f->src = xstrdup(in->src);
	f->extra = xstrdup(in->extra);
	f->key = xstrdup(in->key);
	f->key2 = xstrdup(in->key2);
	f->in = (struct input){ f->mode, f->src, f->extra, f->key, f->key2 };
}

/* A directory hoist may name inside a Python string literal as it is. */
static bool plain_path(const char *p)
{
	for (; *p; p++)
		if (!(*p == '/' || *p == '.' || *p == '_' || *p == '-' || *p == '+' ||
		      (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

/*
 * What `python -c` runs (allocated): the script imported as a module from
 * <cache dir>/preflight/code, so its compiled code is Python's own
 * __pycache__ entry there instead of being compiled at every start (~5 ms
 * of each pre-flight's critical path); a module whose compiled code does
 * not load is run from its text, and that code removed (compiled again next
 * time).  The file is checked against the script before it is
 * used and written again when it differs; when it cannot be, or the path
 * is not plain, the script itself is what -c runs.
 */
static char *script_text(const struct template_file *t, const char *check)
{
	char *cache = path_cache_dir(), *dir = path_join(cache, "preflight/code");
	char *name = xasprintf("hoist_preflight_%.16s", check), *file, *have = NULL, *text;
	struct herr e1 = { 0 }, e2 = { 0 };   /* either: -c runs the script itself */
	size_t len = 0;
	bool ok;

	file = xasprintf("%s/%s.py", dir, name);
	ok = plain_path(dir);
	if (ok && (path_read(file, &have, &len, &e1) != 0 || len != t->len ||
		   memcmp(have, t->data, len)))
		ok = path_mkdirs_mode(dir, 0700, NULL) == 0 &&
		     path_write_scratch(file, t->data, t->len, &e2) == 0;
	if (ok) {
		text = xasprintf("import sys\n"
				 "sys.path.insert(0, '%s')\n"
				 "try:\n"
				 "    import %s as m\n"
				 "except Exception:\n"   /* its compiled code does not load */
				 "    sys.modules.pop('%s', None)\n"
				 "    m = None\n"
				 "    import importlib.util, os\n"
				 "    try:\n"
				 "        os.remove(importlib.util.cache_from_source('%s'))\n"
				 "    except OSError:\n"
				 "        pass\n"
				 "del sys.path[0]\n"
				 "if m:\n"
				 "    m.main()\n"
				 "else:\n"
				 "    with open('%s') as f:\n"
				 "        exec(f.read())\n", dir, name, name, file, file);
	} else {
		text = xmalloc(t->len + 1);
		memcpy(text, t->data, t->len);
		text[t->len] = '\0';
	}
	free(have);
	free(file);
	free(name);
	free(dir);
	free(cache);
	return text;
}

/* The Pythons to try with and the check; decided already when it cannot run here. */
static struct preflight *create(const struct stage *st)
{
	const struct template_file *t = template_find("preflight/preflight.py");
	const char *arch = settings_str(st->settings, "architecture");
	struct preflight *f = xcalloc(1, sizeof(*f));

	f->st = st;
	f->t0 = clock_now_s();
	f->p.pid = -1;
	f->p.in = f->p.out = f->p.err = -1;
	f->lock_fd = -1;
	f->pythons = pick_pythons(st);
	if (arch && strcmp(arch, host_arch())) {   /* its native code cannot load here */
		out_warn("pre-flight skipped: the stage runs on %s, this machine is %s", arch,
			 host_arch());
		decide(f, HOIST_OK);
		return f;
	}
	digest_sha256_hex(t->data, t->len, f->check);
	f->script = script_text(t, f->check);
	return f;
}

/* Its private directories and environment; false when it is skipped instead (decided). */
static bool prepare(struct preflight *f)
{
	const char *tmp = getenv("TMPDIR");
	char *cache;

	if (f->dir)
		return true;
	f->dir = xasprintf("%s/hoist-preflight-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		out_warn("pre-flight skipped: cannot create a temporary directory");
		free(f->dir);
		f->dir = NULL;
		decide(f, HOIST_OK);
		return false;
	}
	intr_temp_add(f->dir);
	f->pkgdir = path_join(f->dir, "package");
	cache = path_cache_dir();
	f->pyc = path_join(cache, "preflight/pyc");
	free(cache);
	path_mkdirs_mode(f->pyc, 0700, NULL);   /* compiled code of the app: private */
	f->env = stage_env(f->st);
	return true;
}

/* Decide from the records, or get ready to try (and start now when `start`). */
static struct preflight *begin(const struct stage *st, const struct input *in, bool start)
{
	struct preflight *f = create(st);

	if (f->decided)
		return f;
	set_input(f, in);
	if (passed_before(f, &f->in) || !prepare(f))
		return f;
	f->waiting = !lock_key(f);
	if (start && !f->waiting)
		start_next(f);
	return f;
}

/* Wait for the tries still to make and judge the answer. */
static int finish(struct preflight *f, struct herr *e)
{
	const char *runtime = settings_str(f->st->settings, "runtime");
	json_t *ans = NULL;
	int r = 1;

	if (f->waiting) {   /* another stage tried the same files: its record, else try now */
		f->waiting = false;
		if (wait_key(f, e)) {
			decide(f, e->code);
			return f->rc;
		}
		if (passed_before(f, &f->in))
			return f->rc;
		start_next(f);
	}
	while (f->pythons[f->i] && f->p.pid > 0) {
		char *record = passed_record(f->st, &f->in, f->pythons[f->i], f->check);

		r = try_finish(f, &ans, e);
		if (!r && json_is_true(json_object_get(ans, "cold"))) {
			/* it warmed up a module the package has too: again, without warming */
			free(record);
			json_decref(ans);
			ans = NULL;
			start_next(f);
			continue;
		}
		if (!r && json_is_true(json_object_get(ans, "ok"))) {
			warm_save(f, json_object_get(ans, "warm"));
			record_make(record);
			free(record);
			record = f->zip.key ? passed_record(f->st, &f->zip, f->pythons[f->i],
							    f->check) : NULL;
			record_make(record);   /* the zip passed too: a re-saved file is the same */
		}
		free(record);
		if (r != 1)
			break;
		record = nostart_record(f->pythons[f->i]);
		record_make(record);
		free(record);
		f->i++;
		start_next(f);
	}
	if (r < 0 && e->code)
		decide(f, e->code);
	else if (r == 1 || !f->pythons[0])
		out_warn("pre-flight skipped: no Python 3 here to import the app with (the stage "
			 "runs %s)", runtime ? runtime : "python3");
	else if (!r) {
		const char *ver = path_base(f->pythons[f->i]);

		if (runtime && strcmp(runtime, ver))
			out_info("pre-flight ran %s; the stage runs %s", f->pythons[f->i], runtime);
		decide(f, judge(f->st, f->pythons[f->i], ans, ver, clock_now_s() - f->t0, e));
	}
	json_decref(ans);
	if (!f->decided)
		decide(f, HOIST_OK);
	return f->rc;
}

/* Stop what still runs and free f. */
static void release(struct preflight *f)
{
	if (f->p.pid > 0)
		proc_kill(&f->p);
	if (f->dir) {
		path_rmtree(f->dir, NULL);
		intr_temp_forget(f->dir);
	}
	if (f->lock_fd >= 0) {
		if (!f->waiting)
			unlink(f->lock);   /* a run waiting on it goes on; the next makes another */
		close(f->lock_fd);
	}
	free(f->lock);
	free_strv(f->env);
	free_strv(f->pythons);
	free(f->script);
	free(f->pkgdir);
	free(f->pyc);
	free(f->dir);
	free(f->mode);
	free(f->src);
	free(f->extra);
	free(f->key);
	free(f->key2);
	free(f);
}

struct preflight *preflight_prestart(const struct stage *st)
{
	struct preflight *f = create(st);
	char *warm;

	if (f->decided || !prepare(f))
		return f;
	while (f->pythons[f->i] && known_not_to_start(f))   /* the one start_next would try */
		f->i++;
	if (!f->pythons[f->i])
		return f;
	warm = warm_file(f->st, f->pythons[f->i]);
	{
		char *argv[] = { f->pythons[f->i], "-I", "-S", "-c", f->script, "stdin", warm,
				 f->pkgdir, NULL };

		path_rmtree(f->pkgdir, NULL);
		f->early = spawn(&f->p, argv, f->env, try_limit_ms(f), true) == 0;
	}
	free(warm);
	return f;
}

struct preflight *preflight_begin_files(struct preflight *early, const struct stage *st,
					 const char *key, bool slim)
{
	struct input in = { "files", "", slim ? "slim" : "-", key, "" };
	struct preflight *f = early ? early : create(st);

	if (f->decided)
		return f;
	set_input(f, &in);
	if (passed_before(f, &f->in))
		stop_early(f);   /* its CPU is the packaging's now */
	else if (prepare(f))
		f->waiting = !lock_key(f);
	return f;
}

bool preflight_wants_files(const struct preflight *f)
{
	return f && !f->decided;
}

void preflight_start_files(struct preflight *f, const char *manifest)
{
	free(f->src);
	f->in.src = f->src = xstrdup(manifest);
	if (!f->waiting)
		start_next(f);
}

int preflight_outcome(struct preflight *f, const struct package_info *pkg, struct herr *e)
{
	if (!f)
		return HOIST_OK;
	if (pkg && pkg->sha256_hex[0] && f->script) {   /* the same zip passed before? */
		f->zip = (struct input){ "zip", pkg->zip_path, "-", pkg->sha256_hex,
					 pkg->tar_sha256_hex };
		if (!f->decided)
			passed_before(f, &f->zip);
	}
	return f->decided ? f->rc : finish(f, e);
}

int preflight_end(struct preflight *f, const struct package_info *pkg, struct herr *e)
{
	int rc = preflight_outcome(f, pkg, e);

	if (f)
		release(f);
	return rc;
}

char *preflight_gen_dir(void)
{
	char *cache = path_cache_dir(), *dir = path_join(cache, "preflight/gen");

	free(cache);
	return dir;
}

void preflight_cancel(struct preflight *f)
{
	if (f)
		release(f);
}

int preflight_run(const struct stage *st, const struct package_info *pkg, struct herr *e)
{
	struct input in = { "zip", pkg->zip_path, pkg->tar_path ? pkg->tar_path : "-",
			     pkg->sha256_hex, pkg->tar_sha256_hex };

	return preflight_end(begin(st, &in, true), NULL, e);
}
