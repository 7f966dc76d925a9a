/*
 * test-state.c - atomic state files: round trip, corrupt files reported,
 * no temp file left behind, missing file distinguished from a bad one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/state.h"

static char dir[64];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/bh-test-state.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_round_trip(void **st)
{
	json_t *j = json_pack("{s:i, s:[s,s]}", "version", 1, "names", "a", "b"), *back = NULL;
	char err[256], tmp[128];

	(void)st;
	assert_int_equal(state_write_json(dir, "x.json", j), 0);
	assert_int_equal(state_read_json(dir, "x.json", &back, err, sizeof(err)), 0);
	assert_true(json_equal(j, back));
	snprintf(tmp, sizeof(tmp), "%s/.x.json.tmp", dir);
	assert_int_not_equal(access(tmp, F_OK), 0);
	json_decref(j);
	json_decref(back);
}

static void test_missing_and_corrupt(void **st)
{
	char err[256] = "", path[128];
	json_t *out = NULL;
	FILE *f;

	(void)st;
	assert_int_equal(state_read_json(dir, "none.json", &out, err, sizeof(err)), -ENOENT);
	snprintf(path, sizeof(path), "%s/bad.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\": 1, \"rules\": [", f);
	fclose(f);
	assert_int_equal(state_read_json(dir, "bad.json", &out, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.json"));
}

static void test_overwrite_keeps_latest(void **st)
{
	char err[256];
	json_t *out = NULL;

	(void)st;
	for (int i = 0; i < 20; i++) {
		json_t *j = json_pack("{s:i}", "n", i);

		assert_int_equal(state_write_json(dir, "n.json", j), 0);
		json_decref(j);
	}
	assert_int_equal(state_read_json(dir, "n.json", &out, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "n")), 19);
	json_decref(out);
}

static void test_dir_ensure(void **st)
{
	char sub[128];

	(void)st;
	snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
	assert_int_equal(state_dir_ensure(sub), 0);
	assert_int_equal(access(sub, W_OK), 0);
	assert_int_equal(state_dir_ensure(""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_missing_and_corrupt),
		cmocka_unit_test(test_overwrite_keeps_latest),
		cmocka_unit_test(test_dir_ensure),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
