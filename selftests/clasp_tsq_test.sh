#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Small queues (issue 23): a sender must not hand the peer's whole window
# to its own qdisc.  clasp has no congestion window; before it bounded
# what of a socket's output waits below it (output.c, CLASP_TSQ_LIMIT),
# a bulk transfer put megabytes in the qdisc of the sending guest's
# virtio-net: fq_codel dropped from it and retransmissions waited behind
# it until the retransmission timer fired, a transfer between two guests
# took 3 to 10 times TCP's time (clasp_xguest_test.py).
#
# Here the same inside one guest: namespaces A and B joined by a veth
# pair, A's end shaped by tbf to 20 Mbit/s with a queue large enough
# (16 MiB) never to drop.  A 4 MiB transfer from A to B must arrive intact
# while A's qdisc never holds more than 512 KiB (sampled every 20 ms).
# CLASP_PROTO=6: the same against kernel TCP, whose TSQ and congestion
# window keep the backlog far below that.

source "$(dirname "$0")/lib.sh"

XFER=$(cd "$(dirname "$0")" && pwd)/clasp_xfer
NSA=clasp_qa_$$
NSB=clasp_qb_$$
VA=clqa$$
VB=clqb$$
NET=10.251.$(($$ % 250))
IPA=$NET.1
IPB=$NET.2
PORT=5000
BYTES=$((4 << 20))
BOUND=$((512 << 10))

clasp_test_begin "$NSA" "$NSB"
clasp_tap_plan 2

# backlog_bytes: the bytes A's qdisc holds now.
backlog_bytes() {
	ip netns exec "$NSA" tc -s qdisc show dev "$VA" |
		awk '$1 == "backlog" { v = $2; sub(/b$/, "", v)
			if (v ~ /K$/) { sub(/K$/, "", v); v *= 1000 }
			if (v ~ /M$/) { sub(/M$/, "", v); v *= 1000000 }
			print int(v); exit }'
}

transfer_and_sample() {
	local max=0 b
	ip netns exec "$NSB" "$XFER" server "$PORT" >"$TMP/server" 2>&1 &
	pids+=($!)
	clasp_poll_until 10 grep -q ready "$TMP/server" || {
		log "the server never listened"
		return 1
	}
	ip netns exec "$NSA" "$XFER" client "$IPB" "$PORT" "$BYTES" \
		>"$TMP/client" 2>&1 &
	local cpid=$!
	pids+=("$cpid")
	while kill -0 "$cpid" 2>/dev/null; do
		b=$(backlog_bytes)
		[ "${b:-0}" -le "$max" ] || max=$b
		sleep 0.02
	done
	wait "$cpid"
	echo "$max" >"$TMP/max"
	clasp_poll_until 20 grep -q '^bytes' "$TMP/server"
	log "client: $(tr '\n' ' ' <"$TMP/client")"
	log "server: $(tr '\n' ' ' <"$TMP/server")"
	log "largest backlog of A's qdisc: $max bytes (bound $BOUND)"
}

intact() {
	local c s
	c=$(grep -o 'bytes [0-9]* fnv [0-9a-f]*' "$TMP/client")
	s=$(grep -o 'bytes [0-9]* fnv [0-9a-f]*' "$TMP/server")
	[ -n "$c" ] && [ "$c" = "$s" ] && [[ $c == "bytes $BYTES "* ]]
}

bounded() {
	[ -s "$TMP/max" ] && [ "$(cat "$TMP/max")" -le "$BOUND" ]
}

ok=1
clasp_veth_pair "$NSA" "$VA" "$IPA" "$NSB" "$VB" "$IPB" || ok=0
if [ "$ok" = 1 ] && ! ip netns exec "$NSA" tc qdisc add dev "$VA" root \
	tbf rate 20mbit burst 32kb limit 16mb; then
	log "cannot shape $VA with tbf"
	ok=0
fi
[ "$ok" = 0 ] || transfer_and_sample || ok=0
check "4 MiB through a 20 Mbit/s qdisc arrive intact" \
	eval '[ "$ok" = 1 ] && intact'
check "the sender's qdisc never holds more than 512 KiB" \
	eval '[ "$ok" = 1 ] && bounded'
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" = 0 ] && exit "$KSFT_PASS"
exit "$KSFT_FAIL"
