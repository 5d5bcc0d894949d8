#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A connection dump stays consistent while connections come and go.
#
# In a namespace of its own: LONG connections (127.0.0.2:41000+ to a
# listener on 127.0.0.1:5000) stay open the whole time, while a churner
# opens and closes connections to a second listener (127.0.0.1:5001) as
# fast as it can, each leaving a TIME-WAIT entry that expires 2 * msl_ms
# later, so that full sockets, requests and compact entries appear and
# disappear in the table during every dump.  Meanwhile `claspctl -j conns
# -o -i` dumps DUMPS times.  Then:
#
#  - every dump exited 0 and is valid JSON (an array of connections);
#  - no dump lists a 4-tuple twice;
#  - both listeners and both ends of every long-lived connection, present
#    for every dump, appear in every dump exactly once, ESTAB;
#  - the churn was real: thousands of connections (CHURN_MIN at least)
#    during the dumps, the dumps were big enough to take several netlink
#    messages, and what they saw of the churn changed from dump to dump.

source "$(dirname "$0")/lib.sh"
clasp_only_program clasp_dump_test "claspctl dumps of clasp's netlink family; TCP has none"

CTL=${CLASPCTL:-$CLASP_REPO/userspace/claspctl}
NS=clasp_dump_$$
TMP=$(mktemp -d)
LONG=200		# long-lived connections (400 sockets)
DUMPS=20
CHURN_MIN=2000		# connections opened and closed during the dumps
# Rows a dump has at least: the long-lived sockets and listeners, and some
# of the churn (how much depends on the host's speed).  With -o -i a row
# is about 350 bytes, so 400 rows take several messages of at most 32 KiB.
MIN_ROWS=$((2 * LONG + 2 + 20))
MSL_MS=$(clasp_slow_time 1000)	# TIME-WAIT entries live 2 s (CLASP_SLOW: longer)
pids=()

cleanup() {
	kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# The long-lived connections: print "ready" once all are established,
# then hold them until stdin closes.
HOLD_PY='
import socket, sys
def sock():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
ls = sock()
ls.bind(("127.0.0.1", 5000))
ls.listen(1024)
held = []
for i in range(int(sys.argv[1])):
    c = sock()
    c.bind(("127.0.0.2", 41000 + i))
    c.connect(("127.0.0.1", 5000))
    held += [c, ls.accept()[0]]
print("ready", flush=True)
sys.stdin.read()
'

# The churner: connect, accept, close both ends, again, until SIGTERM;
# then print how many connections it made.
CHURN_PY='
import signal, socket, sys
stop = False
def on_term(sig, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
def sock():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
ls = sock()
ls.bind(("127.0.0.1", 5001))
ls.listen(1024)
print("ready", flush=True)
n = 0
while not stop:
    c = sock()
    c.bind(("127.0.0.3", 0))
    c.connect(("127.0.0.1", 5001))
    s = ls.accept()[0]
    c.close()
    s.close()
    n += 1
print(n, flush=True)
'

CHECK_PY='
import json, sys
ndumps, nlong, min_rows = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tmp = sys.argv[4]
must = {("127.0.0.1", 5000, "0.0.0.0", 0), ("127.0.0.1", 5001, "0.0.0.0", 0)}
for i in range(nlong):
    must.add(("127.0.0.2", 41000 + i, "127.0.0.1", 5000))
    must.add(("127.0.0.1", 5000, "127.0.0.2", 41000 + i))
ok = True
def bad(msg):
    global ok
    ok = False
    print("# " + msg)
sizes, churn_seen = [], []
for d in range(ndumps):
    rc = open("%s/rc.%d" % (tmp, d)).read().strip()
    if rc != "0":
        bad("dump %d: claspctl exit %s: %s" % (d, rc,
            open("%s/err.%d" % (tmp, d)).read().strip()))
        continue
    try:
        rows = json.load(open("%s/dump.%d" % (tmp, d)))
        assert isinstance(rows, list)
        tuples = [(r["local"], r["local_port"], r["peer"], r["peer_port"])
                  for r in rows]
    except (ValueError, AssertionError, KeyError, TypeError) as e:
        bad("dump %d: not a JSON array of connections: %r" % (d, e))
        continue
    sizes.append(len(rows))
    count = {}
    for t in tuples:
        count[t] = count.get(t, 0) + 1
    dups = [t for t, n in count.items() if n > 1]
    if dups:
        bad("dump %d: %d 4-tuples listed twice or more, e.g. %s" %
            (d, len(dups), [(t, [r["state"] for r in rows if (r["local"],
                r["local_port"], r["peer"], r["peer_port"]) == t])
                for t in dups[:3]]))
    missing = [t for t in must if count.get(t, 0) == 0]
    if missing:
        bad("dump %d: %d long-lived entries missing, e.g. %s" %
            (d, len(missing), sorted(missing)[:3]))
    for r in rows:
        t = (r["local"], r["local_port"], r["peer"], r["peer_port"])
        want = "LISTEN" if t[3] == 0 else "ESTAB"
        if t in must and r["state"] != want:
            bad("dump %d: %s is %s" % (d, t, r["state"]))
    churn_seen.append(frozenset(t for t in tuples if t not in must))
changed = sum(a != b for a, b in zip(churn_seen, churn_seen[1:]))
print("# dumps of %s to %s entries; %d of %d changed from the previous" %
      (min(sizes, default=0), max(sizes, default=0), changed,
       len(churn_seen) - 1))
if len(sizes) == ndumps and min(sizes) < min_rows:
    bad("a dump of %d entries: want at least %d" % (min(sizes), min_rows))
if changed < (len(churn_seen) - 1) // 2:
    bad("the dumps hardly changed: was there churn?")
sys.exit(0 if ok else 1)
'

setup() {
	ip netns add "$NS" && ip -n "$NS" link set lo up &&
		ip netns exec "$NS" "$CTL" config set msl_ms "$MSL_MS"
}

start() {
	local name=$1 line=""
	shift
	mkfifo "$TMP/$name.in"
	ip netns exec "$NS" python3 -c "$@" <"$TMP/$name.in" >"$TMP/$name.out" &
	pids+=($!)
	eval "exec {${name}_fd}>\"$TMP/$name.in\""
	for _ in $(seq 600); do
		read -r line <"$TMP/$name.out"
		[ "$line" = ready ] && return 0
		sleep 0.1
	done
	log "$name never got ready"
	return 1
}

dump_under_churn() {
	local churn_pid i n opens0
	start hold "$HOLD_PY" "$LONG" || return 1
	start churn "$CHURN_PY" || return 1
	churn_pid=${pids[-1]}
	# Let TIME-WAIT entries pile up first, so that dumps are big.
	sleep "$(clasp_slow_time 3)"
	# DUMPS dumps, and more (up to ten times as many) until CHURN_MIN
	# connections churned while they ran: how many a dump's time sees
	# depends on the kernel's pace against python's (the debug kernel
	# slows the one 100 times, the other 10).
	opens0=$(clasp_counter "$NS" ActiveOpens)
	i=0
	while ((i < DUMPS)) || { ((i < 10 * DUMPS)) &&
		(($(clasp_counter "$NS" ActiveOpens) - opens0 < CHURN_MIN)); }; do
		ip netns exec "$NS" "$CTL" -j conns -o -i >"$TMP/dump.$i" 2>"$TMP/err.$i"
		echo $? >"$TMP/rc.$i"
		i=$((i + 1))
	done
	kill -TERM "$churn_pid"
	wait "$churn_pid"
	n=$(tail -n 1 "$TMP/churn.out")
	log "$i dumps; $n connections opened and closed meanwhile"
	python3 -c "$CHECK_PY" "$i" "$LONG" "$MIN_ROWS" "$TMP" || return 1
	if [ "${n:-0}" -lt "$CHURN_MIN" ]; then
		log "want at least $CHURN_MIN"
		return 1
	fi
}

echo "TAP version 13"
echo "1..1"
if ! clasp_load || ! setup; then
	echo "Bail out! setup failed"
	exit "$KSFT_FAIL"
fi
check dump_consistent_under_churn dump_under_churn
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
