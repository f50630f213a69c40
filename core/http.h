/*
 * http.h — the one HTTP client every provider uses (the only libcurl user).
 *
 * The clients of a process share one connection cache (keep-alive), DNS
 * cache and TLS sessions: a new client reuses what an earlier one opened;
 * a forked child starts its own.  TLS is
 * always verified; a CA bundle can be named with HOIST_CA_BUNDLE (else
 * CURL_CA_BUNDLE, else SSL_CERT_FILE), e.g. pebble's in tests.
 *
 * http_do() sends one logical request, retrying with exponential backoff and
 * full jitter on HTTP 429/5xx, throttling error codes in the body
 * (ThrottlingException, TooManyRequestsException, Throttling,
 * RequestLimitExceeded, SlowDown) and transport errors, waiting at least what
 * Retry-After (seconds) or Alibaba's x-acs-retry-after (milliseconds) asks.
 * Before each attempt it calls the request's `sign` hook (signatures carry a
 * timestamp).  A request marked non-idempotent whose outcome is unknown (the
 * request went out, then the connection broke or timed out) is only retried
 * after its `check_effect` hook says it did not take effect.
 *
 * Environment knobs (documented in hoist(1)):
 *   HOIST_HTTP_BACKOFF_MS   base backoff delay in ms (default 500; tests use 1)
 *   HOIST_HTTP_TIMEOUT      total time limit per attempt in seconds (default:
 *                           the request's, else 300)
 *   HOIST_HTTP_MAX_ATTEMPTS default number of attempts (default 5)
 *
 * A body comes from memory, from a file, or from a struct http_body
 * (http_body.h: a JSON document with a file's base64 inside, or a file
 * range), streamed through libcurl's read callback with its length known up
 * front; each attempt re-streams it from the start.
 *
 * With -vv every attempt is traced to stderr: method, URL, status, time and
 * headers, with credentials and signatures redacted.
 */
#ifndef HOIST_HTTP_H
#define HOIST_HTTP_H

#include "http_body.h"
#include "str.h"

#include <stdbool.h>
#include <stddef.h>

struct herr;

struct http_header {
	char *name;
	char *value;
};

/* A list of headers; owns its strings. */
struct http_headers {
	struct http_header *v;
	size_t n, cap;
};

void http_headers_add(struct http_headers *h, const char *name, const char *value);
/* Replace (or add) a header, case-insensitive on the name. */
void http_headers_set(struct http_headers *h, const char *name, const char *value);
/* The first value of `name` (case-insensitive), or NULL. */
const char *http_headers_get(const struct http_headers *h, const char *name);
void http_headers_free(struct http_headers *h);

struct http_response {
	long status;                  /* 0 when no response (see effect_done) */
	struct sbuf body;             /* response body (unless saved to a file) */
	struct http_headers headers;  /* of the final response */
	int attempts;                 /* how many were made */
	bool effect_done;             /* outcome unknown, check_effect said it happened */
};

enum http_verdict {
	HTTP_DONE,      /* hand this response to the caller */
	HTTP_RETRY,     /* transient: try again after a backoff */
};

enum http_effect {
	HTTP_EFFECT_NONE,  /* it did not happen: safe to send again */
	HTTP_EFFECT_DONE,  /* it happened: stop, report effect_done */
};

struct http_request;

/* (Re)sign the request: add per-attempt headers to `extra` (emptied before). */
typedef int (*http_sign_fn)(const struct http_request *rq, struct http_headers *extra,
			    void *ctx, struct herr *e);
/* Decide whether a response is transient; NULL: http_classify_default. */
typedef enum http_verdict (*http_classify_fn)(const struct http_response *rs, void *ctx);
/*
 * The request went out but the outcome is unknown: did it take effect?
 * Return HOIST_OK with *effect set, or an error (which http_do returns).
 */
typedef int (*http_check_effect_fn)(const struct http_request *rq, enum http_effect *effect,
				    void *ctx, struct herr *e);

struct http_request {
	const char *method;           /* "GET", "POST", "PUT", "DELETE", "HEAD", … */
	const char *url;
	/*
	 * Connect here ("http://127.0.0.1:8080", scheme://host[:port], no path)
	 * instead of the URL's origin; the request keeps the URL's path, query
	 * and Host header, so what is signed is what the real endpoint gets
	 * (endpoint overrides that change only where hoist connects).  NULL: the URL.
	 */
	const char *connect_to;
	const struct http_headers *headers;  /* fixed headers, may be NULL */
	const void *body;             /* body from memory… */
	size_t body_len;
	const char *body_file;        /* …or streamed from this file… */
	const struct http_body *stream;  /* …or prefix + base64/bytes of a file + suffix
					    (http_body.h): read and sent in chunks */
	const char *save_to;          /* stream a 2xx response body into this file */
	const char *progress;         /* label for out_progress, NULL: none */
	bool non_idempotent;          /* see check_effect */
	bool interruptible;           /* an interrupt may cut it short: it changes nothing
					 (a read, an invocation); else it gets its answer */
	long timeout_s;               /* total per attempt; 0: default */
	int max_attempts;             /* 0: default (5) */
	const char *what;             /* for messages: "Lambda CreateFunction"; NULL: URL */
	/*
	 * A pure read: what identifies it (provider-made; never a date or a
	 * signature), so that its answer may be read ahead (readahead.h); an
	 * interrupt cuts it short.  NULL: anything else, which ends the
	 * client's read-ahead.
	 */
	const char *ahead_key;
	http_sign_fn sign;
	http_classify_fn classify;
	http_check_effect_fn check_effect;
	void *ctx;                    /* passed to the hooks */
};

struct http_client;
struct readahead;

struct http_client *http_client_new(void);
void http_client_free(struct http_client *c);
/*
 * The client's reads go through `ra` (readahead.h): a reader's keyed reads
 * keep their answers there (it sends nothing else); the command's are
 * answered from there when they can be, and its first request that is not
 * a keyed read ends the read-ahead.  NULL: none.
 */
void http_client_readahead(struct http_client *c, struct readahead *ra, bool reader);
/*
 * From any thread: the client's long transfers (uploads, downloads to a
 * file) stop where they are, and none is started again ("cancelled"); its
 * small requests (a clean-up) still go.
 */
void http_client_cancel(struct http_client *c);

/*
 * Perform `rq`.  HOIST_OK when a response arrived (whatever its status; the
 * last one if all attempts were transient) or check_effect reported the
 * effect; HOIST_FAIL (message names the request and the cause) when no
 * response could be had.  Free `rs` with http_response_free.
 */
int http_do(struct http_client *c, const struct http_request *rq, struct http_response *rs,
	    struct herr *e);
void http_response_free(struct http_response *rs);

/* 429, 5xx, or a throttling error code in a 4xx/5xx body. */
enum http_verdict http_classify_default(const struct http_response *rs);

/*
 * The authority ("host" or "host:port", default ports dropped) and the
 * path-and-query ("/" at least) of an http(s) URL; allocates both.
 * HOIST_USAGE for something that is not an http(s) URL.
 */
int http_url_split(const char *url, char **authority, char **path_query, struct herr *e);

/* Is this header's (or parameter's) value secret: Authorization, tokens, signatures,
 * cookies, private keys? */
bool http_header_is_secret(const char *name);

#endif
