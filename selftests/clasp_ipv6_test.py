#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""clasp over IPv6: dual stack, binding rules, ICMPv6, as TCP has them.

Each case runs over kernel TCP (protocol 6) first, the reference that
shows the test is right, then over clasp (253, or CLASP_PROTO), and both
must see the same:

  dual stack         a listener on [::] serves an IPv6 client (::1) and an
                     IPv4 one, accepted as ::ffff:127.0.0.1; each echo
                     intact
  v6only             with IPV6_V6ONLY the IPv4 client is refused
  v4-mapped connect  an AF_INET6 client to ::ffff:127.0.0.1 reaches an
                     AF_INET listener
  bind               [::] and 0.0.0.0 on one port conflict, unless
                     IPV6_V6ONLY; [::1] and 127.0.0.1 do not
  packet too big     namespaces a - r - b, r's link to b of MTU 1280: a
                     1 MiB transfer from a to b arrives intact, and for
                     clasp the path MTU lowered the MSS (PmtuUpdates)
  GRO                r's link from a batches segments (GRO on ra, no TSO
                     on va, netem's 2 ms slots releasing them in batches):
                     r forwards each batch as one buffer, 1 MiB arrives
                     intact at b, and b acknowledges fewer than one
                     segment in three (not judged when CLASP_SLOW > 1)
  unreachable        r rejects a prefix: connect() fails at once with
                     TCP's errno (an ICMPv6 destination unreachable)
  link-local         a connects to r's fe80:: address on their link (r
                     has two links): the echo intact, and the accepted
                     socket's peer has the scope of r's device, as TCP's
  bound device       b's listener bound to its device (SO_BINDTODEVICE)
                     serves a
  flow labels        every segment of a connection carries one flow label
                     each way, not zero, from the SYN and SYN-ACK to the
                     last ACK (captured on lo)
  time wait          an IPv6 connection closed actively leaves a
                     TIME_WAIT entry; the namespace goes with it and the
                     connections its process left behind

Run in a guest as root, with clasp loaded.
"""
import ctypes
import errno
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time

CLASP = int(os.environ.get('CLASP_PROTO', '253'))
TCP = 6
PROTOS = (TCP, CLASP) if CLASP != TCP else (TCP,)
SLOW = max(1, int(os.environ.get('CLASP_SLOW', '1') or 1))
TIMEOUT = 20 * SLOW
count = 0
failed = 0
CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)	# os.setns() is Python 3.12's


def result(ok, name, why=''):
    global count, failed
    count += 1
    if not ok:
        failed += 1
        if why:
            print('# %s' % why)
    print('%sok %d %s' % ('' if ok else 'not ', count, name), flush=True)


def sh(cmd, ns=None):
    if ns:
        cmd = 'ip netns exec %s %s' % (ns, cmd)
    subprocess.run(cmd, shell=True, check=True)


def pname(proto):
    return 'clasp' if proto == CLASP else 'tcp'


def in_ns(ns, fn, *args):
    """Run @fn in network namespace @ns, in a child; its return value."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            fd = os.open('/run/netns/' + ns, os.O_RDONLY)
            if LIBC.setns(fd, CLONE_NEWNET):
                raise OSError(ctypes.get_errno(), 'setns')
            out = repr(fn(*args))
        except Exception as e:  # the parent reports it
            out = repr('error: %s: %s' % (type(e).__name__, e))
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    data = b''
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        data += b
    os.close(r)
    os.waitpid(pid, 0)
    return eval(data.decode())  # our own repr()


def serve_once(ls, out=None):
    """Accept one connection, echo until EOF; its peer address to @out
    if given.  Returns the peer's address tuple."""
    c, peer = ls.accept()
    c.settimeout(TIMEOUT)
    if out is not None:
        out.append(peer[0])
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b)
    c.close()
    return peer


def echo(fam, proto, addr, port, data=b'hello over clasp'):
    """Send @data to @addr:@port (or to the address tuple @addr when @port
    is None), half-close, and read it back: was it intact?"""
    c = socket.socket(fam, socket.SOCK_STREAM, proto)
    c.settimeout(TIMEOUT)
    c.connect(addr if port is None else (addr, port))
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    back = b''
    while True:
        b = c.recv(65536)
        if not b:
            break
        back += b
    c.close()
    return back == data


def listener(fam, proto, addr, port, v6only=None):
    ls = socket.socket(fam, socket.SOCK_STREAM, proto)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    ls.bind((addr, port))
    ls.listen(8)
    ls.settimeout(TIMEOUT)
    return ls


def dual_stack(proto):
    """[::] serves ::1 and 127.0.0.1; the peers accept() reports."""
    ls = listener(socket.AF_INET6, proto, '::', 5001, v6only=False)
    peers = []
    ok = True
    for fam, addr in ((socket.AF_INET6, '::1'),
                      (socket.AF_INET, '127.0.0.1')):
        t = threading.Thread(target=serve_once, args=(ls, peers))
        t.start()
        ok = echo(fam, proto, addr, 5001) and ok
        t.join()
    ls.close()
    return ok, peers


def v6only_refuses_ipv4(proto):
    ls = listener(socket.AF_INET6, proto, '::', 5002, v6only=True)
    try:
        echo(socket.AF_INET, proto, '127.0.0.1', 5002)
        got = 0
    except OSError as e:
        got = e.errno
    ls.close()
    return got


def mapped_connect(proto):
    """An AF_INET6 client to ::ffff:127.0.0.1, an AF_INET listener."""
    ls = listener(socket.AF_INET, proto, '127.0.0.1', 5003)
    peers = []
    t = threading.Thread(target=serve_once, args=(ls, peers))
    t.start()
    ok = echo(socket.AF_INET6, proto, '::ffff:127.0.0.1', 5003)
    t.join()
    ls.close()
    return ok, peers


def bind_errno(proto, first, second):
    """errno of binding @second while @first holds the port, 0 if none."""
    socks = []
    try:
        for fam, addr, only in (first, second):
            s = socket.socket(fam, socket.SOCK_STREAM, proto)
            if only is not None:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                             int(only))
            socks.append(s)
            s.bind((addr, 5004))
        return 0
    except OSError as e:
        return e.errno
    finally:
        for s in socks:
            s.close()


BINDS = [
    ('[::] then 0.0.0.0', (socket.AF_INET6, '::', False),
     (socket.AF_INET, '0.0.0.0', None)),
    ('0.0.0.0 then [::]', (socket.AF_INET, '0.0.0.0', None),
     (socket.AF_INET6, '::', False)),
    ('[::] v6only then 0.0.0.0', (socket.AF_INET6, '::', True),
     (socket.AF_INET, '0.0.0.0', None)),
    ('127.0.0.1 then [::] v6only', (socket.AF_INET, '127.0.0.1', None),
     (socket.AF_INET6, '::', True)),
    ('[::1] then 127.0.0.1', (socket.AF_INET6, '::1', None),
     (socket.AF_INET, '127.0.0.1', None)),
    ('[::ffff:127.0.0.1] then 127.0.0.1',
     (socket.AF_INET6, '::ffff:127.0.0.1', False),
     (socket.AF_INET, '127.0.0.1', None)),
    ('[::1] then [::]', (socket.AF_INET6, '::1', None),
     (socket.AF_INET6, '::', False)),
]


def stat(name):
    with open('/proc/net/clasp_stats') as f:
        for line in f:
            k, v = line.split()[:2]
            if k == name:
                return int(v)
    return -1


def sink(proto, port, out):
    """In b: read one connection to EOF, its SHA-256 and length."""
    def run():
        ls = listener(socket.AF_INET6, proto, '::', port)
        c, _ = ls.accept()
        c.settimeout(TIMEOUT)
        h = hashlib.sha256()
        n = 0
        while True:
            b = c.recv(65536)
            if not b:
                break
            h.update(b)
            n += len(b)
        c.close()
        ls.close()
        return h.hexdigest(), n
    out.append(in_ns('v6b', run))


def send_to_b(proto, port, data):
    """In a: send @data to b (whose sink may not listen yet: retried)."""
    for _ in range(100):
        c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, proto)
        c.settimeout(TIMEOUT)
        try:
            c.connect(('fd00:2::2', port))
            break
        except ConnectionRefusedError:
            c.close()
            time.sleep(0.05)
    c.sendall(data)
    c.close()
    return stat('PmtuUpdates') if proto == CLASP else 0


def out_segs(proto):
    """Segments this namespace sent, by @proto's own counter (in the TCP
    lane CLASP is TCP, whose counter is /proc/net/snmp's)."""
    if proto != TCP:
        return stat('OutSegs')
    with open('/proc/net/snmp') as f:
        rows = [r.split() for r in f if r.startswith('Tcp:')]
    return int(dict(zip(rows[0][1:], rows[1][1:]))['OutSegs'])


def gro_forwarded(proto, port):
    """1 MiB from a to b with GRO on r's link from a: (intact, segments a
    sent, segments b sent)."""
    sh('ethtool -K va tso off', 'v6a')
    sh('ip link set va gso_max_segs 1', 'v6a')
    sh('tc qdisc add dev va root netem delay 1ms slot 2ms', 'v6a')
    sh('ethtool -K ra gro on', 'v6r')
    try:
        data = os.urandom(1 << 20)
        out = []
        a0 = in_ns('v6a', out_segs, proto)
        b0 = in_ns('v6b', out_segs, proto)
        t = threading.Thread(target=sink, args=(proto, port, out))
        t.start()
        in_ns('v6a', send_to_b, proto, port, data)
        t.join()
        a = in_ns('v6a', out_segs, proto) - a0
        b = in_ns('v6b', out_segs, proto) - b0
    finally:
        sh('tc qdisc del dev va root', 'v6a')
        sh('ip link set va gso_max_segs 65535', 'v6a')
        sh('ethtool -K va tso on', 'v6a')
    want = (hashlib.sha256(data).hexdigest(), len(data))
    return bool(out) and out[0] == want, a, b


def topology():
    """a - r - b over veth, IPv6 only, r's link to b of MTU 1280."""
    for ns in ('v6a', 'v6r', 'v6b'):
        sh('ip netns add %s' % ns)
        sh('ip link set lo up', ns)
    sh('ip link add va netns v6a type veth peer name ra netns v6r')
    sh('ip link add vb netns v6b type veth peer name rb netns v6r')
    sh('ip -6 addr add fd00:1::1/64 dev va nodad', 'v6a')
    sh('ip -6 addr add fd00:1::2/64 dev ra nodad', 'v6r')
    sh('ip -6 addr add fd00:2::1/64 dev rb nodad', 'v6r')
    sh('ip -6 addr add fd00:2::2/64 dev vb nodad', 'v6b')
    sh('ip -6 addr add fe80::a1/64 dev va nodad', 'v6a')
    sh('ip -6 addr add fe80::a2/64 dev ra nodad', 'v6r')
    for ns, dev in (('v6a', 'va'), ('v6r', 'ra'), ('v6r', 'rb'),
                    ('v6b', 'vb')):
        sh('ip link set %s up' % dev, ns)
    sh('sysctl -qw net.ipv6.conf.all.forwarding=1', 'v6r')
    sh('ip -6 route add default via fd00:1::2', 'v6a')
    sh('ip -6 route add default via fd00:2::1', 'v6b')
    sh('ip -6 route add unreachable fd00:99::/64', 'v6r')
    # Both ends see 1500 and offer its MSS; only r knows the path's 1280
    # (b sends r nothing larger than an ACK).
    sh('ip link set rb mtu 1280', 'v6r')


def packet_too_big(proto, port):
    data = os.urandom(1 << 20)
    out = []
    t = threading.Thread(target=sink, args=(proto, port, out))
    t.start()
    pmtu = in_ns('v6a', send_to_b, proto, port, data)
    t.join()
    want = (hashlib.sha256(data).hexdigest(), len(data))
    return out and out[0] == want, pmtu


def serve_in(ns, proto, port, out, device=None):
    """In @ns: a listener on [::]:@port (bound to @device if given) echoes
    one connection; its peer's address tuple and the device index its
    scope should name (@device's, else the one of the link to a) to @out."""
    def run():
        ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, proto)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if device:
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE,
                          device.encode())
        ls.bind(('::', port))
        ls.listen(8)
        ls.settimeout(TIMEOUT)
        peer = serve_once(ls)
        ls.close()
        return peer, socket.if_nametoindex(device or 'ra')
    out.append(in_ns(ns, run))


def scoped_echo(ns, proto, port, addr, scope_dev=None, device=None):
    """An echo from a to @addr:@port, the server in @ns; (echo intact,
    the server's view of its peer, the device index its scope should be)."""
    out = []
    t = threading.Thread(target=serve_in, args=(ns, proto, port, out, device))
    t.start()

    def client():
        scope = socket.if_nametoindex(scope_dev) if scope_dev else 0
        for _ in range(100):
            try:
                return echo(socket.AF_INET6, proto, (addr, port, 0, scope),
                            None)
            except ConnectionRefusedError:
                time.sleep(0.05)
        return False
    ok = in_ns('v6a', client)
    t.join()
    if not out or not isinstance(out[0], tuple):
        return False, out, 0
    return ok, out[0][0], out[0][1]


def connect_errno(proto, addr):
    def run():
        c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, proto)
        c.settimeout(TIMEOUT)
        try:
            c.connect((addr, 5005))
            return 0
        except OSError as e:
            return e.errno
        finally:
            c.close()
    return in_ns('v6a', run)


def flow_labels(proto, port):
    """The flow labels of an echo over ::1, by direction: {(sport, dport):
    set of labels}, from a packet socket on lo."""
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                        socket.htons(0x86dd))
    cap.bind(('lo', 0))
    cap.setblocking(False)
    ls = listener(socket.AF_INET6, proto, '::1', port)
    peers = []
    t = threading.Thread(target=serve_once, args=(ls, peers))
    t.start()
    ok = echo(socket.AF_INET6, proto, '::1', port, b'x' * 100000)
    t.join()
    ls.close()
    time.sleep(0.2)		# the last ACK, and the packet socket's copy
    seen = {}
    while True:
        try:
            frame = cap.recv(65536)
        except BlockingIOError:
            break
        ip6 = frame[14:]		# lo's Ethernet header
        if len(ip6) < 44 or ip6[6] != proto:
            continue
        sport, dport = struct.unpack('!HH', ip6[40:44])
        if port in (sport, dport):
            label = struct.unpack('!I', ip6[0:4])[0] & 0xfffff
            seen.setdefault((sport, dport), set()).add(label)
    cap.close()
    return ok, seen


def time_wait_and_netns_exit():
    """TIME_WAIT over IPv6, then the namespace goes with it and orphans."""
    def run():
        ls = listener(socket.AF_INET6, CLASP, '::', 5006)
        c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, CLASP)
        c.connect(('::1', 5006))
        s, _ = ls.accept()
        c.close()			# active close: TIME_WAIT here
        s.close()
        c2 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, CLASP)
        c2.connect(('::1', 5006))	# and one established, left open
        s2, _ = ls.accept()
        c2.sendall(b'x' * 100000)	# unread: its close sends a RST
        for _ in range(100):
            if stat('TimeWaitEntered') >= 1:
                break
            time.sleep(0.05)
        # The process ends: s2 and c2 close with data unsent or unread,
        # and the namespace goes with them and the TIME_WAIT entry.
        return stat('TimeWaitEntered')
    sh('ip netns add v6t')
    sh('ip link set lo up', 'v6t')
    tw = in_ns('v6t', run)
    sh('ip netns del v6t')
    return tw


PLAN = 2 * len(PROTOS) + 2 + len(PROTOS) + len(BINDS) + 2 * len(PROTOS) + \
    len(PROTOS) + 2 * len(PROTOS) + len(PROTOS) + len(PROTOS) + 1


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--plan':
        print(PLAN)
        return 0
    print('TAP version 13')
    print('1..%d' % PLAN, flush=True)
    sh('ip link set lo up')
    peers = {}
    for p in PROTOS:
        ok, peers[p] = dual_stack(p)
        result(ok and peers[p] == ['::1', '::ffff:127.0.0.1'],
               '%s: [::] serves ::1 and 127.0.0.1 (as ::ffff:127.0.0.1)' %
               pname(p), 'peers %s' % peers[p])
        got = v6only_refuses_ipv4(p)
        result(got == errno.ECONNREFUSED,
               '%s: IPV6_V6ONLY refuses IPv4 with ECONNREFUSED' % pname(p),
               'errno %d' % got)
    if CLASP in PROTOS and TCP in PROTOS:
        result(peers[CLASP] == peers[TCP], 'clasp: the same peers as TCP',
               '%s against %s' % (peers[CLASP], peers[TCP]))
        result(v6only_refuses_ipv4(CLASP) == v6only_refuses_ipv4(TCP),
               'clasp: the same errno as TCP for IPV6_V6ONLY')
    else:
        result(True, 'clasp: the same peers as TCP # SKIP TCP lane')
        result(True, 'clasp: the same errno as TCP # SKIP TCP lane')
    for p in PROTOS:
        ok, pp = mapped_connect(p)
        result(ok and pp == ['127.0.0.1'],
               '%s: AF_INET6 to ::ffff:127.0.0.1 reaches an AF_INET '
               'listener' % pname(p), 'peers %s' % pp)
    for name, first, second in BINDS:
        want = bind_errno(TCP, first, second)
        got = bind_errno(CLASP, first, second)
        result(got == want, 'bind %s: errno %d as TCP' % (name, want),
               'clasp %d, TCP %d' % (got, want))

    topology()
    try:
        for i, p in enumerate(PROTOS):
            # The path MTU the last protocol learned, forgotten.
            sh('ip -6 route flush cache', 'v6a')
            before = in_ns('v6a', stat, 'PmtuUpdates')
            ok, after = packet_too_big(p, 5100 + i)
            result(bool(ok), '%s: 1 MiB intact through a 1280-byte link' %
                   pname(p))
            if TCP == CLASP:
                result(True, 'clasp: packet too big lowered the MSS # SKIP '
                       'clasp only: PmtuUpdates is clasp\'s counter')
            elif p == CLASP:
                result(isinstance(after, int) and after > before,
                       'clasp: packet too big lowered the MSS',
                       'PmtuUpdates %s -> %s' % (before, after))
            else:
                result(True, 'tcp: (PmtuUpdates is clasp\'s)')
        for i, p in enumerate(PROTOS):
            ok, a, b = gro_forwarded(p, 5400 + i)
            # A slow kernel (the debug one) makes small batches, for TCP
            # as for clasp: there the count is not judged, the data is.
            result(ok and (3 * b < a or SLOW > 1), '%s: 1 MiB intact '
                   'through GRO on the router, batches acknowledged once' %
                   pname(p), 'intact %s, a sent %d segments, b %d' %
                   (ok, a, b))
        for i, p in enumerate(PROTOS):
            ok, peer, want = scoped_echo('v6r', p, 5300 + i, 'fe80::a2', 'va')
            result(ok is True and peer[0].startswith('fe80:') and
                   peer[3] == want,
                   '%s: a link-local peer, accepted with its device\'s '
                   'scope' % pname(p), 'echo %s, peer %s, want scope %s' %
                   (ok, peer, want))
            ok, peer, _ = scoped_echo('v6b', p, 5310 + i, 'fd00:2::2',
                                      device='vb')
            result(ok is True, '%s: a listener bound to its device serves '
                   'IPv6' % pname(p), 'echo %s, peer %s' % (ok, peer))
        want = connect_errno(TCP, 'fd00:99::1')
        for p in PROTOS:
            got = connect_errno(p, 'fd00:99::1')
            result(got == want and got != 0,
                   '%s: an unreachable prefix fails connect() with errno '
                   '%d' % (pname(p), want), 'errno %s' % got)
    finally:
        for ns in ('v6a', 'v6r', 'v6b'):
            subprocess.run(['ip', 'netns', 'del', ns])
    for i, p in enumerate(PROTOS):
        ok, seen = flow_labels(p, 5200 + i)
        result(ok and len(seen) == 2 and
               all(len(v) == 1 and 0 not in v for v in seen.values()),
               '%s: one flow label each way, not zero' % pname(p),
               'labels by direction %s' % seen)
    if TCP == CLASP:
        result(True, 'clasp: TIME_WAIT over IPv6 # SKIP clasp only: '
               'TimeWaitEntered is clasp\'s counter')
        return 1 if failed else 0
    tw = time_wait_and_netns_exit()
    result(isinstance(tw, int) and tw >= 1,
           'clasp: TIME_WAIT over IPv6; the namespace goes with it and '
           'the connections closed with it', 'TimeWaitEntered %s' % tw)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
