/*
 * tls.c — certify on the local provider (placeholder until written).
 */
#include "local.h"

#include "../provider.h"
#include "../../core/err.h"

int local_certify(const struct stage *st, const struct certify_args *a, char **url,
		  struct herr *e)
{
	(void)st;
	(void)a;
	*url = NULL;
	return herr_set(e, HOIST_FAIL, "hoist certify is not available for provider 'local' yet");
}
