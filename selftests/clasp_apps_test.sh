#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real programs over clasp, run by clasp-run (userspace/clasp-run and its
# preload library), between two network namespaces joined by a veth pair:
#
#  - clasp-run's command line: exit 2 and a usage line for bad arguments,
#    the protocol number read from the module, exit 1 and a clear message
#    when the module is not loaded (/sys/module hidden in a mount
#    namespace);
#  - curl fetching 20 MiB from python3 -m http.server, SHA-256 checked;
#  - nc -N sending 1 MiB to a socat server that answers with its SHA-256
#    once the client has shut down writing; socat sending 1 MiB to an
#    nc -l -N server that sends 1 MiB back after the client's half-close;
#  - ssh to an sshd in the other namespace, one session: 1 MiB up to a
#    remote sha256sum and 1 MiB down from a remote cat, both checked;
#  - iperf3 client and server: -N -M 1000, reverse (-R), 4 parallel
#    streams (-P 4), 2 s each run;
#  - clasp-run -l (a socat proxy that listens on clasp and connects to
#    TCP) and clasp-run -c (one that listens on TCP and connects to clasp),
#    with curl through them.
#
# Each program runs twice: "clasp" through clasp-run and "tcp" without it,
# which shows that the test itself is right.  Each run checks which
# protocol carried it: the server namespace's passive opens grew for that
# protocol and not for the other (clasp's /proc/net/clasp_stats, TCP's
# /proc/net/snmp), so that a program that silently fell back to TCP fails.
#
# CLASP_PROTO=6 (the TCP reference lane): the "clasp" runs go through
# clasp-run -p 6, the same library with the kernel's TCP.

source "$(dirname "$0")/lib.sh"

RUN=${CLASP_RUN:-$CLASP_REPO/userspace/clasp-run}	# CLASP_RUN: another build
PROTO=${CLASP_PROTO:-253}
NSA=clasp_appa_$$
NSB=clasp_appb_$$
VA=clpa$$
VB=clpb$$
NET=10.252.$(($$ % 250))
IPA=$NET.1
IPB=$NET.2
TMO=$(clasp_slow_time 60)	# s, for each program run

clasp_test_begin "$NSA" "$NSB"

# via MODE: the command prefix of a run: clasp-run for "clasp" (with -p 6
# in the TCP lane), nothing for "tcp".
via() {
	VIA=()
	[ "$1" = clasp ] || return 0
	VIA=("$RUN")
	[ "$PROTO" = 6 ] && VIA+=(-p 6)
	return 0
}

# bg NS OUT CMD...: CMD in NS in the background for at most TMO seconds,
# stdout and stderr to OUT; its pid in BG_PID.
bg() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" timeout "$TMO" "$@" >"$out" 2>&1 &
	BG_PID=$!
	pids+=("$BG_PID")
}

# wait_listen NS PORT PID: until a clasp or TCP socket listens on PORT in
# NS, or process PID has died (its output is then in the log).
listening_or_dead() {
	clasp_listening "$1" "$2" || ! kill -0 "$3" 2>/dev/null
}

wait_listen() {
	clasp_poll_until 20 listening_or_dead "$@"
	clasp_listening "$1" "$2" || {
		log "nothing listens on port $2 in $1"
		return 1
	}
}

# The passive opens of both protocols in NS: "clasp tcp".
opens() {
	local c t
	c=$(ip netns exec "$1" awk '$1 == "PassiveOpens" { print $2 }' /proc/net/clasp_stats)
	t=$(ip netns exec "$1" awk '$1 == "Tcp:" && !h { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") n = i; h = 1; next }
		$1 == "Tcp:" { print $n }' /proc/net/snmp)
	echo "${c:-?} ${t:-?}"
}

# carried MODE NS BEFORE: the connections since BEFORE (opens' output)
# were accepted in NS by the protocol MODE stands for, and only by it.
carried() {
	local c0 t0 c1 t1 dc dt
	read -r c0 t0 <<<"$3"
	read -r c1 t1 <<<"$(opens "$2")"
	dc=$((c1 - c0))
	dt=$((t1 - t0))
	log "passive opens in the server namespace: clasp +$dc, TCP +$dt"
	if [ "$1" = clasp ] && [ "$PROTO" != 6 ]; then
		[ "$dc" -gt 0 ] && [ "$dt" = 0 ] && return 0
		log "want them all over clasp"
	else
		[ "$dc" = 0 ] && [ "$dt" -gt 0 ] && return 0
		log "want them all over TCP"
	fi
	return 1
}

sha() {
	sha256sum <"$1" | cut -d' ' -f1
}

# finish PID NAME: wait for PID, log its output file on failure.
finish() {
	local rc
	wait "$1"
	rc=$?
	[ "$rc" = 0 ] && return 0
	log "$2 exited with status $rc$([ "$rc" = 124 ] && echo " (timed out)"): $(tail -c 600 "$TMP/$2.out" | tr '\n' '|')"
	return 1
}

# ---------------------------------------------------------------------------

clasp_run_command_line() {
	local out rc ret=0
	out=$("$RUN" --bogus true 2>&1)
	rc=$?
	if [ "$rc" != 2 ] || [[ $out != *"Usage: clasp-run "* ]]; then
		log "bad option: status $rc, output: $out"
		ret=1
	fi
	out=$("$RUN" 2>&1)
	rc=$?
	[ "$rc" = 2 ] || { log "no command: status $rc, want 2"; ret=1; }
	out=$("$RUN" -p 256 true 2>&1)
	rc=$?
	[ "$rc" = 2 ] || { log "-p 256: status $rc, want 2"; ret=1; }
	# The protocol number is the module's, and -p overrides it.
	out=$("$RUN" -v true 2>&1)
	if [[ $out != *"as protocol $(cat /sys/module/clasp/parameters/proto),"* ]]; then
		log "-v: $out (module's proto $(cat /sys/module/clasp/parameters/proto))"
		ret=1
	fi
	out=$("$RUN" -v -p 77 true 2>&1)
	[[ $out == *"as protocol 77,"* ]] || { log "-v -p 77: $out"; ret=1; }
	out=$("$RUN" no-such-command-here 2>&1)
	rc=$?
	[ "$rc" = 127 ] || { log "missing command: status $rc, want 127: $out"; ret=1; }
	# Without the module: refused before anything runs.
	out=$(unshare -m sh -c 'mount -t tmpfs none /sys/module && exec "$0" -v echo ran' "$RUN" 2>&1)
	rc=$?
	if [ "$rc" != 1 ] || [[ $out != *"clasp module is not loaded"* ]] || [[ $out == *ran* ]]; then
		log "without the module: status $rc, output: $out"
		ret=1
	fi
	return $ret
}

# curl MODE: 20 MiB over HTTP.
http_curl_20mib() {
	local before ret=0
	via "$1"
	mkdir -p "$TMP/www"
	[ -f "$TMP/www/big" ] || head -c $((20 << 20)) /dev/urandom >"$TMP/www/big"
	bg "$NSB" "$TMP/httpd.out" "${VIA[@]}" python3 -m http.server --bind "$IPB" \
		--directory "$TMP/www" 8000
	local srv=$BG_PID
	wait_listen "$NSB" 8000 "$srv" || { log "$(cat "$TMP/httpd.out")"; return 1; }
	before=$(opens "$NSB")
	ip netns exec "$NSA" timeout "$TMO" "${VIA[@]}" curl -sS -o "$TMP/got" \
		"http://$IPB:8000/big" >"$TMP/curl.out" 2>&1 || {
		log "curl failed: $(cat "$TMP/curl.out")"
		ret=1
	}
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	[ "$(sha "$TMP/got")" = "$(sha "$TMP/www/big")" ] || {
		log "the file arrived damaged ($(stat -c %s "$TMP/got") bytes)"
		ret=1
	}
	carried "$1" "$NSB" "$before" || ret=1
	rm -f "$TMP/got"
	return $ret
}

# nc MODE: nc -N sends 1 MiB and shuts down writing; the socat server
# answers with the SHA-256 of what it read, after that end of file.
nc_client_half_close() {
	local before ret=0 got
	via "$1"
	head -c $((1 << 20)) /dev/urandom >"$TMP/up"
	bg "$NSB" "$TMP/socat.out" "${VIA[@]}" socat TCP4-LISTEN:8001,bind="$IPB",reuseaddr \
		SYSTEM:sha256sum
	local srv=$BG_PID
	wait_listen "$NSB" 8001 "$srv" || return 1
	before=$(opens "$NSB")
	got=$(ip netns exec "$NSA" timeout "$TMO" "${VIA[@]}" nc -N "$IPB" 8001 <"$TMP/up" 2>"$TMP/nc.out") || {
		log "nc failed: $(cat "$TMP/nc.out")"
		ret=1
	}
	finish "$srv" socat || ret=1
	if [ "${got%% *}" != "$(sha "$TMP/up")" ]; then
		log "the server's answer '$got' is not the SHA-256 of what was sent"
		ret=1
	fi
	carried "$1" "$NSB" "$before" || ret=1
	return $ret
}

# nc -l -N sends 1 MiB back while it receives 1 MiB from socat, which shuts
# down writing at its end of file and reads on until the server closes.
nc_server_half_close() {
	local before ret=0
	via "$1"
	head -c $((1 << 20)) /dev/urandom >"$TMP/up"
	head -c $((1 << 20)) /dev/urandom >"$TMP/down"
	ip netns exec "$NSB" timeout "$TMO" "${VIA[@]}" nc -N -l "$IPB" 8002 \
		<"$TMP/down" >"$TMP/srv-got" 2>"$TMP/nc.out" &
	local srv=$!
	pids+=("$srv")
	wait_listen "$NSB" 8002 "$srv" || return 1
	before=$(opens "$NSB")
	ip netns exec "$NSA" timeout "$TMO" "${VIA[@]}" socat -t "$TMO" - TCP4:"$IPB":8002 \
		<"$TMP/up" >"$TMP/cli-got" 2>"$TMP/socat.out" || {
		log "socat failed: $(cat "$TMP/socat.out")"
		ret=1
	}
	finish "$srv" nc || ret=1
	[ "$(sha "$TMP/srv-got")" = "$(sha "$TMP/up")" ] || {
		log "the server received $(stat -c %s "$TMP/srv-got") bytes, damaged"
		ret=1
	}
	[ "$(sha "$TMP/cli-got")" = "$(sha "$TMP/down")" ] || {
		log "the client received $(stat -c %s "$TMP/cli-got") bytes, damaged"
		ret=1
	}
	carried "$1" "$NSB" "$before" || ret=1
	return $ret
}

SSHD_READY=

# An sshd's keys and configuration, in TMP (the guest's / is read-only).
ssh_setup() {
	[ -n "$SSHD_READY" ] && return 0
	mkdir -p /run/sshd "$TMP/ssh" && chmod 700 "$TMP/ssh" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$TMP/ssh/host" &&
		ssh-keygen -q -t ed25519 -N '' -f "$TMP/ssh/id" &&
		cp "$TMP/ssh/id.pub" "$TMP/ssh/authorized_keys" || {
		log "ssh-keygen failed"
		return 1
	}
	cat >"$TMP/ssh/sshd_config" <<-EOF
	Port 2222
	ListenAddress $IPB
	HostKey $TMP/ssh/host
	PidFile $TMP/ssh/sshd.pid
	AuthorizedKeysFile $TMP/ssh/authorized_keys
	UsePAM no
	StrictModes no
	PermitRootLogin prohibit-password
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	EOF
	SSHD_READY=1
}

SSH_OPTS=(-F /dev/null -i "$TMP/ssh/id" -o BatchMode=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p 2222)

# ssh MODE: one session moves 1 MiB each way: up into a remote sha256sum
# (its answer on stderr), then down from a remote cat.
ssh_1mib_each_way() {
	local before ret=0 got
	via "$1"
	ssh_setup || return 1
	head -c $((1 << 20)) /dev/urandom >"$TMP/up"
	head -c $((1 << 20)) /dev/urandom >"$TMP/down-src"
	bg "$NSB" "$TMP/sshd.out" "${VIA[@]}" /usr/sbin/sshd -D -e -f "$TMP/ssh/sshd_config"
	local srv=$BG_PID
	wait_listen "$NSB" 2222 "$srv" || { log "$(cat "$TMP/sshd.out")"; return 1; }
	before=$(opens "$NSB")
	ip netns exec "$NSA" timeout "$TMO" "${VIA[@]}" ssh "${SSH_OPTS[@]}" root@"$IPB" \
		"sha256sum >&2 && cat $TMP/down-src" <"$TMP/up" >"$TMP/down" 2>"$TMP/ssh.out" || {
		log "ssh failed: $(tr '\n' '|' <"$TMP/ssh.out")"
		ret=1
	}
	got=$(grep -Eo '^[0-9a-f]{64}' "$TMP/ssh.out")
	[ "$got" = "$(sha "$TMP/up")" ] || {
		log "up: the remote sha256sum says '$(tr '\n' '|' <"$TMP/ssh.out")'"
		ret=1
	}
	[ "$(sha "$TMP/down")" = "$(sha "$TMP/down-src")" ] || {
		log "down: $(stat -c %s "$TMP/down") bytes, damaged"
		ret=1
	}
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	carried "$1" "$NSB" "$before" || ret=1
	[ "$ret" = 0 ] || log "sshd: $(tail -c 600 "$TMP/sshd.out" | tr '\n' '|')"
	return $ret
}

# iperf MODE ARGS...: a one-off iperf3 server in B and a client in A with
# ARGS for 2 s; by the client's JSON report data went and most of it was
# counted received (iperf3 does not check the data itself, and stops
# counting when the sender ends the test: what is in flight then is sent
# but not counted, which is why the run is timed, not a byte count: with
# -n 4M, TCP once had 60% of it in its buffers at the end).
iperf() {
	local mode=$1 before ret=0
	shift
	via "$mode"
	bg "$NSB" "$TMP/iperfd.out" "${VIA[@]}" iperf3 -s -1 -B "$IPB" -p 5201
	local srv=$BG_PID
	wait_listen "$NSB" 5201 "$srv" || { log "$(cat "$TMP/iperfd.out")"; return 1; }
	before=$(opens "$NSB")
	ip netns exec "$NSA" timeout "$TMO" "${VIA[@]}" iperf3 -c "$IPB" -p 5201 -t 2 -J "$@" \
		>"$TMP/iperf.json" 2>"$TMP/iperf.err" || ret=1
	finish "$srv" iperfd || ret=1
	python3 - "$TMP/iperf.json" <<-'EOF' || ret=1
	import json, sys
	try:
	    r = json.load(open(sys.argv[1]))
	except ValueError as e:
	    print("# iperf3 -J output unreadable:", e, open(sys.argv[1]).read()[-400:].replace("\n", "|"))
	    sys.exit(1)
	if "error" in r:
	    print("# iperf3:", r["error"])
	    sys.exit(1)
	# The receiver stops counting when the sender says the test is over:
	# the bytes still in flight then are sent but not counted received.
	s, rcv = r["end"]["sum_sent"], r["end"]["sum_received"]
	streams = len(r["end"]["streams"])
	print("# %d stream(s): sent %d bytes, received %d, %.1f Mbit/s, %s retransmits"
	      % (streams, s["bytes"], rcv["bytes"], rcv["bits_per_second"] / 1e6,
	         s.get("retransmits", "no")))
	sys.exit(0 if s["bytes"] > 0 and s["bytes"] // 2 <= rcv["bytes"] <= s["bytes"] else 1)
	EOF
	[ -s "$TMP/iperf.err" ] && log "iperf3 stderr: $(tr '\n' '|' <"$TMP/iperf.err")"
	carried "$mode" "$NSB" "$before" || ret=1
	return $ret
}

iperf3_nodelay_mss() { iperf "$1" -N -M 1000; }
iperf3_reverse() { iperf "$1" -R; }
iperf3_parallel_4() { iperf "$1" -P 4; }

# proxy_fetch NS URL [PREFIX...]: curl TMP/www/small from NS through the
# caller's proxy (PREFIX before curl), then stop the proxy and the server
# (the caller's $proxy and $srv) and check the copy; logs the proxy's
# output.  Nonzero if anything failed.
proxy_fetch() {
	local ns=$1 url=$2 ret=0
	shift 2
	ip netns exec "$ns" timeout "$TMO" "$@" curl -sS -o "$TMP/got" "$url" \
		>"$TMP/curl.out" 2>&1 || {
		log "curl failed: $(cat "$TMP/curl.out")"
		ret=1
	}
	finish "$proxy" proxy || ret=1
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	[ "$(sha "$TMP/got")" = "$(sha "$TMP/www/small")" ] || { log "damaged"; ret=1; }
	log "proxy: $(tr '\n' '|' <"$TMP/proxy.out")"
	return $ret
}

# curl in A through a socat proxy in B, to an http.server on B's
# loopback.  -l: the proxy listens on clasp (its reuseaddr carried over)
# and connects over TCP; curl runs under clasp-run.
proxy_listen_only() {
	local before ret=0 out c0 t0 c1 t1
	via clasp
	mkdir -p "$TMP/www"
	head -c $((1 << 20)) /dev/urandom >"$TMP/www/small"
	bg "$NSB" "$TMP/httpd.out" python3 -m http.server --bind 127.0.0.1 \
		--directory "$TMP/www" 8010
	local srv=$BG_PID
	bg "$NSB" "$TMP/proxy.out" "${VIA[@]}" -v -l socat TCP4-LISTEN:8011,bind="$IPB",reuseaddr \
		TCP4:127.0.0.1:8010
	local proxy=$BG_PID
	wait_listen "$NSB" 8010 "$srv" && wait_listen "$NSB" 8011 "$proxy" || return 1
	before=$(opens "$NSB")
	proxy_fetch "$NSA" "http://$IPB:8011/small" "${VIA[@]}" || ret=1
	out=$(cat "$TMP/proxy.out")
	# One socket turned clasp, before listen(); no option lost.
	[ "$(grep -c 'before listen()' <<<"$out")" = 1 ] &&
		! grep -q 'before connect()\|not carried over' <<<"$out" || ret=1
	# The proxy accepted over clasp, http.server over TCP: one each.
	read -r c0 t0 <<<"$before"
	read -r c1 t1 <<<"$(opens "$NSB")"
	log "passive opens in B: clasp +$((c1 - c0)), TCP +$((t1 - t0))"
	if [ "$PROTO" = 6 ]; then
		[ $((t1 - t0)) = 2 ] || ret=1
	else
		[ $((c1 - c0)) = 1 ] && [ $((t1 - t0)) = 1 ] || ret=1
	fi
	rm -f "$TMP/got"
	return $ret
}

# -c: curl in A to a socat proxy on A's loopback that listens on TCP and
# connects over clasp to http.server in B, which runs under clasp-run.
proxy_connect_only() {
	local before ret=0 out
	via clasp
	mkdir -p "$TMP/www"
	head -c $((1 << 20)) /dev/urandom >"$TMP/www/small"
	bg "$NSB" "$TMP/httpd.out" "${VIA[@]}" python3 -m http.server --bind "$IPB" \
		--directory "$TMP/www" 8020
	local srv=$BG_PID
	bg "$NSA" "$TMP/proxy.out" "${VIA[@]}" -v -c socat TCP4-LISTEN:8021,bind=127.0.0.1,reuseaddr \
		TCP4:"$IPB":8020
	local proxy=$BG_PID
	wait_listen "$NSB" 8020 "$srv" && wait_listen "$NSA" 8021 "$proxy" || return 1
	before=$(opens "$NSB")
	proxy_fetch "$NSA" "http://127.0.0.1:8021/small" || ret=1
	out=$(cat "$TMP/proxy.out")
	[ "$(grep -c 'before connect()' <<<"$out")" = 1 ] &&
		! grep -q 'before listen()\|not carried over' <<<"$out" || ret=1
	carried clasp "$NSB" "$before" || ret=1
	rm -f "$TMP/got"
	return $ret
}

CASES=(clasp_run_command_line)
for t in http_curl_20mib nc_client_half_close nc_server_half_close ssh_1mib_each_way \
	iperf3_nodelay_mss iperf3_reverse iperf3_parallel_4; do
	CASES+=("$t clasp" "$t tcp")
done
CASES+=(proxy_listen_only proxy_connect_only)
# CLASP_APPS_CASES="NAME...": only those cases (to debug one; the plan
# then shrinks, which scripts/check would count as lost cases).
if [ -n "${CLASP_APPS_CASES:-}" ]; then
	sel=()
	for c in "${CASES[@]}"; do
		[[ " $CLASP_APPS_CASES " == *" ${c/ /_over_} "* ]] && sel+=("$c")
	done
	CASES=("${sel[@]}")
fi

clasp_tap_plan "${#CASES[@]}"
ok=1
if [ ! -x "$RUN" ] || [ ! -f "$(dirname "$RUN")/libclasp-run.so" ]; then
	log "$RUN or its library missing: build userspace/ (make)"
	ok=0
else
	for p in python3 curl socat nc iperf3 ssh ssh-keygen /usr/sbin/sshd; do
		command -v "$p" >/dev/null || { log "$p missing: run scripts/setup"; ok=0; }
	done
fi
[ "$PROTO" = 6 ] && log "CLASP_PROTO=6: the clasp runs go through clasp-run -p 6 (kernel TCP)"
[ "$ok" = 1 ] && { clasp_veth_pair "$NSA" "$VA" "$IPA" "$NSB" "$VB" "$IPB" || ok=0; }
for c in "${CASES[@]}"; do
	name=${c/ /_over_}
	if [ "$ok" = 1 ]; then
		t0=$SECONDS
		# shellcheck disable=SC2086
		check "$name" $c
		log "$name took $((SECONDS - t0)) s"
	else
		check "$name" false
	fi
done
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
