/*
 * errbuf.h - one-line error messages into a caller's buffer.
 *
 * Library calls report failure as -errno plus a sentence for the operator;
 * err may be NULL when the caller only wants the code.
 */
#ifndef BH_ERRBUF_H
#define BH_ERRBUF_H

#include <stddef.h>

void bh_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
