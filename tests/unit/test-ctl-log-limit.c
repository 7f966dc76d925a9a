/*
 * test-ctl-log-limit.c - the JSON lines rate limit: N lines a second per key,
 * the rest held back and written once as a summary with "suppressed", other
 * keys unaffected, a key taking over a busy slot never losing a count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "ctl/log-limit.h"

struct sink {
	int lines;
	json_int_t suppressed; /* of the last summary */
	int last_n;	       /* "n" of the last summary */
};

static void emit(void *arg, json_t *line)
{
	struct sink *k = arg;

	k->lines++;
	k->suppressed = json_integer_value(json_object_get(line, "suppressed"));
	k->last_n = (int)json_integer_value(json_object_get(line, "n"));
}

static bool admit(struct log_limit *l, const char *key, int64_t ms, int n, struct sink *k)
{
	json_t *j = json_pack("{s:i}", "n", n);
	bool ok = log_limit_admit(l, key, ms, j, emit, k);

	json_decref(j);
	return ok;
}

static void test_per_key_rate(void **state)
{
	struct log_limit *l;
	struct sink k = {0};
	int ok = 0;

	(void)state;
	assert_int_equal(log_limit_new(&l, 3), 0);
	for (int i = 0; i < 100; i++)
		ok += admit(l, "a|b|6/80", 5000 + i, i, &k);
	assert_int_equal(ok, 3);
	assert_true(admit(l, "a|b|6/81", 5100, 0, &k)); /* another key has its own budget */
	log_limit_flush(l, 5200, false, emit, &k);	/* same second: nothing yet */
	assert_int_equal(k.lines, 0);
	log_limit_flush(l, 6000, false, emit, &k);
	assert_int_equal(k.lines, 1);
	assert_int_equal(k.suppressed, 97);
	assert_int_equal(k.last_n, 99);		  /* the last one held back */
	log_limit_flush(l, 7000, true, emit, &k); /* nothing left */
	assert_int_equal(k.lines, 1);
	log_limit_free(l);
}

static void test_next_second_writes_summary_first(void **state)
{
	struct log_limit *l;
	struct sink k = {0};

	(void)state;
	assert_int_equal(log_limit_new(&l, 1), 0);
	assert_true(admit(l, "k", 1000, 1, &k));
	assert_false(admit(l, "k", 1001, 2, &k));
	assert_false(admit(l, "k", 1002, 3, &k));
	assert_true(admit(l, "k", 2000, 4, &k)); /* new second: the summary goes out first */
	assert_int_equal(k.lines, 1);
	assert_int_equal(k.suppressed, 2);
	log_limit_free(l);
}

static void test_shutdown_flushes_all(void **state)
{
	struct log_limit *l;
	struct sink k = {0};
	char key[32];

	(void)state;
	assert_int_equal(log_limit_new(&l, 1), 0);
	/* many keys, more than the table's slots: every count reaches a summary */
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_true(admit(l, key, 1000, 0, &k));
		assert_false(admit(l, key, 1000, 1, &k));
	}
	log_limit_flush(l, 1000, true, emit, &k);
	assert_int_equal(k.lines, 2000);
	log_limit_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_per_key_rate),
	    cmocka_unit_test(test_next_second_writes_summary_first),
	    cmocka_unit_test(test_shutdown_flushes_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
