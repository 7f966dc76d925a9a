/*
 * log.c - stderr logger with a level threshold.
 *
 * The threshold is the only process-wide state in bulkhead: a log level is a
 * property of the process, not of any one context.
 */
#include "log.h"
#include "errbuf.h"

#include <stdio.h>
#include <time.h>

static enum bh_log_level threshold = BH_LOG_INFO;

void bh_log_set_level(enum bh_log_level lvl)
{
	threshold = lvl;
}

void bh_log(enum bh_log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (lvl < threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld bulkheadd %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, names[lvl], line);
}

void bh_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
