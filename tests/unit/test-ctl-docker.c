/*
 * test-ctl-docker.c - the Docker Engine API documents bulkhead reads: an
 * inspect becomes the container's pid, network mode, groups (bulkhead.group
 * plus compose project/service) and mode; events give id and action; and a
 * container that cannot be enforced is explained in one line; --docker-label
 * selects by KEY or KEY=VALUE.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/docker-api.h"

static json_t *inspect(const char *netmode, bool running, const char *labels)
{
	json_t *l = json_loads(labels, 0, NULL);

	return json_pack("{s:s, s:s, s:{s:b, s:i}, s:{s:s}, s:{s:o}}", "Id",
			 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "Name",
			 "/web-1", "State", "Running", running, "Pid", running ? 4242 : 0,
			 "HostConfig", "NetworkMode", netmode, "Config", "Labels", l);
}

static void test_parse_labels(void **st)
{
	json_t *doc = inspect("bridge", true,
			      "{\"bulkhead.group\": \" web , front,web\", \"bulkhead.mode\": "
			      "\"protect\", \"com.docker.compose.project\": \"shop\", "
			      "\"com.docker.compose.service\": \"front\"}");
	struct docker_ctr c;

	(void)st;
	assert_int_equal(docker_ctr_parse(doc, &c), 0);
	assert_string_equal(c.name, "web-1");
	assert_int_equal(c.pid, 4242);
	assert_true(c.running);
	assert_int_equal(c.ngroups, 3); /* web, front, shop: duplicates folded */
	assert_string_equal(c.groups[0], "web");
	assert_string_equal(c.groups[1], "front");
	assert_string_equal(c.groups[2], "shop");
	assert_string_equal(c.mode, "protect");
	assert_string_equal(c.bad_label, "");
	assert_null(docker_ctr_unfit(&c, (char[64]){0}, 64));
	json_decref(doc);
}

static void test_bad_labels_ignored(void **st)
{
	json_t *doc = inspect("bridge", true,
			      "{\"bulkhead.group\": \"ok,no/slash,any\", \"bulkhead.mode\": \"loud\"}");
	struct docker_ctr c;

	(void)st;
	assert_int_equal(docker_ctr_parse(doc, &c), 0);
	assert_int_equal(c.ngroups, 1);
	assert_string_equal(c.groups[0], "ok");
	assert_string_equal(c.mode, "");
	assert_string_equal(c.bad_label, "group 'no/slash'");
	json_decref(doc);
}

static void test_unfit(void **st)
{
	struct docker_ctr c;
	char buf[160];
	json_t *doc;

	(void)st;
	doc = inspect("host", true, "{}");
	assert_int_equal(docker_ctr_parse(doc, &c), 0);
	assert_string_equal(docker_ctr_unfit(&c, buf, sizeof(buf)),
			    "container web-1 uses the host network: not enforceable");
	json_decref(doc);
	doc = inspect("bridge", false, "{}");
	assert_int_equal(docker_ctr_parse(doc, &c), 0);
	assert_string_equal(docker_ctr_unfit(&c, buf, sizeof(buf)),
			    "container web-1 is not running");
	json_decref(doc);
	doc = json_pack("{s:s}", "Name", "/x");
	assert_int_equal(docker_ctr_parse(doc, &c), -EINVAL);
	json_decref(doc);
}

static void test_event(void **st)
{
	json_t *ev = json_loads("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":"
				"\"abc\",\"Attributes\":{}},\"timeNano\":1700000000000000001}",
				0, NULL);
	json_t *img = json_loads("{\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":{\"ID\":\"x\"}}",
				 0, NULL);
	char id[DOCKER_ID_MAX], action[16];
	int64_t t;

	(void)st;
	assert_int_equal(docker_event_parse(ev, id, action, sizeof(action), &t), 0);
	assert_string_equal(id, "abc");
	assert_string_equal(action, "die");
	assert_true(t == 1700000000000000001LL);
	assert_int_equal(docker_event_parse(img, id, action, sizeof(action), &t), -EINVAL);
	json_decref(ev);
	json_decref(img);
}

static void test_label_selector(void **st)
{
	json_t *doc = inspect("bridge", true, "{\"team\": \"a\", \"flag\": \"\"}");

	(void)st;
	assert_true(docker_has_label(doc, "team"));
	assert_true(docker_has_label(doc, "team=a"));
	assert_false(docker_has_label(doc, "team=b"));
	assert_true(docker_has_label(doc, "flag="));
	assert_false(docker_has_label(doc, "other"));
	json_decref(doc);
}

static void test_ref(void **st)
{
	(void)st;
	assert_true(docker_ref_ok("web-1"));
	assert_true(docker_ref_ok("0123abc"));
	assert_false(docker_ref_ok(""));
	assert_false(docker_ref_ok("../../info"));
	assert_false(docker_ref_ok("a?b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_labels), cmocka_unit_test(test_bad_labels_ignored),
		cmocka_unit_test(test_unfit), cmocka_unit_test(test_event),
		cmocka_unit_test(test_label_selector), cmocka_unit_test(test_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
