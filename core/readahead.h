/*
 * readahead.h — answers read ahead of the step that asks for them.
 *
 * A command's reads that do not need each other's answers are sent at once,
 * each on a thread beside the command's own work (core/beside.h) with an
 * HTTP client of its own marked as a reader of a shared struct readahead
 * (http_client_readahead); the provider decides which reads.  When the
 * command's own client then makes the same read (the same key: what the
 * provider says identifies the request: method, URL, action, body; never
 * its date, nonce or signature), it gets that answer instead of asking
 * again, and waits for it when it is still under way.  Against a cloud each
 * read is a round trip; read ahead, they cost the longest chain of them.
 *
 * What makes an answer from here the same as the command's own:
 *   - it is given once, to the command's first read of that key, and only
 *     when a reader announced it before that read was made (a poll, or a
 *     read the readers had not reached yet, asks itself);
 *   - it lives only until the command's first request that is not a keyed
 *     read (a write, an invocation): from then on nothing is given and
 *     nothing more is read ahead, and reads still under way stop (nobody
 *     will take their answers: the command does not wait for them);
 *   - only whole answers are kept (a network failure, an interrupt, is the
 *     command's own read's to meet);
 *   - a reader sends nothing but keyed reads (anything else is refused, so
 *     a converge function run as a reader stops at its first write).
 * So a read served from here is that very request, sent a moment earlier by
 * this run with none of its writes in between: the state it saw is the one
 * the command would have read (the stage lock's marker is taken at the
 * first write, after which everything is read again).
 */
#ifndef HOIST_READAHEAD_H
#define HOIST_READAHEAD_H

#include "beside.h"

#include <stdbool.h>

struct http_response;
struct readahead;

struct readahead *readahead_new(void);
/* Free it; every reader thread has been joined. */
void readahead_free(struct readahead *ra);

/*
 * A reader's read of `key` is about to go out: its ticket (> 0), or 0 when
 * it must not (the command has it, another reader has it, or the read-ahead
 * is over).
 */
unsigned long readahead_claim(struct readahead *ra, const char *key);
/* A claimed read's answer, a reader's or the command's (copied), or NULL when there is none to keep. */
void readahead_put(struct readahead *ra, const char *key, unsigned long ticket,
		   const struct http_response *rs);
/*
 * A reader's read of a key another reader or the command has (what two
 * chains both start from, the account say): true with a copy of that answer
 * in *rs, waiting for one under way; false when there is none to share (it
 * came to nothing, or the read-ahead is over).  The command still gets a
 * reader's answer.
 */
bool readahead_share(struct readahead *ra, const char *key, struct http_response *rs);

/*
 * The command's read of `key`: true with a copy of the answer read ahead in
 * *rs (waiting for one under way), given once; false: ask.  When no reader
 * has it, the key is never read ahead from now on and *ticket (> 0) makes
 * the command's read its own: readahead_put() its answer, which readers
 * that start from it (the account, say) wait for and share instead of
 * stopping.
 */
bool readahead_take(struct readahead *ra, const char *key, struct http_response *rs,
		    unsigned long *ticket);
/* The command sends something that is not a keyed read: the read-ahead is over. */
void readahead_end(struct readahead *ra);
/* Is it over? (A reader stops early.) */
bool readahead_over(struct readahead *ra);

/*
 * A command's readers: each fn(arg) on a thread of its own beside the
 * command, showing nothing (out_mute_thread), never run when no thread can
 * be had (the command then reads it itself); done(arg) once it has ended.
 */
struct readahead_reader {
	struct readahead_reader *next;
	struct beside job;
	void (*fn)(void *arg);
	void (*done)(void *arg);
	void *arg;
};

struct readahead_readers {
	struct readahead *ra;            /* what they share: made with the first */
	struct readahead_reader *list;
};

/*
 * An HTTP client for a new reader (its done() frees it), the read-ahead made
 * with the first and `command`, the command's own client, then answered
 * from it; NULL when none can be had (the command reads it itself).
 */
struct http_client *readahead_reader_client(struct readahead_readers *rs,
					    struct http_client *command);
void readahead_readers_start(struct readahead_readers *rs, void (*fn)(void *arg),
			     void (*done)(void *arg), void *arg);
/* End the read-ahead, wait for every reader, done() each, free it all; `command` reads alone. */
void readahead_readers_end(struct readahead_readers *rs, struct http_client *command);

#endif
