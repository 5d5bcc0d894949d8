#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module life cycle: registration, a taken protocol number refused with
# EBUSY, rmmod refused while a socket is open and clean once it is closed,
# and rmmod with TIME_WAIT entries (IPv4, then IPv6) still alive in a
# namespace: they end, and a monitor there is told so before the netlink
# family goes.
# Leaves the module loaded as it found it.

source "$(dirname "$0")/lib.sh"
clasp_only_program clasp_module_test "loading and unloading the clasp module and its protocol number"


registered() {
	clasp_loaded && dmesg | grep -q "clasp: registered IP protocol 253"
}

taken_proto_refused() {
	local proto=$1 out
	rmmod clasp || return 1
	if out=$(insmod "$CLASP_KO" proto="$proto" 2>&1); then
		echo "# insmod proto=$proto succeeded"
		return 1
	fi
	echo "# $out"
	echo "$out" | grep -q 'Device or resource busy' &&
		dmesg | tail -n 5 | grep -q "IP protocol $proto is already registered" &&
		! clasp_loaded && clasp_load
}

rmmod_refused_with_socket() {
	local pid ret=0 line=""
	coproc HOLD { clasp_hold_socket; }
	pid=$HOLD_PID
	read -r line <&"${HOLD[0]}"
	if [ "$line" != ready ]; then
		echo "# could not open a clasp socket"
		ret=1
	elif rmmod clasp 2>/dev/null; then
		echo "# rmmod succeeded with a socket open"
		ret=1
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null
	clasp_load
	return $ret
}

rmmod_clean_without_sockets() {
	rmmod clasp && ! clasp_loaded && clasp_load && clasp_loaded &&
		[ -r /proc/net/clasp_stats ]
}

# In a namespace, with a monitor watching: a probe listener until the
# monitor shows it, then $1 connections over loopback that the client
# closes first, so that its side alone ends in TIME_WAIT, until the
# monitor has seen every one enter it.  argv: monitor output, count,
# deadline (s), family (4 or 6: the connections over 127.0.0.1 or ::1).
TIMEWAIT_PY='
import socket, sys, time
out, n, deadline = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
fam, lo = ((socket.AF_INET6, "::1") if sys.argv[4] == "6" else
           (socket.AF_INET, "127.0.0.1"))
ep = "[::1]:%d" if sys.argv[4] == "6" else "127.0.0.1:%d"
def seen(text):
    while time.time() < deadline:
        if open(out).read().count(text) >= 1:
            return True
        time.sleep(0.05)
    sys.exit("# the monitor never showed %r" % text)
port = 7000
while time.time() < deadline:
    port += 1
    s = socket.socket(fam, socket.SOCK_STREAM, 253)
    s.bind((lo, port))
    s.listen(1)
    s.close()
    time.sleep(0.2)
    if "UNCONN -> LISTEN" in open(out).read():
        break
lis = socket.socket(fam, socket.SOCK_STREAM, 253)
lis.bind((lo, 6000))
lis.listen(n)
for i in range(n):
    c = socket.socket(fam, socket.SOCK_STREAM, 253)
    c.connect((lo, 6000))
    a, _ = lis.accept()
    port = c.getsockname()[1]
    c.close()
    # The server closes only once it has the FIN: closing both at once
    # would be a simultaneous close, both sides in TIME_WAIT.
    seen("%s <-> %s ESTAB -> CLOSE-WAIT" % (ep % 6000, ep % port))
    a.close()
    seen("%s <-> %s FIN-WAIT-2 -> TIME-WAIT" % (ep % port, ep % 6000))
lis.close()
'

# The module goes while TIME_WAIT entries live: pernet exit ends them,
# and each end is an event (cause user) that must go out while the
# family is still registered, not after (then it went nowhere).  $1: the
# entries' family, 4 or 6 (IPv6's live in their own table and cache).
rmmod_with_timewait_entries_reports_them() {
	local ns=clasp_mod_$$ out ret=0 pid n=3 objs="" got fam=${1:-4}
	local ctl=${CLASPCTL:-$CLASP_REPO/userspace/claspctl}
	out=$(mktemp)
	ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	ip netns exec "$ns" "$ctl" monitor >"$out" 2>&1 &
	pid=$!
	if ! ip netns exec "$ns" python3 -c "$TIMEWAIT_PY" "$out" "$n" \
		"$(clasp_slow_time 60)" "$fam"; then
		ret=1
	else
		# Only the entries are left; their sockets pin the module until
		# RCU frees them.
		for _ in $(seq 100); do
			objs=$(clasp_counter "$ns" Objects)
			[ "$objs" = "$n" ] && rmmod clasp 2>/dev/null && break
			sleep 0.1
		done
		if clasp_loaded; then
			echo "# rmmod failed; Objects $objs, want $n"
			ret=1
		fi
	fi
	# The monitor prints what it has read when stopped.
	sleep 0.5
	kill "$pid"
	wait "$pid" 2>/dev/null
	got=$(grep -c 'TIME-WAIT -> UNCONN cause user$' "$out")
	if [ "$got" != "$n" ]; then
		echo "# $got of $n TIME_WAIT entries reported ending at rmmod; the monitor said:"
		sed 's/^/#   /' "$out"
		ret=1
	fi
	rm -f "$out"
	clasp_load
	ip netns del "$ns"
	return $ret
}

clasp_tap_plan 7
check module_registered registered
check proto_tcp_refused taken_proto_refused 6
check proto_udp_refused taken_proto_refused 17
check rmmod_refused_with_socket_open rmmod_refused_with_socket
check rmmod_clean_without_sockets rmmod_clean_without_sockets
check rmmod_with_timewait_entries_reports_them rmmod_with_timewait_entries_reports_them
check rmmod_with_ipv6_timewait_entries_reports_them \
	rmmod_with_timewait_entries_reports_them 6
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
