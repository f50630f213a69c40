/*
 * cloud_call.c — opening a cloud session and the error of a failed call,
 * shared by the providers' request pipelines (see cloud_call.h).
 */
#include "cloud_call.h"

#include "err.h"
#include "http.h"
#include "log.h"

#include <string.h>

int cloud_session_open(struct cloud_config *cfg, struct http_client **http, const char *cloud,
		       cloud_config_loader load, const json_t *settings, struct herr *e)
{
	int rc;

	*http = NULL;
	if ((rc = load(cfg, settings, e)) != HOIST_OK)
		return rc;
	out_info("%s credentials from %s, region %s", cloud, cfg->creds.source, cfg->region);
	*http = http_client_new();
	if (!*http) {
		cloud_config_free(cfg);
		return herr_set(e, HOIST_FAIL, "cannot initialise the HTTP client (libcurl)");
	}
	return HOIST_OK;
}

void cloud_session_close(struct cloud_config *cfg, struct http_client **http)
{
	http_client_free(*http);
	*http = NULL;
	cloud_config_free(cfg);
}

int cloud_call_failed(struct herr *e, const struct cloud_failure *f, bool keys_refused,
		      const char *cloud, const struct cloud_config *cfg, const char *permission)
{
	herr_set(e, HOIST_FAIL, "%s %s failed: %s%s%s", f->service, f->action, f->code,
		 *f->message ? ": " : "", f->message);
	if (keys_refused)
		herr_hint(e, "the %s credentials came from %s; check they are valid and allowed "
			  "to call %s", cloud, cfg->creds.source, permission);
	if (f->request_id)
		herr_hint(e, "(HTTP %ld, request id %s)", f->status, f->request_id);
	return HOIST_FAIL;
}
