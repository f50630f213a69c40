/*
 * known.h — what a credential's account is, once learnt in this process.
 *
 * An access key belongs to one account for good, so its account id (AWS STS
 * GetCallerIdentity, Alibaba Cloud STS GetCallerIdentity, Tencent Cloud CAM
 * GetUserAppId) is asked once per process, not once per context: the stage
 * lock's marker, readers and the command each open contexts of their own.
 * Thread-safe; a handful of entries, the oldest replaced.
 */
#ifndef HOIST_KNOWN_H
#define HOIST_KNOWN_H

/* Remember `value` as `what` ("aws-account", "tencent-appid"…) of access key `key`. */
void known_put(const char *what, const char *key, const char *value);

/* What known_put remembered as `what` of `key`, allocated, or NULL. */
char *known_get(const char *what, const char *key);

#endif
