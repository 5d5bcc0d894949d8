// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the tunables as sysctls, net.clasp.<name>, a set per network
 * namespace as TCP's net.ipv4.tcp_* are.
 *
 * Each file is the namespace's tunable itself (struct clasp_tunables), so
 * sysctl, claspctl and the netlink family read and change one value.
 * The range is the one netlink enforces (clasp_tunable_descs[]); a value
 * outside it is refused with EINVAL, as the kernel's own sysctls refuse
 * theirs.  Root of the user namespace that owns the network namespace may
 * write (net_ctl_permissions() gives CAP_NET_ADMIN over the namespace the
 * owner's rights), others only read.
 *
 * The memory pool's limits are global, as tcp_mem: they appear in the
 * initial namespace only, as net.ipv4.tcp_mem does.
 */
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "clasp.h"
#include "compat.h"

/* The memory pool's bounds, for proc_doulongvec_minmax(). */
static unsigned long clasp_mem_pages_min = 1;
static unsigned long clasp_mem_pages_max = CLASP_MEM_PAGES_MAX;

static void clasp_sysctl_fill(struct ctl_table *t,
			      const struct clasp_tunable_desc *d,
			      struct clasp_tunables *tun)
{
	t->procname = d->name;
	t->mode = 0644;
	if (d->global) {
		t->data = d->global;
		t->maxlen = sizeof(*d->global);
		t->proc_handler = proc_doulongvec_minmax;
		t->extra1 = &clasp_mem_pages_min;
		t->extra2 = &clasp_mem_pages_max;
		return;
	}
	t->data = (u8 *)tun + d->offset;
	t->maxlen = sizeof(u32);
	t->proc_handler = proc_douintvec_minmax;
	t->extra1 = (void *)&d->min;
	t->extra2 = (void *)&d->max;
}

/**
 * clasp_sysctl_init_net() - register net.clasp.* for a new namespace
 * @cn: the namespace's clasp state, tunables already set
 *
 * Return: 0 or a negative errno.
 */
int clasp_sysctl_init_net(struct clasp_net *cn)
{
	bool init = net_eq(cn->net, &init_net);
	struct ctl_table *table;
	unsigned int i, n = 0;

	/* One more, zeroed: the end marker kernels before 6.6 look for. */
	table = kcalloc(clasp_n_tunables + 1, sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; i < clasp_n_tunables; i++) {
		const struct clasp_tunable_desc *d = &clasp_tunable_descs[i];

		if (d->global && !init)
			continue;
		clasp_sysctl_fill(&table[n++], d, &cn->tun);
	}
	cn->sysctl = clasp_register_net_sysctl(cn->net, "net/clasp", table, n);
	if (!cn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	cn->sysctl_table = table;
	return 0;
}

/**
 * clasp_sysctl_exit_net() - remove a namespace's net.clasp.*
 * @cn: the namespace's clasp state
 */
void clasp_sysctl_exit_net(struct clasp_net *cn)
{
	unregister_net_sysctl_table(cn->sysctl);
	kfree(cn->sysctl_table);
	cn->sysctl = NULL;
	cn->sysctl_table = NULL;
}
