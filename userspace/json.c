// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl: a streaming JSON writer to stdout.  Compact by default (one
 * line per top-level value); indented with 2 spaces when opts.pretty.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "claspctl.h"

#define JW_MAX_DEPTH	16

static struct {
	int depth;
	bool has_items[JW_MAX_DEPTH];	/* at each depth: a value written */
	bool after_key;
} jw;

static void jw_indent(void)
{
	int i;

	if (!opts.pretty)
		return;
	putchar('\n');
	for (i = 0; i < jw.depth; i++)
		fputs("  ", stdout);
}

/* What goes before any value: a comma and a line break as needed. */
static void jw_prefix(void)
{
	if (jw.after_key) {
		jw.after_key = false;
		return;
	}
	if (jw.depth == 0)
		return;
	if (jw.has_items[jw.depth])
		putchar(',');
	jw.has_items[jw.depth] = true;
	jw_indent();
}

static void jw_open(char c)
{
	jw_prefix();
	putchar(c);
	if (++jw.depth >= JW_MAX_DEPTH)
		abort();
	jw.has_items[jw.depth] = false;
}

static void jw_close(char c)
{
	bool items = jw.has_items[jw.depth];

	jw.depth--;
	if (items)
		jw_indent();
	putchar(c);
}

void jw_begin_object(void)
{
	jw_open('{');
}

void jw_end_object(void)
{
	jw_close('}');
}

void jw_begin_array(void)
{
	jw_open('[');
}

void jw_end_array(void)
{
	jw_close(']');
}

static void jw_quoted(const char *s)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		default:
			if (*p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

void jw_key(const char *key)
{
	jw_prefix();
	jw_quoted(key);
	fputs(opts.pretty ? ": " : ":", stdout);
	jw.after_key = true;
}

void jw_string(const char *s)
{
	jw_prefix();
	jw_quoted(s);
}

void jw_u64(uint64_t v)
{
	jw_prefix();
	printf("%" PRIu64, v);
}

void jw_bool(bool v)
{
	jw_prefix();
	fputs(v ? "true" : "false", stdout);
}

void jw_null(void)
{
	jw_prefix();
	fputs("null", stdout);
}

/* A value already formatted as JSON, such as a number with a fraction. */
void jw_raw(const char *text)
{
	jw_prefix();
	fputs(text, stdout);
}

void jw_finish(void)
{
	putchar('\n');
}

void jw_kv_string(const char *key, const char *s)
{
	jw_key(key);
	jw_string(s);
}

void jw_kv_u64(const char *key, uint64_t v)
{
	jw_key(key);
	jw_u64(v);
}
