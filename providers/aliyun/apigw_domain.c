/*
 * apigw_domain.c — custom domains of the stage's API group: every domain
 * bound to hoist's group is hoist's (the group is), so undeploy unbinds
 * them all (DeleteDomain also drops the domain's certificate).
 */
#include "apigw.h"
#include "cloudapi.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/str.h"

#include <stdlib.h>
#include <string.h>

int ali_apigw_domain_remove(struct ali_ctx *x, const char *group_id, struct herr *e)
{
	json_t *group = NULL, *d;
	size_t i;
	int rc = capi_group_get(x, group_id, &group, e);

	json_array_foreach(capi_list(group, "CustomDomains", "DomainItem"), i, d) {
		const char *name = json_string_value(json_object_get(d, "DomainName"));

		if (rc || !name)
			continue;
		out_step("Unbinding %s from the API group", name);
		rc = capi_domain_delete(x, group_id, name, e);
	}
	json_decref(group);
	return rc;
}
