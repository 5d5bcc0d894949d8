#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A SYN flood against a clasp listener, between two namespaces joined by a
# veth pair.  The flooder namespace sends SYNs from a raw IP_HDRINCL socket
# with random source addresses of a /16 (198.18.0.0/16, RFC 2544's
# benchmarking range); the server namespace routes that /16 back over the
# veth, where the flooder namespace takes it as local (a "local" route)
# and an nft rule drops the SYN-ACKs on input, so that they die without a
# reset.  The same namespace also makes the legitimate connections, from
# its own address on the veth.
#
# syncookies=1: the SYN queue (listen backlog 64) fills, cookies take
# over, 200 legitimate connections made during the flood succeed (99% must),
# the queue never grows past its bound, the kernel says "possible SYN
# flooding", and once the flood ends every request expires: the global
# object count is back where it was.
# syncookies=0: the SYN queue fills and further SYNs are dropped and
# counted, with the same bound; the listener still serves afterwards.
# IPv6, syncookies=1: the first scenario once more, against a listener on
# [::] over IPv6 addresses of the veth: the SYNs come from an AF_INET6 raw
# socket with random sources of a /64 (2001:2::/64, RFC 5180's
# benchmarking range), routed back and taken in as the IPv4 ones are; the
# same checks, each an ipv6_ case, and one more: most of the SYNs sent were
# answered with a cookie, and the answers reached the flooder.
#
# The bound is checked on samples taken every 20 ms: while only the flood
# runs, the global object count (exact) must reach the listener plus 64
# requests and never pass it; while legitimate connections run, the server
# namespace's Objects less its CurrEstab must stay within it too (the server
# keeps its connections open meanwhile, so no connection is in a state
# CurrEstab does not count).
#
# clasp_flood does the socket work.  Module parameters are set before the
# namespaces are created (a namespace copies them then) and put back as
# they were at the end.
#
# CLASP_PROTO=6: the same against kernel TCP, with its sysctls in the
# server namespace (tcp_syncookies, tcp_max_syn_backlog,
# tcp_synack_retries) and its counters (clasp_tcp_stats).  TCP has no
# object count: the objects are the namespace's sockets in /proc/net/tcp
# but TIME_WAIT ones (which last a fixed 60 s), and the "global" count is
# the server namespace's; the sampler's CurrEstab is then the sockets past
# the handshake in the same read (clasp_flood.c).  TCP's SYN queue takes backlog + 1 requests
# (inet_csk_reqsk_queue_is_full() is "more than the backlog"), so its
# bound is one more.  Its SYN flood line is "request_sock_TCP: Possible
# SYN flooding on port ADDR:PORT. Sending cookies."; its requests live
# 1 + 2 + 4 s (a fixed 1 s SYN-ACK RTO).

source "$(dirname "$0")/lib.sh"

FLOOD=$(cd "$(dirname "$0")" && pwd)/clasp_flood
PROTO=${CLASP_PROTO:-253}
NSS=clasp_fs_$$			# the server
NSF=clasp_ff_$$			# the flooder and the legitimate clients
VS=clfs$$
VF=clff$$
NET=10.252.$(($$ % 250))
SPOOF4=198.18.0.0		# /16, routed to nowhere
NET6=fd00:fd:$(($$ % 250))
IPS6=$NET6::1
IPF6=$NET6::2
SPOOF6=2001:2::			# /64, the same for IPv6
PARAMS=/sys/module/clasp/parameters
TMP=$(mktemp -d)

BACKLOG=64
# The listener and the most requests its SYN queue may hold.
BOUND=$((1 + BACKLOG))
[ "$PROTO" = 6 ] && BOUND=$((BOUND + 1))
# SYNs at least: a slow kernel (CLASP_SLOW) takes that many times fewer,
# as its raw sockets send that many times fewer a second.
FLOOD_MIN=${FLOOD_MIN:-$((50000 / CLASP_SLOW))}
FLOOD_MAX=${FLOOD_MAX:-3000000}	# and at most (a runaway guard)
FLOOD_PPS=${FLOOD_PPS:-0}	# 0: as fast as the flooder can
LEGIT=${LEGIT:-200}		# legitimate connections during the flood
LEGIT_PAR=${LEGIT_PAR:-4}	# at a time
LEGIT_TMO=${LEGIT_TMO:-$(clasp_slow_time 15000)}	# ms each may take
LEGIT_MIN_PCT=99
PRE_FLOOD_S=${PRE_FLOOD_S:-2}	# flood alone before the connections start
WATCH_MS=20			# Objects sampling interval
# Requests live rto_initial_ms * (2^(synack_retries+1) - 1) = 1.4 s;
# TIME_WAIT 2 * msl_ms = 0.4 s (times CLASP_SLOW, as the other timers).
RTO_MS=200
SYNACK_RETRIES=2
SETTLE_S=$(clasp_slow_time 20)

TOUCHED=(syncookies syncookie_period_ms max_syn_backlog rto_initial_ms
	synack_retries syn_retries msl_ms fin_timeout_ms abort_on_overflow)
declare -A SAVED

pids=()
START_S=$SECONDS

log() {
	echo "# [$((SECONDS - START_S))s] $*"
}

# now_ms: CLOCK_REALTIME in milliseconds into NOW (no subshell).
now_ms() {
	NOW=$((${EPOCHREALTIME/./} / 1000))
}

save_params() {
	local p
	for p in "${TOUCHED[@]}"; do
		SAVED[$p]=$(cat "$PARAMS/$p") || return 1
	done
}

restore_params() {
	local p
	for p in "${!SAVED[@]}"; do
		echo "${SAVED[$p]}" >"$PARAMS/$p"
	done
}

stop_pids() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	pids=()
}

cleanup() {
	stop_pids
	ip netns del "$NSS" 2>/dev/null
	ip netns del "$NSF" 2>/dev/null
	restore_params
	rm -rf "$TMP"
}
trap cleanup EXIT

# tcp_objects NS: TCP's sockets of both families in namespace NS but
# TIME_WAIT ones (0 if
# NS is gone).
tcp_objects() {
	ip netns exec "$1" awk 'FNR > 1 && $4 != "06" { n++ } END { print n + 0 }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null || echo 0
}

# gobjects: the global object count into GOBJ (a builtin read: process
# creation is slow in an emulated guest, so this script avoids it); for
# TCP, the server namespace's sockets.
gobjects() {
	if [ "$PROTO" = 6 ]; then
		GOBJ=$(tcp_objects "$NSS")
		return
	fi
	read -r GOBJ <"$PARAMS/objects"
}

# stats NS: every counter of /proc/net/clasp_stats in namespace NS into ST
# (for TCP, its counters and tcp_objects as Objects).
declare -A ST
stats() {
	local k v
	ST=()
	while read -r k v; do
		ST[$k]=$v
	done < <(if [ "$PROTO" = 6 ]; then
		clasp_tcp_stats "$1"
		echo "Objects $(tcp_objects "$1")"
	else
		ip netns exec "$1" cat /proc/net/clasp_stats
	fi)
}

# wait_gobjects WANT SECONDS: wait for the global object count to be WANT
# or less (objects of earlier tests' namespaces may go away meanwhile); sets
# WAITED_MS.
wait_gobjects() {
	local want=$1 t0 end
	now_ms
	t0=$NOW
	end=$((t0 + $2 * 1000))
	while gobjects; [ "$GOBJ" -gt "$want" ]; do
		now_ms
		[ "$NOW" -ge "$end" ] && return 1
		sleep 0.1
	done
	now_ms
	WAITED_MS=$((NOW - t0))
}

# wait_idle WANT SECONDS: wait for the global object count to be WANT or
# less, the server namespace to hold nothing but the listener and the
# flooder namespace nothing at all; sets WAITED_MS.
wait_idle() {
	local want=$1 t0 end
	now_ms
	t0=$NOW
	end=$((t0 + $2 * 1000))
	while :; do
		gobjects
		if [ "$GOBJ" -le "$want" ]; then
			stats "$NSS"
			S_OBJ=${ST[Objects]}
			stats "$NSF"
			F_OBJ=${ST[Objects]}
			[ "$S_OBJ" = 1 ] && [ "$F_OBJ" = 0 ] && break
		fi
		now_ms
		[ "$NOW" -ge "$end" ] && return 1
		sleep 0.2
	done
	now_ms
	WAITED_MS=$((NOW - t0))
}

# settled_gobjects: wait (10 s at most) for a quiet moment, when the global
# count stops moving (earlier tests' namespaces may still be going away);
# the count in GOBJ.
settled_gobjects() {
	local prev end=$((SECONDS + $(clasp_slow_time 10)))
	gobjects
	while [ "$SECONDS" -lt "$end" ]; do
		prev=$GOBJ
		sleep 0.3
		gobjects
		[ "$GOBJ" -eq "$prev" ] && break
	done
}

# use_family 4|6: the scenario's family: the addresses (IPS, IPF, the
# spoofed network SPOOF of prefix length SPOOF_LEN), nft's family and
# address match (NFT_FAM, NFT_ADDR), FAM for the server's CLASP_FAMILY.
# Only an IPv6 scenario gives the veth IPv6 addresses.
use_family() {
	FAM=$1
	if [ "$FAM" = 6 ]; then
		IPS=$IPS6 IPF=$IPF6 SPOOF=$SPOOF6 SPOOF_LEN=64 NFT_FAM=ip6 NFT_ADDR=ip6
	else
		IPS=$NET.1 IPF=$NET.2 SPOOF=$SPOOF4 SPOOF_LEN=16 NFT_FAM=ip NFT_ADDR=ip
	fi
}

# setup MODE: fresh namespaces with syncookies=MODE, for the family in use.
setup() {
	local mode=$1
	ip netns del "$NSS" 2>/dev/null
	ip netns del "$NSF" 2>/dev/null
	clasp_set_timers syncookies="$mode" syncookie_period_ms=60000 \
		max_syn_backlog=1024 rto_initial_ms=$RTO_MS \
		synack_retries=$SYNACK_RETRIES syn_retries=6 msl_ms=200 \
		fin_timeout_ms=2000 abort_on_overflow=0 || return 1
	# The spoofed sources are routed to the flooder, which takes them in.
	clasp_veth_pair "$NSS" "$VS" "$NET.1" "$NSF" "$VF" "$NET.2" &&
		{ [ "$FAM" = 4 ] || clasp_veth_pair6 "$NSS" "$VS" "$IPS6" "$NSF" "$VF" "$IPF6"; } &&
		ip -n "$NSS" route add "$SPOOF/$SPOOF_LEN" via "$IPF" &&
		ip -n "$NSF" route add local "$SPOOF/$SPOOF_LEN" dev lo || {
		log "cannot set up namespaces"
		return 1
	}
	if [ "$PROTO" = 6 ]; then
		ip netns exec "$NSS" sysctl -qw net.ipv4.tcp_syncookies="$mode" \
			net.ipv4.tcp_max_syn_backlog=1024 \
			net.ipv4.tcp_synack_retries=$SYNACK_RETRIES || {
			log "cannot set TCP's sysctls"
			return 1
		}
	fi
	# SYN-ACKs to the spoofed sources die on input, counted; any clasp
	# segment leaving from a spoofed source other than a SYN (a reset) is
	# counted too, and should never be.
	ip netns exec "$NSF" nft "add table $NFT_FAM flood
		add chain $NFT_FAM flood in { type filter hook input priority 0; }
		add rule $NFT_FAM flood in $NFT_ADDR daddr $SPOOF/$SPOOF_LEN meta l4proto $PROTO counter drop
		add chain $NFT_FAM flood out { type filter hook output priority 0; }
		add rule $NFT_FAM flood out $NFT_ADDR saddr $SPOOF/$SPOOF_LEN meta l4proto $PROTO @th,104,8 != 0x02 counter" || {
		log "nft failed"
		return 1
	}
}

# nft_counts: the packets the flooder namespace's rules counted, into
# NFT_IN (SYN-ACKs dropped) and NFT_OUT (non-SYNs from spoofed sources).
nft_counts() {
	local chain='' w prev x
	NFT_IN=-1 NFT_OUT=-1
	while read -r -a w; do
		[ "${w[0]}" = chain ] && chain=${w[1]}
		prev=
		for x in "${w[@]}"; do
			if [ "$prev" = packets ]; then
				[ "$chain" = in ] && NFT_IN=$x
				[ "$chain" = out ] && NFT_OUT=$x
			fi
			prev=$x
		done
	done < <(ip netns exec "$NSF" nft list table "$NFT_FAM" flood)
}

# start_bg NAME NS CMD...: run CMD in NS in the background, output to
# $TMP/NAME.out; its pid in BG_PID.
start_bg() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$TMP/$name.out" 2>&1 &
	BG_PID=$!
	pids+=("$BG_PID")
}

# wait_line FILE PATTERN PID: wait up to 20 s for a line in FILE.
wait_line() {
	local end=$((SECONDS + 20))
	while [ "$SECONDS" -le "$end" ]; do
		grep -q "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	log "no '$2' in $1: $(tr '\n' ' ' <"$1")"
	return 1
}

# synflood_lines PORT WHAT: how many "possible SYN flooding" lines so far.
synflood_lines() {
	if [ "$PROTO" = 6 ]; then
		dmesg | grep -c -E "request_sock_TCP(v6)?: Possible SYN flooding on port ([0-9.]*|\[[0-9a-f:]*\]):$1\. $2\."
		return
	fi
	dmesg | grep -c "clasp: possible SYN flooding on port $1\. $2\."
}

# The sampler's lines are "T GLOBAL OBJECTS CURRESTAB" (clasp_flood.c).
#
# max_global FROM TO: the largest global object count, less R_BASE, sampled
# between the times.  Nothing but the server namespace holds clasp objects
# while no legitimate client runs, and the global count is one atomic: the
# listener and its requests, exactly (or fewer, if objects of an earlier
# test went away meanwhile).  /proc/net/clasp_stats sums per-CPU counters
# while the CPUs change them: fine for "reached", not for "never passed".
max_global() {
	awk -v a="$1" -v b="$2" -v base="$R_BASE" \
		'$1 >= a && $1 <= b && NF == 4 && (!n++ || $2 - base > m) { m = $2 - base }
		END { print m + 0 }' "$TMP/watch.out"
}

# max_objects FROM TO: the largest Objects of the server namespace sampled
# between the times.
max_objects() {
	awk -v a="$1" -v b="$2" \
		'$1 >= a && $1 <= b && NF == 4 && (!n++ || $3 > m) { m = $3 }
		END { print m + 0 }' "$TMP/watch.out"
}

# max_halfopen FROM TO: with legitimate connections, the largest Objects
# less CurrEstab of the server namespace sampled between the times: the
# listener and its requests.  The server keeps every connection open (in
# ESTABLISHED or CLOSE_WAIT), so CurrEstab only grows: the next sample's
# CurrEstab already counts every connection the Objects of this one counts,
# even one caught being created.
max_halfopen() {
	awk -v a="$1" -v b="$2" \
		'NF == 4 { t[n] = $1; o[n] = $3; e[n] = $4; n++ }
		END {
			for (i = 0; i + 1 < n; i++)
				if (t[i] >= a && t[i + 1] <= b && (!k++ || o[i] - e[i + 1] > m))
					m = o[i] - e[i + 1]
			print m + 0
		}' "$TMP/watch.out"
}

# The server namespace's counters a scenario keeps, as R_<name>.
COUNTERS=(PassiveOpens SyncookiesSent SyncookiesRecv SyncookiesFailed
	ReqQFullDoCookies ReqQFullDrop ListenOverflows ListenDrops
	InSegs OutSegs RetransSegs Objects)

# scenario MODE PORT: the flood, with legitimate connections if MODE is 1,
# in the family of use_family.  Leaves its findings in R_* variables for
# the checks.
scenario() {
	run_scenario "$@"
	local rc=$?
	stop_pids
	return $rc
}

run_scenario() {
	local mode=$1 port=$2 what idle fpid wpid spid t_flood t_legit t_end c line
	R_SETUP=0 R_LEGIT_OK=0 R_LEGIT_RUN=0 R_FLOODED=0 R_IDLE=0 R_CLEAN=0
	R_LOGGED=0 R_NORST=0 R_OVERLAP=0 R_SERVES=0
	R_MAX_ALONE=0 R_MAX_HALF=0 R_SAMPLES=0 R_REACHED=0 R_SENT=0 R_NFT_IN=0
	# an earlier scenario's counters must not stand in for this one's
	for c in "${COUNTERS[@]}"; do
		unset "R_$c"
	done
	what="Sending cookies"
	[ "$mode" = 0 ] && what="Dropping request"

	settled_gobjects
	R_BASE=$GOBJ
	setup "$mode" || return 1
	R_LOG0=$(synflood_lines "$port" "$what")

	start_bg server "$NSS" env CLASP_FAMILY="$FAM" "$FLOOD" server "$port" "$BACKLOG"
	spid=$BG_PID
	wait_line "$TMP/server.out" '^ready' "$spid" || return 1
	gobjects
	idle=$GOBJ
	log "global objects: $R_BASE before, $idle with the listener"

	start_bg watch "$NSS" "$FLOOD" watch "$WATCH_MS"
	wpid=$BG_PID
	now_ms
	t_flood=$NOW
	start_bg flood "$NSF" "$FLOOD" flood "$IPS" "$port" "$SPOOF" \
		"$FLOOD_MIN" "$FLOOD_MAX" "$FLOOD_PPS"
	fpid=$BG_PID
	wait_line "$TMP/flood.out" '^flooding' "$fpid" || return 1
	R_SETUP=1
	sleep "$PRE_FLOOD_S"
	now_ms
	t_legit=$NOW

	if [ "$mode" = 1 ]; then
		ip netns exec "$NSF" "$FLOOD" clients "$IPS" "$port" "$LEGIT" \
			"$LEGIT_PAR" "$LEGIT_TMO" >"$TMP/clients.out" 2>&1
		R_LEGIT_RUN=1
		grep '^# fail' "$TMP/clients.out" | head -n 20
		log "clients: $(tail -n 1 "$TMP/clients.out")"
		R_LEGIT_OK=$(awk '$1 == "ok" { print $2 }' "$TMP/clients.out")
	fi
	now_ms
	t_end=$NOW
	# The flood must still be going: it covered the whole measurement.
	kill -0 "$fpid" 2>/dev/null && R_OVERLAP=1
	log "flood: $(tail -n 1 "$TMP/flood.out")"
	kill -TERM "$fpid"
	wait "$fpid"
	log "flood: $(tail -n 1 "$TMP/flood.out")"
	R_SENT=$(awk '$1 == "done" { print $3 }' "$TMP/flood.out")
	[ "${R_SENT:-0}" -ge "$FLOOD_MIN" ] && R_FLOODED=1
	now_ms
	t_end=$NOW

	# Close the connections the server kept, then every request expires.
	kill -USR1 "$spid"
	wait_line "$TMP/server.out" '^released' "$spid"
	S_OBJ=unknown F_OBJ=unknown
	if wait_idle "$idle" "$SETTLE_S"; then
		R_IDLE=1
		log "global objects back to $GOBJ (idle: $idle) ${WAITED_MS} ms after the flood"
	else
		log "after ${SETTLE_S} s: global objects $GOBJ, want $idle;" \
			"Objects $S_OBJ in the server namespace (want 1), $F_OBJ in the flooder's (want 0)"
	fi
	kill -TERM "$wpid"
	wait "$wpid"
	R_SAMPLES=$(wc -l <"$TMP/watch.out")
	R_MAX_ALONE=$(max_global "$t_flood" "$t_legit")
	R_REACHED=$(max_objects "$t_flood" "$t_legit")
	if [ "$mode" = 1 ]; then
		R_MAX_HALF=$(max_halfopen "$t_legit" "$t_end")
		log "server namespace, $R_SAMPLES samples: at most $R_MAX_ALONE objects with the flood alone," \
			"Objects - CurrEstab at most $R_MAX_HALF with the connections"
	else
		R_MAX_HALF=$(max_global "$t_flood" "$t_end")
		log "server namespace, $R_SAMPLES samples: at most $R_MAX_ALONE objects in the first ${PRE_FLOOD_S} s, $R_MAX_HALF overall"
	fi

	stats "$NSS"
	line=
	for c in "${COUNTERS[@]}"; do
		printf -v "R_$c" '%s' "${ST[$c]}"
		line+="$c=${ST[$c]} "
	done
	log "server: $line"

	nft_counts
	stats "$NSF"
	log "flooder namespace: $NFT_IN SYN-ACKs dropped, $NFT_OUT non-SYNs sent from spoofed sources; OutRsts ${ST[OutRsts]} (the clients');" \
		"veth drops on the way to the server: $(ip netns exec "$NSF" cat "/sys/class/net/$VF/statistics/tx_dropped")"
	R_NFT_IN=$NFT_IN
	[ "$NFT_IN" -gt 0 ] && [ "$NFT_OUT" -eq 0 ] && R_NORST=1

	[ "$(synflood_lines "$port" "$what")" -gt "$R_LOG0" ] && R_LOGGED=1
	dmesg | grep -i "possible SYN flooding" | tail -n 2 | sed 's/^/# dmesg: /'

	# The listener still serves.
	ip netns exec "$NSF" "$FLOOD" clients "$IPS" "$port" 5 1 10000 >"$TMP/after.out" 2>&1
	log "after the flood: $(tail -n 1 "$TMP/after.out")"
	grep -q '^ok 5 ' "$TMP/after.out" && R_SERVES=1

	kill -TERM "$spid"
	wait "$spid"
	log "server: $(tail -n 1 "$TMP/server.out")"
	pids=()
	ip netns del "$NSS"
	ip netns del "$NSF"
	if wait_gobjects "$R_BASE" "$SETTLE_S"; then
		R_CLEAN=1
		log "global objects $GOBJ once the namespaces are gone (before: $R_BASE)"
	else
		log "global objects $GOBJ after deleting the namespaces, want $R_BASE"
	fi
}

# ---------------------------------------------------------------------------

flood_big_enough() {
	[ "$R_FLOODED" = 1 ] || log "flood of ${R_SENT:-0} SYNs, want at least $FLOOD_MIN"
	[ "$R_OVERLAP" = 1 ] || log "the flood ended before the measurement did"
	[ "$R_FLOODED" = 1 ] && [ "$R_OVERLAP" = 1 ]
}

# flood_answered: the SYNs that reached the listener drew FLOOD_MIN / 5
# cookies at least, and nine in ten of those SYN-ACKs came back to the
# spoofed sources: the flood reached the listener and its answers were
# routed back.  (Not a share of the SYNs sent: over IPv6 a busy guest has
# at times lost most of them before the listener, TCP's and clasp's alike;
# the server's InSegs and the veth's drops in the log show how many
# arrived.)
flood_answered() {
	local want=$((FLOOD_MIN / 5)) back=$((${R_SyncookiesSent:-0} * 9 / 10))
	log "${R_SENT:-0} SYNs sent, ${R_InSegs:-0} segments in, ${R_SyncookiesSent:-0} cookies sent" \
		"(want $want), $R_NFT_IN SYN-ACKs back (want $back)"
	[ "${R_SyncookiesSent:-0}" -ge "$want" ] && [ "$R_NFT_IN" -ge "$back" ]
}

legit_connects_succeed() {
	local want=$(((LEGIT * LEGIT_MIN_PCT + 99) / 100))
	[ "$R_LEGIT_RUN" = 1 ] || return 1
	log "$R_LEGIT_OK of $LEGIT connections succeeded, want at least $want"
	[ "${R_LEGIT_OK:-0}" -ge "$want" ]
}

# syn_queue_bounded: the listener and at most BACKLOG requests in every
# sample, and with the flood alone a full SYN queue: that many.
syn_queue_bounded() {
	local ret=0 bound=$BOUND
	if [ "$R_SAMPLES" -lt 50 ]; then
		log "only $R_SAMPLES samples"
		ret=1
	fi
	if [ "$R_MAX_ALONE" -gt "$bound" ]; then
		log "flood alone: $R_MAX_ALONE objects, bound $bound"
		ret=1
	fi
	if [ "$R_REACHED" -lt "$bound" ]; then
		log "flood alone: Objects never reached $bound (listener + full SYN queue), at most $R_REACHED"
		ret=1
	fi
	if [ "$R_MAX_HALF" -gt "$bound" ]; then
		log "the listener and $((R_MAX_HALF - 1)) requests, bound $bound; samples (ms global Objects CurrEstab):"
		awk -v b="$bound" '{ if (NR > 1 && (p3 - $4 > b || p2 - base > b)) print "#   " p; p = $0; p2 = $2; p3 = $3 }' \
			base="$R_BASE" "$TMP/watch.out" | head -n 10
		ret=1
	fi
	return $ret
}

cookies_engaged() {
	[ "${R_ReqQFullDoCookies:-0}" -gt 0 ] && [ "${R_SyncookiesSent:-0}" -gt 0 ] &&
		[ "${R_SyncookiesRecv:-0}" -gt 0 ] && [ "${R_ReqQFullDrop:-1}" -eq 0 ]
}

drops_counted() {
	[ "${R_ReqQFullDrop:-0}" -gt 0 ] && [ "${R_ListenDrops:-0}" -ge "${R_ReqQFullDrop:-0}" ] &&
		[ "${R_SyncookiesSent:-1}" -eq 0 ] && [ "${R_ReqQFullDoCookies:-1}" -eq 0 ]
}

synflood_logged() {
	[ "$R_LOGGED" = 1 ] || log "no new 'possible SYN flooding' line in dmesg"
	[ "$R_LOGGED" = 1 ]
}

objects_back_to_idle() {
	[ "$R_IDLE" = 1 ] && [ "$R_CLEAN" = 1 ]
}

flooder_sends_no_resets() {
	[ "$R_NORST" = 1 ]
}

still_serves() {
	[ "$R_SERVES" = 1 ]
}

setup_ok() {
	[ "$R_SETUP" = 1 ]
}

clasp_tap_plan 24
if ! save_params; then
	log "cannot read clasp's module parameters"
fi
[ -x "$FLOOD" ] || log "$FLOOD missing: build with make selftests"

T0=$SECONDS
use_family 4
log "=== syncookies=1: $FLOOD_MIN+ SYNs, $LEGIT connections during the flood"
scenario 1 7101
log "syncookies=1 scenario took $((SECONDS - T0)) s"
check cookies1_flood_setup setup_ok
check "cookies1_flood_at_least_${FLOOD_MIN}_syns" flood_big_enough
check cookies1_legit_connects_99pct_succeed legit_connects_succeed
check cookies1_syn_queue_bounded syn_queue_bounded
check cookies1_cookies_sent_and_validated cookies_engaged
check cookies1_synflood_logged synflood_logged
check cookies1_objects_back_to_idle objects_back_to_idle
check cookies1_flooder_sends_no_resets flooder_sends_no_resets

T0=$SECONDS
log "=== syncookies=0: $FLOOD_MIN+ SYNs"
scenario 0 7100
log "syncookies=0 scenario took $((SECONDS - T0)) s"
check "cookies0_flood_at_least_${FLOOD_MIN}_syns" flood_big_enough
check cookies0_syn_queue_bounded syn_queue_bounded
check cookies0_drops_counted_no_cookies drops_counted
check cookies0_synflood_logged synflood_logged
check cookies0_objects_back_to_idle objects_back_to_idle
check cookies0_flooder_sends_no_resets flooder_sends_no_resets
check cookies0_listener_serves_after_flood still_serves

T0=$SECONDS
use_family 6
log "=== IPv6, syncookies=1: $FLOOD_MIN+ SYNs from $SPOOF/64, $LEGIT connections during the flood"
scenario 1 7102
log "IPv6 scenario took $((SECONDS - T0)) s"
check ipv6_flood_setup setup_ok
check "ipv6_flood_at_least_${FLOOD_MIN}_syns" flood_big_enough
check ipv6_flood_answered_by_cookies flood_answered
check ipv6_legit_connects_99pct_succeed legit_connects_succeed
check ipv6_syn_queue_bounded syn_queue_bounded
check ipv6_cookies_sent_and_validated cookies_engaged
check ipv6_synflood_logged synflood_logged
check ipv6_objects_back_to_idle objects_back_to_idle
check ipv6_flooder_sends_no_resets flooder_sends_no_resets

echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
