// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: per-namespace counters and /proc/net/clasp_stats.
 */
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "clasp.h"

static const char * const clasp_mib_names[__CLASP_MIB_MAX] = {
	[CLASP_MIB_INSEGS]		= "InSegs",
	[CLASP_MIB_OUTSEGS]		= "OutSegs",
	[CLASP_MIB_INERRS]		= "InErrs",
	[CLASP_MIB_INCSUMERRORS]	= "InCsumErrors",
	[CLASP_MIB_NOPORT]		= "NoPorts",
	[CLASP_MIB_OUTRSTS]		= "OutRsts",
	[CLASP_MIB_ACTIVEOPENS]		= "ActiveOpens",
	[CLASP_MIB_PASSIVEOPENS]	= "PassiveOpens",
	[CLASP_MIB_ATTEMPTFAILS]	= "AttemptFails",
	[CLASP_MIB_ESTABRESETS]		= "EstabResets",
	[CLASP_MIB_CURRESTAB]		= "CurrEstab",
	[CLASP_MIB_RETRANSSEGS]		= "RetransSegs",
	[CLASP_MIB_TIMEWAITENTERED]	= "TimeWaitEntered",
	[CLASP_MIB_TIMEWAITKILLED]	= "TimeWaitKilled",
	[CLASP_MIB_TIMEWAITOVERFLOW]	= "TimeWaitOverflow",
	[CLASP_MIB_LISTENOVERFLOWS]	= "ListenOverflows",
	[CLASP_MIB_LISTENDROPS]		= "ListenDrops",
	[CLASP_MIB_CHALLENGEACKS]	= "ChallengeAcks",
	[CLASP_MIB_ABORTONCLOSE]	= "AbortOnClose",
	[CLASP_MIB_ABORTONDATA]		= "AbortOnData",
	[CLASP_MIB_ABORTONTIMEOUT]	= "AbortOnTimeout",
	[CLASP_MIB_ABORTONLINGER]	= "AbortOnLinger",
	[CLASP_MIB_KEEPALIVEABORTS]	= "KeepAliveAborts",
	[CLASP_MIB_OUTOFWINDOWDROPS]	= "OutOfWindowDrops",
	[CLASP_MIB_RSTSRECEIVED]	= "RstsReceived",
	[CLASP_MIB_OBJECTS]		= "Objects",
	[CLASP_MIB_SYNCOOKIESSENT]	= "SyncookiesSent",
	[CLASP_MIB_SYNCOOKIESRECV]	= "SyncookiesRecv",
	[CLASP_MIB_SYNCOOKIESFAILED]	= "SyncookiesFailed",
	[CLASP_MIB_REQQFULLDOCOOKIES]	= "ReqQFullDoCookies",
	[CLASP_MIB_REQQFULLDROP]	= "ReqQFullDrop",
	[CLASP_MIB_RCVQDROPS]		= "RcvQDrops",
	[CLASP_MIB_BACKLOGDROPS]	= "BacklogDrops",
	[CLASP_MIB_ACKSKIPPED]		= "AckSkipped",
	[CLASP_MIB_CHALLENGEACKSKIPPED]	= "ChallengeAckSkipped",
	[CLASP_MIB_CHALLENGEACKLIMITED]	= "ChallengeAckLimited",
	[CLASP_MIB_INICMPERRORS]	= "InIcmpErrors",
	[CLASP_MIB_OUTOFWINDOWICMPS]	= "OutOfWindowIcmps",
	[CLASP_MIB_ICMPHARDERRORS]	= "IcmpHardErrors",
	[CLASP_MIB_ICMPSOFTERRORS]	= "IcmpSoftErrors",
	[CLASP_MIB_PMTUUPDATES]		= "PmtuUpdates",
	[CLASP_MIB_ICMPREDIRECTS]	= "IcmpRedirects",
	[CLASP_MIB_POLICYDROPS]		= "PolicyDrops",
	[CLASP_MIB_FILTERDROPS]		= "FilterDrops",
	[CLASP_MIB_ABORTONMEMORY]	= "AbortOnMemory",
	[CLASP_MIB_MEMORYPRESSURES]	= "MemoryPressures",
	[CLASP_MIB_OFOQUEUE]		= "OFOQueue",
	[CLASP_MIB_OFODROP]		= "OFODrop",
	[CLASP_MIB_OFOMERGE]		= "OFOMerge",
	[CLASP_MIB_OFOPRUNED]		= "OfoPruned",
	[CLASP_MIB_RENORECOVERY]	= "RenoRecovery",
	[CLASP_MIB_FASTRETRANS]		= "FastRetrans",
	[CLASP_MIB_SPURIOUSRTOS]	= "SpuriousRTOs",
	[CLASP_MIB_DELAYEDACKS]		= "DelayedACKs",
	[CLASP_MIB_PAWSESTAB]		= "PAWSEstab",
	[CLASP_MIB_DSACKOLDSENT]	= "DSACKOldSent",
	[CLASP_MIB_DSACKOFOSENT]	= "DSACKOfoSent",
	[CLASP_MIB_SACKRECOVERY]	= "SACKRecovery",
	[CLASP_MIB_SACKREORDER]		= "SACKReorder",
	[CLASP_MIB_DSACKRECV]		= "DSACKRecv",
	[CLASP_MIB_DSACKOFORECV]	= "DSACKOfoRecv",
	[CLASP_MIB_SACKRENEGING]	= "SACKReneging",
	[CLASP_MIB_LOSSPROBES]		= "LossProbes",
	[CLASP_MIB_LOSSPROBERECOVERY]	= "LossProbeRecovery",
	[CLASP_MIB_LOSTRETRANSMIT]	= "LostRetransmit",
	[CLASP_MIB_LADDERLISTENERS]	= "LadderListeners",
	[CLASP_MIB_LADDEREVENTS]	= "LadderEvents",
	[CLASP_MIB_LADDERDROPS]		= "LadderDrops",
	[CLASP_MIB_DSACKUNDO]		= "DSACKUndo",
	[CLASP_MIB_FULLUNDO]		= "FullUndo",
	[CLASP_MIB_PARTIALUNDO]		= "PartialUndo",
	[CLASP_MIB_LOSSUNDO]		= "LossUndo",
	[CLASP_MIB_CERECV]		= "CERecv",
	[CLASP_MIB_ECERECV]		= "ECERecv",
	[CLASP_MIB_ECNREDUCTIONS]	= "ECNReductions",
	[CLASP_MIB_DELIVEREDCE]		= "DeliveredCE",
	[CLASP_MIB_TWRECYCLED]		= "TWRecycled",
};

/*
 * Sockets, requests and entries alive in every namespace together: after
 * namespaces are deleted, tests read /sys/module/clasp/parameters/objects
 * to see that everything was freed.
 */
static atomic_long_t clasp_objects = ATOMIC_LONG_INIT(0);

static int clasp_objects_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&clasp_objects));
}

static const struct kernel_param_ops clasp_objects_ops = {
	.get = clasp_objects_get,
};

module_param_cb(objects, &clasp_objects_ops, NULL, 0444);
MODULE_PARM_DESC(objects, "sockets, requests and entries alive (read-only)");

/**
 * clasp_stats_inc() - count one event in a namespace
 * @net: the namespace
 * @field: which counter
 */
void clasp_stats_inc(struct net *net, enum clasp_mib field)
{
	this_cpu_inc(clasp_pernet(net)->stats.mib[field]);
	if (field == CLASP_MIB_OBJECTS)
		atomic_long_inc(&clasp_objects);
}

/**
 * clasp_stats_add() - count @n events in a namespace (not for gauges)
 * @net: the namespace
 * @field: which counter
 * @n: how many
 */
void clasp_stats_add(struct net *net, enum clasp_mib field, u32 n)
{
	this_cpu_add(clasp_pernet(net)->stats.mib[field], n);
}

/**
 * clasp_stats_dec() - take one from a gauge (CurrEstab, Objects)
 * @net: the namespace
 * @field: which counter
 */
void clasp_stats_dec(struct net *net, enum clasp_mib field)
{
	this_cpu_dec(clasp_pernet(net)->stats.mib[field]);
	if (field == CLASP_MIB_OBJECTS)
		atomic_long_dec(&clasp_objects);
}

/**
 * clasp_stats_name() - the name a counter is shown under
 * @field: which counter
 *
 * Return: the name, as in /proc/net/clasp_stats.
 */
const char *clasp_stats_name(enum clasp_mib field)
{
	return clasp_mib_names[field];
}

/**
 * clasp_stats_read() - a counter's value summed over every CPU
 * @cn: the namespace's clasp state
 * @field: which counter
 *
 * Return: the value.
 */
u64 clasp_stats_read(struct clasp_net *cn, enum clasp_mib field)
{
	s64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(cn->stats.mib, cpu)[field];
	return sum < 0 ? 0 : sum;	/* a gauge read mid-update */
}

static int clasp_stats_show(struct seq_file *seq, void *v)
{
	struct clasp_net *cn = clasp_pernet(seq_file_single_net(seq));
	int i;

	for (i = 0; i < __CLASP_MIB_MAX; i++)
		seq_printf(seq, "%s %llu\n", clasp_mib_names[i],
			   clasp_stats_read(cn, i));
	return 0;
}

/**
 * clasp_stats_init() - allocate a namespace's counters and publish them
 * @cn: the namespace's clasp state
 *
 * Return: 0 or -ENOMEM.
 */
int clasp_stats_init(struct clasp_net *cn)
{
	cn->stats.mib = __alloc_percpu(sizeof(u64) * __CLASP_MIB_MAX,
				       __alignof__(u64));
	if (!cn->stats.mib)
		return -ENOMEM;
	if (!proc_create_net_single("clasp_stats", 0444, cn->net->proc_net,
				    clasp_stats_show, NULL)) {
		free_percpu(cn->stats.mib);
		return -ENOMEM;
	}
	return 0;
}

/**
 * clasp_stats_exit() - withdraw and free a namespace's counters
 * @cn: the namespace's clasp state
 */
void clasp_stats_exit(struct clasp_net *cn)
{
	remove_proc_entry("clasp_stats", cn->net->proc_net);
	free_percpu(cn->stats.mib);
}
