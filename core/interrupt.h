/*
 * interrupt.h — stopping cleanly on SIGINT (Ctrl-C), SIGTERM (what CI
 * runners send on a timeout) and SIGHUP.
 *
 * The handlers only record the signal.  Work stops at the next safe point:
 * before each HTTP attempt and between them (core/http.c), inside a long
 * upload or download (libcurl's progress callback), between the files of a
 * package (libzip's cancel callback), in every wait loop (clock_sleep_ms
 * returns early).  intr_check() turns the signal into an error whose code
 * is the conventional exit status, 128 + signal (130, 143, 129); it travels
 * up like any other error, so what a command created is reported and its
 * hint ("run … again") printed.
 *
 * Temporary files and directories are registered while they exist; what
 * the normal error paths do not remove is removed at exit (intr_temp_cleanup
 * from main), and a second signal removes them and exits at once.
 */
#ifndef HOIST_INTERRUPT_H
#define HOIST_INTERRUPT_H

#include <stdbool.h>
#include <sys/types.h>

struct herr;

/* Install the handlers (once, from main). */
void intr_install(void);

/* The signal that asked hoist to stop, or 0. */
int intr_signal(void);

/* At a safe point: HOIST_OK, or the interrupt as an error (code 128 + signal). */
int intr_check(struct herr *e);

/*
 * Clean-up that must still talk to the provider after an interrupt (the
 * stage lock's release): between intr_defer(true) and intr_defer(false),
 * intr_check and the safe points let work go on.  Nests.
 */
void intr_defer(bool on);

/*
 * waitpid(pid, status, 0) that a signal does not cut short (the handlers are
 * installed without SA_RESTART, so a wait can end in EINTR): the child's end.
 */
pid_t intr_waitpid(pid_t pid, int *status);

/* Register / unregister a temporary file or (flat) directory. */
void intr_temp_add(const char *path);
void intr_temp_forget(const char *path);
/* Remove everything still registered (files, then directories and what is in them). */
void intr_temp_cleanup(void);

#endif
