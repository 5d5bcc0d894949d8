#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# claspctl ladder and the "segments" multicast group (issue 22, item 6):
# two namespaces joined by veth, a ladder watching both sides (-N and
# --peer) with the filter dport 5000, and a connection's whole life:
#
#  - the handshake: SYN (SYN-SENT | SYN-RECV), SYN-ACK (ESTAB on the
#    left), ACK (ESTAB on the right), with relative numbers from 0;
#  - 5 bytes of data, a half-close (the client's FIN: FIN-WAIT-1 |
#    CLOSE-WAIT, its ACK: FIN-WAIT-2), 3 bytes the server still sends,
#    the server's FIN (TIME-WAIT | LAST-ACK), the last ACK (| CLOSED), and
#    TIME-WAIT's end after 2 * msl_ms (CLOSED (timeout));
#  - as many arrows as the two sides' OutSegs and RetransSegs counted;
#  - the filter: a connection to port 6000 is not drawn, and a second
#    ladder with dport 6000 draws it and not the first;
#  - --svg: well-formed XML (python3's parser), the same arrows;
#  - the listener's filter is gone when claspctl exits: LadderListeners
#    back to 0 in both namespaces, and a connection made then sends no
#    event (LadderEvents still);
#  - without CAP_NET_ADMIN: refused, exit 1; bad command lines: exit 2
#    with a usage line; stdout not writable: exit 1;
#  - rmmod while a ladder listens, then a ladder on the module loaded
#    again;
#  - the same conversation over IPv6: [ADDR]:PORT in the header, the
#    handshake and TIME-WAIT's end drawn.

source "$(dirname "$0")/lib.sh"

clasp_only_program clasp_ladder_test "claspctl ladder and clasp's segment events; TCP has neither"

CTL=${CLASPCTL:-$CLASP_REPO/userspace/claspctl}
PARAMS=/sys/module/clasp/parameters
NSS=clasp_ls_$$
NSC=clasp_lc_$$
VS=clls$$
VC=cllc$$
NET=10.252.$(($$ % 250))
IPS=$NET.1
IPC=$NET.2
IPS6=fd00:252:$(($$ % 250))::1
IPC6=fd00:252:$(($$ % 250))::2
MSL=500			# TIME-WAIT: 1 s (scaled)
TMP=$(mktemp -d)
OLD_MSL=$(cat "$PARAMS/msl_ms" 2>/dev/null)
pids=()

cleanup() {
	clasp_stop_all "$NSS" "$NSC"
	[ -n "$OLD_MSL" ] && echo "$OLD_MSL" >"$PARAMS/msl_ms" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# The server: listen on PORT, read to the end, answer "bye", close.  The
# pauses keep each segment apart (no data riding on an ACK or a FIN).
SERVER_PY='
import socket, sys, time
ip, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
l = socket.socket(fam, socket.SOCK_STREAM, 253)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((ip, port))
l.listen(8)
print("ready", flush=True)
c, _ = l.accept()
got = b""
while True:
    d = c.recv(100)
    if not d:
        break
    got += d
time.sleep(0.3)
c.send(b"bye")
time.sleep(0.3)
c.close()
l.close()
print("server got", got.decode(), flush=True)
'
# The client: connect, "hello", half-close, read the answer, close.
CLIENT_PY='
import socket, sys, time
ip, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM, 253)
s.connect((ip, port))
time.sleep(0.2)
s.send(b"hello")
time.sleep(0.3)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(100)
    if not d:
        break
    got += d
s.close()
print("client got", got.decode(), flush=True)
'

# conversation PORT [ADDR]: one connection's life from the client
# namespace to the server's on ADDR (default IPS) and PORT; both ends
# must report what they read.
conversation() {
	local ips=${2:-$IPS}
	ip netns exec "$NSS" python3 -c "$SERVER_PY" "$ips" "$1" >"$TMP/srv.$1" 2>&1 &
	local spid=$!
	clasp_poll_until 20 grep -q ready "$TMP/srv.$1" || { log "server on $1 never ready"; return 1; }
	ip netns exec "$NSC" python3 -c "$CLIENT_PY" "$ips" "$1" >"$TMP/cli.$1" 2>&1 ||
		{ log "client: $(cat "$TMP/cli.$1")"; return 1; }
	wait "$spid"
	grep -q "client got bye" "$TMP/cli.$1" && grep -q "server got hello" "$TMP/srv.$1" || {
		log "conversation on $1: $(cat "$TMP/cli.$1" "$TMP/srv.$1")"
		return 1
	}
}

# joined NS: a generic netlink socket (protocol 16) in NS has a group.
joined() {
	ip netns exec "$1" awk '$2 == 16 && $4 != "00000000" { f = 1 } END { exit !f }' /proc/net/netlink
}

# ladder_start NAME ARGS...: claspctl ladder ARGS in the client namespace,
# its output in $TMP/NAME.out; waits until the kernel has its filter.
ladder_start() {
	local name=$1 before
	shift
	before=$(clasp_counter "$NSC" LadderListeners)
	ip netns exec "$NSC" "$CTL" ladder "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	pids+=($!)
	LADDER_PID=$!
	clasp_poll_until 20 eval '[ "$(clasp_counter "$NSC" LadderListeners)" -gt "$before" ]' &&
		clasp_poll_until 20 joined "$NSC" || {
		log "ladder $* never started: $(cat "$TMP/$name.err")"
		return 1
	}
}

# ladder_stop PID: SIGTERM, and it exits 0.
ladder_stop() {
	local rc
	kill -TERM "$1"
	wait "$1"
	rc=$?
	[ "$rc" -eq 0 ] || { log "ladder exit status $rc"; return 1; }
}

# has NAME WHAT REGEX: a line of ladder NAME's output matches REGEX.
has() {
	grep -qE "$3" "$TMP/$1.out" && return 0
	log "ladder $1: no line with $2 (/$3/)"
	return 1
}

T='^ +[0-9]+\.[0-9]{3} '		# the time column
W=' win=[0-9]+ '

handshake_drawn() {
	has main "SYN: SYN-SENT, SYN-RECV" "${T}SYN-SENT +--- SYN seq=0${W}-+> SYN-RECV$" &&
	has main "SYN-ACK: ESTAB on the left" "${T}ESTAB +<-- SYN,ACK seq=0 ack=1${W}-+$" &&
	has main "ACK: ESTAB on the right" "${T} {12}--- ACK seq=1 ack=1${W}-+> ESTAB$"
}

data_and_half_close_drawn() {
	has main "the data" "${T} {12}--- PSH,ACK seq=1 ack=1 len=5${W}-+>( |$)" &&
	has main "the client's FIN" "${T}FIN-WAIT-1 +--- FIN,ACK seq=6 ack=1${W}-+> CLOSE-WAIT$" &&
	has main "its ACK" "${T}FIN-WAIT-2 +<-- ACK seq=1 ack=7${W}-+$" &&
	has main "the server's data after the half-close" "${T} {12}<-- PSH,ACK seq=1 ack=7 len=3${W}-+$"
}

time_wait_drawn() {
	has main "the server's FIN" "${T}TIME-WAIT +<-- FIN,ACK seq=4 ack=7${W}-+ LAST-ACK$" &&
	has main "the last ACK" "${T} {12}--- ACK seq=7 ack=5${W}-+> CLOSED$" &&
	has main "TIME-WAIT's end" "${T}CLOSED \(timeout\)$"
}

header_and_order() {
	local first
	first=$(head -n1 "$TMP/main.out")
	[[ $first =~ ^\ +time\ $IPC:[0-9]+\ +$IPS:5000$ ]] ||
		{ log "header: '$first'"; return 1; }
	# Times never go back.
	awk '$1 ~ /^[0-9]+\.[0-9]+$/ { if ($1 + 0 < last) bad = 1; last = $1 + 0 }
	     END { exit bad }' "$TMP/main.out" || { log "times out of order"; return 1; }
	# One arrow per segment: none drawn lost between two watched sides.
	! grep -qE '(x-- | x +[A-Z-]*$|-x +)' "$TMP/main.out" ||
		{ log "a segment drawn lost"; return 1; }
}

# sent_segs: segments both namespaces sent, retransmissions included.
sent_segs() {
	echo $(($(clasp_counter "$NSC" OutSegs) + $(clasp_counter "$NSC" RetransSegs) +
		$(clasp_counter "$NSS" OutSegs) + $(clasp_counter "$NSS" RetransSegs)))
}

# The ladder drew as many arrows as the two sides sent segments.
arrows_counted() {
	local arrows
	arrows=$(grep -c ' seq=' "$TMP/main.out")
	[ "$arrows" -eq $((segs_after - segs_before)) ] || {
		log "$arrows arrows for $((segs_after - segs_before)) segments sent"
		return 1
	}
}

filtered() {
	! grep -q ":6000" "$TMP/main.out" ||
		{ log "dport 5000 drew port 6000"; return 1; }
	grep -qE "^ +time $IPC:[0-9]+ +$IPS:6000$" "$TMP/other.out" ||
		{ log "dport 6000 did not draw it"; return 1; }
	! grep -q ":5000" "$TMP/other.out" ||
		{ log "dport 6000 drew port 5000"; return 1; }
}

svg_well_formed() {
	python3 - "$TMP/main.svg" <<-'EOF'
	import sys
	import xml.etree.ElementTree as ET
	root = ET.parse(sys.argv[1]).getroot()
	ns = "{http://www.w3.org/2000/svg}"
	assert root.tag == ns + "svg", root.tag
	texts = [t.text or "" for t in root.iter(ns + "text")]
	arrows = [l for l in root.iter(ns + "line") if l.get("marker-end")]
	need = ["SYN seq=0", "FIN,ACK seq=6 ack=1", "TIME-WAIT", "CLOSED (timeout)"]
	missing = [n for n in need if not any(n in t for t in texts)]
	assert not missing, missing
	assert len(arrows) >= 10, len(arrows)
	EOF
}

listener_gone() {
	clasp_poll_until 10 eval '[ "$(clasp_counter "$NSC" LadderListeners)" = 0 ] &&
		[ "$(clasp_counter "$NSS" LadderListeners)" = 0 ]' || {
		log "LadderListeners: client $(clasp_counter "$NSC" LadderListeners), server $(clasp_counter "$NSS" LadderListeners)"
		return 1
	}
}

no_events_after() {
	local c s
	c=$(clasp_counter "$NSC" LadderEvents)
	s=$(clasp_counter "$NSS" LadderEvents)
	conversation 5000 || return 1
	[ "$(clasp_counter "$NSC" LadderEvents)" = "$c" ] &&
		[ "$(clasp_counter "$NSS" LadderEvents)" = "$s" ] || {
		log "LadderEvents grew with nobody listening: client $c -> $(clasp_counter "$NSC" LadderEvents), server $s -> $(clasp_counter "$NSS" LadderEvents)"
		return 1
	}
	[ "$c" -gt 0 ] && [ "$s" -gt 0 ] || { log "no LadderEvents counted before: $c $s"; return 1; }
}

unprivileged_refused() {
	local rc
	ip netns exec "$NSC" setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"$CTL" ladder >"$TMP/np.out" 2>"$TMP/np.err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "CAP_NET_ADMIN" "$TMP/np.err" || {
		log "unprivileged ladder: status $rc, $(cat "$TMP/np.err")"
		return 1
	}
}

usage_errors() {
	local args rc
	for args in "bogus" "sport" "sport 0" "dst 1.2.3" "--svg" "--peer" "sport 1 sport 2"; do
		# shellcheck disable=SC2086
		"$CTL" ladder $args >"$TMP/u.out" 2>"$TMP/u.err"
		rc=$?
		[ "$rc" -eq 2 ] && grep -q "^Usage: claspctl .*ladder" "$TMP/u.err" &&
			[ ! -s "$TMP/u.out" ] || {
			log "ladder $args: status $rc, $(head -n2 "$TMP/u.err")"
			return 1
		}
	done
	"$CTL" -j ladder >/dev/null 2>&1
	[ $? -eq 2 ] || { log "-j ladder not refused"; return 1; }
}

full_stdout_fails() {
	local pid rc
	ip netns exec "$NSC" "$CTL" ladder dport 5000 >/dev/full 2>"$TMP/full.err" &
	pid=$!
	clasp_poll_until 20 eval '[ "$(clasp_counter "$NSC" LadderListeners)" = 1 ]' ||
		{ kill "$pid"; log "ladder >/dev/full never started"; return 1; }
	conversation 5000 || { kill "$pid"; return 1; }
	# It fails at its first line and exits 1 by itself.
	if ! clasp_poll_until 10 eval '! kill -0 '"$pid"' 2>/dev/null'; then
		kill "$pid"
		log "ladder >/dev/full still running"
		return 1
	fi
	wait "$pid"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "cannot write output" "$TMP/full.err" ||
		{ log "ladder >/dev/full: status $rc, $(cat "$TMP/full.err")"; return 1; }
}

# A conversation over IPv6, drawn as over IPv4.
ipv6_drawn() {
	local first
	ladder_start v6 --peer "$NSS" dport 5006 || return 1
	conversation 5006 "$IPS6" || return 1
	clasp_poll_until 10 grep -q "CLOSED (timeout)" "$TMP/v6.out"
	ladder_stop "$LADDER_PID" || return 1
	first=$(head -n1 "$TMP/v6.out")
	[[ $first =~ ^\ +time\ \[$IPC6\]:[0-9]+\ +\[$IPS6\]:5006$ ]] ||
		{ log "IPv6 header: '$first'"; return 1; }
	has v6 "SYN: SYN-SENT, SYN-RECV" "${T}SYN-SENT +--- SYN seq=0${W}-+> SYN-RECV$" &&
		has v6 "SYN-ACK: ESTAB on the left" "${T}ESTAB +<-- SYN,ACK seq=0 ack=1${W}-+$" &&
		has v6 "the last ACK" "${T} {12}--- ACK seq=7 ack=5${W}-+> CLOSED$" &&
		has v6 "TIME-WAIT's end" "${T}CLOSED \(timeout\)$"
}

# The module unloads while a ladder listens (its socket outlives the
# family), loads again, and a new ladder works.
unload_with_listener() {
	local pid
	ip netns exec "$NSC" "$CTL" ladder dport 5000 >"$TMP/un.out" 2>&1 &
	pid=$!
	clasp_poll_until 20 eval '[ "$(clasp_counter "$NSC" LadderListeners)" = 1 ]' ||
		{ kill "$pid"; log "ladder never started: $(cat "$TMP/un.out")"; return 1; }
	# The earlier cases' connections may still be ending: retry a while.
	clasp_poll_until 10 rmmod clasp 2>/dev/null
	if clasp_loaded; then
		kill "$pid"
		log "rmmod failed: $(rmmod clasp 2>&1), refcnt $(cat /sys/module/clasp/refcnt)"
		return 1
	fi
	kill -TERM "$pid"
	wait "$pid"
	# The namespaces take the parameters of the load.
	clasp_scale_timers msl_ms=$MSL
	clasp_load "${CLASP_SCALED[@]}" || { log "cannot load clasp again"; return 1; }
	[ "$(clasp_counter "$NSC" LadderListeners)" = 0 ] ||
		{ log "LadderListeners after reload: $(clasp_counter "$NSC" LadderListeners)"; return 1; }
	ladder_start again --peer "$NSS" dport 5000 || return 1
	conversation 5000 || return 1
	clasp_poll_until 10 grep -q "CLOSED (timeout)" "$TMP/again.out" || {
		log "no ladder after reload: $(cat "$TMP/again.out")"
		return 1
	}
	ladder_stop "$LADDER_PID"
}

clasp_start_clock
clasp_tap_plan 15
if ! clasp_load || ! clasp_set_timers msl_ms=$MSL ||
   ! clasp_veth_pair "$NSS" "$VS" "$IPS" "$NSC" "$VC" "$IPC" ||
   ! clasp_veth_pair6 "$NSS" "$VS" "$IPS6" "$NSC" "$VC" "$IPC6"; then
	echo "Bail out! setup failed"
	exit "$KSFT_FAIL"
fi
[ "$(clasp_counter "$NSC" LadderListeners)" = 0 ] || {
	echo "Bail out! LadderListeners not 0 before any ladder"
	exit "$KSFT_FAIL"
}

ladder_start main --peer "$NSS" --svg "$TMP/main.svg" dport 5000 || exit "$KSFT_FAIL"
MAIN=$LADDER_PID
ladder_start other dport 6000 || exit "$KSFT_FAIL"
OTHER=$LADDER_PID
segs_before=$(sent_segs)
check conversation_5000 conversation 5000
# TIME-WAIT lasts 2 * msl_ms; its end is drawn when it comes.
clasp_poll_until 10 grep -q "CLOSED (timeout)" "$TMP/main.out"
segs_after=$(sent_segs)
check conversation_6000 conversation 6000
clasp_poll_until 10 grep -q "CLOSED (timeout)" "$TMP/other.out"
check ladders_exit_0_on_sigterm eval 'ladder_stop $MAIN && ladder_stop $OTHER'
log "the ladder drawn:"
while IFS= read -r line; do log "$line"; done <"$TMP/main.out"
check handshake handshake_drawn
check data_and_half_close data_and_half_close_drawn
check fin_and_time_wait time_wait_drawn
check header_order_no_loss header_and_order
check one_arrow_per_segment_sent arrows_counted
check filter filtered
check svg_well_formed svg_well_formed
check listener_gone_on_exit eval 'listener_gone && no_events_after'
check unprivileged_refused unprivileged_refused
check usage_errors_exit_2 eval 'usage_errors && full_stdout_fails'
check ipv6_conversation_drawn ipv6_drawn
check unload_with_a_listener unload_with_listener
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
