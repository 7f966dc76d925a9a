/*
 * cli-yaml.c - YAML files <-> JSON documents for `policy export/import`.
 *
 * The daemon speaks JSON and never opens user files, so the CLI converts.
 * Reading keeps the line of every node under its path ("docs[0].rules[2].ports")
 * so an error the daemon reports for a path becomes "FILE:LINE: ...".  Plain
 * scalars are typed the YAML 1.2 core way (integers, true/false, null); quoted
 * ones are always strings.  Aliases are refused: a policy file has no use for
 * them and they are how small files expand into huge ones.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli.h"

#define YAML_MAX_DEPTH 64
#define PATH_MAX_LEN 512

struct yreader {
	yaml_parser_t parser;
	json_t *lines; /* path -> line */
	size_t line;   /* of the error */
	char err[400];
};

static void note_line(struct yreader *r, const char *path, const yaml_mark_t *m)
{
	json_object_set_new(r->lines, path, json_integer((json_int_t)m->line + 1));
}

static int next_event(struct yreader *r, yaml_event_t *ev)
{
	if (yaml_parser_parse(&r->parser, ev))
		return 0;
	r->line = r->parser.problem_mark.line + 1;
	snprintf(r->err, sizeof(r->err), "%s", r->parser.problem ? r->parser.problem
								 : "YAML syntax error");
	return -EINVAL;
}

static bool matches(const char *re, const char *s)
{
	regex_t rx;
	bool m;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB))
		return false;
	m = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

static json_t *scalar_json(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_string(v);
	if (matches("^[-+]?[0-9]{1,18}$", v))
		return json_integer(strtoll(v, NULL, 10));
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		return json_true();
	if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		return json_false();
	if (!*v || matches("^(~|null|Null|NULL)$", v))
		return json_null();
	return json_string(v);
}

static json_t *read_node(struct yreader *r, yaml_event_t *ev, const char *path, int depth);

static json_t *read_seq(struct yreader *r, const char *path, int depth)
{
	json_t *arr = json_array();
	char sub[PATH_MAX_LEN];

	for (size_t i = 0;; i++) {
		yaml_event_t ev;
		json_t *v;

		if (next_event(r, &ev) < 0)
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return arr;
		}
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		note_line(r, sub, &ev.start_mark);
		v = read_node(r, &ev, sub, depth + 1);
		yaml_event_delete(&ev);
		if (!v)
			break;
		json_array_append_new(arr, v);
	}
	json_decref(arr);
	return NULL;
}

static json_t *read_map(struct yreader *r, const char *path, int depth)
{
	json_t *obj = json_object();
	char sub[PATH_MAX_LEN];

	for (;;) {
		yaml_event_t k, ev;
		json_t *v;

		if (next_event(r, &k) < 0)
			break;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return obj;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			r->line = k.start_mark.line + 1;
			snprintf(r->err, sizeof(r->err), "mapping keys must be scalars");
			yaml_event_delete(&k);
			break;
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
			 (const char *)k.data.scalar.value);
		note_line(r, sub, &k.start_mark);
		if (json_object_get(obj, (const char *)k.data.scalar.value)) {
			r->line = k.start_mark.line + 1;
			snprintf(r->err, sizeof(r->err), "duplicate key %.64s",
				 (const char *)k.data.scalar.value);
			yaml_event_delete(&k);
			break;
		}
		if (next_event(r, &ev) < 0) {
			yaml_event_delete(&k);
			break;
		}
		v = read_node(r, &ev, sub, depth + 1);
		yaml_event_delete(&ev);
		if (v)
			json_object_set_new(obj, (const char *)k.data.scalar.value, v);
		yaml_event_delete(&k);
		if (!v)
			break;
	}
	json_decref(obj);
	return NULL;
}

static json_t *read_node(struct yreader *r, yaml_event_t *ev, const char *path, int depth)
{
	if (depth > YAML_MAX_DEPTH) {
		r->line = ev->start_mark.line + 1;
		snprintf(r->err, sizeof(r->err), "nested too deep");
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: return scalar_json(ev);
	case YAML_SEQUENCE_START_EVENT: return read_seq(r, path, depth);
	case YAML_MAPPING_START_EVENT: return read_map(r, path, depth);
	case YAML_ALIAS_EVENT:
		r->line = ev->start_mark.line + 1;
		snprintf(r->err, sizeof(r->err), "YAML aliases are not supported");
		return NULL;
	default:
		r->line = ev->start_mark.line + 1;
		snprintf(r->err, sizeof(r->err), "unexpected YAML event");
		return NULL;
	}
}

/* One document's root node (the event after DOCUMENT_START), then its DOCUMENT_END. */
static json_t *read_doc(struct yreader *r, size_t i)
{
	char path[32];
	yaml_event_t ev;
	json_t *v;

	snprintf(path, sizeof(path), "docs[%zu]", i);
	if (next_event(r, &ev) < 0)
		return NULL;
	note_line(r, path, &ev.start_mark);
	v = read_node(r, &ev, path, 0);
	yaml_event_delete(&ev);
	if (v && next_event(r, &ev) == 0)
		yaml_event_delete(&ev); /* DOCUMENT_END */
	return v;
}

static int read_stream(struct yreader *r, json_t *docs)
{
	for (;;) {
		yaml_event_t ev;
		yaml_event_type_t t;
		json_t *doc;

		if (next_event(r, &ev) < 0)
			return -EINVAL;
		t = ev.type;
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			return 0;
		if (t != YAML_DOCUMENT_START_EVENT)
			continue;
		doc = read_doc(r, json_array_size(docs));
		if (!doc)
			return -EINVAL;
		/* "---" with nothing after it is an empty document, not a policy. */
		if (json_is_null(doc))
			json_decref(doc);
		else
			json_array_append_new(docs, doc);
	}
}

int yaml_read_file(const char *path, json_t **docs, json_t **lines, char *err, size_t errlen)
{
	struct yreader r = {.lines = json_object()};
	FILE *f = fopen(path, "r");
	int rc;

	*docs = NULL;
	*lines = NULL;
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		json_decref(r.lines);
		return rc;
	}
	yaml_parser_initialize(&r.parser);
	yaml_parser_set_input_file(&r.parser, f);
	*docs = json_array();
	rc = read_stream(&r, *docs);
	yaml_parser_delete(&r.parser);
	fclose(f);
	if (rc < 0) {
		snprintf(err, errlen, "%s:%zu: %s", path, r.line, r.err);
		json_decref(*docs);
		json_decref(r.lines);
		*docs = NULL;
		return rc;
	}
	*lines = r.lines;
	return 0;
}

/* ---- writing ---- */

static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	return yaml_emitter_emit(e, ev) ? 0 : -EIO;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, bool force_quote)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
				     !force_quote, 1,
				     force_quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
						 : YAML_ANY_SCALAR_STYLE);
	return emit(e, &ev);
}

/* A string that would read back as something else must be quoted. */
static bool looks_typed(const char *s)
{
	return !*s || matches("^[-+]?[0-9]", s) ||
	       matches("^(true|false|null|yes|no|on|off|~)$", s) ||
	       matches("^(True|False|Null|TRUE|FALSE|NULL|Yes|No|On|Off)$", s);
}

static int emit_json(yaml_emitter_t *e, json_t *v);

static int emit_seq(yaml_emitter_t *e, json_t *v)
{
	yaml_event_t ev;
	json_t *item;
	size_t i;
	bool flat = true;
	int rc;

	/* Lists of names and CIDRs read best on one line; lists of objects as blocks. */
	json_array_foreach(v, i, item)
		flat &= !json_is_object(item) && !json_is_array(item);
	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
					     flat ? YAML_FLOW_SEQUENCE_STYLE
						  : YAML_BLOCK_SEQUENCE_STYLE);
	rc = emit(e, &ev);
	json_array_foreach(v, i, item)
		if (!rc)
			rc = emit_json(e, item);
	yaml_sequence_end_event_initialize(&ev);
	return rc ? rc : emit(e, &ev);
}

static int emit_map(yaml_emitter_t *e, json_t *v)
{
	yaml_event_t ev;
	const char *k;
	json_t *item;
	int rc;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	rc = emit(e, &ev);
	json_object_foreach(v, k, item) {
		if (!rc)
			rc = emit_scalar(e, k, looks_typed(k));
		if (!rc)
			rc = emit_json(e, item);
	}
	yaml_mapping_end_event_initialize(&ev);
	return rc ? rc : emit(e, &ev);
}

static int emit_json(yaml_emitter_t *e, json_t *v)
{
	char buf[32];

	switch (json_typeof(v)) {
	case JSON_OBJECT: return emit_map(e, v);
	case JSON_ARRAY: return emit_seq(e, v);
	case JSON_STRING:
		return emit_scalar(e, json_string_value(v), looks_typed(json_string_value(v)));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_scalar(e, buf, false);
	case JSON_TRUE: return emit_scalar(e, "true", false);
	case JSON_FALSE: return emit_scalar(e, "false", false);
	default: return emit_scalar(e, "null", false);
	}
}

int yaml_write(FILE *f, json_t *doc)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int rc;

	yaml_emitter_initialize(&e);
	yaml_emitter_set_output_file(&e, f);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, 100);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	rc = emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (!rc)
		rc = emit(&e, &ev);
	if (!rc)
		rc = emit_json(&e, doc);
	yaml_document_end_event_initialize(&ev, 1);
	if (!rc)
		rc = emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	if (!rc)
		rc = emit(&e, &ev);
	if (!rc && !yaml_emitter_flush(&e))
		rc = -EIO;
	yaml_emitter_delete(&e);
	return rc;
}
