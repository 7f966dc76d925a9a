/*
 * test-ctl-jsonl.c - JSON lines logs: appended lines read back from an
 * offset, the last N lines, rotation to FILE.1 past the size bound, and a
 * reader whose offset is past the end after rotation starting over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/jsonl.h"

static char dir[64];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/bh-test-jsonl.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void append_n(struct jsonl_log *l, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		json_t *j = json_pack("{s:i}", "n", i);

		assert_int_equal(jsonl_append(l, j), 0);
		json_decref(j);
	}
}

static int line_n(json_t *lines, size_t i)
{
	return (int)json_integer_value(json_object_get(json_array_get(lines, i), "n"));
}

static void test_offset_and_tail(void **st)
{
	struct jsonl_log l;
	json_t *lines;
	off_t next, next2;

	(void)st;
	jsonl_init(&l, dir, "a.jsonl", 0);
	assert_int_equal(jsonl_read(l.path, 0, 0, &lines, &next), 0); /* missing = empty */
	assert_int_equal(json_array_size(lines), 0);
	json_decref(lines);
	append_n(&l, 0, 10);
	assert_int_equal(jsonl_read(l.path, -1, 3, &lines, &next), 0);
	assert_int_equal(json_array_size(lines), 3);
	assert_int_equal(line_n(lines, 0), 7);
	assert_int_equal(line_n(lines, 2), 9);
	json_decref(lines);
	append_n(&l, 10, 2);
	assert_int_equal(jsonl_read(l.path, next, 0, &lines, &next2), 0);
	assert_int_equal(json_array_size(lines), 2);
	assert_int_equal(line_n(lines, 0), 10);
	assert_true(next2 > next);
	json_decref(lines);
	assert_int_equal(jsonl_read(l.path, next2, 0, &lines, &next), 0);
	assert_int_equal(json_array_size(lines), 0);
	assert_int_equal(next, next2);
	json_decref(lines);
	jsonl_close(&l);
}

static void test_partial_line_not_returned(void **st)
{
	char path[128];
	json_t *lines;
	off_t next;
	FILE *f;

	(void)st;
	snprintf(path, sizeof(path), "%s/p.jsonl", dir);
	f = fopen(path, "w");
	fputs("{\"n\":1}\n{\"n\":2}\nnot json\n{\"n\":", f);
	fclose(f);
	assert_int_equal(jsonl_read(path, 0, 0, &lines, &next), 0);
	assert_int_equal(json_array_size(lines), 2); /* garbage skipped, half line left */
	assert_int_equal(next, (off_t)strlen("{\"n\":1}\n{\"n\":2}\nnot json\n"));
	json_decref(lines);
}

static void test_rotation(void **st)
{
	struct jsonl_log l;
	char old[PATH_MAX + 2];
	struct stat sb;
	json_t *lines;
	off_t next, stale;

	(void)st;
	jsonl_init(&l, dir, "r.jsonl", 100); /* each line is 9-10 bytes */
	append_n(&l, 0, 10);
	assert_int_equal(jsonl_read(l.path, -1, 100, &lines, &stale), 0);
	json_decref(lines);
	append_n(&l, 10, 5);
	snprintf(old, sizeof(old), "%s.1", l.path);
	assert_int_equal(stat(old, &sb), 0);
	assert_true(sb.st_size <= 100);
	assert_int_equal(stat(l.path, &sb), 0);
	assert_true(sb.st_size <= 100);
	/* A follower whose offset is beyond the new file starts over. */
	assert_true(stale > sb.st_size);
	assert_int_equal(jsonl_read(l.path, stale, 0, &lines, &next), 0);
	assert_true(json_array_size(lines) > 0);
	assert_int_equal(line_n(lines, json_array_size(lines) - 1), 14);
	json_decref(lines);
	jsonl_close(&l);
}

static void test_time_iso(void **st)
{
	char buf[40];

	(void)st;
	jsonl_time_iso(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	jsonl_time_iso(1700000000007, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.007Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_and_tail),
		cmocka_unit_test(test_partial_line_not_returned),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_time_iso),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
