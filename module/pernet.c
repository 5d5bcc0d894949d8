// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: per-network-namespace state.  Every namespace gets its own tables,
 * counters, tunables, secrets and control socket; deleting the namespace
 * frees them all.  Tunables start from the module parameters below, read
 * when the namespace is created.
 */
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <net/net_namespace.h>

#include "clasp.h"

/*
 * <net/inet_timewait_sock.h> names a field tw_reuse, by a macro; here it
 * is the name of a module parameter (struct clasp_tunables: tw_reuse_mode).
 */
#undef tw_reuse

unsigned int clasp_net_id __read_mostly;

static struct clasp_tunables clasp_defaults = {
	.msl_ms			= 30000,
	.rto_initial_ms		= 1000,
	.rto_min_ms		= 200,
	.rto_max_ms		= 120000,
	.syn_retries		= 6,
	.synack_retries		= 5,
	.retries		= 15,
	.orphan_retries		= 8,
	.fin_timeout_ms		= 60000,
	.keepalive_time_ms	= 7200000,
	.keepalive_intvl_ms	= 75000,
	.keepalive_probes	= 9,
	.max_syn_backlog	= 1024,
	.max_tw_buckets		= 262144,
	.rfc1337		= 0,
	.challenge_ack_limit	= 1000,
	.invalid_ratelimit_ms	= 500,
	.syncookies		= 1,
	.syncookie_period_ms	= 60000,
	.abort_on_overflow	= 0,
	.max_orphans		= 65536,
	.window_scaling		= 1,
	.timestamps		= 1,
	.sack			= 1,
	.early_retrans		= 3,
	.recovery		= 1,
	.ecn			= 2,
	.tw_reuse_mode		= 2,
};

/* Each parameter is the default for namespaces created after it is set. */
module_param_named(msl_ms, clasp_defaults.msl_ms, uint, 0644);
MODULE_PARM_DESC(msl_ms, "maximum segment lifetime; TIME_WAIT lasts twice it");
module_param_named(rto_initial_ms, clasp_defaults.rto_initial_ms, uint, 0644);
MODULE_PARM_DESC(rto_initial_ms, "initial retransmission timeout");
module_param_named(rto_min_ms, clasp_defaults.rto_min_ms, uint, 0644);
MODULE_PARM_DESC(rto_min_ms, "lower bound of the retransmission timeout");
module_param_named(rto_max_ms, clasp_defaults.rto_max_ms, uint, 0644);
MODULE_PARM_DESC(rto_max_ms, "upper bound of the retransmission timeout");
module_param_named(syn_retries, clasp_defaults.syn_retries, uint, 0644);
MODULE_PARM_DESC(syn_retries, "SYN retransmissions before connect() fails");
module_param_named(synack_retries, clasp_defaults.synack_retries, uint, 0644);
MODULE_PARM_DESC(synack_retries, "SYN-ACK retransmissions before a request is dropped");
module_param_named(retries, clasp_defaults.retries, uint, 0644);
MODULE_PARM_DESC(retries, "data retransmissions before the connection is aborted");
module_param_named(orphan_retries, clasp_defaults.orphan_retries, uint, 0644);
MODULE_PARM_DESC(orphan_retries, "retransmissions for a closed socket's segments");
module_param_named(fin_timeout_ms, clasp_defaults.fin_timeout_ms, uint, 0644);
MODULE_PARM_DESC(fin_timeout_ms, "lifetime of an orphaned FIN_WAIT_2 connection");
module_param_named(keepalive_time_ms, clasp_defaults.keepalive_time_ms, uint, 0644);
MODULE_PARM_DESC(keepalive_time_ms, "idle time before keepalive probes");
module_param_named(keepalive_intvl_ms, clasp_defaults.keepalive_intvl_ms, uint, 0644);
MODULE_PARM_DESC(keepalive_intvl_ms, "time between keepalive probes");
module_param_named(keepalive_probes, clasp_defaults.keepalive_probes, uint, 0644);
MODULE_PARM_DESC(keepalive_probes, "unanswered keepalive probes before abort");
module_param_named(max_syn_backlog, clasp_defaults.max_syn_backlog, uint, 0644);
MODULE_PARM_DESC(max_syn_backlog, "half-open requests per listener at most");
module_param_named(max_tw_buckets, clasp_defaults.max_tw_buckets, uint, 0644);
MODULE_PARM_DESC(max_tw_buckets, "TIME_WAIT and FIN_WAIT_2 entries at most");
module_param_named(rfc1337, clasp_defaults.rfc1337, uint, 0644);
MODULE_PARM_DESC(rfc1337, "ignore RST in TIME_WAIT (RFC 1337)");
module_param_named(challenge_ack_limit, clasp_defaults.challenge_ack_limit, uint, 0644);
MODULE_PARM_DESC(challenge_ack_limit,
		 "challenge ACKs per second and namespace, on average (2147483647: no limit)");
module_param_named(invalid_ratelimit_ms, clasp_defaults.invalid_ratelimit_ms, uint, 0644);
MODULE_PARM_DESC(invalid_ratelimit_ms,
		 "per connection, one answer to invalid segments per this time at most");
module_param_named(syncookies, clasp_defaults.syncookies, uint, 0644);
MODULE_PARM_DESC(syncookies, "SYN cookies: 0 never, 1 when the SYN queue is full, 2 always");
module_param_named(syncookie_period_ms, clasp_defaults.syncookie_period_ms, uint, 0644);
MODULE_PARM_DESC(syncookie_period_ms, "cookie time step; a cookie lives two steps");
module_param_named(abort_on_overflow, clasp_defaults.abort_on_overflow, uint, 0644);
MODULE_PARM_DESC(abort_on_overflow, "reset a completing handshake when the accept queue is full");
module_param_named(max_orphans, clasp_defaults.max_orphans, uint, 0644);
MODULE_PARM_DESC(max_orphans, "closed sockets still sending, per namespace; past it close() resets");
module_param_named(window_scaling, clasp_defaults.window_scaling, uint, 0644);
MODULE_PARM_DESC(window_scaling, "offer and accept window scaling (RFC 7323), as tcp_window_scaling");
module_param_named(timestamps, clasp_defaults.timestamps, uint, 0644);
MODULE_PARM_DESC(timestamps, "offer and accept timestamps and PAWS (RFC 7323), as tcp_timestamps");
module_param_named(sack, clasp_defaults.sack, uint, 0644);
MODULE_PARM_DESC(sack, "offer and accept SACK-permitted (RFC 2018), as tcp_sack");
module_param_named(early_retrans, clasp_defaults.early_retrans, uint, 0644);
MODULE_PARM_DESC(early_retrans, "tail loss probes (RFC 8985) when 3 or 4, as tcp_early_retrans");
module_param_named(recovery, clasp_defaults.recovery, uint, 0644);
MODULE_PARM_DESC(recovery, "RACK loss detection (RFC 8985 section 6) when 1, as tcp_recovery's bit 0x1");
module_param_named(ecn, clasp_defaults.ecn, uint, 0644);
MODULE_PARM_DESC(ecn, "ECN (RFC 3168), as tcp_ecn: 0 off, 1 ask and accept, 2 accept when asked");
module_param_named(tw_reuse, clasp_defaults.tw_reuse_mode, uint, 0644);
MODULE_PARM_DESC(tw_reuse, "connect() takes a TIME_WAIT 4-tuple whose timestamps are a second old, as tcp_tw_reuse: 0 never, 1 always, 2 on loopback");

/*
 * The congestion control new connections use: a name, not a number, so
 * it lives beside the table of numeric tunables rather than in it
 * (clasp_net.ca_default; its sysctl is sysctl.c's, netlink's config
 * lists it, cong.c has the algorithms).
 */
static char clasp_ca_param[CLASP_CA_NAME_MAX] = "cubic";
module_param_string(congestion_control, clasp_ca_param, sizeof(clasp_ca_param), 0644);
MODULE_PARM_DESC(congestion_control,
		 "congestion control of new connections, as tcp_congestion_control (cubic)");

/**
 * clasp_ca_default_set() - a namespace's congestion_control
 * @cn: the namespace's clasp state
 * @name: the algorithm's name
 *
 * Return: 0, or -ENOENT for a name no algorithm has.
 */
int clasp_ca_default_set(struct clasp_net *cn, const char *name)
{
	const struct clasp_cong_ops *ops = clasp_cong_find(name);

	if (!ops)
		return -ENOENT;
	WRITE_ONCE(cn->ca_default, ops);
	return 0;
}

/* A new namespace's: the parameter's, or CUBIC if it names none. */
static void clasp_ca_default_init(struct clasp_net *cn)
{
	char name[CLASP_CA_NAME_MAX];

	strscpy(name, clasp_ca_param, sizeof(name));
	if (!clasp_ca_default_set(cn, name))
		return;
	pr_warn_once("clasp: congestion_control=%s: no such algorithm, using cubic\n",
		     name);
	cn->ca_default = &clasp_cong_cubic;
}

#define CLASP_DESC(field, lo, hi) \
	{ #field, offsetof(struct clasp_tunables, field), lo, hi, NULL }
#define CLASP_DESC_AS(name, field, lo, hi) \
	{ #name, offsetof(struct clasp_tunables, field), lo, hi, NULL }
#define CLASP_GLOBAL(name, var) \
	{ #name, 0, 1, CLASP_MEM_PAGES_MAX, &(var) }

/* Ranges: timers from 1 ms to a day (TIME_WAIT, keepalive: longer). */
const struct clasp_tunable_desc clasp_tunable_descs[] = {
	CLASP_DESC(msl_ms, 1, 3600000),
	CLASP_DESC(rto_initial_ms, 1, 3600000),
	CLASP_DESC(rto_min_ms, 1, 3600000),
	CLASP_DESC(rto_max_ms, 1, 3600000),
	CLASP_DESC(syn_retries, 1, 127),
	CLASP_DESC(synack_retries, 1, 127),
	CLASP_DESC(retries, 1, 127),
	CLASP_DESC(orphan_retries, 0, 127),
	CLASP_DESC(fin_timeout_ms, 1, 86400000),
	CLASP_DESC(keepalive_time_ms, 1, 86400000),
	CLASP_DESC(keepalive_intvl_ms, 1, 86400000),
	CLASP_DESC(keepalive_probes, 1, 127),
	CLASP_DESC(max_syn_backlog, 1, 1 << 20),
	CLASP_DESC(max_tw_buckets, 0, 1 << 24),
	CLASP_DESC(rfc1337, 0, 1),
	CLASP_DESC(challenge_ack_limit, 0, CLASP_CHALLENGE_UNLIMITED),
	CLASP_DESC(invalid_ratelimit_ms, 0, 3600000),
	CLASP_DESC(syncookies, 0, 2),
	CLASP_DESC(syncookie_period_ms, 100, 3600000),
	CLASP_DESC(abort_on_overflow, 0, 1),
	CLASP_DESC(max_orphans, 0, 1 << 24),
	CLASP_DESC(window_scaling, 0, 1),
	CLASP_DESC(timestamps, 0, 1),
	CLASP_DESC(sack, 0, 1),
	CLASP_DESC(early_retrans, 0, 4),
	CLASP_DESC(recovery, 0, 1),
	CLASP_DESC(ecn, 0, 2),
	CLASP_DESC_AS(tw_reuse, tw_reuse_mode, 0, 2),
	CLASP_GLOBAL(mem_min_pages, clasp_sysctl_mem[0]),
	CLASP_GLOBAL(mem_pressure_pages, clasp_sysctl_mem[1]),
	CLASP_GLOBAL(mem_max_pages, clasp_sysctl_mem[2]),
};

const unsigned int clasp_n_tunables = ARRAY_SIZE(clasp_tunable_descs);

/**
 * clasp_tunable_find() - look a tunable up by name
 * @name: its name
 *
 * Return: its description, or NULL.
 */
const struct clasp_tunable_desc *clasp_tunable_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < clasp_n_tunables; i++)
		if (!strcmp(clasp_tunable_descs[i].name, name))
			return &clasp_tunable_descs[i];
	return NULL;
}

/**
 * clasp_tunable_get() - a tunable's value in a namespace
 * @tun: the namespace's tunables
 * @d: which one
 *
 * Return: the value.
 */
u32 clasp_tunable_get(const struct clasp_tunables *tun,
		      const struct clasp_tunable_desc *d)
{
	if (d->global)
		return READ_ONCE(*d->global);
	return READ_ONCE(*(const u32 *)((const u8 *)tun + d->offset));
}

/**
 * clasp_tunable_set() - change a tunable in a namespace (or, for a global
 * one, everywhere)
 * @tun: the namespace's tunables
 * @d: which one
 * @value: the new value, already range-checked
 */
void clasp_tunable_set(struct clasp_tunables *tun,
		       const struct clasp_tunable_desc *d, u32 value)
{
	if (d->global)
		WRITE_ONCE(*d->global, value);
	else
		WRITE_ONCE(*(u32 *)((u8 *)tun + d->offset), value);
}

/**
 * clasp_isn() - initial sequence number for a connection (RFC 6528)
 * @cn: the namespace's clasp state, holding the secret
 * @k: the connection's key
 *
 * A keyed hash of the 4-tuple plus a clock ticking every 64 ns, so that
 * ISNs of different connections are unrelated and those of one 4-tuple
 * keep increasing.
 *
 * Return: the ISN.
 */
u32 clasp_isn(struct clasp_net *cn, const struct clasp_entry *k)
{
	u32 hash = siphash(&k->tuple, clasp_key_len(k), &cn->isn_key);

	return hash + (u32)(ktime_get_real_ns() >> 6);
}

/**
 * clasp_ts_offset() - what a connection adds to the clock for its TSval
 * @cn: the namespace's clasp state, holding the secret
 * @k: the connection's key
 *
 * A keyed hash of the 4-tuple, as Linux's secure_tcp_ts_off(): the
 * timestamps of different connections are unrelated and reveal nothing
 * of the host's uptime, and a listener finds the same offset again when
 * a SYN cookie comes back.
 *
 * Return: the offset.
 */
u32 clasp_ts_offset(struct clasp_net *cn, const struct clasp_entry *k)
{
	return siphash(&k->tuple, clasp_key_len(k), &cn->ts_key);
}

static int __net_init clasp_net_init(struct net *net)
{
	struct clasp_net *cn = clasp_pernet(net);
	int err;

	cn->net = net;
	cn->tun = clasp_defaults;
	clasp_ca_default_init(cn);
	get_random_bytes(&cn->isn_key, sizeof(cn->isn_key));
	get_random_bytes(&cn->cookie_key, sizeof(cn->cookie_key));
	get_random_bytes(&cn->ts_key, sizeof(cn->ts_key));
	spin_lock_init(&cn->challenge_lock);
	atomic_set(&cn->orphans, 0);
	clasp_ladder_init_net(cn);
	clasp_tw_init_net(cn);
	err = clasp_table_init(cn);
	if (err)
		return err;
	err = clasp_stats_init(cn);
	if (err)
		goto out_table;
	err = clasp_ctl_sock_init(cn);
	if (err)
		goto out_stats;
	err = clasp_sysctl_init_net(cn);
	if (err)
		goto out_ctl_sock;
	return 0;

out_ctl_sock:
	clasp_ctl_sock_exit(cn);
out_stats:
	clasp_stats_exit(cn);
out_table:
	clasp_table_exit(cn);
	return err;
}

/*
 * Sockets hold a reference on their namespace, and clasp_entries_net_ops
 * has freed the entries that outlive sockets (compact TIME_WAIT and
 * FIN_WAIT_2 ones) already; freeing them again finds none.
 */
static void __net_exit clasp_net_exit(struct net *net)
{
	struct clasp_net *cn = clasp_pernet(net);

	clasp_sysctl_exit_net(cn);
	clasp_ladder_exit_net(cn);
	clasp_tw_exit_net(cn);
	clasp_ctl_sock_exit(cn);
	clasp_stats_exit(cn);
	clasp_table_exit(cn);
}

static struct pernet_operations clasp_net_ops = {
	.init	= clasp_net_init,
	.exit	= clasp_net_exit,
	.id	= &clasp_net_id,
	.size	= sizeof(struct clasp_net),
};

/*
 * Compact entries are what emits events with no socket left: each one's
 * end is an event, and a namespace's reaper ends them.  Their own pernet
 * operations, registered after the netlink family and unregistered before
 * it, end them (and stop the reaper) while the family can still carry the
 * events: at module exit, and at namespace exit, where operations run in
 * the reverse order of registration.
 */
static void __net_exit clasp_net_entries_exit(struct net *net)
{
	clasp_tw_exit_net(clasp_pernet(net));
}

static struct pernet_operations clasp_entries_net_ops = {
	.exit	= clasp_net_entries_exit,
};

/**
 * clasp_pernet_entries_register() - end compact entries with each
 * namespace, before the netlink family goes (see clasp_entries_net_ops)
 *
 * Return: 0 or a negative errno.
 */
int clasp_pernet_entries_register(void)
{
	return register_pernet_subsys(&clasp_entries_net_ops);
}

/**
 * clasp_pernet_entries_unregister() - end the compact entries of every
 * namespace now, their events included
 */
void clasp_pernet_entries_unregister(void)
{
	unregister_pernet_subsys(&clasp_entries_net_ops);
}

/**
 * clasp_pernet_register() - set up clasp in every namespace, now and later
 *
 * Return: 0 or a negative errno.
 */
int clasp_pernet_register(void)
{
	return register_pernet_subsys(&clasp_net_ops);
}

/**
 * clasp_pernet_unregister() - tear clasp down in every namespace
 */
void clasp_pernet_unregister(void)
{
	unregister_pernet_subsys(&clasp_net_ops);
}
