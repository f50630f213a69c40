/*
 * stagelock.c — the stage lock (stagelock.h): the local flock, the marker
 * document, and the rules for taking over a marker (expired, its process
 * gone, --force-unlock).
 */
#include "stagelock.h"

#include "clock.h"
#include "err.h"
#include "interrupt.h"
#include "log.h"
#include "path.h"
#include "stage.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TTL_S 3600
#define TAKE_TRIES 4

/* ---- who we are ----------------------------------------------------------- */

static void host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0)
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
}

/* The kernel's boot id: a pid on this host means the same process only within one boot. */
static char *boot_id(void)
{
	char *s = NULL;
	size_t n = 0;

	if (path_read("/proc/sys/kernel/random/boot_id", &s, &n, NULL) != HOIST_OK)
		return xstrdup("");
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

static const char *user_name(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u && *u)
		return u;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "unknown";
}

static char *make_mark(const char *command)
{
	char host[256], run[33];
	unsigned char r[16];
	char *boot = boot_id(), *s;
	long ttl = env_number("HOIST_LOCK_TTL", DEFAULT_TTL_S);
	time_t now = time(NULL);
	json_t *j;

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(run + 2 * i, 3, "%02x", r[i]);
	host_name(host, sizeof(host));
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I}",
		      "hoist", HOIST_VERSION, "command", command, "user", user_name(),
		      "host", host, "boot", boot, "pid", (json_int_t)getpid(), "run", run,
		      "since", (json_int_t)now, "expires", (json_int_t)(now + ttl));
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	free(boot);
	return s;
}

/* ---- describing and judging a holder ---------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k)) ?: "?";
}

static void utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* "since 2026-01-02 03:04:05 UTC (hoist deploy by ann@ci-7, pid 42)"; allocates. */
static char *describe(const char *mark)
{
	json_t *j = mark && *mark ? json_loads(mark, 0, NULL) : NULL;
	char since[64];
	char *s;

	if (!json_is_object(j)) {
		json_decref(j);
		return xstrdup(mark && *mark ? "(its lock marker is not hoist's)"
				       : "(who and since when is not recorded)");
	}
	utc((time_t)json_integer_value(json_object_get(j, "since")), since, sizeof(since));
	s = xasprintf("since %s (hoist %s by %s@%s, pid %lld)", since, jstr(j, "command"),
		      jstr(j, "user"), jstr(j, "host"),
		      (long long)json_integer_value(json_object_get(j, "pid")));
	json_decref(j);
	return s;
}

/*
 * May the marker `held` be taken over?  NULL: no (a live run holds it);
 * else the reason, for the warning.
 */
static const char *stale_reason(const char *held)
{
	json_t *j = json_loads(held, 0, NULL);
	const char *why = NULL;
	char host[256], *boot = boot_id();
	long long pid;

	host_name(host, sizeof(host));
	if (json_is_object(j)) {
		pid = json_integer_value(json_object_get(j, "pid"));
		if (json_integer_value(json_object_get(j, "expires")) < (json_int_t)time(NULL))
			why = "it expired";
		else if (!strcmp(jstr(j, "host"), host) && !strcmp(jstr(j, "boot"), boot) &&
			 pid > 0 && pid != (long long)getpid() &&
			 kill((pid_t)pid, 0) != 0 && errno == ESRCH)
			why = "its process on this machine is gone";
	}
	json_decref(j);
	free(boot);
	return why;
}

static int refused(const struct stage_lock *l, const char *held, struct herr *e)
{
	char *who = describe(held);

	herr_set(e, HOIST_FAIL, "stage %s is being changed by another run %s; wait or use "
		 "--force-unlock", l->st->name, who);
	free(who);
	return HOIST_FAIL;
}

/* ---- the local lock ---------------------------------------------------------- */

static char *lock_path(const struct stage *st, const char *provider, struct herr *e)
{
	const char *region = json_string_value(json_object_get(st->settings, "aws_region"));
	char *dir = NULL, *name, *p;

	if (!region)
		region = json_string_value(json_object_get(st->settings, "region"));
	if (path_state_subdir("locks", &dir, e) != HOIST_OK)
		return NULL;
	name = xasprintf("%s-%s%s%s.lock", provider, st->function_name, region ? "-" : "",
			 region ? region : "");
	p = path_join(dir, name);
	free(name);
	free(dir);
	return p;
}

static char *read_fd(int fd)
{
	struct sbuf b;
	char buf[1024];
	ssize_t n;
	off_t off = 0;

	sbuf_init(&b);
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0 && b.len < 16384) {
		sbuf_add(&b, buf, (size_t)n);
		off += n;
	}
	return b.s ? sbuf_detach(&b) : xstrdup("");
}

static int take_local(struct stage_lock *l, const char *provider, struct herr *e)
{
	char *held;

	l->path = lock_path(l->st, provider, e);
	if (!l->path)
		return e->code;
	l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (l->fd < 0 || fchmod(l->fd, 0600) != 0)
		return herr_set(e, HOIST_FAIL, "cannot open the lock file %s: %s", l->path,
				strerror(errno));
	if (flock(l->fd, LOCK_EX | LOCK_NB) == 0) {
		if (ftruncate(l->fd, 0) != 0 ||
		    pwrite(l->fd, l->mark, strlen(l->mark), 0) != (ssize_t)strlen(l->mark))
			out_info("could not record this run in %s: %s", l->path, strerror(errno));
		return HOIST_OK;
	}
	if (errno != EWOULDBLOCK && errno != EINTR)
		return herr_set(e, HOIST_FAIL, "cannot lock %s: %s", l->path, strerror(errno));
	held = read_fd(l->fd);
	close(l->fd);
	l->fd = -1;
	if (!l->force) {
		refused(l, held, e);
		free(held);
		return HOIST_FAIL;
	}
	{
		char *who = describe(held);

		out_warn("--force-unlock: stage %s is locked on this machine by another run %s; "
			 "going ahead", l->st->name, who);
		free(who);
	}
	free(held);
	return HOIST_OK;
}

/* ---- the marker ---------------------------------------------------------------- */

static int take_marker(struct stage_lock *l, struct herr *e)
{
	char *replace = NULL, *held = NULL;
	const char *why = NULL;
	int rc = HOIST_OK;

	l->marker = MARKER_TAKING;
	for (int i = 0; i < TAKE_TRIES; i++) {
		held = NULL;
		rc = l->put(l->st, l->mark, replace, &held, e);
		if (rc) {
			herr_prefix(e, "stage lock: ");
			break;
		}
		if (!held) {
			if (replace) {
				char *who = describe(replace);

				out_warn("took over the lock of stage %s from a run %s: %s",
					 l->st->name, who, why ? why : "--force-unlock");
				free(who);
			}
			free(replace);
			l->marker = MARKER_HELD;
			return HOIST_OK;
		}
		free(replace);
		replace = NULL;
		if (!*held) {           /* released meanwhile: try again */
			free(held);
			continue;
		}
		why = stale_reason(held);
		if (!why && !l->force) {
			rc = refused(l, held, e);
			break;
		}
		replace = held;
		held = NULL;
	}
	if (!rc)   /* every try lost a race */
		rc = herr_set(e, HOIST_FAIL, "stage %s: its lock kept changing hands; try again",
			      l->st->name);
	free(held);
	free(replace);
	l->marker = MARKER_ARMED;
	return rc;
}

/* ---- the interface -------------------------------------------------------------- */

int stage_lock_take(struct stage_lock *l, struct stage *st, const char *provider,
		    const char *command, bool force, stage_lock_put_fn put, stage_lock_del_fn del,
		    stage_lock_get_fn get, struct herr *e)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->st = st;
	l->command = command;
	l->force = force;
	l->fd = -1;
	l->put = put;
	l->del = del;
	l->get = get;
	l->mark = make_mark(command);
	rc = take_local(l, provider, e);
	if (rc) {
		stage_lock_release(l);
		return rc;
	}
	l->marker = put && del ? MARKER_ARMED : MARKER_NONE;
	st->lock = l;
	return HOIST_OK;
}

/* A successful undeploy leaves nothing: not even the marker of a run that died. */
static void sweep_stale(struct stage_lock *l)
{
	struct herr e = { 0 };
	char *held = NULL;
	const char *why;

	intr_defer(true);
	if (l->get(l->st, &held, &e) == HOIST_OK && held && *held &&
	    (why = stale_reason(held)) != NULL) {
		if (l->del(l->st, held, &e) != HOIST_OK)
			out_warn("could not remove the lock marker a stopped run left on stage %s: "
				 "%s", l->st->name, e.msg);
		else
			out_info("removed the lock marker a stopped run left (%s)", why);
	}
	intr_defer(false);
	free(held);
}

void stage_lock_release(struct stage_lock *l)
{
	struct herr e = { 0 };

	if (l->marker == MARKER_ARMED && l->sweep && l->get) {
		l->marker = MARKER_RELEASING;
		sweep_stale(l);
	}
	if (l->marker == MARKER_HELD) {
		l->marker = MARKER_RELEASING;
		intr_defer(true);   /* released even after an interrupt */
		if (l->del(l->st, l->mark, &e) != HOIST_OK)
			out_warn("could not remove the lock marker of stage %s: %s", l->st->name,
				 e.msg);
		intr_defer(false);
	}
	l->marker = MARKER_NONE;
	if (l->fd >= 0) {
		if (ftruncate(l->fd, 0) != 0)
			out_info("could not clear %s", l->path);
		close(l->fd);   /* drops the flock */
	}
	if (l->st && l->st->lock == l)
		((struct stage *)l->st)->lock = NULL;
	free(l->path);
	free(l->mark);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

bool stage_lock_pending(const struct stage *st)
{
	return st && st->lock && st->lock->marker == MARKER_ARMED;
}

int stage_before_write(const struct stage *st, struct herr *e)
{
	struct stage_lock *l = st ? st->lock : NULL;

	if (!l || l->marker != MARKER_ARMED)
		return HOIST_OK;   /* no lock, no marker, held, or taking/releasing it now */
	return take_marker(l, e);
}
