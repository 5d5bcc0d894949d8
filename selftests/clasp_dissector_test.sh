#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Wireshark dissector (userspace/wireshark/clasp.lua) on a real
# capture: tcpdump records a clasp connection between two namespaces
# joined by a veth pair (handshake, "hello" one way and "world" back,
# the client closing first, then the server), and tshark, with the plugin
# and nothing else, must show
#
#  - every segment as protocol clasp, with TCP's fields decoded: ports,
#    flags, relative seq/ack, lengths, and the SYN's and SYN-ACK's MSS,
#    window scale and SACK-permitted options;
#  - with the preference clasp.check_checksum on, clasp.checksum.status
#    Good (1) for every segment, which needs the module's protocol number
#    in the pseudo-header (the veth pair's transmit checksum offload off,
#    so that the capture holds finished checksums);
#  - Bad (0), and an expert item, for the one segment whose checksum the
#    test then flips in the file, the others still Good;
#  - with the offload on (veth's default), the data segments captured
#    where they leave carry only the pseudo-header's sum: clasp leaves
#    the checksum to the device, as TCP does;
#  - without the preference, as Wireshark's TCP by default, Unverified (2);
#  - with the preference clasp.proto set to another number, no clasp at
#    all: the plugin registers on the configured number, not on 253 fixed.
#
# tshark runs in the guest, from the host's root filesystem; it, tcpdump
# or ethtool missing is a skip.

source "$(dirname "$0")/lib.sh"

clasp_only_program clasp_dissector_test "the dissector decodes clasp's protocol number; TCP has Wireshark's own"

PROTO=253
PLUGIN=${CLASP_DISSECTOR:-$CLASP_REPO/userspace/wireshark/clasp.lua}	# another copy
NSA=cdis_a
NSB=cdis_b
VA=cdis0
VB=cdis1
IPA=10.77.0.1
IPB=10.77.0.2
PORT=5001
CPORT=40000
NTESTS=9

clasp_test_begin "$NSA" "$NSB"

# Server in B: accept one connection, read "hello", answer "world", read
# until the client's FIN, then close.
SERVER_PY='
import socket, sys
proto, port = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
s.bind(("0.0.0.0", port))
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
got = b""
while len(got) < 5:
    got += c.recv(5 - len(got))
c.sendall(b"world")
while c.recv(100):
    pass
c.close()
print("done", got.decode(), flush=True)
'

# Client in A, from port CPORT: send "hello", read "world", close first.
CLIENT_PY='
import socket, sys
proto, dst, port, sport = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
s.bind(("0.0.0.0", sport))
s.settimeout(30)
s.connect((dst, port))
s.sendall(b"hello")
got = b""
while len(got) < 5:
    got += s.recv(5 - len(got))
s.close()
print("done", got.decode(), flush=True)
'

# capture_has BYTES: the capture file has that many bytes.
capture_has() {
	[ "$(stat -c %s "$1")" -ge "$2" ]
}

# capture FILE CPORT: the segments of a connection from port CPORT, as
# seen on A's end, into FILE.
capture() {
	local file=$1 cport=$2 tcpdump_pid srv_pid out
	ip netns exec "$NSA" tcpdump -U -n -i "$VA" -w "$file" \
		"ip proto $PROTO" 2>"$TMP/tcpdump.err" &
	tcpdump_pid=$!
	pids+=("$tcpdump_pid")
	clasp_poll_until 30 grep -q "listening on" "$TMP/tcpdump.err" || {
		log "tcpdump did not start: $(<"$TMP/tcpdump.err")"
		return 1
	}
	ip netns exec "$NSB" timeout 120 python3 -c "$SERVER_PY" "$PROTO" "$PORT" \
		>"$TMP/server" 2>&1 &
	srv_pid=$!
	pids+=("$srv_pid")
	clasp_poll_until 60 grep -q ready "$TMP/server" || {
		log "server did not start: $(<"$TMP/server")"
		return 1
	}
	out=$(ip netns exec "$NSA" timeout 60 python3 -c "$CLIENT_PY" "$PROTO" \
		"$IPB" "$PORT" "$cport" 2>&1)
	[ "$out" = "done world" ] || {
		log "client: $out"
		return 1
	}
	wait "$srv_pid"
	[ "$(<"$TMP/server")" = "$(printf 'ready\ndone hello')" ] || {
		log "server: $(<"$TMP/server")"
		return 1
	}
	# The server's FIN and the client's ACK of it are on their way: at
	# least 8 segments in all (pcap's 24 bytes, 16 + 54 a segment), then
	# what else came soon after.
	clasp_poll_until 10 capture_has "$file" $((24 + 8 * (16 + 54))) ||
		log "capture still short"
	sleep "$(clasp_slow_time 1)"
	kill -INT "$tcpdump_pid"
	wait "$tcpdump_pid"
	log "$(tail -n 3 "$TMP/tcpdump.err" | tr '\n' ' ')"
}

# plugin_loads: tshark with the plugin knows clasp's fields.
plugin_loads() {
	HOME=$TMP tshark -G fields -X "lua_script:$PLUGIN" >"$TMP/fields" 2>&1 &&
		grep -q "	clasp.checksum.status	" "$TMP/fields" && return 0
	log "tshark: $(grep -v "^[PF]	" "$TMP/fields" | head -n 5)"
	return 1
}

# Checksums checked, as Wireshark's TCP preference tcp.check_checksum.
CHECK=(-o clasp.check_checksum:TRUE)

# Two connections: the first with the pair's transmit checksum offload on
# (veth's default), the second with it off, which the test decodes.
capture_decode() {
	clasp_veth_pair "$NSA" "$VA" "$IPA" "$NSB" "$VB" "$IPB" &&
		capture "$TMP/offload.pcap" $((CPORT + 1)) &&
		ip netns exec "$NSA" ethtool -K "$VA" tx off >/dev/null &&
		ip netns exec "$NSB" ethtool -K "$VB" tx off >/dev/null &&
		capture "$TMP/cap.pcap" "$CPORT" &&
		decode "$TMP/cap.pcap" "$TMP/good" "${CHECK[@]}"
}

FIELDS=(frame.number _ws.col.Protocol tcp.srcport tcp.dstport tcp.flags
	tcp.seq tcp.ack tcp.len tcp.options.mss_val tcp.options.wscale.shift
	tcp.options.sack_perm clasp.checksum.status _ws.expert.message)

# decode FILE OUT [TSHARK ARGS...]: the fields of FIELDS of each frame of
# FILE as decoded with the plugin, one "|"-separated line per frame, in OUT.
decode() {
	local file=$1 out=$2 f args=()
	shift 2
	for f in "${FIELDS[@]}"; do
		args+=(-e "$f")
	done
	HOME=$TMP tshark -n -X "lua_script:$PLUGIN" "$@" -r "$file" \
		-T fields -E separator='|' -E occurrence=f "${args[@]}" \
		>"$out" 2>"$out.err" || {
		log "tshark failed: $(<"$out.err")"
		return 1
	}
	sed 's/^/# /' "$out"
}

# row N FILE: frame N's fields into R (an array indexed like FIELDS, with
# R[0] the frame number).
row() {
	local line
	line=$(sed -n "${1}p" "$2")
	IFS='|' read -r -a R <<<"$line|"
}

# expect N WHAT WANT: field WHAT (an index into FIELDS) of row R is WANT.
expect() {
	[ "${R[$2]}" = "$3" ] && return 0
	log "frame $1: ${FIELDS[$2]} is '${R[$2]}', not '$3'"
	return 1
}

F_PROTO=1 F_SPORT=2 F_DPORT=3 F_FLAGS=4 F_SEQ=5 F_ACK=6 F_LEN=7 F_MSS=8
F_WS=9 F_SACKOK=10 F_STATUS=11 F_EXPERT=12

# test_all_clasp_good FILE: every frame is clasp, checksum Good.
test_all_clasp_good() {
	local n ok=0
	n=$(wc -l <"$1")
	[ "$n" -ge 8 ] || {
		log "$n frames, not at least 8"
		return 1
	}
	for i in $(seq "$n"); do
		row "$i" "$1"
		expect "$i" "$F_PROTO" clasp && expect "$i" "$F_STATUS" 1 || ok=1
	done
	return "$ok"
}

# The handshake: SYN from CPORT with MSS 1460 (veth's MTU), a window
# scale and SACK-permitted; SYN-ACK with the same options, then the ACK.
test_handshake() {
	local ok=0
	row 1 "$1"
	expect 1 "$F_SPORT" "$CPORT" && expect 1 "$F_DPORT" "$PORT" &&
		expect 1 "$F_FLAGS" 0x0002 && expect 1 "$F_SEQ" 0 &&
		expect 1 "$F_MSS" 1460 && expect 1 "$F_SACKOK" 0402 || ok=1
	[[ ${R[$F_WS]} =~ ^[0-9]+$ ]] || { log "SYN without window scale"; ok=1; }
	row 2 "$1"
	expect 2 "$F_SPORT" "$PORT" && expect 2 "$F_DPORT" "$CPORT" &&
		expect 2 "$F_FLAGS" 0x0012 && expect 2 "$F_SEQ" 0 && expect 2 "$F_ACK" 1 &&
		expect 2 "$F_MSS" 1460 && expect 2 "$F_SACKOK" 0402 || ok=1
	[[ ${R[$F_WS]} =~ ^[0-9]+$ ]] || { log "SYN-ACK without window scale"; ok=1; }
	row 3 "$1"
	expect 3 "$F_FLAGS" 0x0010 && expect 3 "$F_SEQ" 1 && expect 3 "$F_ACK" 1 || ok=1
	return "$ok"
}

# The data, and the teardown: "hello" (seq 1, 5 bytes) from the client,
# "world" back acknowledging it, then a FIN from each side, each
# acknowledged: the client's at seq 6, the server's at seq 6.
test_data_teardown() {
	local file=$1 n i hello=0 world=0 cfin=0 sfin=0 lastack=0
	n=$(wc -l <"$file")
	for i in $(seq 4 "$n"); do
		row "$i" "$file"
		case ${R[$F_SPORT]}:${R[$F_LEN]}:${R[$F_FLAGS]} in
		"$CPORT":5:0x0018) [ "${R[$F_SEQ]}" = 1 ] && hello=1 ;;
		"$PORT":5:0x0018) [ "${R[$F_SEQ]}:${R[$F_ACK]}" = 1:6 ] && world=1 ;;
		"$CPORT":0:0x0011) [ "${R[$F_SEQ]}:${R[$F_ACK]}" = 6:6 ] && cfin=1 ;;
		"$PORT":0:0x0011) [ "${R[$F_SEQ]}" = 6 ] && sfin=1 ;;
		esac
	done
	row "$n" "$file"
	[ "${R[$F_SPORT]}:${R[$F_FLAGS]}:${R[$F_SEQ]}:${R[$F_ACK]}" = "$CPORT:0x0010:7:7" ] &&
		lastack=1
	[ "$hello$world$cfin$sfin$lastack" = 11111 ] && return 0
	log "hello $hello world $world client FIN $cfin server FIN $sfin last ACK $lastack"
	return 1
}

# corrupt IN OUT: IN with the checksum of its first segment flipped (a
# pcap file: 24-byte header, 16 per record, Ethernet, a 20-byte IP header).
corrupt() {
	local off=$((24 + 16 + 14 + 20 + 16)) b
	cp "$1" "$2" || return 1
	b=$(od -An -tu1 -j "$off" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059	# the format is the byte
	printf "\\$(printf '%03o' $((b ^ 0xff)))" |
		dd of="$2" bs=1 seek="$off" conv=notrunc status=none
}

test_corrupted() {
	local n i ok=0
	corrupt "$TMP/cap.pcap" "$TMP/bad.pcap" &&
		decode "$TMP/bad.pcap" "$TMP/bad" "${CHECK[@]}" || return 1
	row 1 "$TMP/bad"
	expect 1 "$F_PROTO" clasp && expect 1 "$F_STATUS" 0 || ok=1
	[[ ${R[$F_EXPERT]} == *"Bad checksum"* ]] || {
		log "frame 1: no expert item for the bad checksum: '${R[$F_EXPERT]}'"
		ok=1
	}
	n=$(wc -l <"$TMP/bad")
	for i in $(seq 2 "$n"); do
		row "$i" "$TMP/bad"
		expect "$i" "$F_STATUS" 1 || ok=1
	done
	return "$ok"
}

# The offloaded capture: the segments that carry data, captured where
# they leave (A's "hello") or arrive (B's "world"), hold the
# pseudo-header's sum, not a finished checksum; the device finishes it
# (veth: nobody needs to, the receiver trusts a local segment).
test_offload() {
	local n i data=0 ok=0
	decode "$TMP/offload.pcap" "$TMP/offload" "${CHECK[@]}" || return 1
	n=$(wc -l <"$TMP/offload")
	for i in $(seq "$n"); do
		row "$i" "$TMP/offload"
		[ "${R[$F_LEN]}" = 5 ] || continue
		data=$((data + 1))
		expect "$i" "$F_STATUS" 0 || ok=1
	done
	[ "$data" = 2 ] || { log "$data data segments, not 2"; ok=1; }
	return "$ok"
}

# Without clasp.check_checksum, nothing is checked: Unverified.
test_unverified() {
	local n i ok=0
	decode "$TMP/cap.pcap" "$TMP/plain" || return 1
	n=$(wc -l <"$TMP/plain")
	for i in $(seq "$n"); do
		row "$i" "$TMP/plain"
		expect "$i" "$F_STATUS" 2 || ok=1
	done
	return "$ok"
}

# With clasp.proto another number, the plugin is not on 253.
test_preference() {
	decode "$TMP/cap.pcap" "$TMP/other" "${CHECK[@]}" -o clasp.proto:254 || return 1
	row 1 "$TMP/other"
	[ "${R[$F_PROTO]}" != clasp ] && [ -z "${R[$F_STATUS]}" ] && return 0
	log "with clasp.proto 254, frame 1 is still '${R[$F_PROTO]}' status '${R[$F_STATUS]}'"
	return 1
}

echo "1..$NTESTS"
if ! command -v tshark >/dev/null || ! command -v tcpdump >/dev/null ||
   ! command -v ethtool >/dev/null; then
	for i in $(seq "$NTESTS"); do
		echo "ok $i dissector # SKIP tshark, tcpdump or ethtool missing"
	done
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:$NTESTS error:0"
	exit "$KSFT_SKIP"
fi
clasp_start_clock
check "tshark loads the plugin" plugin_loads
check "capture of a connection, decoded" capture_decode
check "every segment is clasp with a good checksum" test_all_clasp_good "$TMP/good"
check "handshake: ports, flags, seq/ack, MSS, wscale, SACK-permitted" \
	test_handshake "$TMP/good"
check "data and teardown: lengths, seq/ack, FINs" test_data_teardown "$TMP/good"
check "a corrupted checksum is bad, the others good" test_corrupted
check "offloaded: data segments leave with the pseudo-header sum" test_offload
check "without clasp.check_checksum, Unverified" test_unverified
check "clasp.proto preference moves the registration" test_preference

echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
