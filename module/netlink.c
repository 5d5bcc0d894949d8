// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the generic netlink family "clasp" (see uapi/clasp.h).
 *
 * Reading is open to everyone; changing a tunable or killing a connection
 * needs CAP_NET_ADMIN over the namespace (GENL_UNS_ADMIN_PERM), as
 * changing TCP's sysctls or killing its sockets with ss -K does: root of
 * the user namespace that owns it may, root of another may not.  The
 * memory pool's limits are global and stay with the initial namespace.
 * Connections' messages, the dump and conn-get, are nlconn.c's; here are
 * the family, its policies and commands, the tables of counters and
 * tunables, and the events it multicasts.
 */
#include <net/genetlink.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"
#include "trace.h"

static const struct nla_policy clasp_conn_policy[CLASP_A_MAX + 1] = {
	[CLASP_A_LADDR]		= { .type = NLA_BE32 },
	[CLASP_A_RADDR]		= { .type = NLA_BE32 },
	[CLASP_A_LPORT]		= { .type = NLA_U16 },
	[CLASP_A_RPORT]		= { .type = NLA_U16 },
	[CLASP_A_FILTER_STATES]	= { .type = NLA_U32 },
	[CLASP_A_FILTER_LPLEN]	= NLA_POLICY_MAX(NLA_U8, 128),
	[CLASP_A_FILTER_RPLEN]	= NLA_POLICY_MAX(NLA_U8, 128),
	[CLASP_A_DUMP_EXT]	= NLA_POLICY_MASK(NLA_U32, CLASP_DUMP_EXT_ALL),
	[CLASP_A_FAMILY]	= { .type = NLA_U8 },
	[CLASP_A_SOCK_FAMILY]	= { .type = NLA_U8 },
	[CLASP_A_LADDR6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[CLASP_A_RADDR6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
};

static const struct nla_policy clasp_config_policy[CLASP_A_MAX + 1] = {
	[CLASP_A_NAME]		= { .type = NLA_NUL_STRING, .len = 31 },
	[CLASP_A_VALUE]		= { .type = NLA_U64 },
	[CLASP_A_CA_NAME]	= { .type = NLA_NUL_STRING,
				    .len = CLASP_CA_NAME_MAX - 1 },
};

static const struct nla_policy clasp_empty_policy[CLASP_A_MAX + 1] = {
};

static int clasp_conn_kill_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct clasp_net *cn = clasp_pernet(genl_info_net(info));
	struct clasp_entry k = {};
	int err;

	err = clasp_get_tuple(info, &k);
	if (err)
		return err;
	err = clasp_kill(cn, &k);
	if (err == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no such connection");
	return err;
}

static int clasp_put_entry(struct sk_buff *skb, const char *name, u64 value,
			   const struct clasp_tunable_desc *d)
{
	struct nlattr *nest = nla_nest_start(skb, CLASP_A_ENTRY);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, CLASP_A_NAME, name) ||
	    nla_put_u64_64bit(skb, CLASP_A_VALUE, value, CLASP_A_PAD) ||
	    (d && (nla_put_u64_64bit(skb, CLASP_A_VALUE_MIN, d->min, CLASP_A_PAD) ||
		   nla_put_u64_64bit(skb, CLASP_A_VALUE_MAX, d->max, CLASP_A_PAD)))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * config-get: the congestion control, a name that the table of numbers
 * cannot hold, beside it: the namespace's, and every one there is.
 */
static int clasp_put_ca_names(struct sk_buff *msg, struct clasp_net *cn)
{
	char names[CLASP_CA_LIST_MAX];

	clasp_cong_available(names, sizeof(names));
	if (nla_put_string(msg, CLASP_A_CA_NAME, READ_ONCE(cn->ca_default)->name) ||
	    nla_put_string(msg, CLASP_A_CA_AVAILABLE, names))
		return -EMSGSIZE;
	return 0;
}

static int clasp_reply_table(struct genl_info *info, u8 cmd, bool config)
{
	struct clasp_net *cn = clasp_pernet(genl_info_net(info));
	struct nlattr *nest;
	struct sk_buff *msg;
	unsigned int i, n = config ? clasp_n_tunables : __CLASP_MIB_MAX;
	void *hdr;

	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &clasp_genl_family, 0, cmd);
	if (!hdr)
		goto nospace;
	nest = nla_nest_start(msg, config ? CLASP_A_CONFIG : CLASP_A_STATS);
	if (!nest)
		goto nospace;
	for (i = 0; i < n; i++) {
		const struct clasp_tunable_desc *d = &clasp_tunable_descs[i];
		int err;

		if (config)
			err = clasp_put_entry(msg, d->name,
					      clasp_tunable_get(&cn->tun, d), d);
		else
			err = clasp_put_entry(msg, clasp_stats_name(i),
					      clasp_stats_read(cn, i), NULL);
		if (err)
			goto nospace;
	}
	nla_nest_end(msg, nest);
	if (config && clasp_put_ca_names(msg, cn))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int clasp_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return clasp_reply_table(info, CLASP_CMD_STATS_GET, false);
}

static int clasp_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return clasp_reply_table(info, CLASP_CMD_CONFIG_GET, true);
}

/* config-set congestion_control: the algorithm's name in CA_NAME. */
static int clasp_config_set_ca(struct genl_info *info, struct clasp_net *cn)
{
	struct nlattr *ca = info->attrs[CLASP_A_CA_NAME];

	if (!ca) {
		NL_SET_ERR_MSG(info->extack,
			       "congestion_control takes a name (CA_NAME)");
		return -EINVAL;
	}
	if (clasp_ca_default_set(cn, nla_data(ca))) {
		NL_SET_ERR_MSG_ATTR(info->extack, ca,
				    "no such congestion control (see config show)");
		return -ENOENT;
	}
	return 0;
}

static int clasp_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct clasp_net *cn = clasp_pernet(genl_info_net(info));
	const struct clasp_tunable_desc *d;
	struct nlattr *name = info->attrs[CLASP_A_NAME];
	struct nlattr *value = info->attrs[CLASP_A_VALUE];
	u64 v;

	if (name && !strcmp(nla_data(name), "congestion_control"))
		return clasp_config_set_ca(info, cn);
	if (!name || !value) {
		NL_SET_ERR_MSG(info->extack, "config set needs NAME and VALUE");
		return -EINVAL;
	}
	d = clasp_tunable_find(nla_data(name));
	if (!d) {
		NL_SET_ERR_MSG_ATTR(info->extack, name, "unknown tunable");
		return -ENOENT;
	}
	if (d->global && !net_eq(genl_info_net(info), &init_net)) {
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "a global tunable: set it from the initial network namespace");
		return -EPERM;
	}
	v = nla_get_u64(value);
	if (v < d->min || v > d->max) {
		NL_SET_ERR_MSG_ATTR(info->extack, value,
				    "value outside the tunable's range (see config get)");
		return -ERANGE;
	}
	clasp_tunable_set(&cn->tun, d, v);
	return 0;
}

static int clasp_ladder_start_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct clasp_filter f;
	int err;

	err = clasp_parse_filter(info->attrs, &f, info->extack);
	if (err)
		return err;
	/* A segment's filter sees its key alone. */
	f.states = 0;
	f.sock_family = 0;
	return clasp_ladder_start(genl_info_net(info), info->snd_portid, &f,
				  info->extack);
}

static const struct genl_ops clasp_genl_ops[] = {
	{
		.cmd	= CLASP_CMD_CONN_GET,
		.doit	= clasp_conn_get_doit,
		.start	= clasp_conn_dump_start,
		.dumpit	= clasp_conn_dump,
		.done	= clasp_conn_dump_done,
		.policy	= clasp_conn_policy,
		.maxattr = CLASP_A_MAX,
	},
	{
		.cmd	= CLASP_CMD_CONN_KILL,
		.doit	= clasp_conn_kill_doit,
		.policy	= clasp_conn_policy,
		.maxattr = CLASP_A_MAX,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= CLASP_CMD_STATS_GET,
		.doit	= clasp_stats_get_doit,
		.policy	= clasp_empty_policy,
		.maxattr = CLASP_A_MAX,
	},
	{
		.cmd	= CLASP_CMD_CONFIG_GET,
		.doit	= clasp_config_get_doit,
		.policy	= clasp_empty_policy,
		.maxattr = CLASP_A_MAX,
	},
	{
		.cmd	= CLASP_CMD_CONFIG_SET,
		.doit	= clasp_config_set_doit,
		.policy	= clasp_config_policy,
		.maxattr = CLASP_A_MAX,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= CLASP_CMD_LADDER_START,
		.doit	= clasp_ladder_start_doit,
		.policy	= clasp_conn_policy,
		.maxattr = CLASP_A_MAX,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

/* Indexes into clasp_mcgrps[], as genl_has_listeners() takes them. */
enum {
	CLASP_MCGRP_EVENTS_IDX,
	CLASP_MCGRP_SEGMENTS_IDX,
};

/*
 * Segment events carry sequence numbers: only for CAP_NET_ADMIN over the
 * namespace, as the connection dumps show them.
 */
static const struct genl_multicast_group clasp_mcgrps[] = {
	[CLASP_MCGRP_EVENTS_IDX] = { .name = CLASP_MCGRP_EVENTS },
	[CLASP_MCGRP_SEGMENTS_IDX] = { .name = CLASP_MCGRP_SEGMENTS,
				       .flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct genl_family clasp_genl_family __ro_after_init = {
	.name		= CLASP_GENL_NAME,
	.version	= CLASP_GENL_VERSION,
	.maxattr	= CLASP_A_MAX,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= clasp_genl_ops,
	.n_ops		= ARRAY_SIZE(clasp_genl_ops),
	.mcgrps		= clasp_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(clasp_mcgrps),
};

/**
 * clasp_notify_state() - trace a state change and multicast it to
 * "events" listeners
 * @net: the namespace
 * @k: the connection's key (for a listener: remote side zero)
 * @old: state before
 * @state: state after
 * @cause: enum clasp_cause
 */
void clasp_notify_state(struct net *net, const struct clasp_entry *k,
			u8 old, u8 state, u8 cause)
{
	struct sk_buff *msg;
	void *hdr;

	trace_clasp_state_change(k, old, state, cause);
	if (!genl_has_listeners(&clasp_genl_family, net, CLASP_MCGRP_EVENTS_IDX))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &clasp_genl_family, 0,
			  CLASP_CMD_EVENT_STATE);
	if (!hdr || clasp_put_tuple(msg, k) ||
	    nla_put_u8(msg, CLASP_A_OLD_STATE, old) ||
	    nla_put_u8(msg, CLASP_A_STATE, state) ||
	    nla_put_u8(msg, CLASP_A_CAUSE, cause) ||
	    nla_put_u64_64bit(msg, CLASP_A_TIME_NS, ktime_get_ns(),
			      CLASP_A_PAD)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&clasp_genl_family, net, msg, 0, 0, GFP_ATOMIC);
}

/**
 * clasp_notify_listener() - multicast a rate-limited listener event
 * @net: the namespace
 * @cmd: CLASP_CMD_EVENT_SYNFLOOD or CLASP_CMD_EVENT_OVERFLOW
 * @sk: the listener
 * @stamp: the caller's last-sent time (jiffies), updated
 *
 * At most one per second per listener and kind.
 */
void clasp_notify_listener(struct net *net, u8 cmd, const struct sock *sk,
			   unsigned long *stamp)
{
	unsigned long last = READ_ONCE(*stamp);
	struct clasp_entry k = {};
	struct sk_buff *msg;
	void *hdr;

	if (last && time_before(jiffies, last + HZ))
		return;
	WRITE_ONCE(*stamp, jiffies);
	if (!genl_has_listeners(&clasp_genl_family, net, CLASP_MCGRP_EVENTS_IDX))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	clasp_sock_tuple(sk, &k);
	hdr = genlmsg_put(msg, 0, 0, &clasp_genl_family, 0, cmd);
	if (!hdr || clasp_put_local(msg, &k) ||
	    nla_put_u16(msg, CLASP_A_LPORT, sk->sk_num) ||
	    nla_put_u8(msg, CLASP_A_STATE, TCP_LISTEN)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&clasp_genl_family, net, msg, 0, 0, GFP_ATOMIC);
}

/* Room for one segment event: header, IPv6 tuple, ten small attributes. */
#define CLASP_SEGMENT_MSG_SIZE	256

/**
 * clasp_notify_segment() - multicast a segment event to "segments"
 * @net: the namespace
 * @k: the connection's key
 * @ls: the segment
 *
 * Any context; never sleeps.
 *
 * Return: 0 when sent, -ESRCH when nobody listens, another negative
 * errno when the event was lost (no memory, a listener's buffer full).
 */
int clasp_notify_segment(struct net *net, const struct clasp_entry *k,
			 const struct clasp_ladder_seg *ls)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&clasp_genl_family, net,
				CLASP_MCGRP_SEGMENTS_IDX))
		return -ESRCH;
	msg = genlmsg_new(CLASP_SEGMENT_MSG_SIZE, GFP_ATOMIC);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &clasp_genl_family, 0,
			  CLASP_CMD_EVENT_SEGMENT);
	if (!hdr || clasp_put_tuple(msg, k) ||
	    nla_put_u8(msg, CLASP_A_SEG_SENT, ls->sent) ||
	    nla_put_u8(msg, CLASP_A_SEG_FLAGS, ls->flags) ||
	    nla_put_u32(msg, CLASP_A_SEG_SEQ, ls->seq) ||
	    ((ls->flags & CLASP_ACK) &&
	     nla_put_u32(msg, CLASP_A_SEG_ACK, ls->ack)) ||
	    nla_put_u32(msg, CLASP_A_SEG_LEN, ls->len) ||
	    nla_put_u32(msg, CLASP_A_SEG_WND, ls->wnd) ||
	    nla_put_u64_64bit(msg, CLASP_A_TIME_NS, ls->time_ns, CLASP_A_PAD) ||
	    (ls->isns && (nla_put_u32(msg, CLASP_A_ISS, ls->iss) ||
			  nla_put_u32(msg, CLASP_A_IRS, ls->irs))) ||
	    (ls->old_state &&
	     nla_put_u8(msg, CLASP_A_OLD_STATE, ls->old_state)) ||
	    (ls->state && nla_put_u8(msg, CLASP_A_STATE, ls->state))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_multicast_netns(&clasp_genl_family, net, msg, 0,
				       CLASP_MCGRP_SEGMENTS_IDX, GFP_ATOMIC);
}

/**
 * clasp_netlink_register() - register the generic netlink family, and
 * follow the release of the sockets that asked for segment events
 *
 * Return: 0 or a negative errno.
 */
int clasp_netlink_register(void)
{
	int err = genl_register_family(&clasp_genl_family);

	if (err)
		return err;
	err = clasp_ladder_init();
	if (err)
		genl_unregister_family(&clasp_genl_family);
	return err;
}

/**
 * clasp_netlink_unregister() - unregister the family; segment events stop
 */
void clasp_netlink_unregister(void)
{
	clasp_ladder_exit();
	genl_unregister_family(&clasp_genl_family);
}
