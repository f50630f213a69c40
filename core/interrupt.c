/*
 * interrupt.c — the signal handlers, the safe-point check and the registry
 * of temporary paths (interrupt.h).
 *
 * The handler runs on any thread and does only async-signal-safe things:
 * record the first signal; on a second one, unlink the registered paths
 * (raw getdents64 for a directory's entries) and _exit.
 */
#include "interrupt.h"

#include "err.h"
#include "path.h"
#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TEMPS 64

/*
 * Set by the handler on the main thread, read on every thread (reads made
 * beside the command's own): lock-free atomics, safe in a handler.
 */
static int got;        /* the first signal, or 0 */
static int deferred;   /* intr_defer nesting */
static char *volatile temps[MAX_TEMPS];  /* registered paths (slots may be NULL) */

/* ---- the handler ---------------------------------------------------------- */

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* unlink p, or empty the directory p (one level) and rmdir it; signal-safe. */
static void remove_now(const char *p)
{
	char buf[4096];
	long n;
	int fd;

	if (unlink(p) == 0 || errno != EISDIR)
		return;
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
			for (long off = 0; off < n;) {
				struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);

				if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
					unlinkat(fd, d->d_name, 0);
				off += d->d_reclen;
			}
		close(fd);
	}
	rmdir(p);
}

static void on_signal(int sig)
{
	int saved = errno;

	if (__atomic_load_n(&got, __ATOMIC_SEQ_CST)) {   /* a second signal: leave now */
		for (int i = MAX_TEMPS - 1; i >= 0; i--)
			if (temps[i])
				remove_now(temps[i]);
		_exit(128 + __atomic_load_n(&got, __ATOMIC_SEQ_CST));
	}
	__atomic_store_n(&got, sig, __ATOMIC_SEQ_CST);
	errno = saved;
}

void intr_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	/* No SA_RESTART: a prompt or a wait on a pipe returns EINTR and looks. */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* ---- safe points ----------------------------------------------------------- */

int intr_signal(void)
{
	return __atomic_load_n(&deferred, __ATOMIC_SEQ_CST) ? 0 : __atomic_load_n(&got, __ATOMIC_SEQ_CST);
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "a signal";
	}
}

int intr_check(struct herr *e)
{
	int sig = intr_signal();

	if (!sig)
		return HOIST_OK;
	return herr_set(e, 128 + sig, "interrupted (%s)", sig_name(sig));
}

void intr_defer(bool on)
{
	__atomic_add_fetch(&deferred, on ? 1 : -1, __ATOMIC_SEQ_CST);
}

/* ---- temporary paths --------------------------------------------------------- */

void intr_temp_add(const char *path)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (!temps[i]) {
			temps[i] = xstrdup(path);
			return;
		}
}

void intr_temp_forget(const char *path)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (temps[i] && !strcmp(temps[i], path)) {
			char *p = temps[i];

			temps[i] = NULL;
			free(p);
			return;
		}
}

void intr_temp_cleanup(void)
{
	for (int i = MAX_TEMPS - 1; i >= 0; i--)
		if (temps[i]) {
			char *p = temps[i];

			temps[i] = NULL;
			path_rmtree(p, NULL);
			free(p);
		}
}

pid_t intr_waitpid(pid_t pid, int *status)
{
	pid_t r;

	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	return r;
}
