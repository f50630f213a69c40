/*
 * frontdoor.c — which HTTP entry points an Alibaba Cloud stage has, and
 * the stage's live URL (aliyun.h: ali_frontdoor_*):
 *
 *   HTTP trigger  (http_trigger.c) function_url_enabled when set; unset, the
 *                 trigger serves the stage unless API Gateway does
 *   API Gateway   (apigw.c) apigateway_enabled
 *
 * The live URL is API Gateway's when the stage has it, else the trigger's.
 * A front door no longer wanted is removed by the next deploy or update.
 */
#include "apigw.h"

#include "../../core/err.h"
#include "../../core/settings.h"
#include "../../core/stage.h"

#include <stdlib.h>

bool ali_frontdoor_trigger_wanted(const struct stage *st)
{
	const json_t *v = json_object_get(st->settings, "function_url_enabled");

	return json_is_boolean(v) ? json_is_true(v) : !ali_apigw_wanted(st);
}

bool ali_frontdoor_any(const struct stage *st)
{
	return ali_frontdoor_trigger_wanted(st) || ali_apigw_wanted(st);
}

int ali_frontdoor_ensure(struct ali_ctx *x, char **url, struct herr *e)
{
	char *trigger = NULL;
	int rc;

	*url = NULL;
	if (ali_frontdoor_trigger_wanted(x->st))
		rc = ali_trigger_ensure(x, &trigger, e);
	else
		rc = ali_trigger_remove(x, e);
	if (!rc && ali_apigw_wanted(x->st))
		rc = ali_apigw_ensure(x, url, e);
	else if (!rc)
		rc = ali_apigw_remove(x, false, e);
	if (!rc && !*url) {
		*url = trigger;
		trigger = NULL;
	}
	free(trigger);
	return rc;
}

int ali_frontdoor_url(struct ali_ctx *x, char **url, bool *signed_auth, struct herr *e)
{
	int rc = HOIST_OK;

	*url = NULL;
	if (signed_auth)
		*signed_auth = false;
	if (ali_apigw_wanted(x->st))
		rc = ali_apigw_url(x, url, e);
	if (!rc && !*url)
		rc = ali_trigger_url(x, url, signed_auth, e);
	return rc;
}

int ali_frontdoor_status(struct ali_ctx *x, json_t *status, struct herr *e)
{
	int rc = ali_trigger_status(x, status, e);
	json_t *u = json_object_get(status, "url");

	if (!rc && ali_apigw_wanted(x->st)) {
		if (u)
			json_object_set(status, "function_url", u);
		rc = ali_apigw_status(x, status, e);
	}
	return rc;
}

int ali_frontdoor_remove(struct ali_ctx *x, struct herr *e)
{
	int rc = ali_trigger_remove(x, e);

	if (!rc)
		rc = ali_apigw_remove(x, true, e);
	return rc;
}
