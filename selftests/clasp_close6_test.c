// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_close_test over IPv6: the same program with CLASP_FAMILY=6
 * (clasp_util.h) set before it starts: AF_INET6 sockets on ::1.
 */
#include "clasp_close_test.c"

static void __attribute__((constructor)) over_ipv6(void)
{
	setenv("CLASP_FAMILY", "6", 1);
}
