/*
 * wire-json.c - a pulled port as JSON, for workloads.json.
 *
 * This is the only record of what a workload's interface looked like once
 * it is pulled, so after a crash it is what restore works from: reading is
 * strict (every field present, of the right type and range) and a file that
 * fails is refused whole rather than half-trusted.  Addresses are text
 * (inet_ntop) so an operator can read and, if need be, fix the file.
 */
#include "wire-int.h"
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Encoding */

static json_t *ip_json(int family, const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, buf, sizeof(buf)))
		return NULL;
	return json_string(buf);
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

static json_t *addr_json(const struct wire_addr *a)
{
	json_t *j = json_object();

	json_object_set_new(j, "family", json_string(family_name(a->family)));
	json_object_set_new(j, "local", ip_json(a->family, a->local));
	json_object_set_new(j, "prefixlen", json_integer(a->prefixlen));
	json_object_set_new(j, "scope", json_integer(a->scope));
	json_object_set_new(j, "flags", json_integer(a->flags));
	if (a->has_brd)
		json_object_set_new(j, "broadcast", ip_json(a->family, a->brd));
	json_object_set_new(j, "label", json_string(a->label));
	return j;
}

static json_t *route_json(const struct wire_route *r)
{
	json_t *j = json_object();

	json_object_set_new(j, "family", json_string(family_name(r->family)));
	json_object_set_new(j, "dst", ip_json(r->family, r->dst));
	json_object_set_new(j, "dst_len", json_integer(r->dst_len));
	json_object_set_new(j, "scope", json_integer(r->scope));
	json_object_set_new(j, "protocol", json_integer(r->protocol));
	json_object_set_new(j, "type", json_integer(r->type));
	json_object_set_new(j, "table", json_integer(r->table));
	json_object_set_new(j, "priority", json_integer(r->priority));
	json_object_set_new(j, "flags", json_integer(r->flags));
	if (r->has_gw)
		json_object_set_new(j, "gateway", ip_json(r->family, r->gw));
	if (r->has_prefsrc)
		json_object_set_new(j, "prefsrc", ip_json(r->family, r->prefsrc));
	return j;
}

static json_t *snapshot_json(const struct wire_snapshot *s)
{
	json_t *j = json_object(), *addrs = json_array(), *routes = json_array();
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0], s->mac[1], s->mac[2],
		 s->mac[3], s->mac[4], s->mac[5]);
	json_object_set_new(j, "ifname", json_string(s->ifname));
	json_object_set_new(j, "mac", json_string(mac));
	json_object_set_new(j, "mtu", json_integer(s->mtu));
	json_object_set_new(j, "txqlen", json_integer(s->txqlen));
	json_object_set_new(j, "ipv6_off", json_boolean(s->ipv6_off));
	for (int i = 0; i < s->naddrs && i < WIRE_MAX_ADDRS; i++)
		json_array_append_new(addrs, addr_json(&s->addrs[i]));
	for (int i = 0; i < s->nroutes && i < WIRE_MAX_ROUTES; i++)
		json_array_append_new(routes, route_json(&s->routes[i]));
	json_object_set_new(j, "addrs", addrs);
	json_object_set_new(j, "routes", routes);
	return j;
}

json_t *wire_port_to_json(const struct wire_port *p)
{
	json_t *j = json_object();

	if (!j)
		return NULL;
	json_object_set_new(j, "id", json_string(p->id));
	json_object_set_new(j, "vin", json_string(p->vin));
	json_object_set_new(j, "vex", json_string(p->vex));
	json_object_set_new(j, "vin_ifindex", json_integer(p->vin_ifindex));
	json_object_set_new(j, "vex_ifindex", json_integer(p->vex_ifindex));
	json_object_set_new(j, "orig", snapshot_json(&p->orig));
	/* a NULL anywhere above (allocation, a bad family) left a key out: refuse, not half-write
	 */
	if (json_object_size(j) != 6) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Decoding: each getter returns 0 or -EINVAL, and writes only on success. */

static int get_str(const json_t *o, const char *key, const char **out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return -EINVAL;
	/* an embedded NUL would make the C string differ from what was checked */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return -EINVAL;
	*out = json_string_value(v);
	return 0;
}

static int get_uint(const json_t *o, const char *key, uint32_t max, uint32_t *out)
{
	const json_t *v = json_object_get(o, key);
	json_int_t n;

	if (!json_is_integer(v))
		return -EINVAL;
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

static int get_u8(const json_t *o, const char *key, uint8_t max, uint8_t *out)
{
	uint32_t v;
	int rc = get_uint(o, key, max, &v);

	if (rc == 0)
		*out = (uint8_t)v;
	return rc;
}

static int get_name(const json_t *o, const char *key, char out[IFNAMSIZ])
{
	const char *s;

	if (get_str(o, key, &s) < 0 || !wire_ifname_ok(s))
		return -EINVAL;
	snprintf(out, IFNAMSIZ, "%s", s);
	return 0;
}

static int get_family(const json_t *o, uint8_t *family)
{
	const char *s;

	if (get_str(o, "family", &s) < 0)
		return -EINVAL;
	if (!strcmp(s, "inet"))
		*family = AF_INET;
	else if (!strcmp(s, "inet6"))
		*family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

static int get_ip(const json_t *o, const char *key, int family, uint8_t out[16])
{
	uint8_t buf[16] = {0};
	const char *s;

	if (get_str(o, key, &s) < 0 || inet_pton(family, s, buf) != 1)
		return -EINVAL;
	memcpy(out, buf, 16);
	return 0;
}

/* Optional address: absent is fine, present must be valid. */
static int get_ip_opt(const json_t *o, const char *key, int family, uint8_t out[16], bool *has)
{
	*has = false;
	if (!json_object_get(o, key))
		return 0;
	if (get_ip(o, key, family, out) < 0)
		return -EINVAL;
	*has = true;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx": sscanf would also take spaces, signs and "0x". */
static int get_mac(const json_t *o, const char *key, uint8_t mac[6])
{
	uint8_t buf[6];
	const char *s;

	if (get_str(o, key, &s) < 0 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, buf, 6);
	return 0;
}

/* An IPv4 label is "<ifname>" or "<ifname>:<tag>": unlike a device name it may hold ':'. */
static bool label_ok(const char *label)
{
	size_t n = strlen(label);

	if (n >= IFNAMSIZ)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)label[i] <= ' ' || label[i] == '/' || label[i] == 0x7f)
			return false;
	return true;
}

static int addr_from_json(const json_t *j, struct wire_addr *a)
{
	const char *label;
	int bits;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(j) || get_family(j, &a->family) < 0)
		return -EINVAL;
	bits = a->family == AF_INET6 ? 128 : 32;
	if (get_ip(j, "local", a->family, a->local) < 0 ||
	    get_u8(j, "prefixlen", bits, &a->prefixlen) < 0 ||
	    get_u8(j, "scope", UINT8_MAX, &a->scope) < 0 ||
	    get_uint(j, "flags", UINT32_MAX, &a->flags) < 0 ||
	    get_ip_opt(j, "broadcast", a->family, a->brd, &a->has_brd) < 0 ||
	    get_str(j, "label", &label) < 0)
		return -EINVAL;
	if (a->family == AF_INET6 && a->has_brd)
		return -EINVAL;
	if (!label_ok(label))
		return -EINVAL;
	snprintf(a->label, sizeof(a->label), "%s", label);
	return 0;
}

static int route_from_json(const json_t *j, struct wire_route *r)
{
	int bits;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(j) || get_family(j, &r->family) < 0)
		return -EINVAL;
	bits = r->family == AF_INET6 ? 128 : 32;
	if (get_ip(j, "dst", r->family, r->dst) < 0 ||
	    get_u8(j, "dst_len", bits, &r->dst_len) < 0 ||
	    get_u8(j, "scope", UINT8_MAX, &r->scope) < 0 ||
	    get_u8(j, "protocol", UINT8_MAX, &r->protocol) < 0 ||
	    get_u8(j, "type", UINT8_MAX, &r->type) < 0 ||
	    get_uint(j, "table", UINT32_MAX, &r->table) < 0 ||
	    get_uint(j, "priority", UINT32_MAX, &r->priority) < 0 ||
	    get_uint(j, "flags", UINT32_MAX, &r->flags) < 0 ||
	    get_ip_opt(j, "gateway", r->family, r->gw, &r->has_gw) < 0 ||
	    get_ip_opt(j, "prefsrc", r->family, r->prefsrc, &r->has_prefsrc) < 0)
		return -EINVAL;
	return 0;
}

static int snapshot_from_json(const json_t *j, struct wire_snapshot *s)
{
	const json_t *addrs, *routes, *v;
	size_t i;

	if (!json_is_object(j) || get_name(j, "ifname", s->ifname) < 0 ||
	    get_mac(j, "mac", s->mac) < 0 || get_uint(j, "mtu", UINT32_MAX, &s->mtu) < 0 ||
	    get_uint(j, "txqlen", UINT32_MAX, &s->txqlen) < 0)
		return -EINVAL;
	v = json_object_get(j, "ipv6_off");
	if (!json_is_boolean(v))
		return -EINVAL;
	s->ipv6_off = json_is_true(v);
	addrs = json_object_get(j, "addrs");
	routes = json_object_get(j, "routes");
	if (!json_is_array(addrs) || json_array_size(addrs) > WIRE_MAX_ADDRS ||
	    !json_is_array(routes) || json_array_size(routes) > WIRE_MAX_ROUTES)
		return -EINVAL;
	json_array_foreach(addrs, i, v)
	{
		if (addr_from_json(v, &s->addrs[i]) < 0)
			return -EINVAL;
	}
	s->naddrs = (int)json_array_size(addrs);
	json_array_foreach(routes, i, v)
	{
		if (route_from_json(v, &s->routes[i]) < 0)
			return -EINVAL;
	}
	s->nroutes = (int)json_array_size(routes);
	return 0;
}

int wire_port_from_json(const json_t *j, struct wire_port *p)
{
	struct wire_port t;
	const char *id;
	uint32_t vin_ifindex, vex_ifindex;

	memset(&t, 0, sizeof(t));
	if (!json_is_object(j) || get_str(j, "id", &id) < 0 || !wire_id_ok(id) ||
	    get_name(j, "vin", t.vin) < 0 || get_name(j, "vex", t.vex) < 0 ||
	    get_uint(j, "vin_ifindex", INT_MAX, &vin_ifindex) < 0 ||
	    get_uint(j, "vex_ifindex", INT_MAX, &vex_ifindex) < 0 ||
	    snapshot_from_json(json_object_get(j, "orig"), &t.orig) < 0)
		return -EINVAL;
	snprintf(t.id, sizeof(t.id), "%s", id);
	t.vin_ifindex = (int)vin_ifindex;
	t.vex_ifindex = (int)vex_ifindex;
	*p = t;
	return 0;
}
