/*
 * preflight.h — before anything is uploaded, import the app from the package
 * alone, the way the runtime will (core/preflight.c).
 */
#ifndef HOIST_PREFLIGHT_H
#define HOIST_PREFLIGHT_H

struct herr;
struct package_info;
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

#endif
