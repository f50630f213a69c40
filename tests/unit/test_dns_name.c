/*
 * test_dns_name.c — names against zones (core/dns_name.c), as Route 53,
 * Alibaba Cloud DNS and DNSPod lookups use them: the zone a name lies in
 * (the longest match wins, a label boundary required, trailing dots and case
 * ignored), the name relative to it, and name equality.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../core/dns_name.h"

static void test_zone_match(void **state)
{
	(void)state;
	assert_int_equal(dns_zone_match("api.example.com", "example.com"), 11);
	assert_int_equal(dns_zone_match("api.example.com", "example.com."), 11);
	assert_int_equal(dns_zone_match("API.Example.COM", "example.com"), 11);
	assert_int_equal(dns_zone_match("api.example.com", "api.example.com."), 15);
	assert_int_equal(dns_zone_match("example.com", "example.com"), 11);
	assert_int_equal(dns_zone_match("myexample.com", "example.com"), 0);   /* no label cut */
	assert_int_equal(dns_zone_match("example.com", "api.example.com"), 0);
	assert_int_equal(dns_zone_match("example.org", "example.com"), 0);
	assert_int_equal(dns_zone_match("example.com", ""), 0);
}

static void check_relative(const char *name, const char *zone, const char *want)
{
	char *got = dns_relative_name(name, zone);

	assert_string_equal(got, want);
	free(got);
}

static void test_relative_name(void **state)
{
	(void)state;
	check_relative("api.example.com", "example.com", "api");
	check_relative("_acme-challenge.a.b.example.com", "example.com.", "_acme-challenge.a.b");
	check_relative("example.com", "example.com", "@");
	check_relative("Example.com", "example.com.", "@");
}

static void test_same_name(void **state)
{
	(void)state;
	assert_true(dns_same_name("api.example.com", "api.example.com."));
	assert_true(dns_same_name("Api.Example.com.", "api.example.com"));
	assert_false(dns_same_name("api.example.com", "api.example.co"));
	assert_false(dns_same_name("a.example.com", "b.example.com"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_match),
		cmocka_unit_test(test_relative_name),
		cmocka_unit_test(test_same_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
