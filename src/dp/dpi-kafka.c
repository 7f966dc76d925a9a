/*
 * dpi-kafka.c - Kafka's binary protocol: what nDPI 4.2 cannot name.
 *
 * A Kafka client speaks first, and every request starts with the same header
 * (Kafka protocol guide, "Request Header" v0-v2): INT32 size of the rest,
 * INT16 api_key, INT16 api_version, INT32 correlation_id, NULLABLE_STRING
 * client_id (INT16 length, -1 = null), then (v2) tagged fields and the body.
 * No magic number, so the judgement is plausibility of all of these at once
 * on the first bytes of the client's side: an api_key in the known range, a
 * small api_version, a size that holds the header, and a client_id that is
 * null or printable ASCII lying within the message and the bytes we have.
 * dpi.c asks only when nDPI has not named the session from the same packet.
 */
#include "dpi-l7.h"
#include "netbytes.h"

#define KAFKA_HLEN 14	     /* size + key + version + correlation id + client_id length */
#define KAFKA_API_KEY_MAX 74 /* Kafka 3.x defines 0..74 */
#define KAFKA_API_VERSION_MAX 20
#define KAFKA_SIZE_MAX (100u << 20) /* a broker's socket.request.max.bytes default */

bool dpi_kafka_request(const uint8_t *d, size_t len)
{
	uint32_t size;
	int16_t key, ver, cid;

	if (len < KAFKA_HLEN)
		return false;
	size = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	key = (int16_t)rd16(d + 4);
	ver = (int16_t)rd16(d + 6);
	cid = (int16_t)rd16(d + 12);
	if (size < KAFKA_HLEN - 4 || size > KAFKA_SIZE_MAX || key < 0 || key > KAFKA_API_KEY_MAX ||
	    ver < 0 || ver > KAFKA_API_VERSION_MAX || cid < -1)
		return false;
	if (cid <= 0)
		return true;
	if ((uint32_t)cid > size - (KAFKA_HLEN - 4) || (size_t)cid > len - KAFKA_HLEN)
		return false;
	for (int i = 0; i < cid; i++)
		if (d[KAFKA_HLEN + i] < 0x20 || d[KAFKA_HLEN + i] > 0x7e)
			return false;
	return true;
}
