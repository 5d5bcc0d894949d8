// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_conform_test over IPv6: the same program with CLASP_FAMILY=6
 * (clasp_util.h) set before it starts, so that make check runs its cases
 * over both families, and its TCP reference lane both against kernel TCP.
 */
#include "clasp_conform_test.c"

static void __attribute__((constructor)) over_ipv6(void)
{
	setenv("CLASP_FAMILY", "6", 1);
}
