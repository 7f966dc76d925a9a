/*
 * cli-table.c - aligned text tables for human output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct table {
	int ncols, nrows, cap;
	char **cells; /* nrows * ncols, row 0 = headers */
};

struct table *table_new(int ncols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		die("out of memory");
	t->ncols = ncols;
	t->cap = 16;
	t->cells = calloc((size_t)t->cap * ncols, sizeof(char *));
	if (!t->cells)
		die("out of memory");
	for (int i = 0; i < ncols; i++)
		t->cells[i] = strdup(headers[i]);
	t->nrows = 1;
	return t;
}

void table_row(struct table *t, ...)
{
	va_list ap;

	if (t->nrows == t->cap) {
		t->cap *= 2;
		t->cells = realloc(t->cells, (size_t)t->cap * t->ncols * sizeof(char *));
		if (!t->cells)
			die("out of memory");
	}
	va_start(ap, t);
	for (int i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncols + i] = strdup(s ? s : "-");
	}
	va_end(ap);
	t->nrows++;
}

void table_print(struct table *t)
{
	int width[32] = {0};

	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols && c < 32; c++) {
			int w = (int)strlen(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			if (c == t->ncols - 1)
				printf("%s\n", cell);
			else
				printf("%-*s  ", width[c], cell);
		}
	}
}

void table_free(struct table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
