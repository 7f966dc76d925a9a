/*
 * policy-app.c - the names of the applications a rule may list (`--app http`).
 *
 * The dp identifies a session's application (src/dp/dpi*.c) and hands policy a
 * small number, enum bh_app; rules keep names, so state files and the CLI read
 * well.  This table is the one place the two meet: rule validation, the
 * compiled rules' app bitmasks, `bulkhead apps` and every log line use it.
 */
#include <errno.h>
#include <string.h>

#include "policy.h"

/* clang-format off */
static const struct {
	const char *name;
	const char *desc;
} apps[BH_APP__MAX] = {
	[BH_APP_PENDING]    = {"pending", "not identified yet"},
	[BH_APP_UNKNOWN]    = {"unknown", "inspected, nothing identified (or not inspected)"},
	[BH_APP_HTTP]       = {"http", "HTTP/1.x"},
	[BH_APP_HTTP2]      = {"http2", "HTTP/2 in clear text (connection preface)"},
	[BH_APP_TLS]        = {"tls", "TLS (any protocol inside)"},
	[BH_APP_DNS]        = {"dns", "DNS over UDP or TCP"},
	[BH_APP_SSH]        = {"ssh", "SSH"},
	[BH_APP_MYSQL]      = {"mysql", "MySQL / MariaDB"},
	[BH_APP_POSTGRESQL] = {"postgresql", "PostgreSQL"},
	[BH_APP_REDIS]      = {"redis", "Redis (RESP)"},
	[BH_APP_MONGODB]    = {"mongodb", "MongoDB"},
	[BH_APP_MEMCACHED]  = {"memcached", "memcached"},
	[BH_APP_CASSANDRA]  = {"cassandra", "Cassandra CQL"},
	[BH_APP_AMQP]       = {"amqp", "AMQP (RabbitMQ)"},
	[BH_APP_MQTT]       = {"mqtt", "MQTT"},
	[BH_APP_NATS]       = {"nats", "NATS"},
	[BH_APP_LDAP]       = {"ldap", "LDAP"},
	[BH_APP_KERBEROS]   = {"kerberos", "Kerberos"},
	[BH_APP_SMTP]       = {"smtp", "SMTP"},
	[BH_APP_IMAP]       = {"imap", "IMAP"},
	[BH_APP_POP3]       = {"pop3", "POP3"},
	[BH_APP_FTP]        = {"ftp", "FTP control"},
	[BH_APP_TELNET]     = {"telnet", "Telnet"},
	[BH_APP_RDP]        = {"rdp", "RDP"},
	[BH_APP_VNC]        = {"vnc", "VNC (RFB)"},
	[BH_APP_SMB]        = {"smb", "SMB 2/3"},
	[BH_APP_NFS]        = {"nfs", "NFS"},
	[BH_APP_RSYNC]      = {"rsync", "rsync daemon"},
	[BH_APP_SNMP]       = {"snmp", "SNMP"},
	[BH_APP_SYSLOG]     = {"syslog", "syslog"},
	[BH_APP_NTP]        = {"ntp", "NTP"},
	[BH_APP_DHCP]       = {"dhcp", "DHCP"},
	[BH_APP_MDNS]       = {"mdns", "multicast DNS"},
	[BH_APP_QUIC]       = {"quic", "QUIC"},
	[BH_APP_SIP]        = {"sip", "SIP"},
	[BH_APP_RTSP]       = {"rtsp", "RTSP"},
	[BH_APP_STUN]       = {"stun", "STUN / TURN"},
	[BH_APP_ICMP]       = {"icmp", "ICMP / ICMPv6 (from the IP protocol)"},
	[BH_APP_GRPC]       = {"grpc", "gRPC over clear-text HTTP/2 (content-type application/grpc)"},
	[BH_APP_KAFKA]      = {"kafka", "Apache Kafka (request header)"},
};
/* clang-format on */

_Static_assert(BH_APP__MAX <= 64, "rules keep apps as a 64-bit mask");

const char *policy_app_name(enum bh_app app)
{
	return (unsigned)app < BH_APP__MAX ? apps[app].name : "unknown";
}

const char *policy_app_desc(enum bh_app app)
{
	return (unsigned)app < BH_APP__MAX ? apps[app].desc : "";
}

/* Only names a rule may list: pending/unknown are states, not applications. */
int policy_app_parse(const char *name, enum bh_app *out)
{
	for (int i = BH_APP_FIRST_NAMED; name && i < BH_APP__MAX; i++) {
		if (!strcmp(apps[i].name, name)) {
			*out = (enum bh_app)i;
			return 0;
		}
	}
	return -EINVAL;
}
