/*
 * ctl-sig.h - the daemon's user signatures (ctl-sig.c): signatures.json, the
 * compiled database, publishing sets to the dp, hits.
 */
#ifndef BH_CTL_SIG_H
#define BH_CTL_SIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp/sig-t.h"

struct bh_daemon;
struct sig_db;

#define SIG_GROUP_NAME_MAX 64

struct sig_entry {
	uint16_t id;
	char name[SIG_NAME_MAX];
	char *pattern;
	uint8_t field, action, severity;
	bool caseless;
	size_t n_groups;
	char groups[SIG_GROUPS_MAX][SIG_GROUP_NAME_MAX];
	uint64_t hits; /* matches since the daemon started (not saved) */
};

struct sig_store {
	size_t n;
	struct sig_entry *e;
	struct sig_db *db; /* compiled from e; one reference */
};

/*
 * signatures.json <-> entries.  Parsing checks the shape and every field (names,
 * field/action/severity words, ids unique 1..SIG_MAX, names unique); it does not
 * compile.  0, or -EINVAL with a one-line reason.  out and n are set on success.
 */
int sig_entries_from_json(json_t *doc, struct sig_entry **out, size_t *n, char *err,
			  size_t errlen);
json_t *sig_entries_to_json(const struct sig_entry *e, size_t n);
json_t *sig_entry_to_json(const struct sig_entry *e);
void sig_entries_free(struct sig_entry *e, size_t n);

/* Compile entries into a database; 0 or -errno with the Hyperscan error in err. */
int sig_entries_compile(const struct sig_entry *e, size_t n, struct sig_db **out, char *err,
			size_t errlen);

/* Load signatures.json (missing = none) and compile it; a bad file stops the daemon. */
int sig_state_load(struct bh_daemon *d, char *err, size_t errlen);
int sig_state_save(struct bh_daemon *d, const struct sig_entry *e, size_t n);
/* Which signatures apply to which workload (its groups now): a new set for the dp. */
int sig_publish(struct bh_daemon *d);
/* A match the dp reported for threat id SIG_THREAT_BASE + id. */
void sig_hit(struct bh_daemon *d, uint16_t id, uint64_t count);
void sig_state_free(struct bh_daemon *d);

#endif
