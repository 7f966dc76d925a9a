/*
 * sig-t.h - user-defined signatures (DLP/WAF): types and limits (no functions).
 *
 * A signature is a regular expression the operator adds with `bulkhead sig add`.
 * All of them are compiled with Hyperscan into one streaming database per field
 * (sig-db.c) and matched across segment boundaries by the dp (sig.c); each match
 * is a threat event with the id SIG_THREAT_BASE + the signature's id.
 */
#ifndef BH_SIG_T_H
#define BH_SIG_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "threat-t.h"

#define SIG_MAX 1000		/* signatures in one set; ids 1..SIG_MAX */
#define SIG_NAME_MAX THREAT_SIG_NAME_MAX
#define SIG_PATTERN_MAX 4096	/* bytes of one regular expression */
#define SIG_GROUPS_MAX 16	/* --group per signature */
#define SIG_THREAT_BASE 3000	/* threat id of signature N: 3000 + N (3001..4000) */
#define SIG_STREAM_SLOT 1024	/* bytes of Hyperscan stream state one stream may hold */
#define SIG_HITS_MAX 8		/* matches reported per chunk fed (more are counted only) */

/* What a signature is matched against. */
enum sig_field {
	SIG_FIELD_STREAM = 0, /* every payload byte of both directions */
	SIG_FIELD_URL,	      /* an HTTP request target */
	SIG_FIELD_HEADER,     /* an HTTP request's header block (lines with their CRLF) */
	SIG_FIELD_BODY,	      /* an HTTP request body (de-chunked) */
	SIG_FIELD__MAX
};

/* What a match does in protect/quarantine (monitor and discover only log). */
enum sig_action {
	SIG_ACT_LOG = 0, /* log only, in every mode */
	SIG_ACT_DROP,	 /* drop the packet and every later one of the session, silently */
	SIG_ACT_RESET,	 /* TCP: RST to both ends; other protocols: as drop */
};

/* One signature as the control plane describes it (strings are borrowed). */
struct sig_spec {
	uint16_t id; /* 1..SIG_MAX, stable for the signature's life */
	const char *name;
	const char *pattern;
	uint8_t field;	  /* enum sig_field */
	uint8_t action;	  /* enum sig_action */
	uint8_t severity; /* enum threat_severity */
	bool caseless;
	const char *const *groups; /* applies to workloads in any of them; none = all */
	size_t n_groups;
};

/* One match, as the dp reports it. */
struct sig_hit {
	uint16_t id;
	uint8_t action, severity, field;
	const char *name; /* valid while the set it came from is */
};

/* Per-worker counters (written by the worker, read with relaxed loads). */
struct sig_stats {
	uint64_t sessions;     /* sessions whose payload was inspected */
	uint64_t bytes;	       /* payload bytes scanned */
	uint64_t matches;      /* signature matches (all modes) */
	uint64_t pool_full;    /* sessions not inspected: no free session slot or stream slot */
	uint64_t depth_done;   /* directions that reached the inspection depth */
	uint64_t errors;       /* Hyperscan errors (scratch, stream); inspection stopped */
	uint64_t in_use;       /* sessions holding a slot now (gauge) */
};

#endif
