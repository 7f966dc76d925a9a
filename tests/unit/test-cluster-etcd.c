/*
 * test-cluster-etcd.c - the parts of the etcd client and the cluster options that need
 * no etcd: base64 as the v3 gateway speaks it, int64-as-string fields, endpoint and
 * --cluster URL parsing.  The conversation itself is covered by tests/e2e/test-cluster.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/cluster-etcd.h"
#include "ctl/cluster.h"

static void noop_cb(void *ctx, enum etcd_op op, json_t *msg, const char *err)
{
	(void)ctx, (void)op, (void)msg, (void)err;
}

static void test_b64_vectors(void **state)
{
	static const char *const v[][2] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"/bulkhead/", "L2J1bGtoZWFkLw=="},
	    {"/bulkhead0", "L2J1bGtoZWFkMA=="},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *enc = etcd_b64(v[i][0], strlen(v[i][0]));
		size_t n = 99;
		char *dec = etcd_unb64(v[i][1], &n);

		assert_string_equal(enc, v[i][1]);
		assert_non_null(dec);
		assert_int_equal(n, strlen(v[i][0]));
		assert_string_equal(dec, v[i][0]);
		free(enc);
		free(dec);
	}
}

static void test_b64_binary_and_bad(void **state)
{
	char bin[256], *enc, *dec;
	size_t n;

	(void)state;
	for (int i = 0; i < 256; i++)
		bin[i] = (char)i;
	enc = etcd_b64(bin, sizeof(bin));
	dec = etcd_unb64(enc, &n);
	assert_int_equal(n, sizeof(bin));
	assert_memory_equal(dec, bin, sizeof(bin));
	free(enc);
	free(dec);
	assert_null(etcd_unb64("Zm9v!", NULL));
	assert_null(etcd_unb64("Zm 9v", NULL));
	dec = etcd_unb64(NULL, &n);
	assert_int_equal(n, 0);
	free(dec);
}

static void test_int_fields(void **state)
{
	json_t *j = json_pack("{s:s, s:i, s:s, s:b}", "a", "42", "b", 7, "c", "x", "d", 1);

	(void)state;
	assert_int_equal(etcd_int(json_object_get(j, "a")), 42);
	assert_int_equal(etcd_int(json_object_get(j, "b")), 7);
	assert_int_equal(etcd_int(json_object_get(j, "c")), 0);
	assert_int_equal(etcd_int(json_object_get(j, "d")), 0);
	assert_int_equal(etcd_int(json_object_get(j, "missing")), 0);
	json_decref(j);
}

static void test_endpoints(void **state)
{
	struct etcd *e = NULL;

	(void)state;
	assert_int_equal(etcd_new(&e, "127.0.0.1:2379,10.0.0.2:2379", noop_cb, NULL), 0);
	assert_string_equal(etcd_endpoint(e), "127.0.0.1:2379");
	etcd_abort(e);
	assert_string_equal(etcd_endpoint(e), "10.0.0.2:2379");
	etcd_abort(e);
	assert_string_equal(etcd_endpoint(e), "127.0.0.1:2379");
	assert_true(etcd_fd(e) >= 0);
	etcd_free(e);
	assert_int_equal(etcd_new(&e, "", noop_cb, NULL), -EINVAL);
	assert_int_equal(etcd_new(&e, "nohostport", noop_cb, NULL), -EINVAL);
	assert_int_equal(etcd_new(&e, "a:1,,b:2", noop_cb, NULL), -EINVAL);
}

static void test_url_check(void **state)
{
	char err[160];

	(void)state;
	assert_int_equal(cluster_url_check("etcd://127.0.0.1:2379", err, sizeof(err)), 0);
	assert_int_equal(cluster_url_check("etcd://a:1,b:2", err, sizeof(err)), 0);
	assert_int_equal(cluster_url_check("http://a:1", err, sizeof(err)), -EINVAL);
	assert_int_equal(cluster_url_check("etcd://", err, sizeof(err)), -EINVAL);
	assert_int_equal(cluster_url_check("etcd://a:1/path", err, sizeof(err)), -EINVAL);
	assert_int_equal(cluster_url_check("etcd://user@a:1", err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_b64_vectors), cmocka_unit_test(test_b64_binary_and_bad),
	    cmocka_unit_test(test_int_fields),	cmocka_unit_test(test_endpoints),
	    cmocka_unit_test(test_url_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
