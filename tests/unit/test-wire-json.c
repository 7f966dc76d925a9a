/*
 * test-wire-json.c - src/wire/wire-json.c and wire_port_id.
 *
 * workloads.json is what a restarted bulkheadd restores containers from, so
 * a port must survive the round trip bit for bit, and a damaged file must be
 * refused (never half-read, never a crash).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "wire/wire.h"

static void ip(int family, const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(family, text, out), 1);
}

static void sample_port(struct wire_port *p)
{
	struct wire_snapshot *s = &p->orig;
	struct wire_route *r;
	struct wire_addr *a;

	memset(p, 0, sizeof(*p));
	wire_port_id("web-1", p->id);
	snprintf(p->vin, sizeof(p->vin), "vin%s", p->id);
	snprintf(p->vex, sizeof(p->vex), "vex%s", p->id);
	p->vin_ifindex = 7;
	p->vex_ifindex = 9;
	snprintf(s->ifname, sizeof(s->ifname), "eth0");
	memcpy(s->mac, (uint8_t[]){0x02, 0x42, 0xac, 0x11, 0x00, 0xfe}, 6);
	s->mtu = 1400;
	s->txqlen = 1000;
	s->ipv6_off = false;

	a = &s->addrs[s->naddrs++];
	a->family = AF_INET;
	a->prefixlen = 24;
	a->flags = IFA_F_PERMANENT;
	ip(AF_INET, "10.99.0.11", a->local);
	a->has_brd = true;
	ip(AF_INET, "10.99.0.255", a->brd);

	a = &s->addrs[s->naddrs++];
	a->family = AF_INET;
	a->prefixlen = 24;
	a->flags = IFA_F_PERMANENT | IFA_F_SECONDARY;
	ip(AF_INET, "10.99.0.99", a->local);
	snprintf(a->label, sizeof(a->label), "eth0:1");

	a = &s->addrs[s->naddrs++];
	a->family = AF_INET6;
	a->prefixlen = 64;
	a->flags = IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE;
	ip(AF_INET6, "fd99::11", a->local);

	a = &s->addrs[s->naddrs++];
	a->family = AF_INET6;
	a->prefixlen = 64;
	a->scope = RT_SCOPE_LINK;
	a->flags = IFA_F_PERMANENT;
	ip(AF_INET6, "fe80::42:acff:fe11:fe", a->local);

	r = &s->routes[s->nroutes++]; /* default via gateway */
	r->family = AF_INET;
	r->protocol = RTPROT_BOOT;
	r->type = RTN_UNICAST;
	r->table = RT_TABLE_MAIN;
	r->has_gw = true;
	ip(AF_INET, "10.99.0.1", r->gw);

	r = &s->routes[s->nroutes++]; /* onlink gateway, own table, metric, prefsrc */
	r->family = AF_INET;
	r->dst_len = 16;
	ip(AF_INET, "172.20.0.0", r->dst);
	r->protocol = RTPROT_STATIC;
	r->type = RTN_UNICAST;
	r->table = 1000;
	r->priority = 50;
	r->flags = RTNH_F_ONLINK;
	r->has_gw = true;
	ip(AF_INET, "192.0.2.1", r->gw);
	r->has_prefsrc = true;
	ip(AF_INET, "10.99.0.11", r->prefsrc);

	r = &s->routes[s->nroutes++]; /* IPv6 default */
	r->family = AF_INET6;
	r->protocol = RTPROT_BOOT;
	r->type = RTN_UNICAST;
	r->table = RT_TABLE_MAIN;
	r->priority = 1024;
	r->has_gw = true;
	ip(AF_INET6, "fd99::1", r->gw);

	r = &s->routes[s->nroutes++]; /* IPv6 link-scope prefix */
	r->family = AF_INET6;
	r->dst_len = 48;
	ip(AF_INET6, "2001:db8:1::", r->dst);
	r->scope = RT_SCOPE_LINK;
	r->protocol = RTPROT_STATIC;
	r->type = RTN_UNICAST;
	r->table = RT_TABLE_MAIN;
	r->priority = 1024;
}

static void test_round_trip(void **state)
{
	struct wire_port in, out;
	json_t *j, *back;
	char *text;

	(void)state;
	sample_port(&in);
	j = wire_port_to_json(&in);
	assert_non_null(j);
	/* through text too, as workloads.json does */
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	back = json_loads(text, 0, NULL);
	assert_non_null(back);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(wire_port_from_json(back, &out), 0);

	assert_string_equal(out.id, in.id);
	assert_string_equal(out.vin, in.vin);
	assert_string_equal(out.vex, in.vex);
	assert_int_equal(out.vin_ifindex, 7);
	assert_int_equal(out.vex_ifindex, 9);
	assert_string_equal(out.orig.ifname, "eth0");
	assert_memory_equal(out.orig.mac, in.orig.mac, 6);
	assert_int_equal(out.orig.mtu, 1400);
	assert_int_equal(out.orig.txqlen, 1000);
	assert_false(out.orig.ipv6_off);
	assert_int_equal(out.orig.naddrs, in.orig.naddrs);
	assert_int_equal(out.orig.nroutes, in.orig.nroutes);
	/* structs were zeroed before filling and are zeroed on read: compare whole */
	assert_memory_equal(out.orig.addrs, in.orig.addrs,
			    sizeof(in.orig.addrs[0]) * (size_t)in.orig.naddrs);
	assert_memory_equal(out.orig.routes, in.orig.routes,
			    sizeof(in.orig.routes[0]) * (size_t)in.orig.nroutes);
	assert_true(out.orig.routes[1].flags & RTNH_F_ONLINK);
	assert_string_equal(out.orig.addrs[1].label, "eth0:1");

	free(text);
	json_decref(back);
	json_decref(j);
}

static void test_empty_snapshot(void **state)
{
	struct wire_port in, out;
	json_t *j;

	(void)state;
	sample_port(&in);
	in.orig.naddrs = 0;
	in.orig.nroutes = 0;
	in.orig.ipv6_off = true;
	j = wire_port_to_json(&in);
	assert_int_equal(wire_port_from_json(j, &out), 0);
	assert_int_equal(out.orig.naddrs, 0);
	assert_int_equal(out.orig.nroutes, 0);
	assert_true(out.orig.ipv6_off);
	json_decref(j);
}

/* Where a damage applies in the document. */
enum spot { TOP, ORIG, ADDR0, ROUTE1 };

static json_t *at(json_t *j, enum spot spot)
{
	json_t *o = json_object_get(j, "orig");

	switch (spot) {
	case TOP:
		return j;
	case ORIG:
		return o;
	case ADDR0:
		return json_array_get(json_object_get(o, "addrs"), 0);
	case ROUTE1:
		return json_array_get(json_object_get(o, "routes"), 1);
	}
	return NULL;
}

/* Set key at spot to the JSON text value, or delete it when value is NULL. */
static void damage(json_t *j, enum spot spot, const char *key, const char *value)
{
	json_t *obj = at(j, spot), *v;

	assert_non_null(obj);
	if (!value) {
		assert_int_equal(json_object_del(obj, key), 0);
		return;
	}
	v = json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	assert_non_null(v);
	json_object_set_new(obj, key, v);
}

static void test_reject(void **state)
{
	static const struct {
		enum spot spot;
		const char *key, *value;
	} cases[] = {
	    {TOP, "id", NULL},
	    {TOP, "id", "\"123456789\""},
	    {TOP, "id", "\"ABCDEF01\""},
	    {TOP, "id", "5"},
	    {TOP, "vin", "\"vin0123456789abc\""},
	    {TOP, "vex", "\"vex/1\""},
	    {TOP, "vex", "\"vex\\u0000x\""},
	    {TOP, "vin_ifindex", "-1"},
	    {TOP, "vex_ifindex", "\"3\""},
	    {TOP, "orig", NULL},
	    {TOP, "orig", "[]"},
	    {ORIG, "ifname", "\"\""},
	    {ORIG, "mac", "\"02:42:ac:11:00\""},
	    {ORIG, "mac", "\"02:42:ac:11:00:zz\""},
	    {ORIG, "mac", "\" 2:42:ac:11:00:fe\""},
	    {ORIG, "mac", "\"02-42-ac-11-00-fe\""},
	    {ORIG, "mtu", "8589934592"},
	    {ORIG, "mtu", "1500.0"},
	    {ORIG, "txqlen", NULL},
	    {ORIG, "ipv6_off", "0"},
	    {ORIG, "addrs", "{}"},
	    {ORIG, "routes", "null"},
	    {ADDR0, "family", "\"ipx\""},
	    {ADDR0, "local", "\"10.99.0.300\""},
	    {ADDR0, "local", "\"fd99::1\""},
	    {ADDR0, "prefixlen", "33"},
	    {ADDR0, "scope", "256"},
	    {ADDR0, "broadcast", "null"},
	    {ADDR0, "label", NULL},
	    {ADDR0, "label", "\"a label too long\""},
	    {ROUTE1, "gateway", "\"x\""},
	    {ROUTE1, "dst", "\"fd00::\""},
	    {ROUTE1, "dst_len", "200"},
	    {ROUTE1, "table", "-254"},
	    {ROUTE1, "priority", NULL},
	    {ROUTE1, "flags", "true"},
	};
	struct wire_port in, out, before;

	(void)state;
	sample_port(&in);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = wire_port_to_json(&in);

		damage(j, cases[i].spot, cases[i].key, cases[i].value);
		memset(&out, 0x5a, sizeof(out));
		before = out;
		if (wire_port_from_json(j, &out) != -EINVAL)
			fail_msg("accepted %s = %s", cases[i].key,
				 cases[i].value ? cases[i].value : "(deleted)");
		/* a refused document leaves the caller's port alone */
		assert_memory_equal(&out, &before, sizeof(out));
		json_decref(j);
	}
}

static void test_reject_too_many(void **state)
{
	struct wire_port in, out;
	json_t *j, *addrs;

	(void)state;
	sample_port(&in);
	j = wire_port_to_json(&in);
	addrs = json_object_get(json_object_get(j, "orig"), "addrs");
	while (json_array_size(addrs) <= WIRE_MAX_ADDRS)
		json_array_append(addrs, json_array_get(addrs, 0));
	assert_int_equal(wire_port_from_json(j, &out), -EINVAL);
	json_decref(j);
}

static void test_reject_not_objects(void **state)
{
	struct wire_port p;
	json_t *j;

	(void)state;
	assert_int_equal(wire_port_from_json(NULL, &p), -EINVAL);
	j = json_loads("[1,2,3]", 0, NULL);
	assert_int_equal(wire_port_from_json(j, &p), -EINVAL);
	json_decref(j);
	j = json_loads("{}", 0, NULL);
	assert_int_equal(wire_port_from_json(j, &p), -EINVAL);
	json_decref(j);
	j = json_loads("\"vin\"", JSON_DECODE_ANY, NULL);
	assert_int_equal(wire_port_from_json(j, &p), -EINVAL);
	json_decref(j);
}

static void test_port_id(void **state)
{
	char a[9], b[9], c[9];

	(void)state;
	/* FNV-1a 32 reference values: the id must never change between releases */
	wire_port_id("", a);
	assert_string_equal(a, "811c9dc5");
	wire_port_id("a", a);
	assert_string_equal(a, "e40c292c");
	wire_port_id("foobar", a);
	assert_string_equal(a, "bf9cf968");

	wire_port_id("web-1", a);
	wire_port_id("web-1", b);
	wire_port_id("web-2", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 8);
	for (int i = 0; i < 8; i++)
		assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
	/* "vin"/"vex" + id leaves room for the NUL in IFNAMSIZ */
	assert_true(3 + strlen(a) < IFNAMSIZ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_empty_snapshot),
	    cmocka_unit_test(test_reject),
	    cmocka_unit_test(test_reject_too_many),
	    cmocka_unit_test(test_reject_not_objects),
	    cmocka_unit_test(test_port_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
