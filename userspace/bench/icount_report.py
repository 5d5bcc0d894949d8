#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""icount_report.py - the table of scripts/icount.

Usage: icount_report.py DIR TOP RUN...

Each DIR/RUN holds the icount plugin's dumps at the two markers
(counts.0, counts.1), the guest's kallsyms and the loop's line (loop.out).
The workload's instructions are the second dump less the first, each block
placed in the function its start address falls in, divided by the
connections (crr) or transactions (rr) the loop made.  The first RUN is the one the others are set
against.
"""
import bisect
import collections
import os
import re
import sys

SPIN = 'native_queued_spin_lock_slowpath'
# TCP's own code: what clasp.ko has its own version of.  The socket
# layer both call (inet_stream_connect(), inet_accept(), ...) is not.
TCP_OWN = re.compile(r'^(__)?tcp|^inet_csk|^inet_twsk|^__inet_twsk|'
                     r'^(__)?inet_(hash|unhash|ehash|bhash|bind|lookup|put_port|'
                     r'check_established|inherit_port)|^inet6?_ehashfn|'
                     r'^cubictcp|^bictcp|^hystart')


def load_symbols(path):
    """Text symbols, sorted: (addresses, names); a module's carry [mod]."""
    syms = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 3 or fields[1] not in 'tTwW':
                continue
            name = fields[2]
            if len(fields) > 3:
                name += ' ' + fields[3]
            syms.append((int(fields[0], 16), name))
    syms.sort()
    return [s[0] for s in syms], [s[1] for s in syms]


def load_counts(path):
    """Instructions executed per block start address."""
    counts = collections.Counter()
    with open(path) as f:
        for line in f:
            start, insns, runs = line.split()
            counts[int(start, 16)] += int(insns) * int(runs)
    return counts


def units(path):
    """Connections (crr's conns) or transactions (rr's n) made."""
    with open(path) as f:
        fields = f.read().split()
    key = 'conns' if 'conns' in fields else 'n'
    return int(fields[fields.index(key) + 1])


def per_function(run_dir):
    """Instructions per connection or transaction, by function name."""
    addrs, names = load_symbols(os.path.join(run_dir, 'kallsyms'))
    before = load_counts(os.path.join(run_dir, 'counts.0'))
    after = load_counts(os.path.join(run_dir, 'counts.1'))
    conns = units(os.path.join(run_dir, 'loop.out'))
    if conns <= 0:
        sys.exit('icount: the loop made nothing in ' + run_dir)
    funcs = collections.Counter()
    for start, n in after.items():
        i = bisect.bisect_right(addrs, start) - 1
        funcs[names[i] if i >= 0 else '?'] += n - before.get(start, 0)
    return {k: v / conns for k, v in funcs.items()}, conns


def is_clasp(name):
    return name.endswith('[clasp]')


def is_tcp(name):
    return bool(TCP_OWN.match(name))


def is_protocol(name):
    return is_clasp(name) or is_tcp(name)


def summary(funcs, run):
    """The totals of one run; its protocol is TCP's for the run named tcp."""
    total = sum(funcs.values())
    own = is_tcp if run == 'tcp' else is_clasp
    proto = sum(v for k, v in funcs.items() if own(k))
    spin = funcs.get(SPIN, 0)
    return [('all kernel instructions', total),
            ('  the protocol (clasp.ko, or TCP\'s own)', proto),
            ('  spinning on contended locks', spin),
            ('  the rest of the kernel', total - proto - spin)]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip().splitlines()[2])
    out, top, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    data = [per_function(os.path.join(out, r)) for r in runs]
    funcs = [d[0] for d in data]
    head = '%-42s' % '' + ''.join('%12s' % r for r in runs)
    print(head)
    print('%-42s' % 'connections or transactions' +
          ''.join('%12d' % d[1] for d in data))
    rows = [summary(f, r) for f, r in zip(funcs, runs)]
    for i, (label, _) in enumerate(rows[0]):
        print('%-42s' % label + ''.join('%12.0f' % r[i][1] for r in rows))
    base = rows[0][0][1]
    print('%-42s' % ('all, against ' + runs[0]) +
          ''.join('%12.3f' % (r[0][1] / base) for r in rows))
    for j in range(1, len(runs)):
        a, b = funcs[0], funcs[j]
        # A protocol's function the other run lacks has no counterpart
        # by name: the summary's protocol line compares those.
        names = {k for k in set(a) | set(b)
                 if k != SPIN and not (is_protocol(k) and not (k in a and k in b))}
        diff = sorted(names, key=lambda k: -abs(a.get(k, 0) - b.get(k, 0)))
        print()
        print('largest differences, %s against %s, functions both ran'
              ' (instructions each):' % (runs[0], runs[j]))
        print('%-50s %10s %10s %10s' % ('function', runs[0], runs[j], 'difference'))
        for k in diff[:top]:
            print('%-50s %10.0f %10.0f %+10.0f' % (k[:50], a.get(k, 0), b.get(k, 0),
                                                   a.get(k, 0) - b.get(k, 0)))


if __name__ == '__main__':
    main()
