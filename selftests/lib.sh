# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for clasp's shell selftests (sourced, not run).

CLASP_REPO=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLASP_KO="$CLASP_REPO/build/$(uname -r)/clasp.ko"
KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

# CLASP_SLOW=N: the kernel runs about N times slower than a stock one
# (make check-debug sets it; see clasp_util.h).  Tests scale the timers
# they set, their waits and their time bounds with clasp_slow_time.
CLASP_SLOW=${CLASP_SLOW:-1}
case $CLASP_SLOW in
''|*[!0-9]*|0) CLASP_SLOW=1 ;;
esac

# clasp_slow_time T: a duration T (any unit) of a stock kernel in this
# kernel's time.
clasp_slow_time() {
	echo $(($1 * CLASP_SLOW))
}

# clasp_uptime_ms VAR: milliseconds since boot, a clock that never jumps,
# into VAR (without a subshell: polls read it often).
clasp_uptime_ms() {
	local up _
	read -r up _ </proc/uptime
	printf -v "$1" '%d' $((${up%.*} * 1000 + 10#${up#*.} * 10))
}

# clasp_poll_until TIMEOUT CMD [ARGS...]: run CMD every 50 ms until it
# succeeds, or fail once TIMEOUT seconds (decimals allowed; a stock
# kernel's time, scaled by clasp_slow_time) have passed.  Tests wait for
# an event with it rather than sleep a fixed time: they go on as soon as
# it happened, and one that never does fails instead of being missed.
clasp_poll_until() {
	local sec=${1%%.*} frac=000 now end
	sec=${sec:-0}
	[[ $1 == *.* ]] && frac=${1#*.}000
	[[ $sec$frac =~ ^[0-9]+$ ]] || {
		log "clasp_poll_until: bad timeout '$1'"
		return 2
	}
	shift
	clasp_uptime_ms now
	end=$((now + $(clasp_slow_time $((10#$sec * 1000 + 10#${frac:0:3})))))
	until "$@"; do
		clasp_uptime_ms now
		[ "$now" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# clasp_scale_timers NAME=VALUE...: the same pairs into CLASP_SCALED, with
# the values of timer parameters (NAME_ms) scaled by clasp_slow_time.
clasp_scale_timers() {
	local kv
	CLASP_SCALED=()
	for kv in "$@"; do
		case ${kv%%=*} in
		*_ms) kv=${kv%%=*}=$(clasp_slow_time "${kv#*=}") ;;
		esac
		CLASP_SCALED+=("$kv")
	done
}

# clasp_set_params NAME=VALUE...: write clasp's module parameters (which a
# namespace copies when it is created), as they are.
clasp_set_params() {
	local kv
	for kv in "$@"; do
		echo "${kv#*=}" >"/sys/module/clasp/parameters/${kv%%=*}" || {
			echo "# cannot set module parameter $kv"
			return 1
		}
	done
}

# clasp_set_timers NAME=VALUE...: clasp_set_params, with timer parameters
# scaled (clasp_scale_timers).
clasp_set_timers() {
	clasp_scale_timers "$@"
	clasp_set_params "${CLASP_SCALED[@]}"
}

# TAP for shell tests: check NAME CMD [ARGS...] runs CMD and prints
# "ok N NAME" or "not ok N NAME"; $fails and $ntest feed the Totals line.
fails=0
ntest=0

# clasp_tap_plan N: the TAP header and the plan of N cases check() runs.
clasp_tap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

check() {
	local name=$1
	shift
	ntest=$((ntest + 1))
	if "$@"; then
		echo "ok $ntest $name"
	else
		echo "not ok $ntest $name"
		fails=$((fails + 1))
	fi
}

# log MESSAGE...: a TAP diagnostic line, with the milliseconds since
# clasp_start_clock when a test started the clock.
log() {
	if [ -n "${CLASP_T0:-}" ]; then
		local now=${EPOCHREALTIME/./}
		printf '# [%6d ms] %s\n' $(((now - CLASP_T0) / 1000)) "$*"
	else
		echo "# $*"
	fi
}

# clasp_start_clock: log() times its lines from now on.
clasp_start_clock() {
	CLASP_T0=${EPOCHREALTIME/./}
}

# clasp_test_begin NS...: what a test between namespaces NS starts with:
# a scratch directory $TMP, an empty array pids for its background
# processes, log() timing from now, and an EXIT trap (clasp_test_end) that
# stops the processes, deletes NS and removes $TMP.
clasp_test_begin() {
	CLASP_TEST_NS=("$@")
	TMP=$(mktemp -d) || exit "$KSFT_FAIL"
	pids=()
	trap clasp_test_end EXIT
	clasp_start_clock
}

clasp_test_end() {
	clasp_stop_all "${CLASP_TEST_NS[@]}"
	rm -rf "$TMP"
}

# clasp_stop_all NS...: kill the test's background processes (the array
# pids), wait for them and delete namespaces NS: what a test's EXIT trap
# does first.
clasp_stop_all() {
	local p ns
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in "$@"; do
		ip netns del "$ns" 2>/dev/null
	done
}

# clasp_veth_pair NS_A DEV_A IP_A NS_B DEV_B IP_B: new namespaces A and B
# joined by a veth pair, each end with its address on a /24, lo up in both;
# returns once the carrier is up at both ends (a moment on a slow guest).
clasp_veth_pair() {
	local na=$1 da=$2 ia=$3 nb=$4 db=$5 ib=$6
	ip netns add "$na" && ip netns add "$nb" &&
		ip link add "$da" netns "$na" type veth peer name "$db" netns "$nb" &&
		ip -n "$na" addr add "$ia/24" dev "$da" &&
		ip -n "$nb" addr add "$ib/24" dev "$db" &&
		ip -n "$na" link set "$da" up && ip -n "$nb" link set "$db" up &&
		ip -n "$na" link set lo up && ip -n "$nb" link set lo up || {
		log "cannot set up the namespaces"
		return 1
	}
	for _ in $(seq 50); do
		[[ $(ip -n "$na" link show "$da") == *LOWER_UP* ]] &&
			[[ $(ip -n "$nb" link show "$db") == *LOWER_UP* ]] && return 0
		sleep 0.1
	done
	log "veth carrier never came up"
	return 1
}

# clasp_veth_pair6 NA DA IA NB DB IB: IPv6 addresses IA and IB (/64,
# usable at once: no duplicate address detection) on the ends DA in NA and
# DB in NB of a pair clasp_veth_pair made.
clasp_veth_pair6() {
	ip -n "$1" addr add "$3/64" dev "$2" nodad &&
		ip -n "$4" addr add "$6/64" dev "$5" nodad || {
		log "cannot add the IPv6 addresses"
		return 1
	}
}

# clasp_counter NS NAME: counter NAME of /proc/net/clasp_stats in
# namespace NS, or "?".  Under CLASP_PROTO=6, TCP's counter for that name
# (clasp_tcp_stats).
clasp_counter() {
	local k v
	while read -r k v; do
		[ "$k" = "$2" ] && { echo "$v"; return 0; }
	done < <(if [ "${CLASP_PROTO:-253}" = 6 ]; then
		clasp_tcp_stats "$1"
	else
		ip netns exec "$1" cat /proc/net/clasp_stats
	fi)
	echo "?"
}

# clasp_tcp_stats NS: TCP's counters in namespace NS as /proc/net/clasp_stats
# lines ("Name value"), under clasp's names: the Tcp: line of
# /proc/net/snmp as it is, and the TcpExt: counters of /proc/net/netstat
# that clasp counts too (as clasp_counter() in clasp_util.h).  TCP has no
# Objects, TimeWaitEntered, KeepAliveAborts or RstsReceived.
clasp_tcp_stats() {
	ip netns exec "$1" awk '
	BEGIN {
		split("AbortOnClose AbortOnData AbortOnLinger AbortOnTimeout " \
		      "ChallengeAcks ReqQFullDoCookies ReqQFullDrop " \
		      "RcvQDrops BacklogDrops OFOQueue DSACKOldSent " \
		      "DSACKOfoSent SACKRecovery " \
		      "SACKReorder DSACKRecv DSACKOfoRecv SACKReneging " \
		      "RenoRecovery FastRetrans SpuriousRTOs LossProbes " \
		      "LossProbeRecovery LostRetransmit DeliveredCE", c)
		split("TCPAbortOnClose TCPAbortOnData TCPAbortOnLinger " \
		      "TCPAbortOnTimeout TCPChallengeACK TCPReqQFullDoCookies " \
		      "TCPReqQFullDrop TCPRcvQDrop TCPBacklogDrop TCPOFOQueue " \
		      "TCPDSACKOldSent TCPDSACKOfoSent " \
		      "TCPSackRecovery TCPSACKReorder TCPDSACKRecv " \
		      "TCPDSACKOfoRecv TCPSACKReneging TCPRenoRecovery " \
		      "TCPFastRetrans TCPSpuriousRTOs TCPLossProbes " \
		      "TCPLossProbeRecovery TCPLostRetransmit TCPDeliveredCE", t)
		for (i in c)
			name[t[i]] = c[i]
		split("ListenOverflows ListenDrops SyncookiesSent " \
		      "SyncookiesRecv SyncookiesFailed TWRecycled", same)
		for (i in same)
			name[same[i]] = same[i]
	}
	($1 == "Tcp:" || $1 == "TcpExt:") && !($1 in head) { head[$1] = 1; for (i = 2; i <= NF; i++) h[i] = $i; next }
	$1 == "Tcp:" { for (i = 2; i <= NF; i++) if (h[i] != "RtoAlgorithm") print h[i], $i }
	$1 == "TcpExt:" { for (i = 2; i <= NF; i++) if (h[i] in name) print name[h[i]], $i }
	' /proc/net/snmp /proc/net/netstat
}

# clasp_nothing_left SECONDS NS...: wait up to SECONDS (scaled) until no
# clasp socket, request or entry is left in each namespace NS; if one is,
# log what claspctl shows there and fail.  A test calls it before its
# namespaces go: once they are deleted, a socket that never ends can no
# longer be seen, only the module it pins.
clasp_nothing_left() {
	local end=$((SECONDS + $(clasp_slow_time "$1"))) ns left
	shift
	while :; do
		left=
		for ns in "$@"; do
			[ "$(clasp_counter "$ns" Objects)" = 0 ] || left="$left $ns"
		done
		[ -z "$left" ] && return 0
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.2
	done
	for ns in $left; do
		log "left in $ns: Objects $(clasp_counter "$ns" Objects)"
		ip netns exec "$ns" "${CLASPCTL:-$CLASP_REPO/userspace/claspctl}" \
			conns -i 2>&1 | while read -r line; do log "  $line"; done
	done
	return 1
}

# clasp_listening NS PORT: does a clasp or TCP socket listen on PORT in
# namespace NS?  (ss shows TCP's listeners, claspctl clasp's.)
clasp_listening() {
	[ -n "$(ip netns exec "$1" ss -Htln "sport = :$2")" ] && return 0
	ip netns exec "$1" "${CLASPCTL:-$CLASP_REPO/userspace/claspctl}" conns \
		state listening sport "$2" 2>/dev/null |
		awk 'NR > 1 { found = 1 } END { exit !found }'
}

# clasp_pair_connects PROTO PORT: one connection to the other guest of a
# vm-run --peer-cmd pair ($CLASP_PEER) on PORT with protocol PROTO (6 or
# 253) succeeds within a second.
clasp_pair_connects() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, int(sys.argv[1]))
s.settimeout(1)
s.connect((sys.argv[2], int(sys.argv[3])))' "$1" "${CLASP_PEER:?not in a vm-run pair}" "$2" 2>/dev/null
}

# clasp_pair_wait TIMEOUT PROTO PORT: in a vm-run --peer-cmd pair, wait
# until the peer guest accepts connections on PORT (the guests boot
# together, so one may be ready long before the other); TIMEOUT in
# seconds of a stock kernel (clasp_poll_until).
clasp_pair_wait() {
	clasp_poll_until "$1" clasp_pair_connects "$2" "$3"
}

clasp_loaded() {
	grep -q '^clasp ' /proc/modules
}

# Load clasp with the given parameters unless it is loaded already.
clasp_load() {
	clasp_loaded || insmod "$CLASP_KO" "$@"
}

# A socket that stays open until its process is killed.
clasp_hold_socket() {
	exec python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, int(sys.argv[1]))
print("ready", flush=True)
time.sleep(600)' "${CLASP_PROTO:-253}"
}

# The TCP reference lane (CLASP_PROTO=6, scripts/check --tcp) accepts only
# skips whose reason begins "clasp only: " (selftests/CONFORMANCE.md).
#
# clasp_only_case NAME REASON: a TAP case skipped for that reason.
clasp_only_case() {
	ntest=$((ntest + 1))
	echo "ok $ntest $1 # SKIP clasp only: $2"
}

# clasp_only_program NAME REASON: under CLASP_PROTO=6, a program that tests
# nothing kernel TCP has prints one such case and exits.
clasp_only_program() {
	[ "${CLASP_PROTO:-253}" = 6 ] || return 0
	echo "1..1"
	clasp_only_case "$1" "$2"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit "$KSFT_PASS"
}
