#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""clasp between two guests over virtio-net (scripts/check's cross-guest lane).

Runs in the first guest of a `scripts/vm-run --peer-cmd` pair, the peer
running `clasp_xguest_test.py --peer`; CLASP_SELF and CLASP_PEER hold the
two addresses (10.253.0.1 and .2).  Each case runs over kernel TCP
(protocol 6) first, the reference that shows the test is right, then over
clasp (253):

  handshake and teardown   connect, a line there and back, both ends close
  half-close               send 64 KiB, shutdown(SHUT_WR), the peer reads to
                           EOF and only then answers with the SHA-256 of
                           what it read, on the half-closed connection
  4 MiB there / back       a 4 MiB transfer to the peer (its SHA-256 must
                           match) and one from it, on a clean link
  4 MiB loss, 4 MiB ldr    the transfer to the peer with netem on this
                           guest's eth0 (the sender's): "delay 2ms loss 3%",
                           then "delay 2ms loss 3% duplicate 1% reorder 10%"
  SYN flood                SYNs from spoofed addresses (198.18.0.0/16, 2000
                           a second) to the peer's listener while 30 legitimate
                           connections are made, each given 30 s; 80%
                           (24) must succeed (clasp_flood_test.sh holds
                           clasp to 99% inside one guest; here, on a host
                           loaded by three other guests, TCP's own
                           connections timed out 5 times in 30 at 15 s)

then that clasp took at most twice TCP's time for each netem transfer
(issue 23: it once stalled there), each the median of three transfers
(the case above and two more), against TCP sending one segment per skb
and against TCP as it comes: netem loses skbs, and GSO skbs lose whole
bursts, a half to a third as many loss events as the same rate makes of
one-segment skbs; clasp sends GSO bursts as TCP does, also where the
device has no GSO of its own (ratio_checks()).  Against TCP as it comes
the loss case's check is still a TAP TODO when it fails (TODO_VS_TCP);
the reordering case's is not.  A transfer that does
not complete within 120 s (scaled; the issue's "stalled") fails its own
case.  Last, that no clasp socket is left here but those in TIME_WAIT.

The peer serves on each protocol: port 5001 reads to EOF and answers
"bytes N sha256 HEX"; 5002 echoes until EOF; 5003 sends the 4 MiB
pattern and closes.  Port 5000 (TCP) takes "quit".  The guests boot
together: the first case polls the peer's port 5000 until it answers (a
deadline of 120 s, scaled by CLASP_SLOW, as every deadline here).
Figures go to TAP comments: "# xfer PROTO NAME SECONDS", and what the
sender sent again and heard was received twice, and the reductions it
undid: "# retrans PROTO NAME RetransSegs +N DSACKRecv +N ..." (COUNTERS;
issue 23's needless retransmissions).  --plan
prints the number of cases (scripts/check's expected count).
"""
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time

CLASP = 253
TCP = 6
SIZE = 4 << 20
HALF = 64 << 10
CTL, SINK, ECHO, SOURCE = 5000, 5001, 5002, 5003
SLOW = max(1, int(os.environ.get('CLASP_SLOW', '1') or 1))
LEGIT = 30                      # legitimate connections during a flood
# SYNs a second: enough to keep the peer's SYN queue full (and its
# cookies on), not so many that the flooding guest, which also makes the
# legitimate connections, has no CPU left for them under TCG.
FLOOD_PPS = 2000
XFER_TMO = 120 * SLOW           # each transfer, connect to last byte
NETEM = {
    'loss': 'delay 2ms loss 3%',
    'ldr': 'delay 2ms loss 3% duplicate 1% reorder 10%',
}
HERE = os.path.dirname(os.path.abspath(__file__))


def pattern(n):
    """The first n bytes of the stream both ends agree on."""
    block = bytes(range(256)) * 256
    out = block * (n // len(block))
    return out + block[:n - len(out)]


DATA = pattern(SIZE)
DATA_SHA = hashlib.sha256(DATA).hexdigest()


def log(msg):
    print('# ' + msg, flush=True)


def read_all(conn, h=None):
    n = 0
    while True:
        b = conn.recv(1 << 16)
        if not b:
            return n
        n += len(b)
        if h:
            h.update(b)


# ---------------------------------------------------------------------------
# The peer

def serve_sink(conn):
    h = hashlib.sha256()
    n = read_all(conn, h)
    conn.sendall(b'bytes %d sha256 %s\n' % (n, h.hexdigest().encode()))
    conn.close()


def serve_echo(conn):
    while True:
        b = conn.recv(4096)
        if not b:
            break
        conn.sendall(b)
    conn.close()


def serve_source(conn):
    conn.sendall(DATA)
    conn.close()


def conns_info():
    """What claspctl conns -i says here: for a failure's diagnostics."""
    r = subprocess.run([os.path.join(HERE, '..', 'userspace', 'claspctl'),
                        'conns', '-i'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return r.stdout


def listen(proto, port, handler):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port))
    s.listen(128)

    def loop():
        while True:
            c, _ = s.accept()
            c.settimeout(XFER_TMO * 2)
            threading.Thread(target=guarded, args=(handler, c),
                             daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def guarded(handler, conn):
    try:
        handler(conn)
    except OSError as e:
        print('peer: %s: %s' % (handler.__name__, e), flush=True)
        conn.close()


def peer():
    for proto in (TCP, CLASP):
        listen(proto, SINK, serve_sink)
        listen(proto, ECHO, serve_echo)
        listen(proto, SOURCE, serve_source)
    ctl = socket.socket(socket.AF_INET, socket.SOCK_STREAM, TCP)
    ctl.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ctl.bind(('0.0.0.0', CTL))
    ctl.listen(8)
    print('peer: ready', flush=True)
    while True:
        c, _ = ctl.accept()
        cmd = c.recv(64).strip()
        if cmd == b'conns':
            c.sendall(conns_info().encode())
        else:
            c.sendall(b'ok\n')
        c.close()
        if cmd == b'quit':
            print('peer: quit', flush=True)
            return 0


# ---------------------------------------------------------------------------
# The first guest: the cases

PEER = os.environ.get('CLASP_PEER', '10.253.0.2')
ntest = 0
fails = 0
times = {}


def result(ok, name, why=''):
    global ntest, fails
    ntest += 1
    if not ok:
        fails += '# TODO' not in name
        # Every line a comment: a helper's "ok N ..." must not read as TAP.
        for line in why.splitlines():
            log(line)
    print('%sok %d %s' % ('' if ok else 'not ', ntest, name), flush=True)


def connect(proto, port, tmo=XFER_TMO):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    s.settimeout(tmo)
    s.connect((PEER, port))
    return s


def ctl(cmd):
    s = connect(TCP, CTL, 10 * SLOW)
    s.sendall(cmd + b'\n')
    ok = s.recv(16)
    s.close()
    return ok == b'ok\n'


def wait_peer():
    end = time.monotonic() + 120 * SLOW
    last = None
    while time.monotonic() < end:
        try:
            if ctl(b'ping'):
                return True, ''
        except OSError as e:
            last = e
        time.sleep(0.1)
    return False, 'the peer never answered on port %d: %s' % (CTL, last)


def case_handshake(proto):
    s = connect(proto, ECHO)
    s.sendall(b'hello over virtio-net\n')
    got = b''
    while len(got) < 22:
        b = s.recv(64)
        if not b:
            break
        got += b
    s.shutdown(socket.SHUT_WR)
    eof = s.recv(64)
    s.close()
    if got != b'hello over virtio-net\n' or eof != b'':
        return False, 'echo %r, then %r' % (got, eof)
    return True, ''


# What send_and_check() logs, clasp's names and TCP's (issue 23): the
# retransmissions, the D-SACKs that showed some needless, and the window
# reductions undone (RFC 3522, RFC 3708).
COUNTERS = (('RetransSegs', 'RetransSegs'), ('DSACKRecv', 'TCPDSACKRecv'),
            ('SACKRecovery', 'TCPSackRecovery'),
            ('FullUndo', 'TCPFullUndo'), ('PartialUndo', 'TCPPartialUndo'),
            ('DSACKUndo', 'TCPDSACKUndo'), ('LossUndo', 'TCPLossUndo'))


def counters(proto):
    """The COUNTERS of this guest for @proto, by clasp's names."""
    got = {}
    try:
        if proto == CLASP:
            with open('/proc/net/clasp_stats') as f:
                for line in f:
                    k, v = line.split()[:2]
                    got[k] = int(v)
            return {c: got.get(c, 0) for c, _ in COUNTERS}
        for path, want in (('/proc/net/snmp', 'Tcp:'),
                           ('/proc/net/netstat', 'TcpExt:')):
            with open(path) as f:
                rows = [r.split() for r in f if r.startswith(want)]
            got.update(zip(rows[0][1:], (int(v) for v in rows[1][1:])))
        return {c: got.get(t, 0) for c, t in COUNTERS}
    except (OSError, IndexError, ValueError):
        return {c: 0 for c, _ in COUNTERS}


def send_and_check(proto, data, name):
    c0 = counters(proto)
    t0 = time.monotonic()
    s = connect(proto, SINK)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    reply = b''
    while True:
        b = s.recv(256)
        if not b:
            break
        reply += b
    s.close()
    dt = time.monotonic() - t0
    want = b'bytes %d sha256 %s\n' % (len(data),
                                      hashlib.sha256(data).hexdigest().encode())
    c1 = counters(proto)
    log('xfer %s %s %.2f' % (pname(proto), name, dt))
    log('retrans %s %s %s' % (pname(proto), name, ' '.join(
        '%s +%d' % (c, c1[c] - c0[c]) for c, _ in COUNTERS)))
    times[(proto, name)] = dt
    if reply != want:
        return False, 'the peer answered %r, not %r' % (reply, want)
    return True, ''


def case_there(proto, name):
    return send_and_check(proto, DATA, name)


def case_half(proto):
    return send_and_check(proto, pattern(HALF), 'half-close')


def case_back(proto):
    t0 = time.monotonic()
    s = connect(proto, SOURCE)
    h = hashlib.sha256()
    n = read_all(s, h)
    s.close()
    dt = time.monotonic() - t0
    log('xfer %s back %.2f' % (pname(proto), dt))
    if n != SIZE or h.hexdigest() != DATA_SHA:
        return False, 'read %d bytes, sha256 %s' % (n, h.hexdigest())
    return True, ''


def netem_stats():
    """What netem on eth0 passed and lost: "segments N dropped D", where
    a GSO skb counts its segments and a drop counts one skb (netem loses
    skbs), so D is about the loss rate times the skbs sent."""
    out = subprocess.run(['tc', '-s', 'qdisc', 'show', 'dev', 'eth0'],
                         stdout=subprocess.PIPE, text=True).stdout.split()
    try:
        i = out.index('Sent')
        return 'segments %s dropped %s' % (out[i + 3],
                                           out[i + 6].rstrip(','))
    except (ValueError, IndexError):
        return '?'


def netem(spec):
    if not spec:
        log('netem %s' % netem_stats())
    cmd = ['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem'] + \
        spec.split() if spec else ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']
    subprocess.run(cmd, check=bool(spec))


def case_netem(proto, name):
    netem(NETEM[name])
    try:
        return case_there(proto, name)
    finally:
        netem(None)


def case_flood(proto):
    env = dict(os.environ, CLASP_PROTO=str(proto))
    flood = subprocess.Popen([os.path.join(HERE, 'clasp_flood'), 'flood',
                              PEER, str(ECHO), '198.18.0.0', '2000',
                              '3000000', str(FLOOD_PPS)],
                             env=env, stdout=subprocess.PIPE, text=True)
    first = flood.stdout.readline()
    if not first.startswith('flooding'):
        flood.kill()
        return False, 'the flooder said %r' % first
    cl = subprocess.run([os.path.join(HERE, 'clasp_flood'), 'clients', PEER,
                         str(ECHO), str(LEGIT), '4', str(30000 * SLOW)],
                        env=env, stdout=subprocess.PIPE, text=True)
    flood.terminate()
    rest = flood.communicate()[0].splitlines()
    done = [line for line in rest if line.startswith('done')]
    log('flood %s: %s; %s' % (pname(proto), done[-1] if done else '?',
                              cl.stdout.strip().splitlines()[-1:]))
    last = cl.stdout.strip().splitlines()[-1:] or ['']
    f = last[0].split()
    if len(f) < 4 or f[0] != 'ok' or int(f[1]) < LEGIT * 80 // 100:
        return False, 'legitimate connections: %s' % cl.stdout.strip()
    return True, ''


def case_netem_seg1(name):
    """The TCP transfer under netem with one segment per skb."""
    log('TCP with gso_max_segs 1:')
    gso_segs(1)
    try:
        return case_netem(TCP, name)
    finally:
        gso_segs(65535)


def gso_segs(n):
    subprocess.run(['ip', 'link', 'set', 'dev', 'eth0', 'gso_max_segs',
                    str(n)], check=True)


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def ratio_checks(name):
    """clasp against TCP under netem @name: medians of RUNS transfers.

    netem drops, duplicates and reorders skbs, not segments, and TCP's
    skbs are GSO bursts of up to 64 KB: its "3% loss" takes whole bursts
    and so makes a half to a third of the loss events (fast recoveries)
    that one-segment skbs see (testing.md, "Two guests").  clasp sends
    GSO bursts as TCP does, sized as TCP sizes them, and is compared with
    TCP as it comes, and with TCP sending one segment per skb
    (gso_max_segs 1 on eth0), whose loss process is harsher.  Each figure is
    the median of RUNS transfers (the case above is the first), taken in
    turn so that a load on the host falls on all three alike.
    """
    runs = {TCP: [], 'seg1': [], CLASP: []}
    for key in (TCP, CLASP):
        if (key, name) in times:
            runs[key].append(times[(key, name)])
    fns = {TCP: lambda: case_netem(TCP, name),
           'seg1': lambda: case_netem_seg1(name),
           CLASP: lambda: case_netem(CLASP, name)}
    for _ in range(RUNS):
        for key in ('seg1', TCP, CLASP):
            if len(runs[key]) >= RUNS:
                continue
            try:
                ok, why = fns[key]()
            except OSError as e:
                ok, why = False, '%s' % e
            if ok:
                runs[key].append(times[(TCP if key == 'seg1' else key,
                                        name)])
            else:
                log('%s: %s' % (key, why))
    full = {k: len(v) == RUNS for k, v in runs.items()}
    med = {k: median(v) if v else None for k, v in runs.items()}
    log('%s medians of %d: clasp %.2f s, TCP one segment per skb %.2f s, '
        'TCP %.2f s' % (name, RUNS, med[CLASP] or 0, med['seg1'] or 0,
                        med[TCP] or 0))
    for key, what in (('seg1', 'the time of TCP with one segment per skb'),
                      (TCP, 'TCP\'s time')):
        ok = full[CLASP] and full[key] and med[CLASP] <= 2 * med[key]
        case = 'clasp within twice %s, %s' % (what, NETEM[name])
        if key == TCP and name in TODO_VS_TCP and not ok and full[CLASP]:
            case += ' # TODO issue 23: %s' % TODO_VS_TCP[name]
        result(ok, case, 'clasp %s, against %s' % (
            ' '.join('%.2f' % t for t in runs[CLASP]),
            ' '.join('%.2f' % t for t in runs[key])))


def pname(proto):
    return 'clasp' if proto == CLASP else 'tcp'


def dump_conns():
    """Both ends' clasp sockets, as TAP comments."""
    for line in conns_info().splitlines():
        log('here: ' + line)
    try:
        s = connect(TCP, CTL, 10 * SLOW)
        s.sendall(b'conns\n')
        for line in read_text(s).splitlines():
            log('peer: ' + line)
        s.close()
    except OSError as e:
        log('peer: %s' % e)


def read_text(s):
    out = b''
    while True:
        b = s.recv(4096)
        if not b:
            return out.decode(errors='replace')
        out += b


def run(name, fn, *args):
    try:
        ok, why = fn(*args)
    except OSError as e:
        ok, why = False, '%s: %s' % (type(e).__name__, e)
        # The failed case's socket is still open (the traceback holds it).
        dump_conns()
    result(ok, name, why)


def sockets_left():
    """clasp sockets here but those in TIME_WAIT (which ends on its own)."""
    claspctl = os.path.join(HERE, '..', 'userspace', 'claspctl')
    r = subprocess.run([claspctl, 'conns', 'exclude', 'time-wait'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    lines = r.stdout.strip().splitlines()
    return len(lines) - 1 if r.returncode == 0 else -1, lines


CASES = ['handshake and teardown', 'half-close', '4 MiB there', '4 MiB back',
         '4 MiB loss', '4 MiB ldr', 'SYN flood']
RUNS = 3                        # transfers per median in ratio_checks()
# Checks against TCP as it comes that are still TODOs when they fail: each
# failed in 1 lane of 7 on 2026-12-04 after clasp's GSO and RACK fixes
# (loss: 2.10 s against 0.97 s; ldr: 2.77 s against 1.14 s, one clasp
# transfer of 4.47 s with 414 D-SACKs, testing.md), and in 3 medians of
# 12 over six lanes after RACK's timer took Linux's 2 ms (loss 2 of 6,
# TCP's GSO bursts meeting less loss; ldr 1 of 6, a storm of 1348
# segments sent again).
# The checks against TCP as it comes that may still fail now and then.
# Since GRO (module/offload.c), clasp's median was 0.5 to 1.3 times TCP's
# under loss and 0.4 to 1.0 times under loss, duplication and reordering
# in six runs of the lane; before it, the loss case failed one run in six.
# The reordering case, issue 23's, is a plain check.
TODO_VS_TCP = {
    'loss': 'TCP\'s median sometimes below half clasp\'s',
}
PLAN = 1 + 2 * len(CASES) + 2 * 2 + 1
# CLASP_XGUEST_LINK=rtl8139: scripts/check's second pair, over QEMU's
# rtl8139 (VM_RUN_NIC), whose driver 8139cp offloads the checksums of TCP
# and UDP alone (NETIF_F_IP_CSUM): the short plan, a check of the device,
# and the clean cases, which need every clasp segment to leave with its
# sum done.
LINK = os.environ.get('CLASP_XGUEST_LINK', 'virtio')
SHORT_CASES = CASES[:1] + CASES[2:4]
PLAN_SHORT = 1 + 1 + 2 * len(SHORT_CASES) + 1


def case_ip_csum_only():
    """eth0 is 8139cp's, summing TCP and UDP over IPv4 and nothing else."""
    drv = os.path.basename(os.readlink('/sys/class/net/eth0/device/driver'))
    r = subprocess.run(['ethtool', '-k', 'eth0'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    feat = dict(line.strip().split(': ', 1) for line in r.stdout.splitlines()
                if ': ' in line)
    ok = (drv == '8139cp' and
          feat.get('tx-checksum-ipv4', '').startswith('on') and
          feat.get('tx-checksum-ip-generic', '').startswith('off'))
    return ok, 'driver %s, ethtool -k eth0:\n%s' % (drv, r.stdout)


def begin(plan):
    """The plan, then the peer; False (every case failed) if it is mute."""
    print('1..%d' % plan, flush=True)
    ok, why = wait_peer()
    result(ok, 'the peer %s answers' % PEER, why)
    if not ok:
        # Nothing else can pass: fail every case, keeping the plan.
        for _ in range(plan - 1):
            result(False, 'no peer')
    return ok


def main_short():
    if not begin(PLAN_SHORT):
        return 1
    run('the link\'s device sums TCP and UDP alone (8139cp)',
        case_ip_csum_only)
    for proto in (TCP, CLASP):
        p = pname(proto)
        run('%s: handshake and teardown' % p, case_handshake, proto)
        run('%s: 4 MiB there, clean link' % p, case_there, proto, 'clean')
        run('%s: 4 MiB back, clean link' % p, case_back, proto)
    return finish()


def main():
    if LINK == 'rtl8139':
        return main_short()
    if not begin(PLAN):
        return 1
    for proto in (TCP, CLASP):
        p = pname(proto)
        run('%s: handshake and teardown' % p, case_handshake, proto)
        run('%s: half-close' % p, case_half, proto)
        run('%s: 4 MiB there, clean link' % p, case_there, proto, 'clean')
        run('%s: 4 MiB back, clean link' % p, case_back, proto)
        run('%s: 4 MiB there, %s' % (p, NETEM['loss']), case_netem, proto,
            'loss')
        run('%s: 4 MiB there, %s' % (p, NETEM['ldr']), case_netem, proto,
            'ldr')
        run('%s: SYN flood, legitimate connections succeed' % p,
            case_flood, proto)
    for name in ('loss', 'ldr'):
        ratio_checks(name)
    return finish()


def finish():
    """The last case (no socket left), then stop the peer; the status."""
    end = time.monotonic() + 20 * SLOW
    left, lines = sockets_left()
    while left != 0 and time.monotonic() < end:
        time.sleep(0.2)
        left, lines = sockets_left()
    result(left == 0, 'no clasp socket left but in TIME_WAIT',
           'claspctl conns: ' + ' | '.join(lines))
    try:
        ctl(b'quit')
    except OSError as e:
        log('cannot stop the peer: %s' % e)
    log('Totals: pass:%d fail:%d' % (ntest - fails, fails))
    return 1 if fails else 0


if __name__ == '__main__':
    if sys.argv[1:] == ['--peer']:
        sys.exit(peer())
    if sys.argv[1:] == ['--plan']:
        print(PLAN_SHORT if LINK == 'rtl8139' else PLAN)
        sys.exit(0)
    sys.exit(main())
