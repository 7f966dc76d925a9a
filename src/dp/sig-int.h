/*
 * sig-int.h - what the dp's matcher (sig.c) reads of sets and databases built
 * by sig-db.c; private to src/dp/sig*.c.
 */
#ifndef BH_SIG_INT_H
#define BH_SIG_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <hs.h>

#include "sig.h"

uint32_t sig_set_gen(const struct sig_set *set); /* never 0 nor UINT32_MAX */
struct sig_db *sig_set_db(const struct sig_set *set);
/* The bitmap of signature indexes that apply to wl_id (unknown workloads: ungrouped ones). */
const uint64_t *sig_set_bits(const struct sig_set *set, uint32_t wl_id);
bool sig_set_any(const struct sig_set *set, uint32_t wl_id);

uint64_t sig_db_uid(const struct sig_db *db);
hs_database_t *sig_db_hs(const struct sig_db *db, uint8_t field); /* NULL: no signature */
bool sig_db_hit(const struct sig_db *db, uint32_t idx, struct sig_hit *hit);

#endif
