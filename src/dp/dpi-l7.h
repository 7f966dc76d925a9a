/*
 * dpi-l7.h - application dissectors of our own, for what nDPI 4.2 cannot name
 * (src/dp/dpi-h2.c: gRPC inside clear-text HTTP/2; src/dp/dpi-kafka.c: Kafka).
 * Pure functions over the bytes given: no state, no allocation, bounded work.
 */
#ifndef BH_DPI_L7_H
#define BH_DPI_L7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy-t.h"

#define DPI_H2_PREFACE_LEN 24

/* data starts with the HTTP/2 client connection preface (RFC 9113 §3.4). */
bool dpi_h2_preface(const uint8_t *data, size_t len);

/*
 * HTTP/2 frames from the start of data (after the preface, if any): BH_APP_GRPC at a
 * HEADERS frame whose content-type is application/grpc (or application/grpc+..., ;...),
 * BH_APP_HTTP2 at a HEADERS frame whose header block holds no such field, BH_APP_PENDING
 * when data holds no HEADERS frame (or it is cut before either is certain).  The
 * header block is read with a minimal HPACK decoder: static-table name index and
 * literal names, plain and Huffman strings; the dynamic table is not kept (a first
 * request on a connection never needs it).
 */
enum bh_app dpi_h2_app(const uint8_t *data, size_t len);

/*
 * HPACK Huffman (RFC 7541 §5.2, Appendix B): decode in[0..n) into out (at most outmax
 * bytes, the rest ignored); returns the bytes written, or -1 for a code that does not
 * exist, the EOS symbol, or padding longer than 7 bits or not all ones.
 */
int dpi_hpack_huffman(const uint8_t *in, size_t n, char *out, size_t outmax);

/*
 * data is plausibly the start of a Kafka request (the first bytes a client sends):
 * size, api_key (known range), api_version, correlation_id and a null or printable
 * client_id that fit in the size; see dpi-kafka.c for the limits.
 */
bool dpi_kafka_request(const uint8_t *data, size_t len);

#endif
