// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: limits on what a namespace's connections may hold in aggregate.
 *
 * Orphans, sockets that close() handed to the kernel while they still
 * send their data and FIN, are counted per namespace.  Past max_orphans,
 * a socket that close() would orphan is reset instead (AbortOnMemory),
 * as TCP does beyond tcp_max_orphans (tcp_check_oom()): nobody waits on
 * it, and each one holds its unsent data until its retries run out.
 */
#include <net/sock.h>

#include "clasp.h"

/**
 * clasp_orphan_add() - count a socket that close() orphaned
 * @sk: the socket, locked, orphaned and not CLOSED
 *
 * Return: true when the namespace holds more orphans than max_orphans,
 * this one included: the caller resets it.
 */
bool clasp_orphan_add(struct sock *sk)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	int n = atomic_inc_return(&cn->orphans);

	clasp_sk(sk)->orphan_counted = true;
	if (n <= READ_ONCE(cn->tun.max_orphans))
		return false;
	net_info_ratelimited("clasp: too many orphaned sockets\n");
	return true;
}

/**
 * clasp_orphan_del() - a counted orphan is being freed
 * @sk: the socket
 */
void clasp_orphan_del(struct sock *sk)
{
	if (!clasp_sk(sk)->orphan_counted)
		return;
	clasp_sk(sk)->orphan_counted = false;
	atomic_dec(&clasp_pernet(sock_net(sk))->orphans);
}
