#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Socket work for clasp_teardown_test.sh.

  fill STEP...          set up connections in several network namespaces
                        from one process, report, then sleep until killed
  stats NS...           print /proc/net/clasp_stats of each namespace
  churn PORT N PENDING  open and close N connections over loopback, then
                        wait for the namespace's Objects to reach 0

A namespace NS is a name under /run/netns, or "-" for the namespace this
process started in.  fill switches between namespaces with setns(), so one
process (one slow Python start-up on an emulated guest) holds every socket
of a test; killing it closes them all at once.  Its steps run in order:

  server:NS:ADDR:PORT:COUNTS[:G]  a listener, and a thread per connection;
                                  with G, G listeners in a SO_REUSEPORT
                                  group whose cBPF program picks one at
                                  random for each SYN
  client:NS:SRC:DST:PORT:COUNTS   connections to a server, by kind
  synsent:NS:DST:PORT:N           N non-blocking connects (to stay in
                                  SYN_SENT, the SYN-ACKs must be dropped)
  expect:NS:NAME=VALUE,...        counters NS should reach

An address is IPv4 or, in brackets, IPv6 ([::], [fd00::1]); a socket takes
the family of the address it binds or connects to.

COUNTS is "stall,flow,fw2,tw1,tw2": how many connections of each kind.
The client binds source port 40000 + 1000 * kind + i (+ 500 over IPv6),
so the server knows each connection's kind from its peer's port.  (The
IPv6 ports are apart because clasp, unlike TCP, refuses a bind() to a
port that any TIME_WAIT or FIN_WAIT_2 entry holds, whatever its address
and family: clasp_port_conflict() in module/table.c.)  The kinds:

  stall  ESTABLISHED, both ends send and never read: unread data both ways
  flow   ESTABLISHED, both ends send and read all the time; the client
         end is paced by SO_MAX_PACING_RATE (FLOW_PACE), well below what
         it is given to send, so its pace timer is armed when it goes
  fw2    the client sends 100 bytes and close()s; the server keeps its end
         open without reading: orphaned FIN_WAIT_2 entry on the client
  tw1    the client close()s first, then the server: TIME_WAIT on the client
  tw2    the server close()s first, then the client: TIME_WAIT on the server

Once every connection is set up, every stalled one holds unread data at
both ends and every expectation is met (or time is up), fill prints
"conn ..." (CLASP_INFO of each stalled or flowing socket) and "stats NS
Name value ..." for each namespace expected, then "ready" or "fail REASON".
"""
import ctypes
import errno
import os
import re
import socket
import struct
import sys
import threading
import time

PROTO = int(os.environ.get("CLASP_PROTO", "253"))
SOL_CLASP = 253
CLASP_INFO = 1
ESTABLISHED, SYN_SENT, CLOSE_WAIT = 1, 2, 8
TIMER_KEEPALIVE = 2
CLONE_NEWNET = 0x40000000
# A flowing connection sends 16 KiB per 20 ms each way: traffic that never
# stops, without starving an emulated guest.
FLOW_PAUSE = 0.02
# The client end of a flowing connection may send 64 KB/s, a tenth of
# that: past the first ten segments each waits for its pace timer.
FLOW_PACE = 65536
SO_MAX_PACING_RATE = 47
# CLASP_SLOW=N: the kernel runs about N times slower (the debug kernel's
# lane), and so do the waits here, as lib.sh's clasp_slow_time.
SLOW = max(1, int(os.environ.get("CLASP_SLOW") or 1))
DEADLINE = 45 * SLOW
SETTLE = 15 * SLOW
# Counters fill prints besides those expected.
DIAG = ("Objects", "TimeWaitEntered", "TimeWaitKilled", "CurrEstab",
        "OutRsts", "RstsReceived", "AbortOnTimeout")

libc = ctypes.CDLL(None, use_errno=True)
INIT_NS = os.open("/proc/self/ns/net", os.O_RDONLY)


def say(*args):
    print(*args, flush=True)


def setns(ns):
    """Make NS the calling thread's network namespace."""
    fd = INIT_NS if ns == "-" else os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET):
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (ns, os.strerror(e)))
    finally:
        if fd != INIT_NS:
            os.close(fd)


def read_stats(ns):
    setns(ns)
    with open("/proc/thread-self/net/clasp_stats") as f:
        return dict((k, int(v)) for k, v in (line.split() for line in f))


# struct clasp_info, as a tuple; indexes of the fields used here.
INFO_FMT = "<4B18I"
I_STATE, I_RETRANSMITS, I_BACKOFF, I_TIMER = 0, 1, 2, 3
I_RTO_US, I_SRTT_US = 5, 6
I_SND_WND, I_UNACKED, I_RECV_QUEUE = 15, 18, 21


TCP_INFO = 11
# struct tcp_info's tcpi_max_pacing_rate (u64) and tcpi_notsent_bytes
TI_MAX_PACING_RATE, TI_NOTSENT = 112, 144


def paced(s):
    """SO_MAX_PACING_RATE as TCP_INFO reports it, and bytes not yet sent."""
    b = s.getsockopt(socket.IPPROTO_TCP, TCP_INFO, TI_NOTSENT + 4)
    return (struct.unpack_from("<Q", b, TI_MAX_PACING_RATE)[0],
            struct.unpack_from("<I", b, TI_NOTSENT)[0])


def info(s):
    return struct.unpack(INFO_FMT, s.getsockopt(SOL_CLASP, CLASP_INFO,
                                                struct.calcsize(INFO_FMT)))


def sock(addr="0.0.0.0"):
    """A socket of ADDR's family with keepalive on: its timer is armed in
    every synchronized state (accepted sockets inherit it), so teardown
    frees armed keepalive timers too."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM, PROTO)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    return s


# A SO_REUSEPORT group's program: A = a random number; return A % N (the
# member), N patched in.
SO_ATTACH_REUSEPORT_CBPF = 51
SKF_AD_RANDOM = -0x1000 + 56
BPF_LD_W_ABS, BPF_ALU_MOD_K, BPF_RET_A = 0x20, 0x94, 0x16


def attach_random_pick(s, n):
    prog = struct.pack("=HBBI", BPF_LD_W_ABS, 0, 0, SKF_AD_RANDOM & 0xffffffff)
    prog += struct.pack("=HBBI", BPF_ALU_MOD_K, 0, 0, n)
    prog += struct.pack("=HBBI", BPF_RET_A, 0, 0, 0)
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HxxxxxxQ", len(prog) // 8, ctypes.addressof(buf))
    s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)


def spawn(fn, *args):
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


def sender(s, pause=0):
    """Send until the connection dies; PAUSE seconds between 16 KiB."""
    buf = b"x" * 16384
    try:
        while True:
            s.sendall(buf)
            if pause:
                time.sleep(pause)
    except OSError:
        pass


def reader(s):
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass


def read_then_close(s):
    reader(s)
    s.close()


def counts(arg):
    n = [int(x) for x in arg.split(",")]
    if len(n) != 5:
        raise SystemExit("COUNTS wants 5 numbers: " + arg)
    return n


class Fill:
    def __init__(self):
        self.keep = []		# sockets that stay open until killed
        self.stall = []		# (who, socket) with data left unread
        self.flow = []		# (who, socket) with traffic flowing
        self.servers = []	# [name, accepted, wanted]
        self.expect = []	# (ns, {name: value})
        self.syn = []		# sockets meant to stay in SYN_SENT
        self.idle = []		# fw2 server ends: CLOSE_WAIT, nothing to send
        self.lock = threading.Lock()

    def hold(self, who, s, kind):
        """Start what a connection of KIND does at one end; keep it."""
        if kind == 0:
            self.keep.append(s)
            with self.lock:
                self.stall.append((who, s))
            spawn(sender, s)
        elif kind == 1:
            self.keep.append(s)
            with self.lock:
                self.flow.append((who, s))
            spawn(sender, s, FLOW_PAUSE)
            spawn(reader, s)

    def accept_loop(self, ls, srv):
        while srv[1] < srv[2]:
            c, peer = ls.accept()
            pport = peer[1]
            kind = pport // 1000 - 40
            if kind in (0, 1):
                self.hold(srv[0], c, kind)
            elif kind == 2:
                self.keep.append(c)
                with self.lock:
                    self.idle.append(c)
            elif kind == 3:
                spawn(read_then_close, c)
            elif kind == 4:
                c.close()
            else:
                say("unexpected peer port %d" % pport)
            with self.lock:
                srv[1] += 1

    def server(self, ns, addr, port, n, group=None):
        setns(ns)
        srv = ["server " + ns, 0, sum(counts(n))]
        self.servers.append(srv)
        group_socks = []
        for _ in range(int(group or 1)):
            ls = sock(addr)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if group:
                ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            ls.bind((addr, int(port)))
            ls.listen(256)
            self.keep.append(ls)	# SYN_RCVD requests hang on it
            group_socks.append(ls)
        if group:
            attach_random_pick(group_socks[0], len(group_socks))
        for ls in group_socks:
            spawn(self.accept_loop, ls, srv)

    def client(self, ns, src, dst, port, n):
        setns(ns)
        for kind, count in enumerate(counts(n)):
            for i in range(count):
                s = sock(dst)
                s.settimeout(DEADLINE)
                s.bind((src, 40000 + 1000 * kind + 500 * (":" in src) + i))
                s.connect((dst, int(port)))
                if kind == 1:
                    s.setsockopt(socket.SOL_SOCKET, SO_MAX_PACING_RATE,
                                 FLOW_PACE)
                if kind in (0, 1):
                    self.hold("client " + ns, s, kind)
                elif kind == 2:
                    s.sendall(b"f" * 100)
                    s.close()
                elif kind == 3:
                    s.close()
                elif kind == 4:
                    reader(s)
                    s.close()

    def synsent(self, ns, dst, port, n):
        setns(ns)
        socks = []
        for _ in range(int(n)):
            s = sock(dst)
            s.setblocking(False)
            err = s.connect_ex((dst, int(port)))
            if err != errno.EINPROGRESS:
                raise SystemExit("connect_ex: %s" % errno.errorcode.get(err, err))
            socks.append(s)
        self.keep += socks
        self.syn += socks

    def wait(self):
        """Wait for every milestone; return why not, or None."""
        end = time.monotonic() + DEADLINE
        while any(srv[1] < srv[2] for srv in self.servers):
            if time.monotonic() > end:
                return "accepted only " + " ".join(
                    "%s %d of %d" % tuple(srv) for srv in self.servers)
            time.sleep(0.05)
        while True:
            st = [(who, info(s)) for who, s in self.stall]
            bad = [(who, i[I_STATE], i[I_RECV_QUEUE]) for who, i in st
                   if i[I_STATE] != ESTABLISHED or i[I_RECV_QUEUE] == 0]
            if not bad:
                say("unread ok %d min_recv_queue %d" % (len(st), min(
                    [i[I_RECV_QUEUE] for _, i in st] or [0])))
                break
            if time.monotonic() > end:
                return "stalled connections (state, recv_queue): %s" % bad
            time.sleep(0.05)
        syn = [info(s)[I_STATE] for s in self.syn]
        if syn.count(SYN_SENT) != len(syn):
            return "SYN_SENT states %s" % syn
        # Nothing in flight there: the timer armed must be keepalive's.
        while True:
            idle = [(i[I_STATE], i[I_TIMER]) for i in map(info, self.idle)]
            bad = [v for v in idle if v != (CLOSE_WAIT, TIMER_KEEPALIVE)]
            if not bad:
                say("keepalive armed %d" % len(idle))
                break
            if time.monotonic() > end:
                return "idle CLOSE_WAIT (state, timer): %s" % bad
            time.sleep(0.05)
        # Once everything is set up, the counters follow within moments.
        end = time.monotonic() + SETTLE
        while True:
            got = [(ns, read_stats(ns)) for ns, _ in self.expect]
            bad = ["%s %s %s (want %s)" % (ns, k, st.get(k), v)
                   for (ns, want), (_, st) in zip(self.expect, got)
                   for k, v in want.items() if st.get(k) != v]
            if not bad or time.monotonic() > end:
                break
            time.sleep(0.1)
        for who, s in self.stall + self.flow:
            v = info(s)
            say("conn %s state %d backoff %d retransmits %d rto_us %d "
                "srtt_us %d snd_wnd %d unacked %d recv_queue %d" %
                (who.replace(" ", "_"), v[I_STATE], v[I_BACKOFF],
                 v[I_RETRANSMITS], v[I_RTO_US], v[I_SRTT_US], v[I_SND_WND],
                 v[I_UNACKED], v[I_RECV_QUEUE]))
        # The paced ends hold data back, their pace timer armed.
        pace = [paced(s) for who, s in self.flow if who.startswith("client")]
        if pace:
            say("paced %d max_pacing_rate %s notsent %s" %
                (len(pace), sorted({r for r, _ in pace}),
                 [n for _, n in pace]))
            if any(r != FLOW_PACE for r, _ in pace) or \
                    not any(n for _, n in pace):
                bad.append("flows not paced at %d B/s" % FLOW_PACE)
        for (ns, want), (_, st) in zip(self.expect, got):
            keys = list(want) + [k for k in DIAG if k not in want]
            say("stats %s %s" % (ns, " ".join("%s %s" % (k, st.get(k))
                                              for k in keys)))
        return "; ".join(bad) if bad else None

    def run(self, steps):
        for step in steps:
            # fields split at colons outside brackets, brackets dropped
            f = [x.strip("[]") for x in
                 re.findall(r"\[[^\]]*\]|[^:]+", step)]
            if f[0] == "expect":
                want = dict((kv.split("=")[0], int(kv.split("=")[1]))
                            for kv in f[2].split(","))
                self.expect.append((f[1], want))
            elif f[0] in ("server", "client", "synsent"):
                getattr(self, f[0])(*f[1:])
            else:
                raise SystemExit("unknown step " + step)
        why = self.wait()
        say("fail " + why if why else "ready")
        while True:
            time.sleep(600)


def objects():
    with open("/proc/thread-self/net/clasp_stats") as f:
        for line in f:
            k, v = line.split()
            if k == "Objects":
                return int(v)
    return -1


def churn(port, n, pending_n):
    """Open and close N connections over loopback, each ending one of six
    ways, then PENDING more left in the accept queue when the listener
    closes.  Prints how many should have gone through TIME_WAIT."""
    ls = sock()
    ls.bind(("127.0.0.1", port))
    ls.listen(512)
    tw = 0
    for i in range(n):
        c = sock()
        c.settimeout(10)
        c.connect(("127.0.0.1", port))
        s, _ = ls.accept()
        s.settimeout(10)
        kind = i % 6
        if kind == 0:		# client closes first
            c.close()
            assert s.recv(10) == b""
            s.close()
            tw += 1
        elif kind == 1:		# server closes first
            s.close()
            assert c.recv(10) == b""
            c.close()
            tw += 1
        elif kind == 2:		# data both ways, then client first
            c.sendall(b"a" * 3000)
            got = 0
            while got < 3000:
                got += len(s.recv(65536))
            s.sendall(b"b" * 3000)
            got = 0
            while got < 3000:
                got += len(c.recv(65536))
            c.close()
            assert s.recv(10) == b""
            s.close()
            tw += 1
        elif kind == 3:		# both half-close, then both close
            c.shutdown(socket.SHUT_WR)
            assert s.recv(10) == b""
            s.shutdown(socket.SHUT_WR)
            assert c.recv(10) == b""
            c.close()
            s.close()
            tw += 1
        elif kind == 4:		# abort with SO_LINGER {1, 0}
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            c.close()
            try:
                s.recv(10)
            except ConnectionResetError:
                pass
            s.close()
        else:			# close() with unread data: RST
            c.sendall(b"u" * 100)
            while info(s)[I_RECV_QUEUE] < 100:
                time.sleep(0.001)
            s.close()
            try:
                c.recv(10)
            except ConnectionResetError:
                pass
            c.close()
    pending = []
    for _ in range(pending_n):
        c = sock()
        c.settimeout(10)
        c.connect(("127.0.0.1", port))
        pending.append(c)
    ls.close()		# established children still in its accept queue
    reset = 0
    for c in pending:
        c.settimeout(3)
        try:
            c.recv(10)
        except ConnectionResetError:
            reset += 1
        except OSError:
            pass
        c.close()
    t0 = time.monotonic()
    first = objects()
    while objects() != 0 and time.monotonic() - t0 < 30:
        time.sleep(0.01)
    ms = int((time.monotonic() - t0) * 1000)
    say("done %d tw_expected %d pending_reset %d objects_after_close %d "
        "objects %d zero_after_ms %d" % (n, tw, reset, first, objects(), ms))


def main():
    a = sys.argv[1:]
    if a and a[0] == "fill":
        Fill().run(a[1:])
    elif a and a[0] == "stats":
        for ns in a[1:]:
            st = read_stats(ns)
            say("stats %s %s" % (ns, " ".join("%s %d" % kv for kv in st.items())))
    elif len(a) == 4 and a[0] == "churn":
        churn(int(a[1]), int(a[2]), int(a[3]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
