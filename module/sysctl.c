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
 *
 * Two more files are names, not numbers, as TCP's are:
 * congestion_control, the algorithm new connections use (a name no
 * algorithm has is refused with ENOENT, as tcp_congestion_control
 * refuses it), and available_congestion_control, read-only, the names of
 * all (cong.c).
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

/* congestion_control: the namespace's algorithm, by name. */
static int clasp_sysctl_ca(CLASP_CTL_TABLE_T *table, int write, void *buffer,
			   size_t *lenp, loff_t *ppos)
{
	struct clasp_net *cn = table->data;
	char name[CLASP_CA_NAME_MAX];
	struct ctl_table tmp = {
		.data = name,
		.maxlen = sizeof(name),
	};
	int err;

	strscpy(name, READ_ONCE(cn->ca_default)->name, sizeof(name));
	err = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (write && !err)
		err = clasp_ca_default_set(cn, name);
	return err;
}

/* available_congestion_control: every algorithm's name, read-only. */
static int clasp_sysctl_ca_avail(CLASP_CTL_TABLE_T *table, int write,
				 void *buffer, size_t *lenp, loff_t *ppos)
{
	char names[CLASP_CA_LIST_MAX];
	struct ctl_table tmp = {
		.data = names,
		.maxlen = sizeof(names),
	};

	clasp_cong_available(names, sizeof(names));
	return proc_dostring(&tmp, write, buffer, lenp, ppos);
}

/* The two entries after the numeric tunables. */
static unsigned int clasp_sysctl_fill_ca(struct ctl_table *t,
					 struct clasp_net *cn)
{
	t[0].procname = "congestion_control";
	t[0].mode = 0644;
	t[0].data = cn;
	t[0].maxlen = CLASP_CA_NAME_MAX;
	t[0].proc_handler = clasp_sysctl_ca;
	t[1].procname = "available_congestion_control";
	t[1].mode = 0444;
	t[1].maxlen = CLASP_CA_LIST_MAX;
	t[1].proc_handler = clasp_sysctl_ca_avail;
	return 2;
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

	/*
	 * The numeric tunables, the two congestion-control names, and one
	 * more, zeroed: the end marker kernels before 6.6 look for.
	 */
	table = kcalloc(clasp_n_tunables + 3, sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; i < clasp_n_tunables; i++) {
		const struct clasp_tunable_desc *d = &clasp_tunable_descs[i];

		if (d->global && !init)
			continue;
		clasp_sysctl_fill(&table[n++], d, &cn->tun);
	}
	n += clasp_sysctl_fill_ca(&table[n], cn);
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
