/*
 * sig-db.c - compiling user signatures with Hyperscan, and the sets the dp
 * matches with.
 *
 * Every signature goes into one streaming database per field it names (the raw
 * payload stream, or an HTTP request's URL, header block or body), with the
 * signature's index as its Hyperscan id: the dp matches all of them in one pass
 * whatever their number.  SINGLEMATCH: a signature is reported once per stream.
 *
 * Which signatures apply to a workload depends on groups, which change far more
 * often than signatures do (every workload added).  So a set is a database plus
 * a bitmap per workload: rebuilding the bitmaps is cheap and never recompiles.
 * The database is reference counted: the set holds one reference, and each
 * session holding streams opened on it one more, so replacing the set never
 * pulls a database from under a live stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>

#include "sig.h"
#include "threat.h"

struct sig_meta {
	uint16_t id;
	uint8_t field, action, severity;
	char name[SIG_NAME_MAX];
	char **groups;
	size_t n_groups;
};

struct sig_db {
	uint64_t uid; /* unique per build: workers compare this, never pointers */
	int refs;     /* atomic */
	hs_database_t *hs[SIG_FIELD__MAX];
	uint32_t n;
	struct sig_meta *meta; /* [n]; index = Hyperscan id */
};

struct sig_wl {
	uint32_t wl_id;
	uint64_t *bits; /* into sig_set.bits */
};

/* Read by the dp (sig.c): kept here with the code that builds it. */
struct sig_set {
	uint32_t gen;
	struct sig_db *db;
	uint32_t words; /* 64-bit words per bitmap */
	uint32_t n_wl;
	struct sig_wl *wl;  /* sorted by wl_id */
	uint64_t *any_bits; /* signatures without groups: workloads not in wl */
	uint64_t *bits;
};

#include "sig-int.h"

static uint64_t next_uid = 1;
static uint32_t next_gen = 1;

static unsigned hs_flags_of(const struct sig_spec *s)
{
	unsigned f = HS_FLAG_SINGLEMATCH;

	if (s->caseless)
		f |= HS_FLAG_CASELESS;
	/* A header block is lines: ^ and $ anchor at each header line. */
	if (s->field == SIG_FIELD_HEADER)
		f |= HS_FLAG_MULTILINE;
	return f;
}

static const char *field_names[SIG_FIELD__MAX] = {"stream", "url", "header", "body"};

const char *sig_field_name(uint8_t field)
{
	return field < SIG_FIELD__MAX ? field_names[field] : "unknown";
}

int sig_field_parse(const char *s, uint8_t *out)
{
	for (uint8_t i = 0; i < SIG_FIELD__MAX; i++)
		if (!strcmp(s, field_names[i])) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

const char *sig_action_name(uint8_t act)
{
	static const char *const names[] = {"log", "drop", "reset"};

	return act <= SIG_ACT_RESET ? names[act] : "unknown";
}

int sig_action_parse(const char *s, uint8_t *out)
{
	for (uint8_t i = 0; i <= SIG_ACT_RESET; i++)
		if (!strcmp(s, sig_action_name(i))) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

int sig_severity_parse(const char *s, uint8_t *out)
{
	for (uint8_t i = 0; i <= THREAT_SEV_CRITICAL; i++)
		if (!strcmp(s, threat_severity_name(i))) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

/* One line of Hyperscan's message: it ends with a period and never has a newline. */
static void compile_error(const struct sig_spec *specs, const unsigned *idx,
			  hs_compile_error_t *ce, char *err, size_t errlen)
{
	if (ce->expression >= 0)
		snprintf(err, errlen, "signature %s: pattern: %s", specs[idx[ce->expression]].name,
			 ce->message);
	else
		snprintf(err, errlen, "signatures: %s", ce->message);
	hs_free_compile_error(ce);
}

static int check_stream_size(const hs_database_t *db, const char *what, char *err, size_t errlen)
{
	size_t sz = 0;

	if (hs_stream_size(db, &sz) != HS_SUCCESS) {
		snprintf(err, errlen, "%s: cannot size its stream state", what);
		return -EINVAL;
	}
	if (sz > SIG_STREAM_SLOT) {
		snprintf(err, errlen,
			 "%s needs %zu bytes of stream state per session, over the limit of %d "
			 "(fewer or simpler patterns: shorter bounded repeats)",
			 what, sz, SIG_STREAM_SLOT);
		return -E2BIG;
	}
	return 0;
}

/* The database of one field: the specs naming it, ids = their index in specs. */
static int compile_field(const struct sig_spec *specs, size_t n, uint8_t field, hs_database_t **out,
			 char *err, size_t errlen)
{
	const char **exprs = calloc(n ? n : 1, sizeof(*exprs));
	unsigned *flags = calloc(n ? n : 1, sizeof(*flags)), *ids = calloc(n ? n : 1, sizeof(*ids));
	hs_compile_error_t *ce = NULL;
	unsigned k = 0;
	int rc = 0;

	*out = NULL;
	if (!exprs || !flags || !ids) {
		rc = -ENOMEM;
		snprintf(err, errlen, "signatures: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (specs[i].field != field)
			continue;
		exprs[k] = specs[i].pattern;
		flags[k] = hs_flags_of(&specs[i]);
		ids[k++] = (unsigned)i;
	}
	if (!k)
		goto out;
	if (hs_compile_multi(exprs, flags, ids, k, HS_MODE_STREAM, NULL, out, &ce) != HS_SUCCESS) {
		compile_error(specs, ids, ce, err, errlen);
		rc = -EINVAL;
		goto out;
	}
	rc = check_stream_size(*out, k == 1 ? specs[ids[0]].name : "the signature set", err,
			       errlen);
	if (rc) {
		hs_free_database(*out);
		*out = NULL;
	}
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

static int spec_valid(const struct sig_spec *s, char *err, size_t errlen)
{
	if (!s->name || !*s->name || strlen(s->name) >= SIG_NAME_MAX) {
		snprintf(err, errlen, "signature name must be 1..%d bytes", SIG_NAME_MAX - 1);
		return -EINVAL;
	}
	if (!s->pattern || !*s->pattern || strlen(s->pattern) > SIG_PATTERN_MAX) {
		snprintf(err, errlen, "signature %s: pattern must be 1..%d bytes", s->name,
			 SIG_PATTERN_MAX);
		return -EINVAL;
	}
	if (s->field >= SIG_FIELD__MAX || s->action > SIG_ACT_RESET ||
	    s->severity > THREAT_SEV_CRITICAL || !s->id || s->id > SIG_MAX ||
	    s->n_groups > SIG_GROUPS_MAX) {
		snprintf(err, errlen, "signature %s: bad field, action, severity, id or groups",
			 s->name);
		return -EINVAL;
	}
	return 0;
}

int sig_pattern_check(const struct sig_spec *spec, char *err, size_t errlen)
{
	hs_database_t *db = NULL;
	int rc = spec_valid(spec, err, errlen);

	if (rc == 0)
		rc = compile_field(spec, 1, spec->field, &db, err, errlen);
	hs_free_database(db);
	return rc;
}

static void meta_free(struct sig_meta *m)
{
	for (size_t g = 0; g < m->n_groups; g++)
		free(m->groups[g]);
	free(m->groups);
}

static int meta_fill(struct sig_meta *m, const struct sig_spec *s)
{
	m->id = s->id;
	m->field = s->field;
	m->action = s->action;
	m->severity = s->severity;
	snprintf(m->name, sizeof(m->name), "%s", s->name);
	m->groups = calloc(s->n_groups ? s->n_groups : 1, sizeof(char *));
	if (!m->groups)
		return -ENOMEM;
	for (size_t g = 0; g < s->n_groups; g++) {
		m->groups[g] = strdup(s->groups[g]);
		if (!m->groups[g])
			return -ENOMEM;
		m->n_groups = g + 1;
	}
	return 0;
}

static void db_free(struct sig_db *db)
{
	for (int f = 0; f < SIG_FIELD__MAX; f++)
		hs_free_database(db->hs[f]);
	for (uint32_t i = 0; db->meta && i < db->n; i++)
		meta_free(&db->meta[i]);
	free(db->meta);
	free(db);
}

int sig_db_build(const struct sig_spec *specs, size_t n, struct sig_db **out, char *err,
		 size_t errlen)
{
	struct sig_db *db;
	int rc = 0;

	*out = NULL;
	if (n > SIG_MAX) {
		snprintf(err, errlen, "at most %d signatures", SIG_MAX);
		return -E2BIG;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = spec_valid(&specs[i], err, errlen);
	if (rc)
		return rc;
	db = calloc(1, sizeof(*db));
	if (!db || !(db->meta = calloc(n ? n : 1, sizeof(*db->meta)))) {
		free(db);
		snprintf(err, errlen, "signatures: out of memory");
		return -ENOMEM;
	}
	db->n = (uint32_t)n;
	db->refs = 1;
	db->uid = __atomic_fetch_add(&next_uid, 1, __ATOMIC_RELAXED);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (meta_fill(&db->meta[i], &specs[i]) < 0) {
			snprintf(err, errlen, "signatures: out of memory");
			rc = -ENOMEM;
		}
	for (uint8_t f = 0; f < SIG_FIELD__MAX && rc == 0; f++)
		rc = compile_field(specs, n, f, &db->hs[f], err, errlen);
	if (rc) {
		db_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

void sig_db_get(struct sig_db *db)
{
	__atomic_add_fetch(&db->refs, 1, __ATOMIC_RELAXED);
}

void sig_db_put(struct sig_db *db)
{
	if (db && __atomic_sub_fetch(&db->refs, 1, __ATOMIC_ACQ_REL) == 0)
		db_free(db);
}

size_t sig_db_count(const struct sig_db *db)
{
	return db ? db->n : 0;
}

/* ---- sets ---- */

static int wl_cmp(const void *a, const void *b)
{
	const struct sig_wl *x = a, *y = b;

	return x->wl_id < y->wl_id ? -1 : x->wl_id > y->wl_id;
}

static bool applies(const struct sig_meta *m, const struct sig_wl_spec *w)
{
	if (!m->n_groups)
		return true;
	for (size_t g = 0; g < m->n_groups; g++)
		if (w && w->member(w->ctx, m->groups[g]))
			return true;
	return false;
}

static void fill_bits(const struct sig_db *db, const struct sig_wl_spec *w, uint64_t *bits)
{
	for (uint32_t i = 0; i < db->n; i++)
		if (applies(&db->meta[i], w))
			bits[i / 64] |= 1ull << (i % 64);
}

int sig_set_build(struct sig_db *db, const struct sig_wl_spec *wls, size_t n,
		  struct sig_set **out)
{
	struct sig_set *set = calloc(1, sizeof(*set));

	*out = NULL;
	if (!set)
		return -ENOMEM;
	set->words = db->n ? (db->n + 63) / 64 : 1;
	set->n_wl = (uint32_t)n;
	set->wl = calloc(n ? n : 1, sizeof(*set->wl));
	set->bits = calloc((n + 1) * set->words, sizeof(uint64_t));
	if (!set->wl || !set->bits) {
		free(set->wl);
		free(set->bits);
		free(set);
		return -ENOMEM;
	}
	sig_db_get(db);
	set->db = db;
	set->any_bits = set->bits + n * set->words;
	fill_bits(db, NULL, set->any_bits);
	for (size_t i = 0; i < n; i++) {
		set->wl[i].wl_id = wls[i].wl_id;
		set->wl[i].bits = set->bits + i * set->words;
		fill_bits(db, &wls[i], set->wl[i].bits);
	}
	qsort(set->wl, n, sizeof(*set->wl), wl_cmp);
	set->gen = __atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED);
	if (set->gen == 0 || set->gen == UINT32_MAX) /* reserved in session.sig_gen */
		set->gen = __atomic_add_fetch(&next_gen, 2, __ATOMIC_RELAXED);
	*out = set;
	return 0;
}

void sig_set_free(struct sig_set *set)
{
	if (!set)
		return;
	sig_db_put(set->db);
	free(set->wl);
	free(set->bits);
	free(set);
}

const uint64_t *sig_set_bits(const struct sig_set *set, uint32_t wl_id)
{
	uint32_t lo = 0, hi = set->n_wl;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (set->wl[mid].wl_id == wl_id)
			return set->wl[mid].bits;
		if (set->wl[mid].wl_id < wl_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return set->any_bits;
}

size_t sig_set_count_for(const struct sig_set *set, uint32_t wl_id)
{
	const uint64_t *b = sig_set_bits(set, wl_id);
	size_t n = 0;

	for (uint32_t w = 0; w < set->words; w++)
		n += (size_t)__builtin_popcountll(b[w]);
	return n;
}

/* ---- what sig.c reads ---- */

uint32_t sig_set_gen(const struct sig_set *set)
{
	return set->gen;
}

struct sig_db *sig_set_db(const struct sig_set *set)
{
	return set->db;
}

bool sig_set_any(const struct sig_set *set, uint32_t wl_id)
{
	const uint64_t *b = sig_set_bits(set, wl_id);

	for (uint32_t w = 0; w < set->words; w++)
		if (b[w])
			return true;
	return false;
}

uint64_t sig_db_uid(const struct sig_db *db)
{
	return db->uid;
}

hs_database_t *sig_db_hs(const struct sig_db *db, uint8_t field)
{
	return field < SIG_FIELD__MAX ? db->hs[field] : NULL;
}

bool sig_db_hit(const struct sig_db *db, uint32_t idx, struct sig_hit *hit)
{
	const struct sig_meta *m;

	if (idx >= db->n)
		return false;
	m = &db->meta[idx];
	hit->id = m->id;
	hit->action = m->action;
	hit->severity = m->severity;
	hit->field = m->field;
	hit->name = m->name;
	return true;
}
