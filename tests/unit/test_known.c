/* core/known.c: what a credential's account is, remembered per (what, key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "../../core/known.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(const char *what, const char *key, const char *want)
{
	char *got = known_get(what, key);

	if (want)
		assert_string_equal(got, want);
	else
		assert_null(got);
	free(got);
}

static void remembered_per_kind_and_key(void **state)
{
	(void)state;
	check("aws-account", "AKIA1", NULL);
	known_put("aws-account", "AKIA1", "111");
	known_put("aliyun-account", "AKIA1", "222");
	check("aws-account", "AKIA1", "111");
	check("aliyun-account", "AKIA1", "222");
	check("aws-account", "AKIA2", NULL);
	known_put("aws-account", "AKIA1", "333");   /* replaced, not added */
	check("aws-account", "AKIA1", "333");
	known_put("aws-account", "", "x");         /* no key, nothing kept */
	check("aws-account", "", NULL);
	known_put("aws-account", NULL, "x");
	check("aws-account", NULL, NULL);
}

static void the_oldest_goes_when_full(void **state)
{
	char key[16];

	(void)state;
	for (int i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "K%d", i);
		known_put("t", key, key);
	}
	check("t", "K39", "K39");
	check("t", "K0", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(remembered_per_kind_and_key),
		cmocka_unit_test(the_oldest_goes_when_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
