#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The YNL spec (module/uapi/clasp.yaml) drives the module through the
# kernel's own ynl CLI from linux-source-6.12: dump connections, read
# counters, set a tunable, and see an extack error; and through its
# library, ask for segment events (ladder-start) and read them from the
# segments group.

source "$(dirname "$0")/lib.sh"
clasp_only_program clasp_ynl_test "clasp's YNL spec and generic netlink family; TCP has neither"

ns=clasp-ynl-$$
ynl_dir="$CLASP_REPO/build/ksrc/tools/net/ynl"
spec="$CLASP_REPO/module/uapi/clasp.yaml"
schema="$CLASP_REPO/build/ksrc/Documentation/netlink/genetlink-legacy.yaml"
out=$(mktemp)
holder=

cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -f "$out"
}
trap cleanup EXIT

ynl() {
	# The schema is checked once, by spec_valid; skip it here for speed.
	timeout 120 ip netns exec "$ns" python3 "$ynl_dir/cli.py" \
		--spec "$spec" --no-schema --output-json "$@"
}

json_has() {	# json_has PYTHON-EXPRESSION-ON-d < json
	python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"
}

spec_valid() {
	python3 -c "
import yaml, jsonschema
jsonschema.validate(yaml.safe_load(open('$spec')), yaml.safe_load(open('$schema')))"
}

dump_shows_listener() {
	ynl --dump conn-get > "$out" || return 1
	json_has "any(c['lport'] == 7100 and c['state'] == 10 for c in d) and
		  any(c['state'] == 1 and c['kind'] == 'socket' for c in d)" < "$out" || {
		sed 's/^/# dump: /' "$out"
		return 1
	}
}

do_get_one() {
	# 127.0.0.1 is 2130706433; this ynl takes addresses as integers.
	ynl --do conn-get --json '{"laddr": 2130706433, "lport": 7100,
		"raddr": 0, "rport": 0}' > "$out" 2>&1
	# A listener is not in the 4-tuple table: "no such connection".
	grep -q 'no such connection' "$out"
}

stats_get() {
	ynl --do stats-get > "$out" || return 1
	json_has "any(e['name'] == 'InSegs' and e['value'] > 0
		      for e in d['stats']['entry'])" < "$out"
}

config_set() {
	ynl --do config-set --json '{"name": "msl_ms", "value": 4321}' \
		> /dev/null || return 1
	ynl --do config-get > "$out" || return 1
	json_has "any(e['name'] == 'msl_ms' and e['value'] == 4321
		      for e in d['config']['entry'])" < "$out"
}

config_set_extack() {
	! ynl --do config-set --json '{"name": "msl_ms", "value": 0}' \
		> "$out" 2>&1 && grep -q "outside the tunable's range" "$out"
}

# ladder-start for port 7101 and the segments group, through ynl's library
# (the filter lives as long as its socket: one process does it all); a
# connection to 7101 then shows its SYN arriving at the listener, and the
# events decode as the spec says.  Its filter is gone once it exits.
segment_events() {
	timeout 120 ip netns exec "$ns" python3 - "$ynl_dir" "$spec" > "$out" 2>&1 <<-'EOF'
	import socket, sys, time
	sys.path.append(sys.argv[1])
	from lib import YnlFamily
	y = YnlFamily(sys.argv[2], schema="")
	y.ntf_subscribe("segments")
	y.do("ladder-start", {"lport": 7101})
	ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
	ls.bind(("127.0.0.1", 7101)); ls.listen(1)
	c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
	c.connect(("127.0.0.1", 7101)); a, _ = ls.accept()
	c.send(b"hi"); a.recv(2)
	for _ in range(100):
	    y.check_ntf()
	    ev = [m["msg"] for m in y.async_msg_queue if m["name"] == "event-segment"]
	    syn = [e for e in ev if e["seg-flags"] == 2 and e["seg-sent"] == 0
	           and e["lport"] == 7101 and e["old-state"] == 10 and e["state"] == 3]
	    data = [e for e in ev if e["seg-len"] == 2 and e["seg-sent"] == 0 and
	            e["iss"] and e["time-ns"]]
	    if syn and data:
	        print("ok", len(ev), "events")
	        sys.exit(0)
	    time.sleep(0.1)
	print("events:", y.async_msg_queue)
	sys.exit(1)
	EOF
	grep -q '^ok' "$out" || { sed 's/^/# /' "$out"; return 1; }
	grep -q '^LadderListeners 0$' <(ip netns exec "$ns" cat /proc/net/clasp_stats)
}

clasp_tap_plan 7
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" python3 -c '
import socket, time
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
ls.bind(("127.0.0.1", 7100)); ls.listen(4)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
c.connect(("127.0.0.1", 7100)); a, _ = ls.accept()
print("ready", flush=True)
time.sleep(3600)' > "$out.ready" &
holder=$!
# The holder stays until cleanup kills it: the ynl CLI starts slowly, in
# the debug kernel above all.
for _ in $(seq "$(clasp_slow_time 100)"); do
	grep -q ready "$out.ready" 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$out.ready" || echo "# the listener and connection were not ready"
rm -f "$out.ready"

check spec_validates_against_genetlink_legacy spec_valid
check dump_lists_listener_and_connection dump_shows_listener
check do_get_unknown_tuple_has_extack do_get_one
check stats_get_reports_counters stats_get
check config_set_then_get config_set
check config_set_out_of_range_extack config_set_extack
check ladder_start_and_segment_events segment_events
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
