/*
 * alidns.h — Alibaba Cloud DNS calls (alidns.c) for certify and undeploy.
 */
#ifndef HOIST_ALIYUN_ALIDNS_H
#define HOIST_ALIYUN_ALIDNS_H

#include "aliyun.h"

/* The hosted zone of `domain` (*zone, *rr allocated: "example.com", "api"), NULLs when none. */
int alidns_zone_for(struct ali_ctx *x, const char *domain, char **zone, char **rr,
		    struct herr *e);
/* Records of exactly rr/type in the zone (new reference). */
int alidns_records(struct ali_ctx *x, const char *zone, const char *rr, const char *type,
		   json_t **records, struct herr *e);
/* Add a record (an identical one already there is fine). */
int alidns_add(struct ali_ctx *x, const char *zone, const char *rr, const char *type,
	       const char *value, struct herr *e);
int alidns_delete(struct ali_ctx *x, const char *record_id, struct herr *e);
/* rr.zone CNAME → target: created, updated or left as it is. */
int alidns_cname(struct ali_ctx *x, const char *zone, const char *rr, const char *target,
		 struct herr *e);
/* core/acme.h's set_txt hook (ctx: struct ali_ctx *). */
int alidns_acme_set_txt(const char *fqdn, const char *value, bool present, void *ctx,
			struct herr *e);

#endif
