/*
 * local.h — the pieces of the local provider, shared between its files.
 *
 * The local provider is a small serverless platform on 127.0.0.1.  The CLI
 * side (local.c, ops.c) unpacks versions into a per-stage directory and talks
 * to a background gateway (the hoist binary itself, `hoist __daemon local
 * DIR`) over a Unix socket.  The daemon side is:
 *
 *   daemon.c   startup, readiness report, shutdown
 *   gateway.c  the HTTP server (libmicrohttpd) and API Gateway v1 events
 *   workers.c  the pool of persistent Python processes and their framing
 *   timers.c   schedule firing and keep_warm
 *   control.c  the control socket (status, reload, invoke, schedule, stop)
 *   tls.c      certify: a local CA and a certificate for `domain`
 *   stagelog.c the stage log ("<time>\t<source>\t<message>" lines)
 *   state.c    the stage directory layout, state.json, versions
 */
#ifndef HOIST_LOCAL_H
#define HOIST_LOCAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct herr;
struct stage;

/* ---- state.c: the stage directory ------------------------------------- */

/*
 *   <state>/hoist/local/<function>/
 *     state.json        port, python, current version, schedule flag …
 *     versions/<N>/     unpacked package of version N (the worker's cwd)
 *     versions/<N>.json the stage settings of version N
 *     worker.py         the worker runner (templates/local/worker.py)
 *     gateway.pid       the daemon's pid
 *     gateway.log       the daemon's own stderr (crashes, sanitizer reports)
 *     stage.log         what `hoist tail` reads
 *     control.sock      the control socket
 *     tls/              certify: cert.pem (leaf + chain), key.pem (0600)
 *
 *   <state>/hoist/local/ca/  the machine-user's local CA (ca.pem, ca.key 0600),
 *                            created by the first certify and reused
 */
char *local_stage_dir(const char *function_name);     /* allocates */
char *local_file(const char *dir, const char *name);  /* allocates */
char *local_version_dir(const char *dir, long v);     /* allocates */

int local_state_read(const char *dir, json_t **state, struct herr *e);
int local_state_write(const char *dir, json_t *state, struct herr *e);
/* Version numbers present, ascending; *out allocated. */
size_t local_versions(const char *dir, long **out);
/* The daemon's pid if it is running, else 0. */
pid_t local_daemon_pid(const char *dir);

/* ---- stagelog.c ------------------------------------------------------- */

int stagelog_open(const char *path, struct herr *e);
void stagelog_close(void);
/* One line per call (a message with newlines becomes several lines). */
void stagelog(const char *source, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void stagelog_raw(const char *source, const char *msg, size_t len);
/* "2026-01-02T03:04:05.678Z" for epoch ms. */
void rfc3339_ms(int64_t ms, char *buf, size_t len);
int64_t now_ms(void);

/* ---- control.c -------------------------------------------------------- */

/* Send one request to the daemon of `dir`, wait up to timeout_ms; *resp allocated. */
int control_call(const char *dir, json_t *req, json_t **resp, int timeout_ms, struct herr *e);

/* ---- daemon side ------------------------------------------------------ */

struct worker;

/* The configuration of one version, from versions/<N>.json. */
/*
 * Lambda's limit on a synchronous answer (bytes of the JSON the handler
 * returns); the worker refuses a bigger one with Lambda's own error, and the
 * gateway answers 502 as API Gateway does.
 */
#define LOCAL_MAX_RESPONSE 6291556

struct version_cfg {
	long version;
	char *dir;               /* versions/<N> */
	json_t *settings;        /* owned */
	int concurrency;
	int timeout_s;
	int memory_mb;
};

struct pool {
	pthread_mutex_t mu;
	pthread_mutex_t reload_mu;  /* one reload at a time */
	pthread_cond_t cv;
	struct worker *idle;     /* linked list of idle current-generation workers */
	struct worker *grave;    /* workers to stop (stale or dead) */
	long gen;                /* current generation */
	int live;                /* current-generation workers alive (idle or busy) */
	int want;                /* how many the current generation should have */
	struct version_cfg *cfg; /* current version; old ones kept until process exit */
	struct version_cfg *old[64];
	int nold;
	char *python;
	char *worker_py;
	char *function_name;
	char *stage_name;
	bool stopping;
};

/* One HTTP(S) listener of the gateway; the TLS one is replaced by certify. */
struct listener {
	struct daemon *d;
	void *mhd;               /* struct MHD_Daemon */
	int port;
	bool tls;
	char *domain;            /* tls: the custom domain */
	char *base_path;         /* tls: "/api" or NULL (base path mapping) */
	char *cert, *key;        /* tls: PEM, kept for the listener's lifetime */
};

struct daemon {
	char *dir;
	char *url;
	int port;
	int64_t started_ms;
	struct pool pool;
	pthread_mutex_t stats_mu;
	unsigned long requests, errors, events;
	volatile bool stop;
	int stop_pipe[2];
	/* timers */
	pthread_mutex_t timers_mu;
	bool scheduled;
	/* {"events", "keep_warm", "keep_warm_expression"} from the settings file at the
	 * last `hoist schedule` (state.json "schedule"); NULL: the current version's */
	json_t *schedule;
	json_t *next_fires;      /* name -> ISO time, for status */
	double time_scale;
	/* listeners */
	struct listener http;
	pthread_mutex_t tls_mu;  /* guards tls */
	struct listener *tls;    /* NULL until certify */
};

/* workers.c */
int pool_init(struct pool *p, const char *python, const char *worker_py,
	      const char *function_name, const char *stage_name);
/* Start cfg->concurrency workers for cfg; on an import error, *err_json tells why. */
int pool_start(struct pool *p, struct version_cfg *cfg, json_t **err_json);
/* Switch to a new version: start its workers, then retire the old ones. */
int pool_reload(struct pool *p, struct version_cfg *cfg, json_t **err_json);
/*
 * Run one event through a worker: waits up to the timeout for a free worker
 * and for the answer.  Returns 0 with *result, or 502 (worker crashed or
 * handler raised), 504 (timeout; the worker is replaced), 503 (no worker).
 * `request_id` names the invocation in the log.
 */
int pool_invoke(struct pool *p, json_t *event, const char *request_id, json_t **result,
		char **why);
/* Background duties: replace dead workers, stop retired ones, drain idle output. */
void pool_tick(struct pool *p);
void pool_stop(struct pool *p);
int pool_worker_pids(struct pool *p, json_t *arr);

int version_cfg_load(const char *dir, long v, struct version_cfg **out, struct herr *e);
void version_cfg_free(struct version_cfg *c);

/* gateway.c */
int gateway_start(struct daemon *d, struct herr *e);
/*
 * (Re)start the HTTPS listener from tls/cert.pem and tls/key.pem on `port`
 * for `domain` (base_path may be NULL); the HTTP listener is not touched.
 * When the new listener cannot start, the previous one is started again.
 */
int gateway_tls_reload(struct daemon *d, int port, const char *domain, const char *base_path,
		       struct herr *e);
/* The HTTPS port, or 0 when there is no HTTPS listener. */
int gateway_tls_port(struct daemon *d);
void gateway_stop(struct daemon *d);
void request_id_new(char out[37]);

/* timers.c */
int timers_start(struct daemon *d, struct herr *e);
void timers_stop(struct daemon *d);
void timers_status(struct daemon *d, json_t *out);
void timers_reset(struct daemon *d);

/* control.c */
int control_start(struct daemon *d, struct herr *e);
void control_stop(struct daemon *d);

/* daemon.c */
int local_daemon_main(int argc, char **argv);
void daemon_request_stop(struct daemon *d);

/* ---- ops (CLI side) --------------------------------------------------- */

int local_unzip(const char *zip_path, const char *dest, struct herr *e);
/* Unpack the one entry `name` of the zip into dest (replacing a linked file). */
int local_unzip_entry(const char *zip_path, const char *name, const char *dest,
		      struct herr *e);
/* Recreate the tree src at dst with hard links (copies across file systems). */
int local_link_tree(const char *src, const char *dst, struct herr *e);

struct deploy_args;
/* The stage's URL when state.json says it is deployed, else *url NULL. */
int local_deployed(const struct stage *st, char **url, struct herr *e);
int local_deploy(const struct stage *st, const struct deploy_args *a, char **url,
		 struct herr *e);
int local_update(const struct stage *st, const struct deploy_args *a, char **url,
		 struct herr *e);
int local_rollback(const struct stage *st, int back, char **url, struct herr *e);
/* The stage directory and state of a deployed stage, or an error saying it is not. */
int local_open_deployed(const struct stage *st, char **dir, json_t **state, struct herr *e);
void local_stop_daemon(const char *dir);
/* Start the gateway of `dir` (detached) and wait until it is ready. */
int local_start_daemon(const char *dir, struct herr *e);
/* SIGKILL any process still running in dir/versions (a wedged worker). */
void local_kill_strays(const char *dir);
struct tail_args;
int local_tail(const struct stage *st, const struct tail_args *a, struct herr *e);
struct certify_args;
int local_certify(const struct stage *st, const struct certify_args *a, char **url,
		  struct herr *e);

#endif
