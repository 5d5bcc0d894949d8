#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Plot connection rate and connect() latency of a `make bench` results
file, clasp next to TCP (median bars, min-max error bars), with gnuplot.

usage: bench_plot.py RESULTS.json OUT.png
"""
import json
import subprocess
import sys

PANELS = [
    ("connection rate (conn/s, higher is better)", False,
     [("crr_lo", "loopback"), ("crr_veth", "veth"),
      ("crr6_lo", "loopback v6"), ("crr6_veth", "veth v6")]),
    ("connect() latency (us, log scale, lower is better)", True,
     [("lat_p50", "p50"), ("lat_p99", "p99"), ("lat_p999", "p99.9"),
      ("lat6_p50", "p50 v6"), ("lat6_p99", "p99 v6"),
      ("lat6_p999", "p99.9 v6")]),
]


def rows(workloads, items):
    """One data line per workload that has both medians."""
    out = []
    for name, label in items:
        w = workloads.get(name)
        if not w or w["clasp_median"] is None or w["tcp_median"] is None:
            continue
        out.append('"%s" %g %g %g %g %g %g' % (
            label, w["clasp_median"], w["clasp_min"], w["clasp_max"],
            w["tcp_median"], w["tcp_min"], w["tcp_max"]))
    return out


def script(results, png):
    workloads = {w["name"]: w for w in results["workloads"]}
    lines = [
        "set terminal pngcairo size 1000,420 font ',10'",
        "set output '%s'" % png,
        "set multiplot layout 1,2 title 'clasp vs TCP, %s, %s (%d runs each)'"
        % (results["kernel"], results["date"], results["repetitions"]),
        "set style data histogram",
        "set style histogram errorbars gap 1 lw 1",
        "set style fill solid 0.6 border -1",
        "set key top left",
        "set grid ytics",
        "set yrange [0:*]",
    ]
    panels = 0
    for title, logscale, items in PANELS:
        data = rows(workloads, items)
        if not data:
            continue
        panels += 1
        lines.append("set title '%s'" % title)
        lines.append("set logscale y" if logscale else "unset logscale y")
        lines.append("set yrange [%s:*]" % ("1" if logscale else "0"))
        lines.append("$d%d << EOD" % panels)
        lines += data
        lines.append("EOD")
        lines.append("plot $d%d using 2:3:4:xtic(1) title 'clasp', "
                     "'' using 5:6:7 title 'TCP'" % panels)
    lines.append("unset multiplot")
    return "\n".join(lines) + "\n", panels


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        results = json.load(f)
    text, panels = script(results, sys.argv[2])
    if not panels:
        print("bench_plot: no connection rate or latency figures to plot",
              file=sys.stderr)
        return 1
    return subprocess.run(["gnuplot"], input=text, text=True).returncode


if __name__ == "__main__":
    sys.exit(main())
