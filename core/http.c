/*
 * http.c — the libcurl wrapper: one easy handle per client, the process's
 * clients sharing one connection cache, DNS cache and TLS sessions (a
 * provider's lock, its "deployed?" check and its deploy each have a client,
 * and on a cloud each new connection is a TCP and TLS handshake), verified
 * TLS, timeouts, bodies from memory, a
 * file or a struct http_body stream (http_body.c), responses into memory or a file, retries with backoff, -vv traces.
 *
 * The retry loop lives in http_do(); each attempt is attempt_once().
 */
#include "http.h"

#include "clock.h"

#include "err.h"
#include "interrupt.h"
#include "readahead.h"
#include "log.h"
#include "path.h"
#include "redact.h"
#include "str.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ATTEMPTS 5
#define DEFAULT_TIMEOUT_S 300
#define CONNECT_TIMEOUT_S 15
#define DEFAULT_BACKOFF_MS 500
#define MAX_BACKOFF_MS 20000
#define MAX_RETRY_AFTER_S 60

struct http_client {
	CURL *easy;
	char errbuf[CURL_ERROR_SIZE];
	struct readahead *ahead;   /* http_client_readahead */
	bool reader;
	atomic_bool cancelled;     /* http_client_cancel */
};

/* ---- headers ------------------------------------------------------------- */

void http_headers_add(struct http_headers *h, const char *name, const char *value)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 8;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	h->v[h->n].name = xstrdup(name);
	h->v[h->n].value = xstrdup(value);
	h->n++;
}

void http_headers_set(struct http_headers *h, const char *name, const char *value)
{
	for (size_t i = 0; i < h->n; i++) {
		if (strcasecmp(h->v[i].name, name) == 0) {
			free(h->v[i].value);
			h->v[i].value = xstrdup(value);
			return;
		}
	}
	http_headers_add(h, name, value);
}

const char *http_headers_get(const struct http_headers *h, const char *name)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

void http_headers_free(struct http_headers *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	memset(h, 0, sizeof(*h));
}

bool http_header_is_secret(const char *name)
{
	static const char *const words[] = {
		"authorization", "token", "signature", "secret", "cookie", "credential",
		"password", "x-api-key", "privatekey", "private-key",
	};
	char *l = xstrdup(name);
	bool secret = false;

	for (char *p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		secret |= strstr(l, words[i]) != NULL;
	free(l);
	return secret;
}

/* ---- URLs ---------------------------------------------------------------- */

int http_url_split(const char *url, char **authority, char **path_query, struct herr *e)
{
	bool https = str_starts(url, "https://");
	const char *p, *end, *colon;
	int n;

	*authority = *path_query = NULL;
	if (!https && !str_starts(url, "http://"))
		return herr_set(e, HOIST_USAGE, "'%s' is not an http(s) URL", url);
	p = url + (https ? 8 : 7);
	end = p + strcspn(p, "/?#");
	if (end == p)
		return herr_set(e, HOIST_USAGE, "'%s' has no host", url);
	n = (int)(end - p);
	colon = memchr(p, ':', (size_t)n);
	if (colon && !strncmp(colon + 1, https ? "443" : "80", (size_t)(end - colon - 1)) &&
	    (size_t)(end - colon - 1) == strlen(https ? "443" : "80"))
		n = (int)(colon - p);
	*authority = xasprintf("%.*s", n, p);
	*path_query = xasprintf("%s%.*s", *end == '/' ? "" : "/", (int)strcspn(end, "#"), end);
	return HOIST_OK;
}

/* ---- client -------------------------------------------------------------- */

/*
 * The process's share (NULL: none could be made; each client keeps its own
 * connections then).  A forked child makes its own: the connections it
 * inherits are its parent's sockets.  Its locks make it safe from threads
 * (beside.h: reads side by side), and so does made_mu for making it.
 */
static CURLSH *share, *parents;   /* parents: inherited over a fork, never used */
static pid_t share_pid;
static pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];   /* one per kind: libcurl nests them */
static pthread_mutex_t made_mu = PTHREAD_MUTEX_INITIALIZER;

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *u)
{
	pthread_mutex_lock(&share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *u)
{
	pthread_mutex_unlock(&share_mu[data]);
}

static CURLSH *make_share(void)
{
	if (share_pid == getpid())
		return share;   /* (NULL when it could not be made: not tried again) */
	parents = share;
	share = curl_share_init();
	share_pid = getpid();
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_mu[i], NULL);
	if (share && (curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock) ||
		      curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
		      curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) ||
		      curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
		      curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))) {
		curl_share_cleanup(share);
		share = NULL;
	}
	return share;
}

static CURLSH *process_share(void)
{
	CURLSH *sh;

	pthread_mutex_lock(&made_mu);
	sh = make_share();
	pthread_mutex_unlock(&made_mu);
	return sh;
}

struct http_client *http_client_new(void)
{
	static bool global_done;
	struct http_client *c;

	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global_done = true;
	}
	c = xcalloc(1, sizeof(*c));
	c->easy = curl_easy_init();
	if (!c->easy) {
		free(c);
		return NULL;
	}
	return c;
}

void http_client_cancel(struct http_client *c)
{
	atomic_store(&c->cancelled, true);
}

void http_client_readahead(struct http_client *c, struct readahead *ra, bool reader)
{
	c->ahead = ra;
	c->reader = reader;
}

/*
 * The read-ahead's part of a request (readahead.h): HOIST_OK with *served
 * when the answer was read ahead (in rs: the command's, or a reader's copy
 * of another's); a read whose answer is kept for others gets its *ticket (a
 * reader's, or the command's own first read of a key); anything from a
 * reader but a keyed read is refused.
 */
static int ahead_before(struct http_client *c, const struct http_request *rq,
			struct http_response *rs, const char *what, bool *served,
			unsigned long *ticket, struct herr *e)
{
	*served = false;
	*ticket = 0;
	if (!c->ahead)
		return HOIST_OK;
	if (c->reader && !rq->ahead_key)
		return herr_set(e, HOIST_FAIL, "%s: not sent (only reads are read ahead)", what);
	if (c->reader && !(*ticket = readahead_claim(c->ahead, rq->ahead_key))) {
		if (!(*served = readahead_share(c->ahead, rq->ahead_key, rs)))   /* another's */
			return herr_set(e, HOIST_FAIL, "%s: not read ahead", what);
		return HOIST_OK;
	}
	if (!rq->ahead_key)
		readahead_end(c->ahead);
	else if (!c->reader)
		*served = readahead_take(c->ahead, rq->ahead_key, rs, ticket);
	return HOIST_OK;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->easy);
	free(c);
}

void http_response_free(struct http_response *rs)
{
	sbuf_free(&rs->body);
	http_headers_free(&rs->headers);
	memset(rs, 0, sizeof(*rs));
}

/* ---- one attempt ---------------------------------------------------------- */

struct xfer {
	const struct http_request *rq;
	struct http_response *rs;
	struct herr *e;      /* a local read problem (stream) */
	struct http_body_reader *sr;   /* stream */
	FILE *in;            /* body_file */
	size_t in_off;       /* memory body offset */
	FILE *out;           /* save_to (.part) */
	struct readahead *unwanted_when_over;   /* a reader's: stop once the read-ahead is over */
	atomic_bool *cancelled;   /* the client's (http_client_cancel) */
};

static size_t on_read(char *buf, size_t size, size_t nitems, void *p)
{
	struct xfer *x = p;
	size_t want = size * nitems, n;

	if (x->sr) {
		long long k = http_body_read(x->sr, buf, want, x->e);

		return k < 0 ? CURL_READFUNC_ABORT : (size_t)k;
	}
	if (x->in)
		return fread(buf, 1, want, x->in);
	n = x->rq->body_len - x->in_off;
	if (n > want)
		n = want;
	memcpy(buf, (const char *)x->rq->body + x->in_off, n);
	x->in_off += n;
	return n;
}

/* Start the stream again and skip to `off` (libcurl rewinds on a redirect or a resend). */
static int stream_seek(struct xfer *x, unsigned long long off)
{
	const struct http_body *b = x->sr->b;
	char skip[16384];

	http_body_close(x->sr);
	if (off > b->size || http_body_open(x->sr, b, x->e) != HOIST_OK)
		return CURL_SEEKFUNC_FAIL;
	while (x->sr->pos < off) {
		unsigned long long left = off - x->sr->pos;

		if (http_body_read(x->sr, skip, left < sizeof(skip) ? (size_t)left : sizeof(skip),
				   x->e) <= 0)
			return CURL_SEEKFUNC_FAIL;
	}
	return CURL_SEEKFUNC_OK;
}

static int on_seek(void *p, curl_off_t off, int origin)
{
	struct xfer *x = p;

	if (origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	if (x->sr)
		return stream_seek(x, (unsigned long long)off);
	if (x->in)
		return fseeko(x->in, (off_t)off, SEEK_SET) == 0 ? CURL_SEEKFUNC_OK
								: CURL_SEEKFUNC_FAIL;
	if ((size_t)off > x->rq->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->in_off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *p)
{
	struct xfer *x = p;
	size_t n = size * nmemb;

	if (x->out)
		return fwrite(data, 1, n, x->out);
	sbuf_add(&x->rs->body, data, n);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *p)
{
	struct xfer *x = p;
	size_t n = size * nitems;
	char *line = xmalloc(n + 1), *colon, *v, *end;

	memcpy(line, data, n);
	line[n] = '\0';
	if (str_starts(line, "HTTP/")) {
		/* A new response (after 100 Continue or a redirect): start over. */
		http_headers_free(&x->rs->headers);
	} else if ((colon = strchr(line, ':'))) {
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		end = v + strlen(v);
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
		http_headers_add(&x->rs->headers, line, v);
	}
	free(line);
	return n;
}

/* A transfer worth stopping half-way on an interrupt: files, streams, a body over 1 MiB. */
static bool long_transfer(const struct http_request *rq)
{
	return rq->body_file || rq->stream || rq->save_to || rq->body_len > 1024 * 1024;
}

static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = p;

	/*
	 * On an interrupt: a read stops at once; a long upload or download stops
	 * half-way; a write sent in full gets its answer first.
	 */
	if (intr_signal() && (x->rq->interruptible || x->rq->ahead_key ||
			      (long_transfer(x->rq) &&
			       ((ultotal > 0 && ulnow < ultotal) || (x->rq->save_to && dlnow > 0)))))
		return 1;   /* CURLE_ABORTED_BY_CALLBACK: http_do reports the interrupt */
	if (x->unwanted_when_over && readahead_over(x->unwanted_when_over))
		return 1;   /* nobody will take its answer: the command does not wait for it */
	if (long_transfer(x->rq) && atomic_load(x->cancelled))
		return 1;   /* an upload nobody wants any more (http_client_cancel) */
	if (!x->rq->progress || !out_get()->err_tty)
		return 0;
	if (ultotal > 0 && ulnow <= ultotal && (!x->rq->save_to || dltotal <= 0))
		out_progress(x->rq->progress, (unsigned long long)ulnow,
			     (unsigned long long)ultotal);
	else if (dltotal > 0)
		out_progress(x->rq->progress, (unsigned long long)dlnow,
			     (unsigned long long)dltotal);
	return 0;
}

static void trace_headers(const char *dir, const struct http_headers *h)
{
	for (size_t i = 0; h && i < h->n; i++)
		out_debug("%s %s: %s", dir, h->v[i].name,
			  http_header_is_secret(h->v[i].name) ? "<redacted>" : h->v[i].value);
}

static struct curl_slist *add_slist(struct curl_slist *l, const struct http_headers *h)
{
	for (size_t i = 0; h && i < h->n; i++) {
		char *line = *h->v[i].value ? xasprintf("%s: %s", h->v[i].name, h->v[i].value)
					    : xasprintf("%s;", h->v[i].name);

		l = curl_slist_append(l, line);
		free(line);
	}
	return l;
}

static const char *ca_bundle(void)
{
	static const char *const vars[] = { "HOIST_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return v;
	}
	return NULL;
}

static void setup_body(CURL *h, const struct http_request *rq, struct xfer *x, curl_off_t size)
{
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, x);
	curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
}

/*
 * One attempt.  Returns the curl result; *sent says whether any of the
 * request reached the wire (so its effect may have happened).
 */
static CURLcode attempt_once(struct http_client *c, const struct http_request *rq,
			     const struct http_headers *extra, struct http_response *rs,
			     bool *sent, struct herr *e)
{
	CURL *h = c->easy;
	CURLSH *sh;
	struct xfer x = { .rq = rq, .rs = rs, .e = e, .unwanted_when_over = c->reader ? c->ahead : NULL,
			  .cancelled = &c->cancelled };
	struct curl_slist *hl = NULL;
	char *part = NULL, *via = NULL;
	curl_off_t size = (curl_off_t)rq->body_len;
	long timeout = env_number("HOIST_HTTP_TIMEOUT", rq->timeout_s ? rq->timeout_s
								    : DEFAULT_TIMEOUT_S);
	long reqsize = 0;
	CURLcode cc;

	sbuf_reset(&rs->body);
	http_headers_free(&rs->headers);
	rs->status = 0;
	*sent = false;
	if (rq->body_file) {
		struct stat sb;

		x.in = fopen(rq->body_file, "rb");
		if (!x.in || fstat(fileno(x.in), &sb) != 0) {
			herr_set(e, HOIST_FAIL, "cannot read %s: %s", rq->body_file,
				 strerror(errno));
			if (x.in)
				fclose(x.in);
			return CURLE_READ_ERROR;
		}
		size = (curl_off_t)sb.st_size;
	} else if (rq->stream) {
		x.sr = xmalloc(sizeof(*x.sr));
		if (http_body_open(x.sr, rq->stream, e) != HOIST_OK) {
			free(x.sr);
			return CURLE_READ_ERROR;
		}
		size = (curl_off_t)rq->stream->size;
	}
	if (rq->save_to) {
		part = xasprintf("%s.part", rq->save_to);
		x.out = fopen(part, "wb");
		if (!x.out) {
			herr_set(e, HOIST_FAIL, "cannot write %s: %s", part, strerror(errno));
			free(part);
			if (x.in)
				fclose(x.in);
			if (x.sr)
				http_body_close(x.sr);
			free(x.sr);
			return CURLE_WRITE_ERROR;
		}
	}

	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	sh = process_share();   /* this process's, also for a client made before a fork */
	if (sh)
		curl_easy_setopt(h, CURLOPT_SHARE, sh);
	if (rq->connect_to) {
		char *auth, *pq, *host;

		if (http_url_split(rq->url, &auth, &pq, e) != HOIST_OK) {
			if (x.in)
				fclose(x.in);
			if (x.out)
				fclose(x.out);
			free(part);
			return CURLE_URL_MALFORMAT;
		}
		via = xasprintf("%s%s", rq->connect_to, pq);
		host = xasprintf("Host: %s", auth);
		hl = curl_slist_append(hl, host);
		free(host);
		free(auth);
		free(pq);
	}
	curl_easy_setopt(h, CURLOPT_URL, via ? via : rq->url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_bundle())
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_bundle());
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hoist/" HOIST_VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	/*
	 * libcurl silently re-sends a request once on a fresh connection when a
	 * reused one dies before any answer byte — even after the request went
	 * out.  For a create-like call that would be a retry without asking
	 * check_effect, so those always get a connection of their own.
	 */
	if (rq->non_idempotent)
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	if (strcmp(rq->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (rq->body || rq->body_file || rq->stream || strcmp(rq->method, "POST") == 0 ||
		 strcmp(rq->method, "PUT") == 0 || strcmp(rq->method, "PATCH") == 0)
		setup_body(h, rq, &x, size);
	hl = add_slist(hl, rq->headers);
	hl = add_slist(hl, extra);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	/* Progress bars on a terminal, and a long transfer stops on an interrupt. */
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);

	cc = curl_easy_perform(h);
	if (rq->progress && out_get()->err_tty)
		out_progress_end();
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &reqsize);
	*sent = reqsize > 0;
	if (cc != CURLE_OK)
		rs->status = 0;
	curl_slist_free_all(hl);
	free(via);
	if (x.in)
		fclose(x.in);
	if (x.sr)
		http_body_close(x.sr);
	free(x.sr);
	if (x.out) {
		fclose(x.out);
		if (cc == CURLE_OK && rs->status >= 200 && rs->status < 300) {
			rename(part, rq->save_to);
		} else {
			char *text = NULL;
			size_t len = 0;
			struct herr ignore;

			/* An error body: keep it in memory for the caller's message. */
			if (path_read(part, &text, &len, &ignore) == HOIST_OK)
				sbuf_add(&rs->body, text, len);
			free(text);
			unlink(part);
		}
		free(part);
	}
	return cc;
}

/* ---- classification and backoff ------------------------------------------ */

static const char *const throttle_codes[] = {
	"ThrottlingException", "TooManyRequestsException", "Throttling",
	"RequestLimitExceeded", "SlowDown", "ProvisionedThroughputExceededException",
	"RequestThrottled", "RequestThrottledException",
};

static bool is_word_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Does `code` appear in `s` as a whole word (not inside a longer name)? */
static bool has_code(const char *s, const char *code)
{
	size_t n = strlen(code);

	for (const char *p = s; (p = strstr(p, code)); p += n)
		if ((p == s || !is_word_char(p[-1])) && !is_word_char(p[n]))
			return true;
	return false;
}

enum http_verdict http_classify_default(const struct http_response *rs)
{
	const char *type = http_headers_get(&rs->headers, "x-amzn-ErrorType");

	if (rs->status == 429 || (rs->status >= 500 && rs->status != 501))
		return HTTP_RETRY;
	if (rs->status < 400)
		return HTTP_DONE;
	for (size_t i = 0; i < sizeof(throttle_codes) / sizeof(*throttle_codes); i++)
		if ((rs->body.s && has_code(rs->body.s, throttle_codes[i])) ||
		    (type && has_code(type, throttle_codes[i])))
			return HTTP_RETRY;
	return HTTP_DONE;
}

/* Full jitter: uniform in [0, min(cap, base * 2^attempt)] ms. */
static long backoff_ms(int attempt, const struct http_response *rs)
{
	long base = env_number("HOIST_HTTP_BACKOFF_MS", DEFAULT_BACKOFF_MS);
	long cap = base * (1L << (attempt < 16 ? attempt : 16)), ms;
	const char *ra = http_headers_get(&rs->headers, "Retry-After");
	unsigned int r = 0;

	if (cap > MAX_BACKOFF_MS)
		cap = MAX_BACKOFF_MS;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (unsigned int)rand();
	ms = cap > 0 ? (long)(r % (unsigned int)(cap + 1)) : 0;
	if (ra && *ra) {
		char *end;
		long s = strtol(ra, &end, 10);

		if (s > MAX_RETRY_AFTER_S)
			s = MAX_RETRY_AFTER_S;
		if (!*end && s >= 0 && s * 1000 > ms)
			ms = s * 1000;
	}
	if ((ra = http_headers_get(&rs->headers, "x-acs-retry-after")) && *ra) {
		char *end;   /* Alibaba Cloud: milliseconds */
		long v = strtol(ra, &end, 10);

		if (v > MAX_RETRY_AFTER_S * 1000)
			v = MAX_RETRY_AFTER_S * 1000;
		if (!*end && v > ms)
			ms = v;
	}
	return ms;
}

/* Errors that no retry can fix: bad URL, certificate problems. */
static bool permanent(CURLcode cc)
{
	return cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL ||
	       cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
	       cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_READ_ERROR ||
	       cc == CURLE_WRITE_ERROR || cc == CURLE_ABORTED_BY_CALLBACK;
}

/* ---- the retry loop ------------------------------------------------------- */

int http_do(struct http_client *c, const struct http_request *rq, struct http_response *rs,
	    struct herr *e)
{
	int max = rq->max_attempts ? rq->max_attempts
				   : (int)env_number("HOIST_HTTP_MAX_ATTEMPTS", DEFAULT_ATTEMPTS);
	const char *what = rq->what ? rq->what : rq->method;
	char *url = redact_text(rq->url);   /* signatures, tokens in the query hidden */
	struct http_headers extra = { 0 };
	unsigned long ticket;
	bool served;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (max < 1)
		max = 1;
	if ((rc = ahead_before(c, rq, rs, what, &served, &ticket, e)) != HOIST_OK || served) {
		if (served)
			out_debug("< %ld %s (read ahead)", rs->status, url);
		free(url);
		return rc;
	}
	for (int attempt = 1;; attempt++) {
		bool sent = false, retry;
		double t0 = clock_now_s();
		CURLcode cc;

		rs->attempts = attempt;
		if ((rc = intr_check(e)) != HOIST_OK)   /* a safe point: between attempts */
			goto out;
		if (ticket && c->reader && readahead_over(c->ahead)) {   /* no longer wanted */
			rc = herr_set(e, HOIST_FAIL, "%s: no longer read ahead", what);
			goto out;
		}
		if (long_transfer(rq) && atomic_load(&c->cancelled)) {
			rc = herr_set(e, HOIST_FAIL, "%s: cancelled", what);
			goto out;
		}
		http_headers_free(&extra);
		if (rq->sign && (rc = rq->sign(rq, &extra, rq->ctx, e)) != HOIST_OK)
			goto out;
		out_debug("> %s %s%s%s (attempt %d/%d)", rq->method, url,
			  rq->connect_to ? " via " : "", rq->connect_to ? rq->connect_to : "",
			  attempt, max);
		trace_headers(">", rq->headers);
		trace_headers(">", &extra);
		herr_clear(e);
		cc = attempt_once(c, rq, &extra, rs, &sent, e);
		if (cc == CURLE_OK) {
			out_debug("< %ld %s (%.0f ms, %zu bytes)", rs->status, url,
				  (clock_now_s() - t0) * 1000, rs->body.len);
			trace_headers("<", &rs->headers);
			retry = (rq->classify ? rq->classify(rs, rq->ctx)
					      : http_classify_default(rs)) == HTTP_RETRY;
			if (!retry || attempt >= max)
				goto out;
			out_info("%s: HTTP %ld, retrying (%d/%d)", what, rs->status, attempt, max);
		} else {
			if (e->code) {  /* a local file problem, not the network */
				rc = e->code;
				goto out;
			}
			if (cc == CURLE_ABORTED_BY_CALLBACK && (rc = intr_check(e)) != HOIST_OK)
				goto out;
			out_debug("< %s: %s (%.0f ms)", url, c->errbuf[0] ? c->errbuf
						     : curl_easy_strerror(cc), (clock_now_s() - t0) * 1000);
			if (permanent(cc) || attempt >= max) {
				rc = herr_set(e, HOIST_FAIL, "%s: %s %s failed: %s%s", what,
					      rq->method, url, c->errbuf[0] ? c->errbuf
					      : curl_easy_strerror(cc),
					      attempt > 1 ? " (after retries)" : "");
				herr_hint(e, "check the network connection and the endpoint");
				goto out;
			}
			if (sent && rq->non_idempotent) {
				enum http_effect eff = HTTP_EFFECT_NONE;

				if (!rq->check_effect) {
					rc = herr_set(e, HOIST_FAIL, "%s: %s %s: connection lost "
						      "after sending (%s); it may or may not have "
						      "taken effect", what, rq->method, url,
						      curl_easy_strerror(cc));
					herr_hint(e, "check the resource's state, then run the "
						  "command again");
					goto out;
				}
				if ((rc = rq->check_effect(rq, &eff, rq->ctx, e)) != HOIST_OK)
					goto out;
				if (eff == HTTP_EFFECT_DONE) {
					out_info("%s: connection lost, but it took effect", what);
					rs->effect_done = true;
					rs->status = 0;
					goto out;
				}
			}
			out_info("%s: %s, retrying (%d/%d)", what, curl_easy_strerror(cc),
				 attempt, max);
		}
		clock_sleep_ms(backoff_ms(attempt, rs));
	}
out:
	if (ticket)   /* its answer kept for the others when whole */
		readahead_put(c->ahead, rq->ahead_key, ticket,
			      rc == HOIST_OK && !rs->effect_done && !rq->save_to ? rs : NULL);
	http_headers_free(&extra);
	free(url);
	return rc;
}
