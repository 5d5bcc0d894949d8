// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: registration with the IPv4 stack and its unwinding.
 *
 * Order matters.  Per-namespace state comes first, then the protocol,
 * the netlink family, the pernet operations that end compact entries, the
 * socket switch, the GSO offload, and the IP protocol handler last: no
 * segment arrives before the state it needs exists, and no event is
 * emitted before the family that carries it.  Exit goes the other way:
 * the handler, the offload and the switch go, then the compact entries
 * of every namespace end, their events still carried by the family, then
 * the family (which waits for the requests in progress) and only then
 * the namespaces' state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/protocol.h>

#include "clasp.h"

int clasp_proto = IPPROTO_CLASP;
module_param_named(proto, clasp_proto, int, 0444);
MODULE_PARM_DESC(proto, "IP protocol number to register (default 253)");

static struct net_protocol clasp_protocol = {
	.handler	= clasp_rcv,
	.err_handler	= clasp_err,
	.no_policy	= 1,
};

static bool clasp_proto_taken(int proto)
{
	return rcu_access_pointer(inet_protos[proto]);
}

static int __init clasp_init(void)
{
	int err;

	if (clasp_proto <= 0 || clasp_proto >= IPPROTO_RAW) {
		pr_err("invalid IP protocol number %d\n", clasp_proto);
		return -EINVAL;
	}
	if (clasp_proto_taken(clasp_proto))
		goto busy;

	err = clasp_mem_init(&clasp_prot);
	if (err)
		return err;
	clasp_v6_prot_init();
	err = clasp_tsq_wq_init();
	if (err)
		goto out_mem;
	/* Namespaces look their default congestion control up. */
	err = clasp_cong_init_module();
	if (err)
		goto out_tsq;
	err = clasp_pernet_register();
	if (err)
		goto out_cong;
	err = proto_register(&clasp_prot, 1);
	if (err)
		goto out_pernet;
	err = clasp_netlink_register();
	if (err)
		goto out_proto;
	err = clasp_pernet_entries_register();
	if (err)
		goto out_netlink;
	err = clasp_sock_register();
	if (err)
		goto out_entries;
	err = clasp_offload_init();
	if (err)
		goto out_sock;
	if (inet_add_protocol(&clasp_protocol, clasp_proto) < 0) {
		err = -EBUSY;
		goto out_offload;
	}
	err = clasp_v6_init();
	if (err)
		goto out_protocol;
	pr_info("registered IP protocol %d\n", clasp_proto);
	return 0;

out_protocol:
	inet_del_protocol(&clasp_protocol, clasp_proto);
out_offload:
	clasp_offload_exit();
out_sock:
	clasp_sock_unregister();
	clasp_caches_destroy();
out_entries:
	clasp_pernet_entries_unregister();
out_netlink:
	clasp_netlink_unregister();
out_proto:
	proto_unregister(&clasp_prot);
out_pernet:
	clasp_pernet_unregister();
out_cong:
	clasp_cong_exit_module();
out_tsq:
	clasp_tsq_wq_exit();
out_mem:
	clasp_mem_exit();
	if (err != -EBUSY)
		return err;
busy:
	pr_err("IP protocol %d is already registered by another protocol\n",
	       clasp_proto);
	return -EBUSY;
}

static void __exit clasp_exit(void)
{
	clasp_v6_stop();
	inet_del_protocol(&clasp_protocol, clasp_proto);
	/* inet_del_protocol() waited for readers: no segment is in flight. */
	clasp_offload_exit();
	clasp_sock_unregister();
	/* No socket is left (each pins the module): end what outlives them. */
	clasp_pernet_entries_unregister();
	clasp_netlink_unregister();
	clasp_pernet_unregister();
	clasp_cong_exit_module();
	/* The last small-queues work may still be returning from sock_put(). */
	clasp_tsq_wq_exit();
	/* Sockets and entries freed by RCU must be gone before the caches. */
	rcu_barrier();
	clasp_caches_destroy();
	clasp_v6_exit();
	proto_unregister(&clasp_prot);
	clasp_mem_exit();
	pr_info("unregistered IP protocol %d\n", clasp_proto);
}

module_init(clasp_init);
module_exit(clasp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("clasp: TCP-style connection management over its own IP protocol");
MODULE_AUTHOR("clasp developers");
MODULE_VERSION("0.1");
