/*
 * certfiles.h — what every provider's `hoist certify` does with certificates
 * before it talks to its own certificate service: the PEM files of the
 * `certificate` / `certificate_key` / `certificate_chain` settings (read
 * relative to the project, checked: the key belongs to the certificate, the
 * certificate covers the domain), a Let's Encrypt certificate through
 * core/acme.c with the provider's DNS as the dns-01 hook, and --manual's
 * files under <state dir>/certs/<domain>/ (the key 0600).
 */
#ifndef HOIST_PROVIDER_CERTFILES_H
#define HOIST_PROVIDER_CERTFILES_H

#include "../core/acme.h"

#include <jansson.h>

struct herr;
struct stage;

struct cert_pem {
	char *cert, *key, *chain;   /* PEM text; chain may be NULL */
};

void cert_pem_free(struct cert_pem *p);

/* Which certificate the settings name, for a provider that takes no other. */
enum cert_source {
	CERT_SRC_NONE,    /* neither `certificate` nor `lets_encrypt_key` */
	CERT_SRC_FILES,   /* `certificate` (+ key, chain): read and checked into *p */
	CERT_SRC_ACME,    /* `lets_encrypt_key`: the key checked */
};

/*
 * The stage's `domain` must be set and whatever certificate it names be
 * usable (HOIST_USAGE otherwise, nothing sent); *src says which, NONE being
 * left for the caller to explain (e is untouched then).
 */
int cert_source_plan(const struct stage *st, const char *domain, enum cert_source *src,
		     struct cert_pem *p, struct herr *e);

/* The certificate files of the settings, checked for `domain` (HOIST_USAGE when unusable). */
int cert_pem_read(const struct stage *st, const char *domain, struct cert_pem *p,
		  struct herr *e);

/* Is lets_encrypt_key a usable account key?  (HOIST_USAGE when not.) */
int cert_acme_key_check(const struct stage *st, struct herr *e);

/* A certificate for `domain` from ACME (acme_directory, lets_encrypt_key) via `set_txt`. */
int cert_acme_obtain(const struct stage *st, const char *domain, acme_set_txt_fn set_txt,
		     void *ctx, struct cert_pem *p, struct herr *e);

/* --manual: write the files; their paths into out {"files": {certificate, key, chain}}. */
int cert_write_manual(const char *domain, const struct cert_pem *p, json_t *out,
		      struct herr *e);

#endif
