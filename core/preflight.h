/*
 * preflight.h — before anything is uploaded, import the app from the package
 * alone, the way the runtime will (core/preflight.c).
 */
#ifndef HOIST_PREFLIGHT_H
#define HOIST_PREFLIGHT_H

#include <stdbool.h>

struct herr;
struct package_info;
struct preflight;
struct stage;

/*
 * Unpack the package into a temporary directory and import the app there
 * with the local Python closest to the stage's runtime (`python3 -I -S`, the
 * package first on sys.path, the stage's environment_variables): a module
 * the app needs that the package lacks is HOIST_USAGE, naming the module
 * and where it lives on this machine; the app not in the package likewise.
 * Anything else the app raises here is a warning (the cloud may differ), as
 * is having no Python to try with (skipped).
 */
int preflight_run(const struct stage *st, const struct package_info *pkg, struct herr *e);

/*
 * The same for a package still being built, from the files it is made of.
 * preflight_prestart, before the project is walked, starts Python, which
 * warms up meanwhile (the standard-library modules this project's last
 * pass imported).  Once the files' state `key` is known (core/package.h
 * package_opts.listed), preflight_begin_files, with that early start or
 * NULL: files that passed before are not tried again (a Python started
 * early is stopped); else preflight_wants_files, and
 * once their manifest ("name NUL file NUL") is written, preflight_start_files
 * hands it to Python, which imports while the caller compresses.
 * preflight_end, given the package they became, waits for it and judges (as
 * preflight_run) unless that package passed before (a file saved again
 * unchanged); preflight_cancel stops it.  Never NULL.  preflight_outcome is
 * preflight_end without the clean-up after the answer (reaping its Python,
 * whose exit takes a few ms, and removing its directory): preflight_cancel
 * does that, once the answer has been passed on.
 */
struct preflight *preflight_prestart(const struct stage *st);
struct preflight *preflight_begin_files(struct preflight *early, const struct stage *st,
					 const char *key, bool slim);
bool preflight_wants_files(const struct preflight *f);
void preflight_start_files(struct preflight *f, const char *manifest);
int preflight_end(struct preflight *f, const struct package_info *pkg, struct herr *e);
int preflight_outcome(struct preflight *f, const struct package_info *pkg, struct herr *e);
void preflight_cancel(struct preflight *f);

/* Where the pre-flight keeps generated files' copies (allocated; package_listing_write). */
char *preflight_gen_dir(void);

#endif
