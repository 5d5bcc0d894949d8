// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl: a streaming JSON writer to stdout.  Compact by default (one
 * line per top-level value); indented with 2 spaces when opts.pretty.
 *
 * The pr_*() helpers print one field either way, as iproute2's print_*()
 * do: as "key": value under -j, else as text through a format.  A field
 * printed by one call shows the same number in both.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "claspctl.h"

#define JW_MAX_DEPTH	16

FILE *pr_text;

static FILE *text_out(void)
{
	return pr_text ? pr_text : stdout;
}

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
	/* Most strings need no escape: those in one write. */
	for (p = (const unsigned char *)s; *p >= 0x20 && *p != '"' &&
					   *p != '\\'; p++)
		;
	fwrite(s, 1, (const char *)p - s, stdout);
	for (; *p; p++) {
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
	char buf[20];

	jw_prefix();
	fwrite(buf, 1, fmt_u64(buf, v), stdout);
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

/* A number, or null when @have is false; text shows only a number. */
void pr_u64(const char *key, const char *fmt, bool have, uint64_t v)
{
	if (opts.json) {
		jw_key(key);
		if (have)
			jw_u64(v);
		else
			jw_null();
	} else if (have) {
		fprintf(text_out(), fmt, (unsigned long long)v);
	}
}

/*
 * A number with a fraction, such as milliseconds from microseconds: text
 * as @numfmt makes it (ss's "%g"), after @label; under -j with three
 * decimals, so that no digit of a microsecond is lost.  Same unit both.
 */
void pr_float(const char *key, const char *label, const char *numfmt,
	      bool have, double v)
{
	char num[64];

	if (opts.json) {
		jw_key(key);
		if (!have) {
			jw_null();
			return;
		}
		snprintf(num, sizeof(num), "%.3f", v);
		jw_raw(num);
	} else if (have) {
		fputs(label, text_out());
		fprintf(text_out(), numfmt, v);
	}
}

/* A string, or null when @s is NULL; text shows @label and the string. */
void pr_str(const char *key, const char *label, const char *s)
{
	if (opts.json) {
		jw_key(key);
		if (s)
			jw_string(s);
		else
			jw_null();
	} else if (s) {
		fprintf(text_out(), "%s%s", label, s);
	}
}

/* A flag: true, false or null under -j; @label in text when true. */
void pr_flag(const char *key, const char *label, bool have, bool v)
{
	if (opts.json) {
		jw_key(key);
		if (have)
			jw_bool(v);
		else
			jw_null();
	} else if (have && v) {
		fputs(label, text_out());
	}
}
