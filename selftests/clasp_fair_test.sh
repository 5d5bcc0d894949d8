#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fairness (issue 19): flows that share a bottleneck share it.
#
# Namespaces A (senders) and B (receivers) joined by a veth pair.  A's end
# holds a token bucket of 10 Mbit/s over 10 ms of netem, whose queue (the
# bucket's child holds the packets) is two bandwidth-delay products and
# the 10 ms in flight: 40 packets; B's end adds 10 ms more (a 20 ms round
# trip).  Both senders see their drops at once (NET_XMIT_DROP) and cut
# cwnd for them, as TCP's tcp_enter_cwr().  A's end sends one segment per packet, so that the bucket
# drops single segments, as in make bench's workload 12.  Two bulk flows
# start together, and each receiver counts what arrives in the FAIR_MS
# after its first byte: each flow's share must lie between a third and two
# thirds.  First a clasp flow beside a TCP flow, each with its default
# congestion control (CUBIC), then two clasp flows.  make bench's workload
# 12 measures the same at 50 Mbit/s for 20 s.  CLASP_PROTO=6: the first
# case is two TCP flows as well.

source "$(dirname "$0")/lib.sh"

XFER=$(cd "$(dirname "$0")" && pwd)/clasp_xfer
NSA=clasp_fa_$$
NSB=clasp_fb_$$
VA=clfa$$
VB=clfb$$
NET=10.249.$(($$ % 250))
IPA=$NET.1
IPB=$NET.2
FAIR_MS=${CLASP_FAIR_MS:-10000}

clasp_test_begin "$NSA" "$NSB"
clasp_tap_plan 2

shaped_path() {
	clasp_veth_pair "$NSA" "$VA" "$IPA" "$NSB" "$VB" "$IPB" &&
		ip -n "$NSA" link set "$VA" gso_max_segs 1 &&
		tc -n "$NSA" qdisc add dev "$VA" root handle 1: tbf rate 10mbit \
			burst 15kb limit 50kb &&
		tc -n "$NSA" qdisc add dev "$VA" parent 1:1 handle 10: netem \
			delay 10ms limit 40 &&
		tc -n "$NSB" qdisc add dev "$VB" root netem delay 10ms || {
		log "cannot shape the path"
		return 1
	}
}

# proto_env P: the environment that makes clasp_xfer use protocol P
# ("clasp": the lane's own, "tcp": kernel TCP).
proto_env() {
	if [ "$1" = tcp ]; then
		echo CLASP_PROTO=6
	else
		echo "CLASP_PROTO=${CLASP_PROTO:-253}"
	fi
}

# flows P1 P2: a flow of P1 to port 5001 and one of P2 to port 5002 at
# once; writes each receiver's bytes to $TMP/bytes1 and $TMP/bytes2.
flows() {
	local i p port
	rm -f "$TMP"/sink* "$TMP"/bytes*
	for i in 1 2; do
		p=${!i}
		port=$((5000 + i))
		ip netns exec "$NSB" env "$(proto_env "$p")" "$XFER" sink "$port" \
			"$FAIR_MS" >"$TMP/sink$i" 2>&1 &
		pids+=($!)
	done
	clasp_poll_until 10 grep -q ready "$TMP/sink1" &&
		clasp_poll_until 10 grep -q ready "$TMP/sink2" || {
		log "a receiver never listened"
		return 1
	}
	for i in 1 2; do
		p=${!i}
		ip netns exec "$NSA" env "$(proto_env "$p")" "$XFER" client "$IPB" \
			$((5000 + i)) 1000000000 >/dev/null 2>&1 &
		pids+=($!)
	done
	clasp_poll_until $((FAIR_MS / 1000 + 30)) grep -q '^bytes' "$TMP/sink1" &&
		clasp_poll_until 10 grep -q '^bytes' "$TMP/sink2" || {
		log "a flow did not finish: $(tr '\n' ' ' <"$TMP/sink1") / $(tr '\n' ' ' <"$TMP/sink2")"
		return 1
	}
	for i in 1 2; do
		awk '$1 == "bytes" { print $2 }' "$TMP/sink$i" >"$TMP/bytes$i"
	done
}

# shared P1 P2: both flows got between a third and two thirds.
shared() {
	local b1 b2
	flows "$1" "$2" || return 1
	b1=$(cat "$TMP/bytes1") b2=$(cat "$TMP/bytes2")
	log "$1: $(awk -v b="$b1" -v t="$FAIR_MS" 'BEGIN { printf "%.2f", b * 8 / t / 1000 }') Mbit/s, $2: $(awk -v b="$b2" -v t="$FAIR_MS" 'BEGIN { printf "%.2f", b * 8 / t / 1000 }') Mbit/s"
	awk -v a="$b1" -v b="$b2" 'BEGIN {
		if (a + b == 0) exit 1
		s = a / (a + b)
		printf "# share of the first flow: %.3f\n", s
		exit !(s >= 1 / 3 && s <= 2 / 3) }'
}

ok=1
shaped_path || ok=0
check "a clasp flow and a TCP flow each get a third to two thirds" \
	eval '[ "$ok" = 1 ] && shared clasp tcp'
check "two clasp flows each get a third to two thirds" \
	eval '[ "$ok" = 1 ] && shared clasp clasp'
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" = 0 ] && exit "$KSFT_PASS"
exit "$KSFT_FAIL"
