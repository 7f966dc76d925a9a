/*
 * netbytes.h - big-endian (network order) reads from byte buffers at any alignment,
 * for the dissectors; the caller has checked the bounds.
 */
#ifndef BH_NETBYTES_H
#define BH_NETBYTES_H

#include <stdint.h>

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

#endif
