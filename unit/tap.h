/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP for the unit tests: the plan, one "ok N - what" line per case and
 * a summary.  A test includes it once, calls tap_plan(), then expect() or
 * tap_ok() per case, and returns tap_end() from main().
 */
#ifndef _CLASP_UNIT_TAP_H
#define _CLASP_UNIT_TAP_H

#include <stdio.h>

static int plan, planned, failed;

static inline void tap_plan(int n)
{
	plan = n;
	printf("TAP version 13\n1..%d\n", n);
}

static inline void tap_ok(int cond, const char *what)
{
	++planned;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", planned, what);
}

/* A case that compares two numbers: the pair is printed when they differ. */
static inline void expect(long long got, long long want, const char *what)
{
	if (got != want)
		printf("# %s: got %lld, want %lld\n", what, got, want);
	tap_ok(got == want, what);
}

/* The summary; main()'s exit status: 1 if a case failed or the plan was wrong. */
static inline int tap_end(void)
{
	printf("# %d passed, %d failed\n", planned - failed, failed);
	if (planned != plan)
		printf("# planned %d cases, ran %d\n", plan, planned);
	return failed || planned != plan ? 1 : 0;
}

#endif /* _CLASP_UNIT_TAP_H */
