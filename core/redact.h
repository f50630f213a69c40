/*
 * redact.h — keeping secrets out of everything hoist prints.
 *
 * Every error message (err.c) and every line on stderr (log.c, -vv traces
 * included) passes through redact_text, which replaces with "<redacted>":
 *   - the value of a secret-bearing header written "name: value" or
 *     "name:value" (a canonical request echoed back by a provider):
 *     Authorization, Cookie, and any hyphenated name with token, signature,
 *     secret, credential, password or api-key in it (X-Amz-Security-Token,
 *     x-acs-security-token, X-TC-Token, x-oss-security-token, X-Api-Key…),
 *     up to the end of the line;
 *   - the value of a secret query or form parameter "name=value" after "?",
 *     "&", "," or a space (X-Amz-Signature=…, X-Amz-Security-Token=…);
 *   - every occurrence of a value registered with redact_register: each
 *     provider registers the secret key and session token it loaded, so they
 *     are hidden wherever a provider's message quotes them.
 */
#ifndef HOIST_REDACT_H
#define HOIST_REDACT_H

#include <stddef.h>

/* `text` with secrets replaced by "<redacted>"; allocates. */
char *redact_text(const char *text);

/* Redact a NUL-terminated string in its buffer of `size` bytes (truncating if need be). */
void redact_in_place(char *buf, size_t size);

/* Hide every occurrence of `secret` from now on (values under 8 characters are ignored). */
void redact_register(const char *secret);

#endif
