/*
 * log.h - one-line diagnostics for bulkheadd and tools.
 *
 * Lines go to stderr with a level; the daemon may raise the threshold.  Kept
 * printf-shaped so call sites read like the message they print.
 */
#ifndef BH_LOG_H
#define BH_LOG_H

#include <stdarg.h>

enum bh_log_level { BH_LOG_DEBUG, BH_LOG_INFO, BH_LOG_WARN, BH_LOG_ERR };

void bh_log_set_level(enum bh_log_level lvl);
void bh_log(enum bh_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) bh_log(BH_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) bh_log(BH_LOG_INFO, __VA_ARGS__)
#define log_warn(...) bh_log(BH_LOG_WARN, __VA_ARGS__)
#define log_err(...) bh_log(BH_LOG_ERR, __VA_ARGS__)

#endif
