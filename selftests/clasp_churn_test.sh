#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn under faults: CLASP_CHURN_CONNS connections (default 2000), 128 at a
# time, open, carry checked data and close between two network namespaces
# joined by a veth pair whose both ends lose 10% of the packets, duplicate
# 5%, delay them 10 ms +- 5 ms and reorder a quarter of them (netem).
# Meanwhile, in loops until the churn is over:
#   - claspctl -j conns lists the connections of both namespaces;
#   - claspctl config set turns tunables of both namespaces between sane
#     values (rto_min_ms, keepalive_time_ms, max_syn_backlog, ...);
#   - claspctl kill resets an established connection of the server now and
#     then, the only cause of a reset the client may see.
# clasp_churn does the socket work and checks every byte and every ending
# (see its header).  Afterwards both namespaces must count zero objects
# once their TIME_WAIT (2 * msl_ms) and FIN_WAIT_2 timers have run out.
#
# Knobs: CLASP_CHURN_CONNS, CLASP_CHURN_PARALLEL (128), CLASP_CHURN_MAXBYTES
# (largest transfer, 8192), CLASP_CHURN_DEADLINE (client, 70 s).
#
# CLASP_PROTO=6: the same churn against kernel TCP, its tunables as TCP's
# sysctls (keepalive in whole seconds, rounded up) and rto_min as the
# route's; ss lists the connections (sock_diag) and kills them (ss -K:
# ECONNABORTED here, a reset to the peer, as claspctl kill).  TCP has no
# object count: at the end no socket but TIME_WAIT ones (a fixed 60 s)
# may be left.

source "$(dirname "$0")/lib.sh"
TCP=0
[ "${CLASP_PROTO:-253}" = 6 ] && TCP=1

DIR=$(cd "$(dirname "$0")" && pwd)
CHURN=$DIR/clasp_churn
CTL=${CLASPCTL:-$CLASP_REPO/userspace/claspctl}
CONNS=${CLASP_CHURN_CONNS:-2000}
PARALLEL=${CLASP_CHURN_PARALLEL:-128}
MAXBYTES=${CLASP_CHURN_MAXBYTES:-8192}
DEADLINE=${CLASP_CHURN_DEADLINE:-$(clasp_slow_time 70)}
NSA=clasp_ca_$$
NSB=clasp_cb_$$
VA=clca$$
VB=clcb$$
NET=10.252.$(($$ % 250))
IPA=$NET.1
IPB=$NET.2
PORT=7000
MSL_MS=250
FIN_TIMEOUT_MS=2000
PARAMS=/sys/module/clasp/parameters
NETEM="delay 10ms 5ms loss 10% duplicate 5% reorder 25% 50%"

# Tunables at the start (module parameters while the namespaces are made), and the values the tuner loop turns through.
START=("msl_ms=$MSL_MS" "fin_timeout_ms=$FIN_TIMEOUT_MS" rto_initial_ms=200
	rto_min_ms=50 rto_max_ms=2000 syn_retries=10 synack_retries=10
	retries=15 keepalive_time_ms=1000 keepalive_intvl_ms=300
	keepalive_probes=9)
# keepalive_probes=9: with 10% loss each way a probe or its answer is lost
# one time in five, so five probes all lost (a keepalive abort the test
# cannot tell from a bug) happened about once in 2,000 connections on a
# loaded host; nine make it about once in three million.
# max_syn_backlog stays above the 128 handshakes in flight: a SYN cookie
# cannot survive the loss of the segment at ISN + 1 (for clasp as for TCP),
# and that reset would be no fault of the module's.
TURNS=(rto_min_ms=20 keepalive_time_ms=500 max_syn_backlog=512
	rto_min_ms=100 keepalive_intvl_ms=200 max_syn_backlog=1024
	rto_min_ms=50 keepalive_time_ms=2000 max_syn_backlog=256
	keepalive_intvl_ms=300 keepalive_time_ms=1000)


clasp_test_begin "$NSA" "$NSB"

ctl() {
	ip netns exec "$1" "$CTL" "${@:2}"
}

# tcp_tunable NS NAME VALUE: clasp's tunable NAME as TCP's in NS: a sysctl
# (seconds, rounded up, for keepalive), or the route's rto_min.
tcp_tunable() {
	local ns=$1 v=$3 dev=$VA ip=$IPA
	[ "$ns" = "$NSB" ] && dev=$VB ip=$IPB
	case $2 in
	rto_min_ms) ip -n "$ns" route replace "$NET.0/24" dev "$dev" src "$ip" rto_min "${v}ms" ;;
	keepalive_time_ms) ip netns exec "$ns" sysctl -qw net.ipv4.tcp_keepalive_time=$(((v + 999) / 1000)) ;;
	keepalive_intvl_ms) ip netns exec "$ns" sysctl -qw net.ipv4.tcp_keepalive_intvl=$(((v + 999) / 1000)) ;;
	keepalive_probes) ip netns exec "$ns" sysctl -qw net.ipv4.tcp_keepalive_probes="$v" ;;
	max_syn_backlog) ip netns exec "$ns" sysctl -qw net.ipv4.tcp_max_syn_backlog="$v" ;;
	syn_retries) ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_retries="$v" ;;
	synack_retries) ip netns exec "$ns" sysctl -qw net.ipv4.tcp_synack_retries="$v" ;;
	retries) ip netns exec "$ns" sysctl -qw net.ipv4.tcp_retries2="$v" ;;
	fin_timeout_ms) ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fin_timeout=$(((v + 999) / 1000)) ;;
	# TCP's TIME_WAIT, SYN RTO and RTO ceiling are fixed.
	msl_ms | rto_initial_ms | rto_max_ms) ;;
	*) return 1 ;;
	esac
}

# set_tunables NS NAME=VALUE...
set_tunables() {
	local ns=$1 kv
	shift
	clasp_scale_timers "$@"
	for kv in "${CLASP_SCALED[@]}"; do
		if [ "$TCP" = 1 ]; then
			tcp_tunable "$ns" "${kv%%=*}" "${kv#*=}"
		else
			ctl "$ns" config set "${kv%%=*}" "${kv#*=}"
		fi || {
			log "config set $kv in $ns failed"
			return 1
		}
	done
}

# show_problems FILE SIDE: what a side printed to stderr, resets (expected
# of kills and aborts) counted rather than listed, the rest at most 20 lines.
show_problems() {
	local resets
	resets=$(grep -c 'Connection reset by peer' "$1")
	log "$2: $resets connections reset"
	grep -v 'Connection reset by peer' "$1" | head -n 20 | sed 's/^/# /'
}

setup() {
	local saved=() kv
	if [ "$TCP" = 1 ]; then
		clasp_veth_pair "$NSA" "$VA" "$IPA" "$NSB" "$VB" "$IPB" &&
			set_tunables "$NSA" "${START[@]}" &&
			set_tunables "$NSB" "${START[@]}" || return 1
		# shellcheck disable=SC2086
		tc -n "$NSA" qdisc add dev "$VA" root netem $NETEM &&
			tc -n "$NSB" qdisc add dev "$VB" root netem $NETEM || {
			log "cannot add netem"
			return 1
		}
		return 0
	fi
	for kv in "${START[@]}"; do
		saved+=("${kv%%=*}=$(<"$PARAMS/${kv%%=*}")")
	done
	clasp_set_timers "${START[@]}" || return 1
	clasp_veth_pair "$NSA" "$VA" "$IPA" "$NSB" "$VB" "$IPB" || {
		clasp_set_params "${saved[@]}"
		return 1
	}
	clasp_set_params "${saved[@]}" || return 1
	# shellcheck disable=SC2086
	tc -n "$NSA" qdisc add dev "$VA" root netem $NETEM &&
		tc -n "$NSB" qdisc add dev "$VB" root netem $NETEM || {
		log "cannot add netem"
		return 1
	}
}

# The loops run until $TMP/stop appears and write "RUNS FAILURES [KILLS]"
# to $TMP/NAME.res.

lister() {
	local runs=0 bad=0 ns
	while [ ! -e "$TMP/stop" ]; do
		for ns in "$NSA" "$NSB"; do
			if [ "$TCP" = 1 ]; then
				if ! ip netns exec "$ns" ss -tn >"$TMP/conns.json" 2>"$TMP/conns.err" ||
					[[ $(head -c 5 "$TMP/conns.json") != State ]]; then
					bad=$((bad + 1))
					log "ss -tn in $ns: $(head -c 200 "$TMP/conns.err")"
				fi
			elif ! ctl "$ns" -j conns >"$TMP/conns.json" 2>"$TMP/conns.err" ||
				[[ $(head -c 1 "$TMP/conns.json") != "[" ]]; then
				bad=$((bad + 1))
				log "claspctl -j conns in $ns: $(head -c 200 "$TMP/conns.err")"
			fi
			runs=$((runs + 1))
		done
	done
	echo "$runs $bad" >"$TMP/lister.res"
}

tuner() {
	local runs=0 bad=0 kv
	while [ ! -e "$TMP/stop" ]; do
		kv=${TURNS[runs % ${#TURNS[@]}]}
		set_tunables "$NSA" "$kv" || bad=$((bad + 1))
		set_tunables "$NSB" "$kv" || bad=$((bad + 1))
		runs=$((runs + 1))
		sleep 0.3
	done
	echo "$runs $bad" >"$TMP/tuner.res"
}

# Kill one established connection of the server's now and then.  "no such
# connection" is a race lost, not a failure.
killer() {
	local runs=0 bad=0 kills=0 l r
	while [ ! -e "$TMP/stop" ]; do
		sleep 1
		runs=$((runs + 1))
		if [ "$TCP" = 1 ]; then
			read -r _ _ l r _ < <(ip netns exec "$NSB" ss -Htn state established \
				sport = ":$PORT" | sed -n "$((runs % 5 + 1))p")
			[ -n "$r" ] || continue
			# ss -K lists what it killed: nothing is a race lost.
			if ip netns exec "$NSB" ss -HKtn state established src "$l" dst "$r" \
				>"$TMP/kill.out" 2>"$TMP/kill.err"; then
				[ -s "$TMP/kill.out" ] && kills=$((kills + 1))
			else
				bad=$((bad + 1))
				log "ss -K $l $r: $(cat "$TMP/kill.err")"
			fi
			continue
		fi
		read -r _ _ _ l r _ < <(ctl "$NSB" -n conns state established \
			sport "$PORT" | sed -n "$((runs % 5 + 2))p")
		[ -n "$r" ] || continue
		if ctl "$NSB" kill "$l" "$r" 2>"$TMP/kill.err"; then
			kills=$((kills + 1))
		elif ! grep -q "no such connection" "$TMP/kill.err"; then
			bad=$((bad + 1))
			log "claspctl kill $l $r: $(cat "$TMP/kill.err")"
		fi
	done
	echo "$runs $bad $kills" >"$TMP/killer.res"
}

# field FILE KEY: the number after KEY in the one-line summary in FILE.
field() {
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"
}

churn() {
	local srv rc
	ip netns exec "$NSB" "$CHURN" server "$PORT" >"$TMP/srv.out" 2>"$TMP/srv.err" &
	srv=$!
	pids+=("$srv")
	for _ in $(seq 100); do
		[[ $(<"$TMP/srv.out") == ready* ]] && break
		sleep 0.1
	done
	[[ $(<"$TMP/srv.out") == ready* ]] || {
		log "server did not start: $(<"$TMP/srv.err")"
		return 1
	}
	lister & pids+=($!)
	tuner & pids+=($!)
	killer & pids+=($!)
	log "churn: $CONNS connections, $PARALLEL at a time, up to $MAXBYTES bytes each"
	ip netns exec "$NSA" timeout $((DEADLINE + 30)) "$CHURN" client "$IPB" "$PORT" \
		"$CONNS" "$PARALLEL" "$MAXBYTES" "$DEADLINE" >"$TMP/cli.out" 2>"$TMP/cli.err"
	rc=$?
	log "client exit $rc"
	kill -USR1 "$srv"
	wait "$srv" || rc=1
	touch "$TMP/stop"
	wait
	pids=()
	show_problems "$TMP/cli.err" client
	show_problems "$TMP/srv.err" server
	log "$(grep '^client' "$TMP/cli.out")"
	log "$(grep '^server' "$TMP/srv.out")"
	log "lister runs/failures $(<"$TMP/lister.res"), tuner $(<"$TMP/tuner.res"), killer runs/failures/kills $(<"$TMP/killer.res")"
	return "$rc"
}

# Every connection ended in a defined way, and only kills explain resets.
endings_accounted_for() {
	local c=$TMP/cli.out s=$TMP/srv.out kills
	kills=$(awk '{ print $3 }' "$TMP/killer.res")
	[ "$(field "$c" conns)" -eq "$CONNS" ] &&
		[ $(($(field "$c" ok) + $(field "$c" aborted) + $(field "$c" reset))) -eq "$CONNS" ] &&
		[ "$(field "$c" failed)" -eq 0 ] && [ "$(field "$s" failed)" -eq 0 ] &&
		[ "$(field "$c" reset)" -le "$kills" ] &&
		[ "$(field "$s" killed)" -le "$kills" ] &&
		[ "$(field "$s" reset)" -le "$(field "$c" aborted)" ] &&
		[ "$(field "$s" ok)" -ge "$(field "$c" ok)" ] &&
		[ "$(field "$s" ok)" -le $(($(field "$c" ok) + kills)) ] &&
		[ "$(field "$c" bytes)" -gt 0 ]
}

loops_clean() {
	local r
	for r in lister tuner killer; do
		read -r runs bad _ <"$TMP/$r.res" || return 1
		[ "$runs" -gt 0 ] && [ "$bad" -eq 0 ] || return 1
	done
}

# nonzero NS: the counters of NS that are not 0, on one line.
nonzero() {
	if [ "$TCP" = 1 ]; then
		clasp_tcp_stats "$1" | awk '$2 != 0 { printf "%s %s ", $1, $2 }'
		return
	fi
	ip netns exec "$1" awk '$2 != 0 { printf "%s %s ", $1, $2 }' /proc/net/clasp_stats
}

# tcp_left NS: TCP's sockets in NS but TIME_WAIT ones.
tcp_left() {
	ip netns exec "$1" awk 'NR > 1 && $4 != "06" { n++ } END { print n + 0 }' /proc/net/tcp
}

# The faults were there: both sides retransmitted.
faults_seen() {
	local ra rb
	ra=$(clasp_counter "$NSA" RetransSegs)
	rb=$(clasp_counter "$NSB" RetransSegs)
	log "RetransSegs: client side $ra, server side $rb"
	log "client side: $(nonzero "$NSA")"
	log "server side: $(nonzero "$NSB")"
	[ "$ra" -gt 0 ] && [ "$rb" -gt 0 ]
}

# Objects back to 0 in both namespaces within 2 MSL plus the FIN_WAIT_2
# timeout plus a margin for a slow guest.
objects_return_to_zero() {
	local limit=$((((2 * MSL_MS + FIN_TIMEOUT_MS) / 100 + 100) * CLASP_SLOW)) i a b
	for ((i = 0; i <= limit; i++)); do
		if [ "$TCP" = 1 ]; then
			a=$(tcp_left "$NSA")
			b=$(tcp_left "$NSB")
		else
			a=$(clasp_counter "$NSA" Objects)
			b=$(clasp_counter "$NSB" Objects)
		fi
		[ "$a" = 0 ] && [ "$b" = 0 ] && {
			log "Objects 0 in both namespaces$([ "$TCP" = 1 ] && echo " (TCP: no socket but TIME_WAIT ones)")"
			return 0
		}
		sleep 0.1
	done
	log "Objects: client side $a, server side $b"
	if [ "$TCP" = 1 ]; then
		ip netns exec "$NSA" ss -tan | grep -v TIME-WAIT | head -n 10 | sed 's/^/# A: /'
		ip netns exec "$NSB" ss -tan | grep -v TIME-WAIT | head -n 10 | sed 's/^/# B: /'
		return 1
	fi
	ctl "$NSA" conns -o | head -n 10 | sed 's/^/# A: /'
	ctl "$NSB" conns -o | head -n 10 | sed 's/^/# B: /'
	return 1
}

# Nothing to run with is a failure, never a skip (scripts/judge).
if { [ "$TCP" = 0 ] && [ ! -x "$CTL" ]; } || [ ! -x "$CHURN" ]; then
	echo "not ok 1 claspctl or clasp_churn not built"
	exit "$KSFT_FAIL"
fi
[ "$TCP" = 1 ] || clasp_loaded || {
	echo "not ok 1 clasp is not loaded"
	exit "$KSFT_FAIL"
}
if ! setup; then
	echo "not ok 1 setup"
	exit "$KSFT_FAIL"
fi
echo "1..5"
check churn_completes churn
check every_ending_accounted_for endings_accounted_for
check claspctl_loops_clean loops_clean
check faults_in_place faults_seen
check objects_return_to_zero objects_return_to_zero
echo "# Totals: pass:$((ntest - fails)) fail:$fails"
[ "$fails" -eq 0 ] && exit "$KSFT_PASS" || exit "$KSFT_FAIL"
