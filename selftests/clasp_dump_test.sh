#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A connection dump stays consistent while connections come and go.
#
# In a namespace of its own: LONG connections (127.0.0.2:41000+ to a
# listener on 127.0.0.1:5000, every other one [::1]:41000+ to [::1]:5000,
# so that a dump walks both families' tables) stay open the whole time, while a churner
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
#
# Then ABANDON dumps are started and their sockets closed after the first
# message, while the TIME-WAIT entries of the churn expire and the table
# shrinks under their walks: netlink ends each with the family's .done,
# which must free its context (a kmalloc-2k object: kmalloc-2k grows by
# less than half of ABANDON) and unhook its table walker (a walker left
# on the table would be written to, freed, by the next resize: KASAN in
# the debug kernel, which also scans for leaks after the tests).  The
# kernel must not be tainted meanwhile, and a whole dump after them still
# lists every long-lived connection.

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
MIN_ROWS=$((2 * LONG + 3 + 20))
MSL_MS=$(clasp_slow_time 1000)	# TIME-WAIT entries live 2 s (CLASP_SLOW: longer)
ABANDON=1000		# dumps closed after their first message
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
def sock(family):
    return socket.socket(family, socket.SOCK_STREAM, 253)
listeners = {socket.AF_INET: ("127.0.0.1", "127.0.0.2"),
             socket.AF_INET6: ("::1", "::1")}
for family, (addr, _) in listeners.items():
    ls = sock(family)
    ls.bind((addr, 5000))
    ls.listen(1024)
    listeners[family] += (ls,)
held = []
for i in range(int(sys.argv[1])):
    family = socket.AF_INET6 if i % 2 else socket.AF_INET
    addr, src, ls = listeners[family]
    c = sock(family)
    c.bind((src, 41000 + i))
    c.connect((addr, 5000))
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

# Start ABANDON (argv[1]) dumps of the connections, each on a netlink
# socket of its own closed after the dump's first message; print how many
# had more to come (no NLMSG_DONE, no error in that message).
ABANDON_PY='
import socket, struct, sys
NETLINK_GENERIC, GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 16, 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_DUMP = 0x1, 0x2, 0x300
CLASP_CMD_CONN_GET = 1
def nl():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.bind((0, 0))
    return s
def request(s, family, flags, cmd, attrs=b""):
    body = struct.pack("BBH", cmd, 1, 0) + attrs
    s.send(struct.pack("=IHHII", 16 + len(body), family,
                       NLM_F_REQUEST | flags, 1, 0) + body)
def messages(buf):
    while len(buf) >= 16:
        n, typ, flags = struct.unpack_from("=IHH", buf)
        yield typ, flags, buf[16:n]
        buf = buf[(n + 3) & ~3:]
def family():
    s = nl()
    name = b"clasp\0"
    attr = struct.pack("HH", 4 + len(name), CTRL_ATTR_FAMILY_NAME) + name
    request(s, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY,
            attr + b"\0" * (-len(attr) % 4))
    for typ, _, data in messages(s.recv(65536)):
        a = data[4:] if typ == GENL_ID_CTRL else b""
        while len(a) >= 4:
            n, t = struct.unpack_from("HH", a)
            if t == CTRL_ATTR_FAMILY_ID:
                return struct.unpack_from("H", a, 4)[0]
            a = a[(n + 3) & ~3:]
    sys.exit("no generic netlink family clasp")
fam = family()
midway = 0
for _ in range(int(sys.argv[1])):
    s = nl()
    request(s, fam, NLM_F_DUMP, CLASP_CMD_CONN_GET)
    msgs = list(messages(s.recv(1 << 17)))
    if msgs and all(t == fam and f & NLM_F_MULTI for t, f, _ in msgs):
        midway += 1
    s.close()
print(midway)
'

CHECK_PY='
import json, sys
ndumps, nlong, min_rows = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tmp = sys.argv[4]
must = {("127.0.0.1", 5000, "0.0.0.0", 0), ("127.0.0.1", 5001, "0.0.0.0", 0),
        ("::1", 5000, "::", 0)}
for i in range(nlong):
    src, dst = ("::1", "::1") if i % 2 else ("127.0.0.2", "127.0.0.1")
    must.add((src, 41000 + i, dst, 5000))
    must.add((dst, 5000, src, 41000 + i))
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

# kmalloc-2k objects in use (the slab's active_objs), or nothing.  The
# cache is shrunk first: that frees its per-CPU slabs, counted as in use,
# and the objects KASAN's quarantine holds back after kfree() (hundreds
# in the debug kernel), which would pass for a leak.
kmalloc_2k() {
	local shrink=/sys/kernel/slab/kmalloc-2k/shrink
	[ -w "$shrink" ] && echo 1 >"$shrink"
	awk '$1 == "kmalloc-2k" { print $2 }' /proc/slabinfo
}

# grew_less_than N BEFORE: kmalloc-2k holds fewer than N objects more than
# BEFORE (sockets closed meanwhile are freed after an RCU grace period).
grew_less_than() {
	GREW=$(($(kmalloc_2k) - $2))
	[ "$GREW" -lt "$1" ]
}

abandoned_dumps() {
	local slab0 taint0 n rows
	# Case 1 started them; started here if it failed before that.
	[ -n "${hold_fd:-}" ] || start hold "$HOLD_PY" "$LONG" || return 1
	read -r taint0 </proc/sys/kernel/tainted
	slab0=$(kmalloc_2k)
	[ -n "$slab0" ] || {
		log "no kmalloc-2k in /proc/slabinfo"
		return 1
	}
	n=$(ip netns exec "$NS" python3 -c "$ABANDON_PY" "$ABANDON") || return 1
	log "$ABANDON dumps abandoned, $n of them after a first message of several"
	if [ "$n" != "$ABANDON" ]; then
		log "want all $ABANDON: the table holds $((2 * LONG + 1)) connections at least"
		return 1
	fi
	if ! clasp_poll_until 10 grew_less_than $((ABANDON / 2)) "$slab0"; then
		log "kmalloc-2k grew by $GREW objects: dump contexts not freed?"
		return 1
	fi
	log "kmalloc-2k grew by $GREW objects"
	rows=$(ip netns exec "$NS" "$CTL" -j conns | python3 -c '
import json, sys
n = int(sys.argv[1])
rows = json.load(sys.stdin)
have = set((r["local"], r["local_port"], r["peer_port"]) for r in rows
           if r["state"] == "ESTAB")
ends = [("::1", "::1") if i % 2 else ("127.0.0.2", "127.0.0.1")
        for i in range(n)]
print(sum((src, 41000 + i, 5000) in have and (dst, 5000, 41000 + i) in have
          for i, (src, dst) in enumerate(ends)))' "$LONG") ||
		return 1
	if [ "$rows" != "$LONG" ]; then
		log "a whole dump then showed $rows long-lived connections of $LONG"
		return 1
	fi
	if [ "$(cat /proc/sys/kernel/tainted)" != "$taint0" ]; then
		log "the kernel is tainted now: $(cat /proc/sys/kernel/tainted), was $taint0"
		return 1
	fi
}

clasp_tap_plan 2
if ! clasp_load || ! setup; then
	echo "Bail out! setup failed"
	exit "$KSFT_FAIL"
fi
check dump_consistent_under_churn dump_under_churn
check abandoned_dumps_are_freed abandoned_dumps
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
