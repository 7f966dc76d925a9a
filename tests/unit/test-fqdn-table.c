/*
 * test-fqdn-table.c - src/dp/fqdn-table.c: admit, refresh (the later end wins),
 * lookups per (workload, address) with several names, TTL + grace, lingering
 * for re-checks, expiry by gc, the size cap (refused and counted; a full table
 * does not keep lingering entries), and concurrent admits and lookups
 * from several threads against gc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <urcu.h>

#include <cmocka.h>

#include "dp/fqdn-table.h"

static struct policy_addr addr(const char *s)
{
	struct policy_addr a = {0};

	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = AF_INET6;
	return a;
}

struct seen {
	int n;
	char names[8][254];
	int64_t ttl[8];
};

static void collect(void *arg, const char *name, int64_t ttl_ms)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		s->ttl[s->n] = ttl_ms;
	}
	s->n++;
}

static struct seen look(struct fqdn_table *t, uint32_t wl, const char *a, int64_t now)
{
	struct policy_addr pa = addr(a);
	struct seen s = {0};

	fqdn_table_each(t, wl, &pa, now, collect, &s);
	return s;
}

static int admit(struct fqdn_table *t, uint32_t wl, const char *a, const char *name, uint32_t ttl,
		 int64_t now)
{
	struct policy_addr pa = addr(a);

	return fqdn_table_admit(t, wl, &pa, name, ttl, now);
}

static void test_admit_lookup_expire(void **state)
{
	struct fqdn_table *t;
	struct fqdn_table_stats st;
	struct policy_addr pa;
	struct seen s;

	(void)state;
	assert_int_equal(fqdn_table_new(&t, 0, 1000), 0);
	assert_int_equal(admit(t, 1, "10.0.0.7", "api.example.test", 2, 10000), 0);
	assert_int_equal(admit(t, 1, "10.0.0.7", "alias.example.test", 5, 10000), 0);
	assert_int_equal(admit(t, 1, "fd99::7", "api.example.test", 2, 10000), 0);
	s = look(t, 1, "10.0.0.7", 10500);
	assert_int_equal(s.n, 2);
	s = look(t, 2, "10.0.0.7", 10500); /* another workload resolved nothing */
	assert_int_equal(s.n, 0);
	s = look(t, 1, "10.0.0.8", 10500);
	assert_int_equal(s.n, 0);
	s = look(t, 1, "fd99::7", 10500);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.names[0], "api.example.test");
	assert_int_equal(s.ttl[0], 1500);
	/* TTL over, grace (1 s) still on: live with a negative TTL left */
	s = look(t, 1, "fd99::7", 12500);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ttl[0], -500);
	/* TTL + grace over: gone for lookups even before gc */
	s = look(t, 1, "10.0.0.7", 13000);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.names[0], "alias.example.test");
	/* expired entries linger for re-checks of live sessions, not for new ones */
	fqdn_table_gc(t, 13000);
	fqdn_table_stats(t, &st);
	assert_int_equal(st.entries, 3);
	pa = addr("10.0.0.7");
	memset(&s, 0, sizeof(s));
	fqdn_table_each_lingering(t, 1, &pa, 13000 + FQDN_LINGER_MS - 1, collect, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ttl[0] < 0 || s.ttl[1] < 0, 1);
	memset(&s, 0, sizeof(s));
	fqdn_table_each_lingering(t, 1, &pa, 16000 + FQDN_LINGER_MS, collect, &s);
	assert_int_equal(s.n, 0);
	/* after the linger gc removes them */
	fqdn_table_gc(t, 13000 + FQDN_LINGER_MS);
	fqdn_table_stats(t, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.admitted, 3);
	assert_int_equal(st.expired, 2);
	fqdn_table_free(t);
}

static void test_refresh(void **state)
{
	struct fqdn_table *t;
	struct fqdn_table_stats st;
	struct seen s;

	(void)state;
	assert_int_equal(fqdn_table_new(&t, 0, 0), 0);
	assert_int_equal(admit(t, 1, "10.0.0.7", "api.example.test", 10, 0), 0);
	/* a shorter answer later does not cut the earlier one short */
	assert_int_equal(admit(t, 1, "10.0.0.7", "api.example.test", 1, 1000), 0);
	s = look(t, 1, "10.0.0.7", 5000);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ttl[0], 5000);
	/* a longer one extends it */
	assert_int_equal(admit(t, 1, "10.0.0.7", "api.example.test", 60, 5000), 0);
	s = look(t, 1, "10.0.0.7", 5000);
	assert_int_equal(s.ttl[0], 60000);
	fqdn_table_stats(t, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.admitted, 1);
	assert_int_equal(st.refreshed, 2);
	/* TTL 0 with no grace: never live */
	assert_int_equal(admit(t, 1, "10.0.0.9", "zero.example.test", 0, 5000), 0);
	assert_int_equal(look(t, 1, "10.0.0.9", 5000).n, 0);
	fqdn_table_free(t);
}

static void test_cap_and_bad_input(void **state)
{
	struct fqdn_table *t;
	struct fqdn_table_stats st;
	char ip[32];
	struct policy_addr none = {0};

	(void)state;
	assert_int_equal(fqdn_table_new(&t, 4, 0), 0);
	for (int i = 0; i < 4; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		assert_int_equal(admit(t, 1, ip, "a.test", 60, 0), 0);
	}
	assert_int_equal(admit(t, 1, "10.0.0.9", "a.test", 60, 0), -ENOSPC);
	/* a refresh needs no room */
	assert_int_equal(admit(t, 1, "10.0.0.1", "a.test", 90, 0), 0);
	fqdn_table_stats(t, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.full, 1);
	/* over 3/4 full: expired entries do not linger, expiry makes room again */
	fqdn_table_gc(t, 61000);
	assert_int_equal(admit(t, 1, "10.0.0.9", "a.test", 60, 61000), 0);
	assert_int_equal(admit(t, 1, "10.0.0.9", "", 60, 0), -EINVAL);
	assert_int_equal(fqdn_table_admit(t, 1, &none, "a.test", 60, 0), -EINVAL);
	assert_int_equal(look(t, 1, "not an address", 0).n, 0);
	fqdn_table_free(t);
}

/* ---- threads: admits, lookups and gc at once (run under ASan/TSan-ish builds) ---- */

struct worker {
	struct fqdn_table *t;
	int id;
	int found;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char ip[32];

	rcu_register_thread();
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 50; i++) {
			struct policy_addr pa;

			snprintf(ip, sizeof(ip), "10.%d.0.%d", w->id, i);
			pa = addr(ip);
			fqdn_table_admit(w->t, 1, &pa, "x.test", round % 2, fqdn_now_ms());
			w->found += look(w->t, 1, ip, fqdn_now_ms()).n;
		}
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_threads(void **state)
{
	struct worker w[3];
	pthread_t th[3];
	struct fqdn_table *t;
	struct fqdn_table_stats st;

	(void)state;
	assert_int_equal(fqdn_table_new(&t, 0, 0), 0);
	for (int i = 0; i < 3; i++) {
		w[i] = (struct worker){.t = t, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 50; i++)
		fqdn_table_gc(t, fqdn_now_ms() + 500);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_true(w[i].found > 0);
	}
	fqdn_table_stats(t, &st);
	assert_true(st.entries <= 150);
	fqdn_table_gc(t, fqdn_now_ms() + FQDN_LINGER_MS + 10000);
	fqdn_table_stats(t, &st);
	assert_int_equal(st.entries, 0);
	fqdn_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_admit_lookup_expire),
	    cmocka_unit_test(test_refresh),
	    cmocka_unit_test(test_cap_and_bad_input),
	    cmocka_unit_test(test_threads),
	};
	int rc;

	rcu_register_thread();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
