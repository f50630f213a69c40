/*
 * cloud_config.h — who we are and where we talk to on a cloud: the access
 * keys, region, profile and endpoint overrides every provider resolves, and
 * the steps their credentials.c files share (the environment's key pair, a
 * profile's keys, the errors naming every place searched, endpoint override
 * lookup).  What differs per cloud — variable and file names, the order of
 * the places, region lists — stays in providers/<cloud>/credentials.c.
 */
#ifndef HOIST_CLOUD_CONFIG_H
#define HOIST_CLOUD_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

struct herr;

/* An access key pair (AWS access key id / secret access key, Alibaba
 * AccessKey id / secret, Tencent SecretId / SecretKey). */
struct cloud_creds {
	char *id;
	char *secret;
	char *token;              /* the session / STS token, or NULL */
	char *source;             /* "environment", "profile dev in /home/x/.aws/credentials" */
};

struct cloud_config {
	struct cloud_creds creds;
	char *region;
	char *profile;            /* the profile consulted */
	json_t *endpoint_urls;    /* the `endpoint_urls` setting (own reference) or NULL */
};

/* The environment variable `name` when set and not empty, else NULL. */
const char *cloud_env(const char *name);

/* The member `key` of `o` (may be NULL) when it is a non-empty string, else NULL. */
const char *cloud_str(const json_t *o, const char *key);

/*
 * Copy the keys into `c` (token may be NULL) and register the secret and the
 * token for redaction; takes ownership of `source`.
 */
void cloud_creds_set(struct cloud_creds *c, const char *id, const char *secret,
		     const char *token, char *source);

/*
 * The keys from the environment variables `id_var` and `secret_var` (and
 * `token_var` when set), unless the settings named a profile (an explicit
 * profile negates the environment, as in botocore).  True when taken.
 */
bool cloud_creds_from_env(struct cloud_creds *c, bool explicit_profile, const char *id_var,
			  const char *secret_var, const char *token_var);

/*
 * The keys of a profile's section (`sec`, may be NULL) of the file `path`:
 * members `id_key`, `secret_key` and optionally `token_key`, with source
 * "profile <profile> in <path>".  True when both keys were there.
 */
bool cloud_creds_from_section(struct cloud_creds *c, const json_t *sec, const char *id_key,
			      const char *secret_key, const char *token_key,
			      const char *profile, const char *path);

/*
 * HOIST_FAIL "no <cloud> credentials found; searched:" listing the
 * environment variables (unless `explicit_profile`) and then `places` (each
 * line "\n  - …"); the caller adds the hint.
 */
int cloud_creds_missing(struct herr *e, const char *cloud, bool explicit_profile,
			const char *id_var, const char *secret_var, const char *places);

/* HOIST_USAGE "<cloud> profile 'p' not found in <where>", hinting at profile_name or `var`. */
int cloud_profile_missing(struct herr *e, const char *cloud, const char *profile,
			  const char *where, const char *var);

/* Keep the stage's `endpoint_urls` object (settings may be NULL) in cfg. */
void cloud_config_endpoints(struct cloud_config *cfg, const json_t *settings);

/*
 * The endpoint override for `service`, without trailing '/', or NULL;
 * allocates.  First match wins: the environment variable <var>_<SERVICE>
 * (upper-cased, spaces as "_"), the `endpoint_urls` member named `service`,
 * that suffix or `alias` (may be NULL; case-insensitive), the variable <var>.
 */
char *cloud_endpoint_override(const struct cloud_config *cfg, const char *var,
			      const char *service, const char *alias);

/* Wipe the secret, free everything, zero the struct. */
void cloud_config_free(struct cloud_config *cfg);

#endif
