#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module life cycle: registration, a taken protocol number refused with
# EBUSY, rmmod refused while a socket is open and clean once it is closed.
# Leaves the module loaded as it found it.

source "$(dirname "$0")/lib.sh"
clasp_only_program clasp_module_test "loading and unloading the clasp module and its protocol number"

fails=0
ntest=0

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

echo "TAP version 13"
echo "1..5"
check module_registered registered
check proto_tcp_refused taken_proto_refused 6
check proto_udp_refused taken_proto_refused 17
check rmmod_refused_with_socket_open rmmod_refused_with_socket
check rmmod_clean_without_sockets rmmod_clean_without_sockets
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
