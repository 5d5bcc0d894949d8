#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# claspctl against the running module, in a namespace of its own:
#
#  - conns: the table (LISTEN, ESTAB with unread data, TIME-WAIT rows with
#    their addresses, ports and queues), state filters and groups,
#    sport/dport/src/dst filters, -j/--pretty JSON and its keys, -o
#    timers, -i;
#  - side by side with ss on kernel TCP sockets the same program holds:
#    -o's timer:(keepalive,...) in ss's format, service and host names
#    (default, -n, -r), -H, -p's users:(("python3",pid=N,fd=N)) (and
#    "users" in JSON), -N NETNS from another namespace, -K killing what a
#    filter selects, exit 1 when stdout cannot be written;
#  - stats and config show/get/set, the kernel's error text for a value
#    out of range and an unknown tunable;
#  - exit status 2 and a usage line for bad command lines; help, version;
#  - kill: the killed side reads ECONNABORTED, the peer ECONNRESET;
#  - monitor (text and -j): events of connections made, killed and closed
#    while it runs, a listener event, a clean exit on SIGTERM; the events
#    still queued on its socket when SIGTERM comes are printed (the
#    monitors are held with SIGSTOP during that traffic, so that they wake
#    with a pending SIGTERM and every event still to read);
#  - an unprivileged user can read but not set or kill (exit 1, EPERM);
#  - so can root of a user namespace that does not own the network
#    namespace (unshare -U -r run by that user): reading works, config
#    set and kill are refused the same way;
#  - IPv6: a dual-stack :: listener on port 6100, a ::1 connection, an
#    AF_INET client's connection (v4-mapped on the server's side) and an
#    AF_INET6 client's to ::ffff:127.0.0.1, shown as ss -tan shows TCP's
#    (*:6100, [::1]:6100, [::ffff:127.0.0.1]:6100); -4 and -6 as ss's;
#    IPv6 address filters, bare and bracketed, with prefixes; the JSON
#    family; kill of an IPv6 and of a v4-mapped connection; bad IPv6
#    arguments exit 2;
#  - with the module unloaded, "the clasp module is not loaded".
#
# msl_ms is set before the namespace is created so that its TIME_WAIT
# entry outlives the test; the parameter is put back at the end.
#
# Starting a process is slow in a TCG guest, so the checks run in one
# shell inside the namespace (this script again, with --in-ns) and parse
# output with shell builtins; python3 reads the JSON.

source "$(dirname "$0")/lib.sh"

clasp_only_program clasp_ctl_test "claspctl and clasp's generic netlink family; TCP has neither"

CTL=${CLASPCTL:-$CLASP_REPO/userspace/claspctl}	# CLASPCTL: another build
CTL_CMD=("$CTL")	# what ctl runs
PARAMS=/sys/module/clasp/parameters
MSL=300000		# TIME_WAIT lasts 600 s: longer than the test may
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
INIT_NS=(nsenter --net=/proc/1/ns/net --)
NTESTS=28
INNER_TIMEOUT=$(clasp_slow_time 240)	# s, for checks 1 to NTESTS - 1 (settings: 300)

nskip=0
pids=()

check() {
	local name=$1 t0=$SECONDS
	shift
	ntest=$((ntest + 1))
	if "$@"; then
		echo "ok $ntest $name"
	else
		echo "not ok $ntest $name"
		fails=$((fails + 1))
	fi
	log "$name took $((SECONDS - t0)) s"
}

skip() {
	ntest=$((ntest + 1))
	nskip=$((nskip + 1))
	echo "ok $ntest $1 # SKIP $2"
}

# ctl ARGS...: run claspctl; its stdout lines in OUT, stderr lines in ERR
# (and in $TMP/out, $TMP/err); returns its exit status.
ctl() {
	local rc
	"${CTL_CMD[@]}" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	mapfile -t OUT <"$TMP/out"
	mapfile -t ERR <"$TMP/err"
	return $rc
}

# match RE LINE...: one of the lines matches the extended regex RE.
match() {
	local re=$1 l
	shift
	for l in "$@"; do
		[[ $l =~ $re ]] && return 0
	done
	return 1
}

# rows ARGS...: the rows of "claspctl conns ARGS" as
# "STATE RECVQ SENDQ LOCAL PEER" in ROWS; fails unless the header is right.
rows() {
	local re='^State +Recv-Q Send-Q +Local Address:Port +Peer Address:Port$'
	local l a b c d e
	ROWS=()
	ctl conns "$@" || { log "conns $* failed: ${ERR[*]}"; return 1; }
	if [[ ! ${OUT[0]:-} =~ $re ]]; then
		log "bad header: '${OUT[0]:-}'"
		return 1
	fi
	for l in "${OUT[@]:1}"; do
		[[ $l == $'\t'* ]] && continue	# -i lines
		read -r a b c d e _ <<<"$l"
		ROWS+=("$a $b $c $d $e")
	done
}

# in_list WORD LINE...: one of the lines is WORD.
in_list() {
	local w=$1 l
	shift
	for l in "$@"; do
		[ "$l" = "$w" ] && return 0
	done
	return 1
}

# expect_rows "ROW;ROW;..." ARGS...: conns ARGS shows exactly these rows,
# in any order.
expect_rows() {
	local -a want
	local w ok=1
	IFS=';' read -ra want <<<"$1"
	shift
	rows "$@" || return 1
	[ "${#want[@]}" -eq "${#ROWS[@]}" ] || ok=0
	for w in "${want[@]}"; do
		in_list "$w" "${ROWS[@]}" || ok=0
	done
	[ "$ok" -eq 1 ] && return 0
	log "conns $*:"
	log "want: $(IFS='|'; echo "${want[*]}")"
	log "got:  $(IFS='|'; echo "${ROWS[*]}")"
	return 1
}

# expect_fail STATUS TEXT ARGS...: claspctl ARGS exits STATUS, prints
# nothing on stdout and a line containing TEXT on stderr.
expect_fail() {
	local status=$1 text=$2 rc l
	shift 2
	ctl "$@"
	rc=$?
	if [ "$rc" -eq "$status" ] && [ "${#OUT[@]}" -eq 0 ]; then
		for l in "${ERR[@]}"; do
			[[ $l == *"$text"* ]] && return 0
		done
	fi
	log "claspctl $*: status $rc (want $status), stderr: $(IFS='|'; echo "${ERR[*]:0:2}")"
	return 1
}

# The end of both holders: say "ready", then on "killed" tell what the
# killed pair's ends read (local: the held socket, peer: its client).
HOLDER_TAIL='
print("ready", flush=True)

def read(s):
    s.settimeout(10)
    try:
        return "data:%r" % s.recv(16)
    except TimeoutError:
        return "timeout"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))

for line in sys.stdin:
    if line.strip() == "killed":
        print("local=%s peer=%s" % (read(KILLED[0]), read(KILLED[1])),
              flush=True)
    elif line.strip() == "quit":
        break
'

# The helper: one listener on 127.0.0.1:5000 and three connections to it,
# each from its own address so that address filters tell them apart:
#   A 127.0.0.2:41000, 5 bytes unread on the server side;
#   T 127.0.0.3:42000, closed by the client first: a TIME_WAIT entry;
#   K 127.0.0.4:43000, for kill.
# Then it answers commands on stdin: "killed" reads K from both ends.
# Its argument: how long it may wait for the segments to settle, in s.
HELPER_PY='
import errno, fcntl, socket, sys, termios, time

def sock():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)

ls = sock()
ls.bind(("127.0.0.1", 5000))
ls.listen(8)

def pair(src, port):
    c = sock()
    c.bind((src, port))
    c.connect(("127.0.0.1", 5000))
    s, _ = ls.accept()
    return c, s

ca, sa = pair("127.0.0.2", 41000)
ca.sendall(b"hello")
ct, st = pair("127.0.0.3", 42000)
ct.close()
if st.recv(16) != b"":
    sys.exit("no end of stream on T")
st.close()
ck, sk = pair("127.0.0.4", 43000)

def a_received():
    try:
        return len(sa.recv(16, socket.MSG_PEEK | socket.MSG_DONTWAIT)) == 5
    except BlockingIOError:
        return False

def a_acknowledged():
    return fcntl.ioctl(ca, termios.TIOCOUTQ, bytes(4)) == bytes(4)

def t_in_time_wait():
    stats = dict(l.split() for l in open("/proc/net/clasp_stats"))
    return int(stats["TimeWaitEntered"]) >= 1

# Every row as the checks expect it: the segments are all through.
deadline = time.monotonic() + float(sys.argv[1])
while not (a_received() and a_acknowledged() and t_in_time_wait()):
    if time.monotonic() > deadline:
        sys.exit("# the connections never settled")
    time.sleep(0.05)
KILLED = (sk, ck)
'"$HOLDER_TAIL"

ROW_L="LISTEN 0 8 127.0.0.1:5000 0.0.0.0:*"
ROW_AS="ESTAB 5 0 127.0.0.1:5000 127.0.0.2:41000"
ROW_AC="ESTAB 0 0 127.0.0.2:41000 127.0.0.1:5000"
ROW_T="TIME-WAIT 0 0 127.0.0.3:42000 127.0.0.1:5000"
ROW_KS="ESTAB 0 0 127.0.0.1:5000 127.0.0.4:43000"
ROW_KC="ESTAB 0 0 127.0.0.4:43000 127.0.0.1:5000"
ALL="$ROW_L;$ROW_AS;$ROW_AC;$ROW_T;$ROW_KS;$ROW_KC"

start_helper() {
	local line="" settle
	settle=$(clasp_slow_time 10)
	coproc HCMD { exec python3 -c "$HELPER_PY" "$settle"; }
	HELPER_PID=$HCMD_PID
	pids+=("$HELPER_PID")
	read -r -t "$(clasp_slow_time 60)" line <&"${HCMD[0]}"
	if [ "$line" != ready ]; then
		log "helper not ready: '$line'"
		return 1
	fi
}

conns_table() {
	local plain
	expect_rows "$ALL" || return 1
	plain=("${OUT[@]}")
	# -n changes nothing: these ports have no service names.
	ctl -n conns && [ "${OUT[*]}" = "${plain[*]}" ]
}

state_filters() {
	expect_rows "$ROW_L" state listening &&
		expect_rows "$ROW_L" state LISTEN &&
		expect_rows "$ROW_T" state time-wait &&
		expect_rows "$ROW_T" state TIME_WAIT &&
		expect_rows "$ROW_T" state bucket &&
		expect_rows "$ROW_AS;$ROW_AC;$ROW_KS;$ROW_KC" state established &&
		expect_rows "$ROW_AS;$ROW_AC;$ROW_T;$ROW_KS;$ROW_KC" state connected &&
		expect_rows "$ROW_AS;$ROW_AC;$ROW_T;$ROW_KS;$ROW_KC" state synchronized &&
		expect_rows "$ROW_L;$ROW_AS;$ROW_AC;$ROW_KS;$ROW_KC" state big &&
		expect_rows "$ALL" state all &&
		expect_rows "$ROW_L;$ROW_T" state listening state time-wait &&
		expect_rows "$ROW_AS;$ROW_AC;$ROW_KS;$ROW_KC" \
			exclude listening exclude time-wait &&
		expect_rows "" state syn-sent &&
		expect_rows "" state listening exclude listening
}

addr_port_filters() {
	expect_rows "$ROW_L;$ROW_AS;$ROW_KS" sport 5000 &&
		expect_rows "$ROW_AC;$ROW_T;$ROW_KC" dport 5000 &&
		expect_rows "$ROW_AC;$ROW_T;$ROW_KC" dport = :5000 &&
		expect_rows "$ROW_AC" sport 41000 &&
		expect_rows "$ROW_AS" dport 41000 &&
		expect_rows "$ROW_AC" src 127.0.0.2 &&
		expect_rows "$ROW_KS" dst 127.0.0.4/32 &&
		expect_rows "$ROW_L;$ROW_AS;$ROW_AC;$ROW_T;$ROW_KS" src 127.0.0.0/30 &&
		expect_rows "$ROW_AS;$ROW_AC;$ROW_T;$ROW_KS;$ROW_KC" dst 127.0.0.0/8 &&
		expect_rows "$ROW_AS" sport 5000 dst 127.0.0.2 &&
		expect_rows "$ROW_T" src 127.0.0.3 state time-wait &&
		expect_rows "" src 127.0.0.3 state established &&
		expect_rows "" sport 5001
}

conns_json() {
	ctl -j conns || return 1
	cp "$TMP/out" "$TMP/plain.json"
	# --pretty: indented over many lines; filters, -o and -i apply.
	ctl --pretty conns -o -i state established sport 5000 || return 1
	python3 - "$TMP/plain.json" "$TMP/out" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
rows = json.loads(text)
assert text.count("\n") == 1, "plain -j is one line"
keys = {"state", "kind", "family", "local", "local_port", "peer",
        "peer_port", "recv_q", "send_q"}
assert isinstance(rows, list) and len(rows) == 6, rows
for r in rows:
    assert set(r) == keys, r
got = sorted((r["state"], r["kind"], r["local"], r["local_port"], r["peer"],
              r["peer_port"], r["recv_q"], r["send_q"]) for r in rows)
want = sorted([
    ("LISTEN", "socket", "127.0.0.1", 5000, "0.0.0.0", 0, 0, 8),
    ("ESTAB", "socket", "127.0.0.1", 5000, "127.0.0.2", 41000, 5, 0),
    ("ESTAB", "socket", "127.0.0.2", 41000, "127.0.0.1", 5000, 0, 0),
    ("TIME-WAIT", "compact", "127.0.0.3", 42000, "127.0.0.1", 5000, 0, 0),
    ("ESTAB", "socket", "127.0.0.1", 5000, "127.0.0.4", 43000, 0, 0),
    ("ESTAB", "socket", "127.0.0.4", 43000, "127.0.0.1", 5000, 0, 0),
])
assert got == want, got

text = open(sys.argv[2]).read()
rows = json.loads(text)
assert text.count("\n") > 20 and '\n  {\n    "state": "ESTAB"' in text, text
keys |= {"timer", "rto_ms", "rtt_ms", "mss", "snd_una", "snd_nxt",
         "rcv_nxt", "snd_wnd", "rcv_wnd", "backoff", "retrans", "uid",
         "inode", "cookie", "ca_state", "ooo_segs", "sack_blocks", "passive",
         "snd_wscale", "rcv_wscale", "ts", "sack", "ecn", "ecn_seen",
         "sacked_segs", "reordering",
         "congestion_control", "cwnd", "ssthresh", "in_flight",
         "pacing_rate", "max_pacing_rate"}
assert len(rows) == 2, rows
for r in rows:
    assert set(r) == keys, sorted(set(r) ^ keys)
    assert r["ca_state"] == "open" and r["ooo_segs"] == 0, r
    assert r["sack_blocks"] == 0, r
    assert r["sacked_segs"] == 0 and r["reordering"] == 3, r
    assert r["congestion_control"] == "cubic" and r["cwnd"] == 10, r
    assert r["ssthresh"] == 0x7fffffff and r["in_flight"] == 0, r
    assert r["state"] == "ESTAB" and r["local_port"] == 5000, r
    assert r["passive"] is True and r["uid"] == 0, r
    assert r["inode"] > 0 and r["cookie"] > 0 and r["mss"] > 0, r
    assert r["rto_ms"] > 0 and r["snd_wnd"] > 0 and r["rcv_wnd"] > 0, r
    assert r["snd_una"] == r["snd_nxt"], r
    assert r["ts"] is True and r["sack"] is True, r
    assert r["timer"] is None, r
assert len({r["cookie"] for r in rows}) == 2
assert len({r["inode"] for r in rows}) == 2
EOF
}

conns_timers() {
	local re='^TIME-WAIT +0 +0 +127\.0\.0\.3:42000 +127\.0\.0\.1:5000 +timer:\(timewait,([5-9]min([0-9]+sec)?|10min),0\)$'
	ctl conns -o state time-wait || return 1
	if [ "${#OUT[@]}" -ne 2 ] || [[ ! ${OUT[1]} =~ $re ]]; then
		log "time-wait rows: $(IFS='|'; echo "${OUT[*]:1}")"
		return 1
	fi
	# No timer armed: no timer field.
	ctl conns -o state listening state established || return 1
	if [ "${#OUT[@]}" -ne 6 ] || match 'timer:' "${OUT[@]}"; then
		log "timer without one armed: $(IFS='|'; echo "${OUT[*]}")"
		return 1
	fi
	ctl -j conns -o -i || return 1
	python3 - "$TMP/out" "$MSL" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
msl = int(sys.argv[2])
tw = [r for r in rows if r["state"] == "TIME-WAIT"]
assert len(tw) == 1, rows
t = tw[0]
assert t["kind"] == "compact", t
assert t["timer"]["kind"] == "timewait" and t["timer"]["retrans"] == 0, t
assert msl < t["timer"]["expires_ms"] <= 2 * msl, t
# A compact entry has no socket behind it: no uid, inode, cookie.
assert t["uid"] is None and t["inode"] is None and t["cookie"] is None, t
assert t["passive"] is None, t
assert t["snd_nxt"] is not None and t["rcv_nxt"] is not None, t
for r in rows:
    if r["state"] != "TIME-WAIT":
        assert r["timer"] is None, r
        assert r["kind"] == "socket" and r["inode"] > 0, r
clients = [r for r in rows if r["peer_port"] == 5000 and r["state"] == "ESTAB"]
assert len(clients) == 2 and all(r["passive"] is False for r in clients), rows
EOF
}

# -j and the text show the same rows with the same values in the same
# units: the two come from one printing path (iproute2's print_*() style).
json_as_text() {
	ctl -n -H conns -i || return 1
	cp "$TMP/out" "$TMP/text"
	ctl -j conns -i || return 1
	python3 - "$TMP/text" "$TMP/out" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
rows = json.load(open(sys.argv[2]))
assert len(lines) == 2 * len(rows) and rows, (lines, rows)
names = {"rto": "rto_ms", "rtt": "rtt_ms", "mss": "mss", "backoff": "backoff",
         "retrans": "retrans", "snd_una": "snd_una", "snd_nxt": "snd_nxt",
         "rcv_nxt": "rcv_nxt", "snd_wnd": "snd_wnd", "rcv_wnd": "rcv_wnd",
         "ooo": "ooo_segs", "sack_blocks": "sack_blocks", "uid": "uid",
         "ino": "inode", "kind": "kind", "ca_state": "ca_state",
         "sk": "cookie", "reordering": "reordering", "sacked": "sacked_segs",
         "cwnd": "cwnd", "ssthresh": "ssthresh", "in_flight": "in_flight"}
fixed = {"state", "kind", "family", "local", "local_port", "peer",
         "peer_port", "recv_q", "send_q"}
by_ends = {(r["local"], r["local_port"], r["peer"], r["peer_port"]): r
           for r in rows}
for head, info in zip(lines[0::2], lines[1::2]):
    f = head.split()
    la, lp = f[3].rsplit(":", 1)
    pa, pp = f[4].rsplit(":", 1)
    r = by_ends[(la, int(lp), pa, 0 if pp == "*" else int(pp))]
    assert r["state"] == f[0], (head, r)
    assert r["recv_q"] == int(f[1]) and r["send_q"] == int(f[2]), (head, r)
    seen = set()
    toks = info.split()
    if "pacing_rate" in toks:
        # ss's words: "pacing_rate 4.5Mbps", in bits, to a tenth of a unit
        i = toks.index("pacing_rate")
        bw = toks.pop(i + 1)
        toks.pop(i)
        units = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}
        got = [float(b[:-3].rstrip("KMG")) * units[b[:-3].lstrip("0123456789.")]
               for b in bw.split("/")]
        want = [8 * r["pacing_rate"]]
        if r["max_pacing_rate"] is not None:
            want.append(8 * r["max_pacing_rate"])
        assert len(got) == len(want) and all(
            abs(g - w) <= 0.06 * w for g, w in zip(got, want)), (bw, r)
        seen |= {"pacing_rate", "max_pacing_rate"}
    for tok in toks:
        k, colon, v = tok.partition(":")
        if not colon and k == r["congestion_control"]:
            seen.add("congestion_control")
            continue
        if k == "sk":
            assert r["cookie"] == int(v, 16), (tok, r)
        elif k == "wscale":
            assert [r["snd_wscale"], r["rcv_wscale"]] == \
                [int(x) for x in v.split(",")], (tok, r)
            seen |= {"snd_wscale", "rcv_wscale"}
            continue
        elif k in ("ts", "sack", "passive"):
            assert not v and r[k] is True, (tok, r)
            seen.add(k)
            continue
        elif k in ("rto", "rtt"):
            assert abs(r[names[k]] - float(v)) <= 1e-5 * float(v) + 5e-4, \
                (tok, r)
        elif k in ("kind", "ca_state"):
            assert r[names[k]] == v, (tok, r)
        else:
            assert r[names[k]] == int(v), (tok, r)
        seen.add(names[k])
    # What the text leaves out the JSON has as null, or as the value the
    # text does not print: reordering 3, sacked 0, a flag false.
    for k, v in r.items():
        if k in seen or k in fixed:
            continue
        assert v is None or v is False or (k, v) in (
            ("reordering", 3), ("sacked_segs", 0),
            ("ssthresh", 0x7fffffff)), (k, v, info)
EOF
}

conns_info() {
	local re='^	 kind:socket cubic rto:[0-9.]+ rtt:[0-9.]+ ca_state:open mss:[1-9][0-9]* backoff:0 retrans:0 snd_una:[0-9]+ snd_nxt:[0-9]+ rcv_nxt:[0-9]+ snd_wnd:[0-9]+ rcv_wnd:[0-9]+ ooo:0 sack_blocks:0 uid:0 ino:[1-9][0-9]* sk:[0-9a-f]+ wscale:[0-9]+,[0-9]+ ts sack cwnd:10 in_flight:0 pacing_rate [0-9.]+[KMG]?bps$'
	ctl conns -i sport 41000 || return 1
	if [ "${#OUT[@]}" -ne 3 ] || [[ ! ${OUT[2]} =~ $re ]]; then
		log "conns -i: $(IFS='|'; echo "${OUT[*]}")"
		return 1
	fi
	re='^	 kind:socket passive cubic rto:'
	ctl conns -i dport 41000 || return 1
	[ "${#OUT[@]}" -eq 3 ] && [[ ${OUT[2]} =~ $re ]] || return 1
	re='^	 kind:compact snd_nxt:[0-9]+ rcv_nxt:[0-9]+$'
	ctl conns -i state time-wait || return 1
	[ "${#OUT[@]}" -eq 3 ] && [[ ${OUT[2]} =~ $re ]]
}

stats() {
	local -a proc names
	local i n v
	ctl stats || return 1
	# Every counter of /proc/net/clasp_stats, in its order.
	mapfile -t proc </proc/net/clasp_stats
	if [ "${#OUT[@]}" -ne "${#proc[@]}" ] || [ "${#OUT[@]}" -lt 20 ]; then
		log "${#OUT[@]} counters, /proc has ${#proc[@]}"
		return 1
	fi
	# Names left, values right: every line as long as the first, and no
	# trailing blanks.
	for i in "${!OUT[@]}"; do
		read -r n v <<<"${OUT[i]}"
		names+=("$n")
		if [ "$n" != "${proc[i]%% *}" ] || [ "${#OUT[i]}" -ne "${#OUT[0]}" ] ||
		   [[ ! ${OUT[i]} =~ ^[A-Za-z]+\ +[0-9]+$ ]]; then
			log "line $i: '${OUT[i]}' /proc: '${proc[i]}'"
			return 1
		fi
		case $n in
		InSegs) [ "$v" -gt 0 ] || { log "InSegs $v"; return 1; } ;;
		ActiveOpens) [ "$v" -eq 3 ] || { log "ActiveOpens $v"; return 1; } ;;
		esac
	done
	ctl -s && [ "${OUT[*]%% *}" = "${names[*]}" ] || return 1
	ctl stats -j || return 1
	python3 - "$TMP/out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert isinstance(s, dict) and s["InSegs"] > 0, s
assert s["ActiveOpens"] == 3 and s["TimeWaitEntered"] == 1, s
assert s["CurrEstab"] == 4, s
assert all(isinstance(v, int) for v in s.values())
EOF
}

config_show() {
	ctl config show || return 1
	match '^Name +Value +Min +Max$' "${OUT[0]}" &&
		match "^msl_ms +$MSL +1 +3600000\$" "${OUT[@]}" &&
		match '^abort_on_overflow +[01] +0 +1$' "${OUT[@]}" ||
		{ log "config show: $(IFS='|'; echo "${OUT[*]:0:3}")"; return 1; }
	ctl config get msl_ms && [ "${OUT[*]}" = "$MSL" ] || return 1
	ctl -j config || return 1
	python3 - "$TMP/out" "$MSL" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
assert c["msl_ms"] == {"value": int(sys.argv[2]), "min": 1, "max": 3600000}, c
ca = c.pop("congestion_control")
assert ca["value"] == "cubic" and ca["available"] == ["reno", "cubic"], ca
assert len(c) > 10 and all(set(v) == {"value", "min", "max"} for v in c.values()), c
EOF
}

config_set() {
	local init_before init_after
	init_before=$("${INIT_NS[@]}" "$CTL" config get msl_ms) || return 1
	ctl config set msl_ms 12345 && [ "${#OUT[@]}" -eq 0 ] ||
		{ log "config set: ${ERR[*]}"; return 1; }
	ctl config show msl_ms && [ "${#OUT[@]}" -eq 2 ] &&
		match '^msl_ms +12345 +1 +3600000$' "${OUT[1]}" || return 1
	ctl config get msl_ms && [ "${OUT[*]}" = 12345 ] || return 1
	# Another namespace (the initial one) keeps its own value.
	init_after=$("${INIT_NS[@]}" "$CTL" config get msl_ms) || return 1
	[ "$init_before" = "$init_after" ] ||
		{ log "initial namespace: $init_before -> $init_after"; return 1; }
	ctl config set msl_ms "$MSL"
}

config_errors() {
	expect_fail 1 "claspctl: kernel: value outside the tunable's range (see config get)" \
		config set msl_ms 0 &&
		expect_fail 1 "claspctl: kernel: value outside the tunable's range (see config get)" \
			config set rfc1337 2 &&
		expect_fail 1 "claspctl: kernel: unknown tunable" \
			config set no_such_tunable 1 &&
		expect_fail 1 "unknown tunable" config show no_such_tunable &&
		ctl config get msl_ms && [ "${OUT[*]}" = "$MSL" ] || return 1
	# congestion_control takes a name: one there is, or ENOENT's extack.
	ctl config set congestion_control reno && [ "${#OUT[@]}" -eq 0 ] &&
		ctl config get congestion_control && [ "${OUT[*]}" = reno ] &&
		ctl config show && match '^congestion_control reno \(available: reno cubic\)$' "${OUT[@]}" ||
		{ log "config congestion_control: $(IFS='|'; echo "${OUT[*]: -2}") ${ERR[*]}"; return 1; }
	expect_fail 1 "claspctl: kernel: no such congestion control (see config show)" \
		config set congestion_control bbr &&
		ctl config get congestion_control && [ "${OUT[*]}" = reno ] &&
		ctl config set congestion_control cubic &&
		ctl config get congestion_control && [ "${OUT[*]}" = cubic ]
}

# The memory pool's limits are global (as tcp_mem): every namespace reads
# them, only the initial one sets them.
config_global() {
	local old
	old=$(<"$PARAMS/mem_max_pages") || return 1
	ctl config get mem_max_pages && [ "${OUT[*]}" = "$old" ] ||
		{ log "mem_max_pages: ${OUT[*]} != $old"; return 1; }
	expect_fail 1 "a global tunable: set it from the initial network namespace" \
		config set mem_max_pages $((old + 1)) || return 1
	"${INIT_NS[@]}" "$CTL" config set mem_max_pages $((old + 1)) || return 1
	[ "$(<"$PARAMS/mem_max_pages")" = $((old + 1)) ] &&
		ctl config get mem_max_pages && [ "${OUT[*]}" = $((old + 1)) ] ||
		{ log "mem_max_pages after set: ${OUT[*]}"; return 1; }
	"${INIT_NS[@]}" "$CTL" config set mem_max_pages "$old"
}

usage_errors() {
	local args
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		expect_fail 2 "Usage: claspctl" $args || return 1
	done <<'EOF'
frobnicate
conns state bogus
conns exclude
conns sport 70000
conns dport 0
conns src 1.2.3
conns dst 10.0.0.0/33
conns sport 1 sport 2
conns -x
-P conns
-p stats
-o config show
-N
-N
--net
conns -x
stats extra
kill 127.0.0.1:5000
kill 127.0.0.1 127.0.0.2:5
config set msl_ms abc
config set msl_ms -1
config get
monitor extra
-z conns
conns src [::1]/129
conns dst [1.2.3.4]
conns dst ::1/
kill ::1:5000 [::1]:5
kill [::1]5000 [::1]:5
-6 stats
-4 monitor
EOF
	expect_fail 2 "Usage: claspctl"
}

help_and_version() {
	local sub
	ctl help && match '^Usage: claspctl' "${OUT[0]}" && [ "${#ERR[@]}" -eq 0 ] ||
		return 1
	for sub in conns kill stats config monitor; do
		ctl "$sub" help && match "^Usage: claspctl.* $sub" "${OUT[0]}" ||
			{ log "$sub help"; return 1; }
	done
	ctl config --help && match "^Usage: claspctl.* config" "${OUT[0]}" &&
		ctl --version && match '^claspctl [0-9]' "${OUT[@]}" &&
		ctl -V && match '^claspctl [0-9]' "${OUT[@]}"
}

# The side-by-side helper: on 127.0.0.1:5432 (postgresql in
# /etc/services) a kernel TCP listener and a clasp one, each with two
# connections from 127.0.0.5 whose clients keep alive: from port 44000
# after 9 s idle, from 44001 after 100 s.  One process holds them all.
# The checks of the 9 s timer come first, before it fires.
SS_PY='
import socket, time

def pair(proto, ls, sport, idle):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
    c.bind(("127.0.0.5", sport))
    c.connect(("127.0.0.1", 5432))
    return [c, ls.accept()[0]]

keep = []
for proto in (6, 253):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    ls.bind(("127.0.0.1", 5432))
    ls.listen(8)
    keep += [ls] + pair(proto, ls, 44000, 9) + pair(proto, ls, 44001, 100)
print("ready", flush=True)
time.sleep(600)
'

# ss_field RE LINE: the first word of LINE matching RE into F.
ss_field() {
	local w
	F=""
	for w in $2; do
		[[ $w =~ $1 ]] && { F=$w; return 0; }
	done
	return 1
}

# same_as_ss WHAT RE SS_LINE CTL_LINE: the first word matching RE is in
# both lines, and the two are the same but for the numbers in them (times
# left, file descriptors).
same_as_ss() {
	local s="" c=""
	ss_field "$2" "$3" && s=$F
	ss_field "$2" "$4" && c=$F
	[ -n "$s" ] && [ "$(sed -E 's/[0-9]+/N/g' <<<"$s")" = \
		"$(sed -E 's/[0-9]+/N/g' <<<"$c")" ] && return 0
	log "$1: ss '$3'"
	log "$1: claspctl '$4'"
	return 1
}

# no_rows ARGS...: claspctl -H conns ARGS shows nothing.
no_rows() {
	ctl -H conns "$@" && [ "${#OUT[@]}" -eq 0 ]
}

# ss_side_by_side: the formats claspctl shares with ss, on the TCP and
# clasp sockets of one process (SS_PY), each compared with ss's.
ss_side_by_side() {
	local line pid ok=0 s
	python3 -c "$SS_PY" </dev/null >"$TMP/ss_helper" 2>&1 &
	pid=$!
	pids+=("$pid")
	clasp_poll_until 60 grep -q ready "$TMP/ss_helper" ||
		{ log "ss helper: $(<"$TMP/ss_helper")"; return 1; }

	# -o: both keepalive timers in ss's words: "7.912ms" (sic) under 10 s,
	# "1min38sec" under 10 min.  The times differ, the shapes may not; a
	# second reading when a second's boundary fell between the two.
	for _ in 1 2; do
		s=$(ss -tHno sport = :44000)
		ctl -H conns -o sport 44000
		same_as_ss "timer 9 s" '^timer:\(keepalive,[1-8]\.[0-9]{3}ms,0\)$' \
			"$s" "${OUT[*]}" && break
	done || ok=1
	s=$(ss -tHno sport = :44001)
	ctl -H conns -o sport 44001
	same_as_ss "timer 100 s" '^timer:\(keepalive,1min[1-3][0-9]sec,0\)$' \
		"$s" "${OUT[*]}" || ok=1

	# -H: no header, one line per row; ports by service name unless -n,
	# hosts by name with -r, as ss shows them.
	ctl -H conns state listening sport 5432
	[ "${#OUT[@]}" -eq 1 ] || { log "-H: ${OUT[*]}"; ok=1; }
	same_as_ss "service" '^127\.0\.0\.1:postgresql$' \
		"$(ss -tlH sport = :5432)" "${OUT[*]}" || ok=1
	ctl -H -n conns state listening sport 5432
	same_as_ss "-n" '^127\.0\.0\.1:5432$' "$(ss -tlHn sport = :5432)" "${OUT[*]}" ||
		ok=1
	ctl -H -r conns state listening sport 5432
	same_as_ss "-r" '^localhost:postgresql$' "$(ss -tlHr sport = :5432)" "${OUT[*]}" ||
		ok=1
	ctl -H conns sport 5432
	[ "${#OUT[@]}" -eq 3 ] || { log "-H, 3 rows: ${OUT[*]}"; ok=1; }

	# -p: users:(("python3",pid=PID,fd=N)), the fd its own.
	ctl -H -p conns sport 44000
	same_as_ss "-p" "^users:\\(\\(\"python3\",pid=$pid,fd=[0-9]+\\)\\)$" \
		"$(ss -tHnp sport = :44000)" "${OUT[*]}" || ok=1
	ctl -j -p conns sport 44000
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r) == 1 and len(r[0]["users"]) == 1, r
u = r[0]["users"][0]
assert u["name"] == "python3" and u["pid"] == int(sys.argv[2]) and u["fd"] > 2, u
' "$TMP/out" "$pid" || ok=1

	# -N: the same rows from the initial namespace.
	ctl -H -n conns sport 5432
	line=$("${INIT_NS[@]}" "$CTL" -N "$NS" -H -n conns sport 5432)
	[ "$line" = "$(<"$TMP/out")" ] ||
		{ log "-N $NS: '$line' != '$(<"$TMP/out")'"; ok=1; }

	# stdout not writable: exit 1.
	"$CTL" conns >/dev/full 2>"$TMP/err"
	s=$?
	[ "$s" -eq 1 ] && grep -q "cannot write" "$TMP/err" ||
		{ log "conns >/dev/full: $s $(<"$TMP/err")"; ok=1; }

	# -K: the clasp client from 44001 killed and shown, then gone, and its
	# peer with it (reset); the others stay.
	ctl -H -n -K conns sport 44001 &&
		[ "${#OUT[@]}" -eq 1 ] && match '^ESTAB .* 127\.0\.0\.5:44001 +127\.0\.0\.1:5432 *$' "${OUT[0]}" ||
		{ log "-K: ${OUT[*]} ${ERR[*]}"; ok=1; }
	clasp_poll_until 5 no_rows dport 44001 ||
		{ log "after -K: ${OUT[*]}"; ok=1; }
	ctl -H conns sport 44000
	[ "${#OUT[@]}" -eq 1 ] || { log "-K killed more: ${OUT[*]}"; ok=1; }

	# The rest killed too, every end reset: no TIME-WAIT entry stays for
	# the next checks to count.
	ctl -H -K conns sport 5432 && [ "${#OUT[@]}" -eq 1 ] ||
		{ log "-K sport 5432: ${OUT[*]} ${ERR[*]}"; ok=1; }
	kill "$pid"
	wait "$pid" 2>/dev/null
	clasp_poll_until 10 no_rows sport 5432 && clasp_poll_until 10 no_rows dport 5432 ||
		{ ctl conns; log "left: ${OUT[*]}"; ok=1; }
	return "$ok"
}

monitor_start() {
	"$CTL" -j monitor >"$TMP/mon.json" 2>"$TMP/mon.err" &
	MON_J=$!
	pids+=("$MON_J")
	"$CTL" monitor >"$TMP/mon.txt" 2>"$TMP/mon.txt.err" &
	MON_T=$!
	pids+=("$MON_T")
	# Both are listening once a probe listener shows up in both outputs.
	python3 - "$TMP/mon.json" "$TMP/mon.txt" "$(clasp_slow_time 60)" <<'EOF'
import socket, sys, time
deadline = time.time() + float(sys.argv[3])
port = 7100
while time.time() < deadline:
    port += 1
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    s.close()
    for _ in range(10):
        time.sleep(0.1)
        if ('"local_port":%d,' % port in open(sys.argv[1]).read() and
                "127.0.0.1:%d <-> 0.0.0.0:* UNCONN -> LISTEN cause user" % port
                in open(sys.argv[2]).read()):
            sys.exit(0)
sys.exit("# monitors never reported the probe listeners")
EOF
}

# proc_state PID: the state letter of /proc/PID/stat, or "?".
proc_state() {
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || { echo "?"; return; }
	stat=${stat##*) }
	echo "${stat%% *}"
}

# Both monitors sleep, waiting for events (in ppoll(): nothing to read).
monitors_waiting() {
	[ "$(proc_state "$MON_J")" = S ] && [ "$(proc_state "$MON_T")" = S ]
}

monitors_stopped() {
	[ "$(proc_state "$MON_J")" = T ] && [ "$(proc_state "$MON_T")" = T ]
}

# Hold the monitors (SIGSTOP) once they wait for events: the events of the
# kill and of monitor_traffic stay queued on their sockets until
# monitor_stop sends SIGTERM and then SIGCONT.  They wake with the signal
# pending, before reading anything, and must print what is queued before
# they exit: one that just exits loses every line that monitor_json and
# monitor_text look for.
monitor_pause() {
	clasp_poll_until 5 monitors_waiting ||
		log "monitors busy: state $(proc_state "$MON_J")/$(proc_state "$MON_T")"
	kill -STOP "$MON_J" "$MON_T" || return 1
	clasp_poll_until 5 monitors_stopped || {
		log "monitors not stopped: state $(proc_state "$MON_J")/$(proc_state "$MON_T")"
		return 1
	}
}

kill_conn() {
	local line=""
	ctl kill 127.0.0.1:5000 127.0.0.4:43000 && [ "${#OUT[@]}" -eq 0 ] ||
		{ log "kill: ${ERR[*]}"; return 1; }
	echo killed >&"${HCMD[1]}"
	read -r -t 30 line <&"${HCMD[0]}"
	if [ "$line" != "local=ECONNABORTED peer=ECONNRESET" ]; then
		log "after kill: '$line'"
		return 1
	fi
	expect_rows "$ROW_L;$ROW_AS;$ROW_AC;$ROW_T" || return 1
	expect_fail 1 "claspctl: kernel: no such connection" \
		kill 127.0.0.1:5000 127.0.0.4:43000
}

# How many SYNs met a full SYN queue here, with cookies or without: the
# module counts each where it sends the listener event.
syn_queue_full() {
	local k v n=0
	while read -r k v; do
		case $k in
		ReqQFullDoCookies | ReqQFullDrop) n=$((n + v)) ;;
		esac
	done </proc/net/clasp_stats
	echo "$n"
}

# The events of monitor_traffic have happened: the server end of
# 127.0.0.5:44000 got the FIN (after SYN-RECV -> ESTAB), and a SYN met the
# full SYN queue of the listener on 7001 (more than $1 such SYNs here).
traffic_done() {
	rows state close-wait &&
		match '^CLOSE-WAIT [0-9]+ [0-9]+ 127\.0\.0\.1:5000 127\.0\.0\.5:44000$' \
			"${ROWS[@]}" &&
		[ "$(syn_queue_full)" -gt "$1" ]
}

# Connect and close while the monitors run, and flood a listener with
# backlog 0 so that it reports a listener event.  The monitors, held since
# monitor_pause, are stopped as soon as these events have happened: they
# print what was queued for them before they exit.
monitor_traffic() {
	local full0 pid
	full0=$(syn_queue_full)
	python3 - <<'EOF' &
import signal, socket
def sock():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
c = sock()
c.bind(("127.0.0.5", 44000))
c.connect(("127.0.0.1", 5000))
c.close()
l = sock()
l.bind(("127.0.0.1", 7001))
l.listen(0)
cs = []
for i in range(4):
    s = sock()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", 7001))
    except BlockingIOError:
        pass
    cs.append(s)
signal.pause()  # holds the sockets: the SYNs must find the listener
EOF
	pid=$!
	clasp_poll_until 5 traffic_done "$full0" ||
		log "monitor traffic: not every event happened"
	kill "$pid"
	wait "$pid"
}

monitor_stop() {
	local rc_j rc_t
	# SIGTERM while they are held, then SIGCONT: they wake with every
	# event still queued and the signal pending.
	kill -TERM "$MON_J" "$MON_T"
	kill -CONT "$MON_J" "$MON_T"
	wait "$MON_J"
	rc_j=$?
	wait "$MON_T"
	rc_t=$?
	pids=("$HELPER_PID")
	[ "$rc_j" -eq 0 ] && [ "$rc_t" -eq 0 ] && [ ! -s "$TMP/mon.err" ] ||
		{ log "monitor exit $rc_j/$rc_t: $(cat "$TMP/mon.err")"; return 1; }
}

monitor_json() {
	python3 - "$TMP/mon.json" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ev = [json.loads(l) for l in lines]      # every line is one object
state_keys = {"time", "timestamp", "event", "family", "local", "local_port",
              "peer", "peer_port", "old_state", "state", "cause"}
for e in ev:
    if e["event"] == "state":
        assert set(e) == state_keys, e
    assert e["family"] == "inet", e
def seen(**kw):
    return any(all(e.get(k) == v for k, v in kw.items()) for e in ev)
c = dict(local="127.0.0.5", local_port=44000, peer="127.0.0.1", peer_port=5000)
assert seen(event="state", old_state="UNCONN", state="SYN-SENT", cause="user", **c)
assert seen(event="state", old_state="SYN-SENT", state="ESTAB", cause="segment", **c)
assert seen(event="state", old_state="ESTAB", state="FIN-WAIT-1", cause="user", **c)
assert seen(event="state", local="127.0.0.1", local_port=5000, peer="127.0.0.5",
            peer_port=44000, old_state="SYN-RECV", state="ESTAB", cause="segment")
# kill: the killed side says so, the peer saw a reset.
assert seen(event="state", local="127.0.0.1", local_port=5000, peer="127.0.0.4",
            peer_port=43000, old_state="ESTAB", state="UNCONN", cause="killed")
assert seen(event="state", local="127.0.0.4", local_port=43000,
            old_state="ESTAB", state="UNCONN", cause="rst")
lst = [e for e in ev if e["event"] in ("synflood", "overflow")]
assert lst and all(set(e) == {"time", "timestamp", "event", "family",
                              "local", "local_port", "state"} for e in lst), lst
assert all(e["local"] == "127.0.0.1" and e["local_port"] == 7001 and
           e["state"] == "LISTEN" for e in lst), lst
ts = [e["timestamp"] for e in ev]
assert ts == sorted(ts), "timestamps go backwards"
EOF
}

monitor_text() {
	local ts='^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6} '
	local any="${ts}([0-9.]+:[0-9]+ <-> [0-9.]+:([0-9]+|\*) [A-Z0-9-]+ -> [A-Z0-9-]+ cause [a-z]+|LISTEN [0-9.]+:[0-9]+ (synflood|overflow))$"
	local -a mon
	local l
	mapfile -t mon <"$TMP/mon.txt"
	if ! match "${ts}127\.0\.0\.5:44000 <-> 127\.0\.0\.1:5000 SYN-SENT -> ESTAB cause segment$" "${mon[@]}" ||
	   ! match "${ts}127\.0\.0\.1:5000 <-> 127\.0\.0\.4:43000 ESTAB -> UNCONN cause killed$" "${mon[@]}" ||
	   ! match "${ts}LISTEN 127\.0\.0\.1:7001 (synflood|overflow)$" "${mon[@]}"; then
		log "text monitor:"
		printf '# %s\n' "${mon[@]}"
		return 1
	fi
	# Every line is one of the two forms.
	for l in "${mon[@]}"; do
		[[ $l =~ $any ]] || { log "odd line: $l"; return 1; }
	done
}

unprivileged_checks() {
	# The listener holds the connection from the monitor test unaccepted.
	ctl conns state listening && [ "${#OUT[@]}" -eq 2 ] &&
		match '^LISTEN +1 +8 +127\.0\.0\.1:5000 +0\.0\.0\.0:\*$' "${OUT[1]}" ||
		{ log "conns as nobody: ${OUT[*]} ${ERR[*]}"; return 1; }
	ctl stats && match '^InSegs +[1-9]' "${OUT[@]}" ||
		{ log "stats as nobody: ${ERR[*]}"; return 1; }
	ctl config show && match '^msl_ms ' "${OUT[@]}" ||
		{ log "config show as nobody: ${ERR[*]}"; return 1; }
	hidden_sequence_numbers || return 1
	expect_fail 1 "Operation not permitted" config set msl_ms 5000 &&
		expect_fail 1 "Operation not permitted" \
			kill 127.0.0.2:41000 127.0.0.1:5000
}

# Sequence numbers are for CAP_NET_ADMIN over the namespace: -i leaves
# them out, -j says null, and shows the rest as for root (conns_info).
hidden_sequence_numbers() {
	local re='^	 kind:socket cubic rto:[0-9.]+ rtt:[0-9.]+ ca_state:open mss:[1-9][0-9]* backoff:0 retrans:0 snd_wnd:[0-9]+ rcv_wnd:[0-9]+ ooo:0 sack_blocks:0 uid:[0-9]+ ino:[1-9][0-9]* sk:[0-9a-f]+ wscale:[0-9]+,[0-9]+ ts sack cwnd:10 in_flight:0 pacing_rate [0-9.]+[KMG]?bps$'
	ctl conns -i sport 41000 && [ "${#OUT[@]}" -eq 3 ] &&
		[[ ${OUT[2]} =~ $re ]] ||
		{ log "conns -i as nobody: $(IFS='|'; echo "${OUT[*]}")"; return 1; }
	ctl conns -i state time-wait && [ "${#OUT[@]}" -eq 3 ] &&
		[ "${OUT[2]}" = $'\t kind:compact' ] ||
		{ log "conns -i as nobody: $(IFS='|'; echo "${OUT[*]}")"; return 1; }
	ctl -j conns -i sport 41000 || return 1
	python3 - "$TMP/out" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, rows
r = rows[0]
for k in ("snd_una", "snd_nxt", "rcv_nxt"):
    assert k in r and r[k] is None, r
assert r["snd_wnd"] > 0 and r["mss"] > 0, r
EOF
}

unprivileged() {
	local bin=$TMP/claspctl rc
	# A copy nobody can reach whatever the repository's permissions.
	cp "$CTL" "$bin" && chmod 755 "$TMP" "$bin" || return 1
	CTL_CMD=("${NOBODY[@]}" "$bin")
	unprivileged_checks
	rc=$?
	CTL_CMD=("$CTL")
	[ "$rc" -eq 0 ] || return 1
	# Nothing changed.
	ctl config get msl_ms && [ "${OUT[*]}" = "$MSL" ] &&
		expect_rows "$ROW_AC" sport 41000
}

# Root in a user namespace of its own, made by an unprivileged user: its
# CAP_NET_ADMIN does not reach this network namespace, which the initial
# user namespace owns.
userns_root() {
	local bin=$TMP/claspctl rc id cap
	cp "$CTL" "$bin" && chmod 755 "$TMP" "$bin" || return 1
	# The premise: there it is uid 0 with CAP_NET_ADMIN (bit 12).
	read -r id cap < <("${NOBODY[@]}" unshare -U -r sh -c \
		'echo $(id -u) $(sed -n "s/^CapEff:\t//p" /proc/self/status)')
	if [ "$id" != 0 ] || [ $((0x${cap:-0} >> 12 & 1)) -ne 1 ]; then
		log "root of a new user namespace as nobody: uid '$id' caps '$cap'"
		return 1
	fi
	CTL_CMD=("${NOBODY[@]}" unshare -U -r "$bin")
	unprivileged_checks
	rc=$?
	CTL_CMD=("$CTL")
	[ "$rc" -eq 0 ] || return 1
	# Nothing changed.
	ctl config get msl_ms && [ "${OUT[*]}" = "$MSL" ] &&
		expect_rows "$ROW_AC" sport 41000
}

# The IPv6 helper: a dual-stack listener on [::]:6100 and three
# connections to it:
#   6 [::1]:46000, IPv6;
#   4 127.0.0.5:47000 from an AF_INET socket: IPv4, v4-mapped on the
#     server's (AF_INET6) side;
#   M [::ffff:127.0.0.6]:48000 from an AF_INET6 socket to
#     ::ffff:127.0.0.1: IPv4 on the wire, v4-mapped on both sides;
# and an AF_INET6 listener bound to [::ffff:127.0.0.1]:6101, IPv4's alone.
# "killed" reads 6 from both ends.
HELPER6_PY='
import errno, socket, sys

def sock(family):
    return socket.socket(family, socket.SOCK_STREAM, 253)

ls = sock(socket.AF_INET6)
ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
ls.bind(("::", 6100))
ls.listen(8)
lm = sock(socket.AF_INET6)
lm.bind(("::ffff:127.0.0.1", 6101))
lm.listen(8)

def pair(family, src, port, dst):
    c = sock(family)
    c.bind((src, port))
    c.connect((dst, 6100))
    s, _ = ls.accept()
    return c, s

c6, s6 = pair(socket.AF_INET6, "::1", 46000, "::1")
c4, s4 = pair(socket.AF_INET, "127.0.0.5", 47000, "127.0.0.1")
cm, sm = pair(socket.AF_INET6, "::ffff:127.0.0.6", 48000, "::ffff:127.0.0.1")
KILLED = (s6, c6)
'"$HOLDER_TAIL"

# As ss -tan shows TCP's (checked on 6.12 with the same sockets over TCP):
# a dual-stack :: is *, an AF_INET6 socket's IPv4 peer v4-mapped.
ROW6_L="LISTEN 0 8 *:6100 *:*"
ROW6_6S="ESTAB 0 0 [::1]:6100 [::1]:46000"
ROW6_6C="ESTAB 0 0 [::1]:46000 [::1]:6100"
ROW6_4S="ESTAB 0 0 [::ffff:127.0.0.1]:6100 [::ffff:127.0.0.5]:47000"
ROW6_4C="ESTAB 0 0 127.0.0.5:47000 127.0.0.1:6100"
ROW6_MS="ESTAB 0 0 [::ffff:127.0.0.1]:6100 [::ffff:127.0.0.6]:48000"
ROW6_MC="ESTAB 0 0 [::ffff:127.0.0.6]:48000 [::ffff:127.0.0.1]:6100"
ROW6_LM="LISTEN 0 8 [::ffff:127.0.0.1]:6101 *:*"

start_helper6() {
	local line=""
	coproc H6 { exec python3 -c "$HELPER6_PY"; }
	HELPER6_PID=$H6_PID
	pids+=("$HELPER6_PID")
	read -r -t "$(clasp_slow_time 60)" line <&"${H6[0]}"
	if [ "$line" != ready ]; then
		log "IPv6 helper not ready: '$line'"
		return 1
	fi
}

# The rows of both families, and -4/-6 selecting sockets as ss's do.
conns_ipv6() {
	expect_rows "$ROW6_L;$ROW6_6S;$ROW6_4S;$ROW6_MS" sport 6100 &&
		expect_rows "$ROW6_6C;$ROW6_4C;$ROW6_MC" dport 6100 &&
		expect_rows "$ROW6_4C" -4 dport 6100 &&
		expect_rows "$ROW6_6C;$ROW6_MC" -6 dport 6100 &&
		expect_rows "$ROW6_6C;$ROW6_MC" dport 6100 --ipv6 &&
		expect_rows "$ROW6_6C;$ROW6_4C;$ROW6_MC" -4 -6 dport 6100 &&
		expect_rows "$ROW6_L;$ROW6_6S;$ROW6_4S;$ROW6_MS" -6 sport 6100 &&
		expect_rows "" -4 sport 6100 &&
		expect_rows "$ROW6_L" -6 sport 6100 state listening &&
		expect_rows "$ROW6_LM" sport 6101 &&
		expect_rows "$ROW6_LM" -6 sport 6101 &&
		expect_rows "" -4 sport 6101
}

conns_ipv6_filters() {
	expect_rows "$ROW6_6S;$ROW6_6C" src ::1 &&
		expect_rows "$ROW6_6S;$ROW6_6C" src [::1] &&
		expect_rows "$ROW6_6S" dst [::1]/128 sport 6100 &&
		expect_rows "$ROW6_6S" dst = ::1/128 dport 46000 &&
		expect_rows "$ROW6_4S;$ROW6_MS" dst [::ffff:127.0.0.0]/104 sport 6100 &&
		expect_rows "$ROW6_MC" src [::ffff:127.0.0.6] &&
		expect_rows "$ROW6_4S" dst 127.0.0.5 sport 6100 &&
		expect_rows "$ROW6_MC" src 127.0.0.6 &&
		expect_rows "$ROW6_L" src ::/128 sport 6100 &&
		expect_rows "$ROW6_L;$ROW6_6S;$ROW6_4S;$ROW6_MS" src ::/0 sport 6100 &&
		expect_rows "" -4 src ::1 &&
		expect_rows "" src ::2
}

conns_ipv6_json() {
	ctl -j conns sport 6100 || return 1
	python3 - "$TMP/out" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
got = sorted((r["state"], r["family"], r["local"], r["local_port"], r["peer"],
              r["peer_port"]) for r in rows)
want = sorted([
    ("LISTEN", "inet6", "::", 6100, "::", 0),
    ("ESTAB", "inet6", "::1", 6100, "::1", 46000),
    ("ESTAB", "inet6", "::ffff:127.0.0.1", 6100, "::ffff:127.0.0.5", 47000),
    ("ESTAB", "inet6", "::ffff:127.0.0.1", 6100, "::ffff:127.0.0.6", 48000),
])
assert got == want, got
EOF
	ctl -j conns -4 dport 6100 || return 1
	python3 - "$TMP/out" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
assert [(r["family"], r["local"], r["peer"]) for r in rows] == \
    [("inet", "127.0.0.5", "127.0.0.1")], rows
EOF
}

# kill takes [IPV6]:PORT, and a v4-mapped pair for a dual-stack socket's
# IPv4 connection; bad IPv6 arguments are usage errors.
kill_ipv6() {
	local line=""
	ctl kill [::1]:6100 [::1]:46000 && [ "${#OUT[@]}" -eq 0 ] ||
		{ log "kill: ${ERR[*]}"; return 1; }
	echo killed >&"${H6[1]}"
	read -r -t 30 line <&"${H6[0]}"
	if [ "$line" != "local=ECONNABORTED peer=ECONNRESET" ]; then
		log "after kill: '$line'"
		return 1
	fi
	expect_rows "$ROW6_L;$ROW6_4S;$ROW6_MS" sport 6100 || return 1
	expect_fail 1 "claspctl: kernel: no such connection" \
		kill [::1]:6100 [::1]:46000 || return 1
	ctl kill [::ffff:127.0.0.1]:6100 [::ffff:127.0.0.6]:48000 ||
		{ log "kill v4-mapped: ${ERR[*]}"; return 1; }
	expect_rows "$ROW6_L;$ROW6_4S" sport 6100 &&
		expect_fail 2 "invalid endpoint" kill ::1:6100 [::1]:46000 &&
		expect_fail 2 "invalid endpoint" kill [127.0.0.1]:6100 [::1]:1 &&
		expect_fail 2 "invalid endpoint" kill [::1:6100 [::1]:1 &&
		expect_fail 2 "invalid address" conns src [::1]/129 &&
		expect_fail 2 "invalid address" conns dst ::g &&
		expect_fail 2 "unknown filter '-5'" conns -5 &&
		expect_fail 2 "are options of conns" -6 stats
}

# The checks that run inside the namespace: 1 to NTESTS - 1.
in_ns() {
	local mon_fails
	# SIGCONT too: a monitor held by monitor_pause would hang the wait.
	trap 'kill "${pids[@]}" 2>/dev/null; kill -CONT "${pids[@]}" 2>/dev/null; wait' EXIT
	start_helper || exit 3

	check conns_table conns_table
	check conns_state_filters state_filters
	check conns_addr_port_filters addr_port_filters
	check conns_json conns_json
	check conns_timers conns_timers
	check conns_info conns_info
	check json_as_text json_as_text
	check stats stats
	check config_show config_show
	check config_set config_set
	check config_errors config_errors
	check config_global_memory_limits config_global
	check usage_errors_exit_2 usage_errors
	check help_and_version help_and_version
	check ss_side_by_side ss_side_by_side
	mon_fails=$fails
	check monitor_start monitor_start
	if [ "$fails" -eq "$mon_fails" ]; then
		check monitor_held_by_sigstop monitor_pause
	else
		skip monitor_held_by_sigstop "monitor did not start"
	fi
	check kill_aborts_both_ends kill_conn
	monitor_traffic
	if [ "$fails" -eq "$mon_fails" ]; then
		check monitor_exits_on_sigterm monitor_stop
		check monitor_json monitor_json
		check monitor_text monitor_text
	else
		skip monitor_exits_on_sigterm "monitor did not start"
		skip monitor_json "monitor did not start"
		skip monitor_text "monitor did not start"
	fi
	check unprivileged_read_only unprivileged
	check userns_root_read_only userns_root

	if start_helper6; then
		check conns_ipv6 conns_ipv6
		check conns_ipv6_filters conns_ipv6_filters
		check conns_ipv6_json conns_ipv6_json
		check kill_ipv6 kill_ipv6
		# Reset what is left: no TIME_WAIT entry stays behind.
		ctl conns -K sport 6100
		ctl conns -K dport 6100
		echo quit >&"${H6[1]}"
		wait "$HELPER6_PID"
	else
		check conns_ipv6 false
		skip conns_ipv6_filters "no IPv6 helper"
		skip conns_ipv6_json "no IPv6 helper"
		skip kill_ipv6 "no IPv6 helper"
	fi

	echo quit >&"${HCMD[1]}"
	wait "$HELPER_PID"
	echo "$ntest $fails $nskip" >"$TMP/counts"
}

# Unload clasp (everything of ours is gone), check, and load it back.
module_missing() {
	local rc
	# Namespace teardown is asynchronous: retry until the module is free.
	clasp_poll_until 10 rmmod clasp 2>/dev/null
	if clasp_loaded; then
		log "rmmod clasp failed: $(rmmod clasp 2>&1)"
		return 1
	fi
	ctl conns
	rc=$?
	mapfile -t ERR2 <"$TMP/err"
	ctl -j stats
	clasp_load || { log "insmod failed"; return 1; }
	[ "$rc" -eq 1 ] && [ "${#ERR2[@]}" -eq 1 ] &&
		[ "${ERR2[0]}" = "claspctl: the clasp module is not loaded" ] ||
		{ log "conns without module: $rc ${ERR2[*]}"; return 1; }
	[ "${#OUT[@]}" -eq 0 ] &&
		[ "${ERR[*]}" = "claspctl: the clasp module is not loaded" ] ||
		return 1
	# Back: claspctl works again.
	ctl stats && match '^InSegs ' "${OUT[@]}"
}

if [ "${1:-}" = --in-ns ]; then
	TMP=$CLASP_CTL_TMP
	NS=$CLASP_CTL_NS
	in_ns
	exit 0
fi

NS=clasp_ctl_$$
TMP=$(mktemp -d)
OLD_MSL=$(cat "$PARAMS/msl_ms" 2>/dev/null)

cleanup() {
	ip netns del "$NS" 2>/dev/null
	clasp_load
	[ -n "$OLD_MSL" ] && echo "$OLD_MSL" >"$PARAMS/msl_ms" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

clasp_tap_plan "$NTESTS"
if [ ! -x "$CTL" ]; then
	echo "Bail out! $CTL missing: make -C userspace"
	exit "$KSFT_FAIL"
fi
# The namespace made next copies msl_ms.
if ! clasp_load || ! echo "$MSL" >"$PARAMS/msl_ms" ||
   ! ip netns add "$NS" || ! ip -n "$NS" link set lo up; then
	echo "Bail out! setup failed"
	exit "$KSFT_FAIL"
fi
# A claspctl that never returns (a dump whose end it misses, say) must
# not hang the test: the whole inner part gets a time limit.
CLASP_CTL_TMP=$TMP CLASP_CTL_NS=$NS timeout -k 10 "$INNER_TIMEOUT" \
	nsenter --net="/run/netns/$NS" -- "$BASH" "$0" --in-ns
if ! read -r ntest fails nskip <"$TMP/counts" 2>/dev/null; then
	echo "Bail out! the checks in the namespace did not finish in $INNER_TIMEOUT s"
	exit "$KSFT_FAIL"
fi
ip netns del "$NS"
[ -n "$OLD_MSL" ] && echo "$OLD_MSL" >"$PARAMS/msl_ms"
if [ -f "$CLASP_KO" ]; then
	check module_not_loaded module_missing
else
	skip module_not_loaded "no $CLASP_KO to load back"
fi
echo "# Totals: pass:$((ntest - fails - nskip)) fail:$fails xfail:0 xpass:0 skip:$nskip error:0"
[ "$fails" -eq 0 ]
