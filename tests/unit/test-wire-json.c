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

/* Apply one damage to a good document; from_json must refuse it and leave p untouched. */
static void expect_reject(const char *what, void (*damage)(json_t *j))
{
	struct wire_port in, out, before;
	json_t *j;

	sample_port(&in);
	j = wire_port_to_json(&in);
	damage(j);
	memset(&out, 0x5a, sizeof(out));
	before = out;
	if (wire_port_from_json(j, &out) != -EINVAL)
		fail_msg("accepted: %s", what);
	assert_memory_equal(&out, &before, sizeof(out));
	json_decref(j);
}

static json_t *orig(json_t *j)
{
	return json_object_get(j, "orig");
}

static json_t *addr0(json_t *j)
{
	return json_array_get(json_object_get(orig(j), "addrs"), 0);
}

static json_t *route1(json_t *j)
{
	return json_array_get(json_object_get(orig(j), "routes"), 1);
}

static void no_id(json_t *j) { json_object_del(j, "id"); }
static void id_long(json_t *j) { json_object_set_new(j, "id", json_string("123456789")); }
static void id_upper(json_t *j) { json_object_set_new(j, "id", json_string("ABCDEF01")); }
static void id_number(json_t *j) { json_object_set_new(j, "id", json_integer(5)); }
static void vin_long(json_t *j) { json_object_set_new(j, "vin", json_string("vin0123456789abc")); }
static void vex_slash(json_t *j) { json_object_set_new(j, "vex", json_string("vex/1")); }
static void vex_nul(json_t *j) { json_object_set_new(j, "vex", json_stringn("vex\0x", 5)); }
static void ifindex_neg(json_t *j) { json_object_set_new(j, "vin_ifindex", json_integer(-1)); }
static void ifindex_str(json_t *j) { json_object_set_new(j, "vex_ifindex", json_string("3")); }
static void no_orig(json_t *j) { json_object_del(j, "orig"); }
static void orig_array(json_t *j) { json_object_set_new(j, "orig", json_array()); }
static void mac_short(json_t *j) { json_object_set_new(orig(j), "mac", json_string("02:42:ac:11:00")); }
static void mac_bad(json_t *j) { json_object_set_new(orig(j), "mac", json_string("02:42:ac:11:00:zz")); }
static void mac_space(json_t *j) { json_object_set_new(orig(j), "mac", json_string(" 2:42:ac:11:00:fe")); }
static void mtu_big(json_t *j) { json_object_set_new(orig(j), "mtu", json_integer(1LL << 33)); }
static void mtu_real(json_t *j) { json_object_set_new(orig(j), "mtu", json_real(1500.0)); }
static void no_txq(json_t *j) { json_object_del(orig(j), "txqlen"); }
static void v6off_int(json_t *j) { json_object_set_new(orig(j), "ipv6_off", json_integer(0)); }
static void addrs_obj(json_t *j) { json_object_set_new(orig(j), "addrs", json_object()); }
static void addr_null(json_t *j) { json_array_set_new(json_object_get(orig(j), "addrs"), 0, json_null()); }
static void addr_fam(json_t *j) { json_object_set_new(addr0(j), "family", json_string("ipx")); }
static void addr_bad_ip(json_t *j) { json_object_set_new(addr0(j), "local", json_string("10.99.0.300")); }
static void addr_v6_in_v4(json_t *j) { json_object_set_new(addr0(j), "local", json_string("fd99::1")); }
static void addr_plen(json_t *j) { json_object_set_new(addr0(j), "prefixlen", json_integer(33)); }
static void addr_brd_null(json_t *j) { json_object_set_new(addr0(j), "broadcast", json_null()); }
static void addr_no_label(json_t *j) { json_object_del(addr0(j), "label"); }
static void route_gw_bad(json_t *j) { json_object_set_new(route1(j), "gateway", json_string("x")); }
static void route_dst_len(json_t *j) { json_object_set_new(route1(j), "dst_len", json_integer(200)); }
static void route_table_neg(json_t *j) { json_object_set_new(route1(j), "table", json_integer(-254)); }
static void route_no_prio(json_t *j) { json_object_del(route1(j), "priority"); }

static void too_many_addrs(json_t *j)
{
	json_t *addrs = json_object_get(orig(j), "addrs");

	for (int i = 0; i <= WIRE_MAX_ADDRS; i++)
		json_array_append(addrs, json_array_get(addrs, 0));
}

static void test_reject(void **state)
{
	static const struct {
		const char *what;
		void (*damage)(json_t *j);
	} cases[] = {
		{"missing id", no_id}, {"id too long", id_long}, {"id upper case", id_upper},
		{"id number", id_number}, {"vin too long", vin_long}, {"vex with /", vex_slash},
		{"vex with NUL", vex_nul}, {"negative ifindex", ifindex_neg},
		{"ifindex string", ifindex_str}, {"missing orig", no_orig},
		{"orig array", orig_array}, {"short mac", mac_short}, {"bad mac", mac_bad},
		{"mac with space", mac_space}, {"mtu > 32 bit", mtu_big}, {"mtu real", mtu_real},
		{"missing txqlen", no_txq}, {"ipv6_off not bool", v6off_int},
		{"addrs object", addrs_obj}, {"addr null", addr_null}, {"addr family", addr_fam},
		{"addr bad ip", addr_bad_ip}, {"addr v6 in v4", addr_v6_in_v4},
		{"addr prefixlen 33", addr_plen}, {"broadcast null", addr_brd_null},
		{"addr no label", addr_no_label}, {"route gw bad", route_gw_bad},
		{"route dst_len 200", route_dst_len}, {"route table < 0", route_table_neg},
		{"route no priority", route_no_prio}, {"too many addrs", too_many_addrs},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_reject(cases[i].what, cases[i].damage);
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
		cmocka_unit_test(test_reject_not_objects),
		cmocka_unit_test(test_port_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
