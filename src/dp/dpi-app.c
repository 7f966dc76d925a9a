/*
 * dpi-app.c - from what nDPI says to the application names our rules use.
 *
 * nDPI knows hundreds of protocols and services ("Google" over HTTP, "SMTPS",
 * "DoH"...); a segmentation rule speaks of the wire protocol a server talks
 * (http, tls, ssh...), enum bh_app (policy-app.c names it).  This file is the
 * only one that knows nDPI's protocol ids, so a newer nDPI changes nothing
 * else.  What we name that nDPI 4.2 does not (HTTP/2 in clear text and gRPC in it,
 * Kafka) is dissected in dpi-h2.c and dpi-kafka.c.
 */
#include "dpi.h"

#include <string.h>

#include "dpi-l7.h"

#include <ndpi/ndpi_protocol_ids.h>

/* clang-format off */
static const struct {
	uint16_t ndpi;
	uint8_t app;
} ndpi_map[] = {
	{NDPI_PROTOCOL_HTTP,            BH_APP_HTTP},
	{NDPI_PROTOCOL_HTTP_CONNECT,    BH_APP_HTTP},
	{NDPI_PROTOCOL_HTTP_PROXY,      BH_APP_HTTP},
	{NDPI_PROTOCOL_TLS,             BH_APP_TLS},
	{NDPI_PROTOCOL_MAIL_SMTPS,      BH_APP_TLS},
	{NDPI_PROTOCOL_MAIL_IMAPS,      BH_APP_TLS},
	{NDPI_PROTOCOL_MAIL_POPS,       BH_APP_TLS},
	{NDPI_PROTOCOL_DOH_DOT,         BH_APP_TLS},
	{NDPI_PROTOCOL_DNS,             BH_APP_DNS},
	{NDPI_PROTOCOL_SSH,             BH_APP_SSH},
	{NDPI_PROTOCOL_MYSQL,           BH_APP_MYSQL},
	{NDPI_PROTOCOL_POSTGRES,        BH_APP_POSTGRESQL},
	{NDPI_PROTOCOL_REDIS,           BH_APP_REDIS},
	{NDPI_PROTOCOL_MONGODB,         BH_APP_MONGODB},
	{NDPI_PROTOCOL_MEMCACHED,       BH_APP_MEMCACHED},
	{NDPI_PROTOCOL_CASSANDRA,       BH_APP_CASSANDRA},
	{NDPI_PROTOCOL_AMQP,            BH_APP_AMQP},
	{NDPI_PROTOCOL_MQTT,            BH_APP_MQTT},
	{NDPI_PROTOCOL_NATS,            BH_APP_NATS},
	{NDPI_PROTOCOL_LDAP,            BH_APP_LDAP},
	{NDPI_PROTOCOL_KERBEROS,        BH_APP_KERBEROS},
	{NDPI_PROTOCOL_MAIL_SMTP,       BH_APP_SMTP},
	{NDPI_PROTOCOL_MAIL_IMAP,       BH_APP_IMAP},
	{NDPI_PROTOCOL_MAIL_POP,        BH_APP_POP3},
	{NDPI_PROTOCOL_FTP_CONTROL,     BH_APP_FTP},
	{NDPI_PROTOCOL_TELNET,          BH_APP_TELNET},
	{NDPI_PROTOCOL_RDP,             BH_APP_RDP},
	{NDPI_PROTOCOL_VNC,             BH_APP_VNC},
	{NDPI_PROTOCOL_SMBV23,          BH_APP_SMB},
	{NDPI_PROTOCOL_SMBV1,           BH_APP_SMB},
	{NDPI_PROTOCOL_NFS,             BH_APP_NFS},
	{NDPI_PROTOCOL_RSYNC,           BH_APP_RSYNC},
	{NDPI_PROTOCOL_SNMP,            BH_APP_SNMP},
	{NDPI_PROTOCOL_SYSLOG,          BH_APP_SYSLOG},
	{NDPI_PROTOCOL_NTP,             BH_APP_NTP},
	{NDPI_PROTOCOL_DHCP,            BH_APP_DHCP},
	{NDPI_PROTOCOL_DHCPV6,          BH_APP_DHCP},
	{NDPI_PROTOCOL_MDNS,            BH_APP_MDNS},
	{NDPI_PROTOCOL_QUIC,            BH_APP_QUIC},
	{NDPI_PROTOCOL_SIP,             BH_APP_SIP},
	{NDPI_PROTOCOL_RTSP,            BH_APP_RTSP},
	{NDPI_PROTOCOL_STUN,            BH_APP_STUN},
	{NDPI_PROTOCOL_IP_ICMP,         BH_APP_ICMP},
	{NDPI_PROTOCOL_IP_ICMPV6,       BH_APP_ICMP},
};
/* clang-format on */

static enum bh_app map_one(uint16_t id)
{
	for (size_t i = 0; i < sizeof(ndpi_map) / sizeof(ndpi_map[0]); i++)
		if (ndpi_map[i].ndpi == id)
			return (enum bh_app)ndpi_map[i].app;
	return BH_APP_UNKNOWN;
}

/*
 * nDPI reports a pair: master (the carrier, e.g. HTTP or TLS under "Google") and
 * app (the service, or the protocol itself).  A protocol we name in app is what
 * the payload proved; nDPI 4.2 may fill master from the port alone (an HTTP
 * request to tcp/22 comes back as SSH/HTTP), so app wins and master is the
 * fallback for services we do not name (HTTP.Google -> http).
 */
enum bh_app dpi_app_of_ndpi(uint16_t master, uint16_t app)
{
	enum bh_app a = app ? map_one(app) : BH_APP_UNKNOWN;

	return a != BH_APP_UNKNOWN || !master ? a : map_one(master);
}

/* The clear-text HTTP/2 preface and what follows it (dpi-h2.c): gRPC or HTTP/2. */
enum bh_app dpi_app_of_payload(const uint8_t *payload, uint32_t len)
{
	enum bh_app app;

	if (!dpi_h2_preface(payload, len))
		return BH_APP_PENDING;
	app = dpi_h2_app(payload, len);
	return app == BH_APP_PENDING ? BH_APP_HTTP2 : app;
}
