// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_icmp_test over IPv6: the same program with CLASP_FAMILY=6
 * (clasp_util.h) set before it starts, so that the fake peer answers with
 * ICMPv6 errors (tcp_v6_err()'s rules), and its TCP reference lane plays
 * them against kernel TCP over IPv6.
 */
#include "clasp_icmp_test.c"

static void __attribute__((constructor)) over_ipv6(void)
{
	setenv("CLASP_FAMILY", "6", 1);
}
