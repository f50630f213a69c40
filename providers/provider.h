/*
 * provider.h — the one interface every platform implements.
 *
 * A command in cli/ never talks to a cloud: it packages (core/package.c) and
 * then asks the stage's provider through this table of operations, the way
 * curl's protocol handlers sit behind `struct Curl_handler`.  Adding a cloud
 * is one directory under providers/ and one line in providers/registry.c.
 *
 * Every operation returns HOIST_OK or an error code with `e` filled.  Results
 * come back as values (a URL, a JSON document, log events); cli/ decides how
 * to print them.  Progress goes through core/log.h.
 */
#ifndef HOIST_PROVIDER_H
#define HOIST_PROVIDER_H

#include "../core/http.h"
#include "../core/package.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct herr;
struct settings_honour;
struct stage;

struct deploy_args {
	const struct package_info *pkg;  /* the archive to deploy (see pkg_wait) */
	bool no_upload;                  /* update --no-upload: configuration only */
	/*
	 * For a provider with package_beside: the package is still being built
	 * while deploy/update starts; deploy_package() waits for it (and gives
	 * packaging's error).  NULL: *pkg is ready.
	 */
	int (*pkg_wait)(void *ctx, struct herr *e);
	/* The same, but only until the archive is built: its pre-flight may still run. */
	int (*pkg_built)(void *ctx, struct herr *e);
	void *pkg_ctx;
};

/*
 * The package is ready (a->pkg filled), or packaging's error.  A provider
 * with package_beside calls it before it reads a->pkg or writes anything,
 * so a package that fails changes nothing.
 */
static inline int deploy_package(const struct deploy_args *a, struct herr *e)
{
	return a->pkg_wait ? a->pkg_wait(a->pkg_ctx, e) : 0;
}

/*
 * The archive is built (a->pkg filled), or packaging's error; its pre-flight
 * may still be running.  Only the code object's upload to the provider's
 * bucket, under the stage lock, may start before deploy_package() says the
 * pre-flight passed (and is removed if it did not): nothing about the stage.
 */
static inline int deploy_package_built(const struct deploy_args *a, struct herr *e)
{
	return a->pkg_built ? a->pkg_built(a->pkg_ctx, e) : deploy_package(a, e);
}

/* One log line, as the provider stores it. */
struct log_event {
	int64_t time_ms;       /* epoch milliseconds */
	const char *stream;    /* log stream / instance, may be NULL */
	const char *id;        /* provider's event id, for de-duplication; may be NULL */
	const char *message;   /* the line, without trailing newline */
};

/* Called for each new event, oldest first; return non-zero to stop tailing. */
typedef int (*log_sink)(const struct log_event *ev, void *ctx);

struct tail_args {
	int64_t since_ms;      /* start time, epoch milliseconds */
	const char *filter;    /* provider filter pattern or NULL */
	bool follow;           /* keep polling for new events */
	log_sink sink;
	void *ctx;
};

struct invoke_args {
	const char *function;  /* "module.function" or NULL */
	const char *raw;       /* --raw CODE or NULL */
	const char *payload;   /* --payload JSON or NULL */
	const char *manage;    /* manage: django command line or NULL */
};

struct undeploy_args {
	bool remove_logs;
};

struct certify_args {
	bool manual;
	/*
	 * --manual: what the user installs by hand, filled by the provider
	 * (an object the caller owns): "records": [{"name", "type", "value"}]
	 * (DNS validation records) and/or "files": {"certificate", "key",
	 * "chain"} (paths of the files written).
	 */
	json_t *manual_out;
};

/* `hoist request`: one HTTP request to the stage's live URL. */
struct request_args {
	const char *method;                  /* "GET" when NULL */
	const char *path;                    /* "/path?query", appended to the stage's URL */
	const void *body;                    /* -d BODY or @FILE contents; NULL: none */
	size_t body_len;
	const struct http_headers *headers;  /* -H 'K: V' (may be NULL) */
	bool app_code;                       /* Alibaba API Gateway: Authorization: APPCODE */
};

struct provider {
	const char *name;
	struct package_limits limits;
	const char *const *runtime_provided;  /* packages the runtime ships (NULL-terminated) */
	/*
	 * deploy and update may start before the package is ready: they make
	 * their first reads while it is built (in a child process) and call
	 * deploy_package() before they need it or write anything.
	 */
	bool package_beside;
	/*
	 * Its commands talk to the cloud over HTTP (libcurl, libxml2): --all
	 * opens those once, before it forks the stages (core/lazylib.h).
	 */
	bool remote;
	/*
	 * The settings keys this provider honours or refuses beyond the central
	 * table of core/settings_keys.c (see struct settings_honour there); NULL
	 * when the central table says it all.
	 */
	const struct settings_honour *settings;

	/* Operations; NULL where the platform has no such thing. */
	int (*deploy)(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e);
	/*
	 * Is the stage deployed (a deploy of it finished)?  *url (allocated) is
	 * its live URL when it is, NULL when not.  Read-only; deploy asks it
	 * before anything is packaged (while the pre-flight's Python starts) so
	 * a deployed stage is refused at once.  NULL: deploy itself refuses,
	 * after packaging.
	 */
	int (*deployed)(const struct stage *st, char **url, struct herr *e);
	int (*update)(const struct stage *st, const struct deploy_args *a, char **url, struct herr *e);
	int (*status)(const struct stage *st, json_t **status, struct herr *e);
	/*
	 * The credentials callers of the stage's front door use, for `status
	 * --show-secrets` only (stdout; never logged): an object, new
	 * reference, empty when the stage has none (Alibaba API Gateway:
	 * app_key, app_secret, app_code of the stage's app).  NULL: the
	 * provider keeps no such secrets.
	 */
	int (*secrets)(const struct stage *st, json_t **secrets, struct herr *e);
	int (*tail)(const struct stage *st, const struct tail_args *a, struct herr *e);
	/* Converge the timers; *scheduled = [{name, expression, next…}] (new reference). */
	int (*schedule)(const struct stage *st, json_t **scheduled, struct herr *e);
	int (*unschedule)(const struct stage *st, struct herr *e);
	int (*certify)(const struct stage *st, const struct certify_args *a, char **url, struct herr *e);
	int (*invoke)(const struct stage *st, const struct invoke_args *a, json_t **result, struct herr *e);
	int (*rollback)(const struct stage *st, int versions_back, char **url, struct herr *e);
	int (*undeploy)(const struct stage *st, const struct undeploy_args *a, struct herr *e);
	/*
	 * Send `a` to the stage's live URL, signed the way its front door
	 * requires (API key, SigV4, Alibaba function-auth trigger or
	 * X-Ca-Signature, Tencent CAM).  *rs is the response whatever its status
	 * (free it with http_response_free); an error only when no response
	 * could be had (not deployed, network).
	 */
	int (*request)(const struct stage *st, const struct request_args *a,
		       struct http_response *rs, struct herr *e);
	/*
	 * Where the slim bundle will live ("s3://bucket/key"), asked before
	 * packaging so the handler can be built knowing it; NULL: no slim bundle.
	 */
	int (*slim_location)(const struct stage *st, char **location, struct herr *e);
	/*
	 * The stage lock's provider-side marker (core/stagelock.h explains the
	 * lock; cli/stage_ops.c takes it for the commands that write).  Both
	 * NULL for a provider whose stages live on this machine only (local:
	 * the lock file is enough); a cloud provider implements both.
	 *
	 * lock_put stores `mark` — a short JSON document; treat it as opaque
	 * bytes — under a name that depends only on the stage (its function
	 * name and region; AWS: the object hoist-locks/<region>/<function>.json
	 * in the stage's artifacts bucket, the bucket created when missing):
	 *   replace == NULL: only if no marker is stored — an atomic
	 *     create-if-absent (S3/OSS/COS: PutObject with If-None-Match: *,
	 *     or a create call whose "already exists" error is the refusal);
	 *   replace != NULL: only if the stored marker is byte-identical to
	 *     `replace` — an atomic compare-and-swap (S3: read the object, then
	 *     PutObject with If-Match: <the ETag read>).
	 * HOIST_OK with *held = NULL: stored.  HOIST_OK with *held = the
	 * stored marker's bytes (allocated; "" when it disappeared before it
	 * could be read): the condition failed, nothing stored.  An error
	 * (HOIST_FAIL, message naming the call) when the provider could not be
	 * asked.  Whether the holder is still alive is core's business.
	 *
	 * lock_delete deletes the stored marker only if it is still `mark`
	 * (S3: read, compare, DeleteObject with If-Match: <ETag>); a marker
	 * that is absent or different is left alone and is HOIST_OK.
	 *
	 * lock_get reads the stored marker: *held allocated, or NULL when there
	 * is none (nor anything that would hold one: it never creates the
	 * bucket).  undeploy uses it to remove a marker a killed run left.
	 *
	 * The other half of the contract: every operation calls
	 * stage_before_write(st, e) (core/stagelock.h) before each request
	 * that changes anything remote (create, update, delete, publish, tag,
	 * upload, permission) and stops with its error.  Reads never do, so a
	 * run that changes nothing writes nothing, not even the marker; the
	 * requests lock_put and lock_delete make themselves pass through
	 * stage_before_write untouched.
	 */
	int (*lock_put)(const struct stage *st, const char *mark, const char *replace,
			char **held, struct herr *e);
	int (*lock_delete)(const struct stage *st, const char *mark, struct herr *e);
	int (*lock_get)(const struct stage *st, char **held, struct herr *e);
	/* Hidden entry points a provider runs in its own process (local gateway). */
	int (*daemon)(int argc, char **argv);
};

/* The provider named `name` ("aws", "aliyun", "tencent", "local"), or NULL. */
const struct provider *provider_find(const char *name);

/* All providers, NULL-terminated. */
extern const struct provider *const hoist_providers[];

#endif
