#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the raw lines of scripts/bench-guest into the results table and the
JSON results file of `make bench` (schema: userspace/bench/results.schema.json,
checked when python3-jsonschema is installed).

Each ratio (clasp median / TCP median) gets a 95% confidence interval:
a percentile bootstrap of the ratio of the two medians, each protocol's
runs resampled with replacement (BOOT resamples, a fixed seed so that a
report is reproducible).  With fewer than MIN_CI_RUNS runs of either
protocol there is no interval; when the interval holds 1.0 the table
says "no difference" instead of a ratio.

usage: bench_report.py RAWFILE JSONFILE COMMAND HOST_LOAD
"""
import json
import os
import random
import statistics
import sys

SCHEMA_VERSION = 5
BOOT = 4000
MIN_CI_RUNS = 3
SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "results.schema.json")

# id: (issue workload, title, unit, which way is better)
WORKLOADS = [
    ("crr_lo", 1, "connection rate, loopback", "conn/s", "higher"),
    ("crr_veth", 1, "connection rate, veth", "conn/s", "higher"),
    ("lat_p50", 2, "connect() latency p50", "us", "lower"),
    ("lat_p99", 2, "connect() latency p99", "us", "lower"),
    ("lat_p999", 2, "connect() latency p99.9", "us", "lower"),
    ("crr6_lo", 1, "connection rate, loopback, IPv6", "conn/s", "higher"),
    ("crr6_veth", 1, "connection rate, veth, IPv6", "conn/s", "higher"),
    ("lat6_p50", 2, "connect() latency p50, IPv6", "us", "lower"),
    ("lat6_p99", 2, "connect() latency p99, IPv6", "us", "lower"),
    ("lat6_p999", 2, "connect() latency p99.9, IPv6", "us", "lower"),
    ("flood_ok_rate", 3, "SYN flood: highest fixed rate passed", "SYN/s", "higher"),
    ("flood_fail_rate", 3, "SYN flood: first fixed rate failed", "SYN/s", "higher"),
    ("flood_sent", 3, "SYN flood, 2 flooders: SYNs sent", "SYN/s", "info"),
    ("flood_absorb", 3, "SYN flood, 2 flooders: answered (cookies)", "SYN/s", "higher"),
    ("flood_answered_pct", 3, "SYN flood, 2 flooders: answered of sent", "%", "higher"),
    ("flood_legit_pct", 3, "SYN flood, 2 flooders: legitimate ok", "%", "higher"),
    ("mem_estab", 4, "memory per ESTABLISHED socket", "B", "lower"),
    ("mem_synrecv", 4, "memory per SYN_RCVD request", "B", "lower"),
    ("tw_slab_per_tw", 4, "memory per TIME_WAIT entry", "B", "lower"),
    ("tw6_slab_per_tw", 4, "memory per TIME_WAIT entry, IPv6", "B", "lower"),
    ("tw_entry_size", 4, "TIME_WAIT entry size (slab object), IPv4", "B", "lower"),
    ("tw6_entry_size", 4, "TIME_WAIT entry size (slab object), IPv6", "B", "lower"),
    ("tw_entries", 5, "TIME_WAIT entries held at once", "entries", "info"),
    ("tw_create_s", 5, "TIME_WAIT: time to create them", "s", "info"),
    ("tw_expire_cpu_ns_per_tw", 5, "TIME_WAIT: kernel CPU to expire one", "ns", "lower"),
    ("tw_gone_pct", 5, "TIME_WAIT: expired by lifetime + 30 s", "%", "higher"),
    ("tw_late_p50_ms", 7, "TIME_WAIT expiry lateness p50", "ms", "lower"),
    ("tw_late_p99_ms", 7, "TIME_WAIT expiry lateness p99", "ms", "lower"),
    ("tw_late_max_ms", 7, "TIME_WAIT expiry lateness max", "ms", "lower"),
    ("tw6_entries", 5, "TIME_WAIT entries held at once, IPv6", "entries", "info"),
    ("tw6_create_s", 5, "TIME_WAIT, IPv6: time to create them", "s", "info"),
    ("tw6_expire_cpu_ns_per_tw", 5, "TIME_WAIT, IPv6: kernel CPU to expire one", "ns", "lower"),
    ("tw6_gone_pct", 5, "TIME_WAIT, IPv6: expired by lifetime + 30 s", "%", "higher"),
    ("tw6_late_p50_ms", 7, "TIME_WAIT expiry lateness p50, IPv6", "ms", "lower"),
    ("tw6_late_p99_ms", 7, "TIME_WAIT expiry lateness p99, IPv6", "ms", "lower"),
    ("tw6_late_max_ms", 7, "TIME_WAIT expiry lateness max, IPv6", "ms", "lower"),
    ("rtx_err_p50", 7, "SYN retransmit timer |error| p50", "us", "lower"),
    ("rtx_err_p99", 7, "SYN retransmit timer |error| p99", "us", "lower"),
    ("rtx_err_max", 7, "SYN retransmit timer |error| max", "us", "lower"),
    ("dump_ms", 6, "dump, text (claspctl -n conns / ss -tan)", "ms", "lower"),
    ("dump_json_ms", 6, "dump, JSON (claspctl -j conns / ss -tanj)", "ms", "lower"),
    ("bulk_lo", 8, "bulk throughput, loopback", "MB/s", "higher"),
    ("bulk_veth", 8, "bulk throughput, veth", "MB/s", "higher"),
    ("cpu_bulk_lo", 8, "kernel CPU per MB sent, loopback", "us", "lower"),
    ("cpu_bulk_veth", 8, "kernel CPU per MB sent, veth", "us", "lower"),
    ("iperf_1", 9, "iperf3 throughput, veth, 1 stream", "Mbit/s", "higher"),
    ("iperf_4", 9, "iperf3 throughput, veth, 4 streams", "Mbit/s", "higher"),
    ("http_rps", 9, "HTTP requests (curl, python3 http.server)", "req/s", "higher"),
    ("loss_veth", 10, "bulk goodput, 1% loss, 20 ms RTT", "MB/s", "higher"),
    ("rtx_per_loss", 10, "segments sent again per segment lost", "segs", "lower"),
    ("reorder_veth", 10, "bulk goodput, 1% reordered, 20 ms RTT", "MB/s", "higher"),
    ("xg_bulk", 11, "two guests (virtio-net): bulk throughput", "MB/s", "higher"),
    ("xg_bulk_loss", 11, "two guests: bulk throughput, 1% loss", "MB/s", "higher"),
    ("xg_crr", 11, "two guests: connection rate", "conn/s", "higher"),
    ("xg_crr_loss", 11, "two guests: connection rate, 1% loss", "conn/s", "higher"),
    ("fair_share", 12, "fairness: clasp's share beside TCP", "share", "info"),
    ("fair_share_loss", 12, "fairness: the same with 1% loss", "share", "info"),
    ("fair_two", 12, "fairness: two of one protocol, smaller share", "share", "info"),
    ("scale_10k_p50", 13, "connect() p50, 10,000 connections open", "us", "lower"),
    ("scale_10k_p99", 13, "connect() p99, 10,000 connections open", "us", "lower"),
    ("scale_10k_p999", 13, "connect() p99.9, 10,000 connections open", "us", "lower"),
    ("scale_100k_p50", 13, "connect() p50, 100,000 connections open", "us", "lower"),
    ("scale_100k_p99", 13, "connect() p99, 100,000 connections open", "us", "lower"),
    ("scale_100k_p999", 13, "connect() p99.9, 100,000 connections open", "us", "lower"),
    ("tw1m_entries", 14, "TIME_WAIT entries held at once (1,000,000 asked)", "entries", "info"),
    ("tw1m_slab_per_tw", 14, "1M TIME_WAIT: slab per entry", "B", "lower"),
    ("tw1m_mem_per_tw", 14, "1M TIME_WAIT: memory per entry, hash buckets included", "B", "lower"),
    ("tw1m_create_us_per_tw", 14, "1M TIME_WAIT: creation time per entry", "us", "lower"),
    ("tw1m_create_us_first10", 14, "1M TIME_WAIT: the same, first tenth (table near empty)", "us", "lower"),
    ("tw1m_create_us_last10", 14, "1M TIME_WAIT: the same, last tenth (table near full)", "us", "lower"),
    ("tw1m_expire_cpu_ns_per_tw", 14, "1M TIME_WAIT: kernel CPU to expire one", "ns", "lower"),
    ("tw1m_late_p50_ms", 14, "1M TIME_WAIT: expiry lateness p50", "ms", "lower"),
    ("tw1m_late_p99_ms", 14, "1M TIME_WAIT: expiry lateness p99", "ms", "lower"),
    ("tw1m_late_max_ms", 14, "1M TIME_WAIT: expiry lateness max", "ms", "lower"),
    ("rr_lo", 15, "request/response, loopback", "tr/s", "higher"),
    ("rr_lo_p50", 15, "request/response latency p50, loopback", "us", "lower"),
    ("rr_lo_p99", 15, "request/response latency p99, loopback", "us", "lower"),
    ("rr_veth", 15, "request/response, veth", "tr/s", "higher"),
    ("rr_veth_p50", 15, "request/response latency p50, veth", "us", "lower"),
    ("rr_veth_p99", 15, "request/response latency p99, veth", "us", "lower"),
    ("cpu_rr_lo", 16, "kernel CPU per transaction, loopback", "us", "lower"),
    ("cpu_rr_veth", 16, "kernel CPU per transaction, veth", "us", "lower"),
    ("cpu_crr_lo", 16, "kernel CPU per connection, loopback", "us", "lower"),
    ("cpu_crr_veth", 16, "kernel CPU per connection, veth", "us", "lower"),
    ("reuseport_1", 17, "connection rate, loopback, 1 listener", "conn/s", "higher"),
    ("reuseport_2", 17, "connection rate, 2 SO_REUSEPORT listeners", "conn/s", "higher"),
    ("pace_none", 18, "pacing: goodput unpaced, 50 Mbit/s, 20 ms RTT", "MB/s", "higher"),
    ("pace_none_rtx", 18, "pacing: unpaced, segments sent again per MB", "segs", "lower"),
    ("pace_sock", 18, "pacing: goodput paced by the socket", "MB/s", "higher"),
    ("pace_sock_rtx", 18, "pacing: by the socket, segments sent again per MB", "segs", "lower"),
    ("pace_fq", 18, "pacing: goodput paced by fq", "MB/s", "higher"),
    ("pace_fq_rtx", 18, "pacing: by fq, segments sent again per MB", "segs", "lower"),
]
ONLY_IF_RUN = {"flood_sent", "tw_create_s", "tw6_create_s"}
# Rows over IPv6 (issue 21); every other row's connections are IPv4.
V6_PREFIXES = ("crr6_", "lat6_", "tw6_")
# A run gives these only when something happened; their absence says so.
WHEN_ABSENT = {
    "flood_fail_rate": "no step of the ladder failed (flood_ladder): "
                       "the flooders were the limit",
}


def parse(path):
    runs, skips, info, order, ladder = {}, {}, {}, {}, []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 8 and w[0] == "L":
                ladder.append({"protocol": w[1], "rep": int(w[2]),
                               "rate": number(w[3]), "sent": number(w[4]),
                               "answered": number(w[5]),
                               "legit_pct": number(w[6]), "verdict": w[7]})
            elif len(w) >= 4 and w[0] == "O":
                order.setdefault(w[1], []).append(w[3:])
            elif len(w) >= 5 and w[0] == "R":
                try:
                    v = float(w[4])
                except ValueError:
                    continue
                runs.setdefault(w[1], {}).setdefault(w[2], []).append(v)
            elif len(w) >= 2 and w[0] == "S":
                skips[w[1]] = " ".join(w[2:])
            elif len(w) >= 2 and w[0] == "I":
                info[w[1]] = " ".join(w[2:])
    return runs, skips, info, order, ladder


def number(text):
    """@text as an int or a float if it is one, else itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except (TypeError, ValueError):
            pass
    return text


def counts_of(text):
    """ "a=1 b=2" as {"a": 1, "b": 2}."""
    out = {}
    for item in (text or "").split():
        k, _, v = item.partition("=")
        out[k] = number(v)
    return out


def load_of(text):
    """ "0.1 0.2 0.3 before, 1 2 3 after" as {"before": [...], "after": [...]}."""
    out = {}
    for part in text.split(","):
        w = part.split()
        if w and w[-1] in ("before", "after"):
            out[w[-1]] = [float(x) for x in w[:-1]]
    return out


def ratio_ci(c, t):
    """95% percentile-bootstrap interval of median(c) / median(t)."""
    if len(c) < MIN_CI_RUNS or len(t) < MIN_CI_RUNS:
        return None, None
    rng = random.Random(20261203)
    ratios = []
    for _ in range(BOOT):
        tm = statistics.median(rng.choices(t, k=len(t)))
        if tm == 0:
            continue
        ratios.append(statistics.median(rng.choices(c, k=len(c))) / tm)
    if len(ratios) < BOOT // 2:
        return None, None
    ratios.sort()
    return (ratios[int(0.025 * (len(ratios) - 1))],
            ratios[int(0.975 * (len(ratios) - 1))])


def summary(values):
    if not values:
        return None, None, None
    return statistics.median(values), min(values), max(values)


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100 or v == int(v):
        return f"{v:.0f}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def workload_entry(wid, num, title, unit, better, runs, skips, reps):
    r = runs.get(wid, {})
    c, t = r.get("clasp", []), r.get("tcp", [])
    cm, cmin, cmax = summary(c)
    tm, tmin, tmax = summary(t)
    ratio = cm / tm if cm is not None and tm else None
    lo, hi = ratio_ci(c, t) if ratio is not None else (None, None)
    skipped = skips.get(wid)
    if skipped is None and (len(c) < reps or len(t) < reps):
        why = WHEN_ABSENT.get(wid, "see the log")
        skipped = (f"only {len(c)} clasp and {len(t)} TCP runs of {reps} "
                   f"gave a figure ({why})") if (c or t) else \
                  f"no run gave a figure ({why})"
    return {
        "name": wid, "workload": num, "title": title, "unit": unit,
        "better": better, "family": 6 if wid.startswith(V6_PREFIXES) else 4,
        "clasp_median": cm, "clasp_min": cmin, "clasp_max": cmax,
        "tcp_median": tm, "tcp_min": tmin, "tcp_max": tmax,
        "ratio": ratio, "ratio_ci_low": lo, "ratio_ci_high": hi,
        "no_difference": None if lo is None else lo <= 1.0 <= hi,
        "clasp_runs": c, "tcp_runs": t, "not_run": skipped,
    }


def ratio_text(e):
    if e["ratio"] is None:
        return "-"
    if e["ratio_ci_low"] is None:
        return f"{e['ratio']:.2f} [too few runs]"
    ci = f"[{e['ratio_ci_low']:.2f}-{e['ratio_ci_high']:.2f}]"
    if e["no_difference"]:
        return f"no difference {ci}"
    return f"{e['ratio']:.2f} {ci}"


def table(entries):
    head = f"{'#':>1} {'workload':44} {'unit':7} {'clasp median [min-max]':>26} {'TCP median [min-max]':>26} {'clasp/TCP [95% CI]':>28}"
    lines = [head, "-" * len(head)]
    for e in entries:
        if e["clasp_median"] is None and e["tcp_median"] is None:
            lines.append(f"{e['workload']} {e['title']:44} {e['unit']:7} not run: {e['not_run']}")
            continue
        cs = f"{fmt(e['clasp_median'])} [{fmt(e['clasp_min'])}-{fmt(e['clasp_max'])}]"
        ts = f"{fmt(e['tcp_median'])} [{fmt(e['tcp_min'])}-{fmt(e['tcp_max'])}]"
        lines.append(f"{e['workload']} {e['title']:44} {e['unit']:7} {cs:>26} {ts:>26} {ratio_text(e):>28}")
        if e["not_run"]:
            lines.append(f"  ({e['not_run']})")
    return "\n".join(lines)


def ladder_text(ladder):
    """The SYN flood's rate ladder, a line per protocol and repetition."""
    lines, rows = [], {}
    for s in ladder:
        rows.setdefault((s["protocol"], s["rep"]), []).append(
            f"{s['rate']} {s['verdict']} (sent {s['sent']}, answered "
            f"{s['answered']}, legit {s['legit_pct']}%)")
    for (proto, rep), steps in sorted(rows.items()):
        lines.append(f"3 SYN flood ladder, {proto} #{rep}: " + "; ".join(steps))
    return "\n".join(lines)


def validate(doc):
    """Check @doc against the schema file, when jsonschema is there."""
    try:
        import jsonschema
    except ImportError:
        print("bench_report: python3-jsonschema missing, JSON not checked",
              file=sys.stderr)
        return
    with open(SCHEMA_FILE) as f:
        jsonschema.validate(doc, json.load(f))


def main():
    if len(sys.argv) != 5:
        print("usage: bench_report.py RAWFILE JSONFILE COMMAND HOST_LOAD", file=sys.stderr)
        sys.exit(2)
    raw, out, command, load = sys.argv[1:]
    runs, skips, info, order, ladder = parse(raw)
    reps = int(info.get("repetitions", "3"))
    entries = [workload_entry(*w, runs, skips, reps) for w in WORKLOADS
               if w[0] not in ONLY_IF_RUN or w[0] in runs]
    doc = {
        "schema": SCHEMA_VERSION,
        "kernel": info.get("kernel"),
        "date": info.get("date"),
        "resumed": info.get("resumed"),
        "commit": info.get("commit"),
        "qemu": info.get("qemu"),
        "accelerator": info.get("accelerator"),
        "repetitions": reps,
        "scale": float(info.get("scale", "1")),
        "command": command,
        "host_load": load_of(load),
        "guest": {"cpus": number(info.get("cpus")),
                  "mem_kb": number(info.get("mem_kb")),
                  "hz": number(info.get("hz")) if info.get("hz") else None,
                  "cmdline": info.get("cmdline")},
        "counts": counts_of(info.get("counts")),
        "run_order": order,
        "flood_ladder": ladder,
        "workloads": entries,
    }
    validate(doc)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"kernel {doc['kernel']}, {reps} runs each, the protocols in a "
          f"random order each time; {info.get('counts')}")
    print(table(entries))
    if ladder:
        print(ladder_text(ladder))


if __name__ == "__main__":
    main()
