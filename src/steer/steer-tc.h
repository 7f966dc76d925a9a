/*
 * steer-tc.h - the seed's classic tc rules as text, for the tc driver and its unit test.
 *
 * Pure functions: they only format tc(8) batch lines (`tc -batch -`, no leading "tc") into
 * buf, NUL-terminated.  0, -EINVAL for a bad port or device name, -ENOSPC when buf is short.
 */
#ifndef BH_STEER_TC_H
#define BH_STEER_TC_H

#include <stddef.h>

#include "steer.h"

/* Prefs of the per-port rules on vin and vex (each device carries one port only). */
#define STEER_TC_PREF_STEER 10001
#define STEER_TC_PREF_REST 10002
/* Prefs on the dp return device: two per port index, so ports never collide. */
#define STEER_TC_PREF_RET_DA(idx) (2 * (unsigned)(idx))
#define STEER_TC_PREF_RET_SA(idx) (2 * (unsigned)(idx) + 1)

/* Ingress qdiscs on vin/vex, the four vin/vex filters and the two return filters on dpp. */
int steer_tc_rules(const struct steer_port *p, const char *dpp, char *buf, size_t len);
/* Lines removing what steer_tc_rules() adds (run with -force: some may not exist). */
int steer_tc_unrules(const struct steer_port *p, const char *dpp, char *buf, size_t len);
/* The ingress qdisc on the dp return device; and the lines that remove any earlier one. */
int steer_tc_dp_rules(const char *dpp, char *buf, size_t len);
int steer_tc_dp_unrules(const char *dpp, char *buf, size_t len);

#endif
