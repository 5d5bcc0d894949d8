// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_churn: many short connections at once, every byte checked, for
 * clasp_churn_test.sh.
 *
 *   clasp_churn server PORT
 *   clasp_churn client ADDR PORT CONNS PARALLEL MAXBYTES DEADLINE_S
 *
 * The client opens CONNS connections, PARALLEL at a time, all non-blocking
 * under one epoll.  Connection i sends a 16-byte header (magic, i, length,
 * flags) and then a length (below MAXBYTES, drawn from i) of clasp_fill()
 * data seeded with i, shuts down its sending side and expects the server's
 * reply: the byte count and the FNV-1a hash of what it read, then EOF.
 * Every 16th connection instead aborts half way (SO_LINGER {1, 0}: a
 * reset), on purpose.  Both sides use SO_KEEPALIVE: the RST of a kill
 * can be lost, and a client waiting for the reply in FIN_WAIT_2 then has
 * nothing else to learn that the server's socket is gone.
 *
 * The server accepts, compares every byte it reads with what connection i
 * must have sent, answers at EOF and closes.  It runs until SIGUSR1 and
 * then until no connection is left open (or 30 s more).
 *
 * Outcomes, one summary line each at the end:
 *   client conns N ok N aborted N reset N failed N bytes N
 *   server conns N ok N reset N killed N failed N bytes N
 * client "reset": ECONNRESET or EPIPE, which only a kill (claspctl kill on
 * the server's side) may cause; server "reset": a reset on a connection
 * that aborts on purpose (or before its header arrived); server "killed":
 * ECONNABORTED, a kill of the server's own socket.  Anything else is
 * "failed" and logged on stderr with the connection's number.  Exit status
 * 0 when nothing failed.
 */
#define _GNU_SOURCE
#include "clasp_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>

#define MAGIC		0xc1a5c4a1U
#define F_ABORT		1
#define ABORT_EVERY	16
#define HDR_LEN		16
#define REPLY_LEN	16
#define CHUNK		16384
#define MAX_EVENTS	64
#define DRAIN_S		30

struct hdr {
	uint32_t magic, id, len, flags;		/* network order */
};

enum phase { CONNECTING, SENDING, REPLY, DONE };

struct conn {
	int fd;
	enum phase phase;
	uint32_t id, len, flags;
	uint16_t port;			/* the client's port */
	uint64_t off;			/* stream bytes sent or read */
	uint64_t hash;
	uint8_t hdr[HDR_LEN], reply[REPLY_LEN];
	size_t got;			/* bytes of hdr or reply so far */
	long long start_ms;		/* when the client called connect() */
};

struct tally {
	unsigned long conns, ok, aborted, reset, killed, failed;
	unsigned long long bytes;
};

static uint8_t buf[CHUNK], want[CHUNK];

static uint32_t conn_len(uint32_t id, uint32_t max)
{
	uint64_t x = (id + 1) * 0x9e3779b97f4a7c15ULL;

	return max ? (x >> 33) % max : 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int ep_add(int ep, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int ep_mod(int ep, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void conn_fail(struct tally *t, struct conn *c, const char *side,
		      const char *what, int err)
{
	fprintf(stderr, "%s conn %u port %u: %s%s%s (phase %d, %llu of %u bytes)\n",
		side, c->id, c->port, what, err ? ": " : "",
		err ? strerror(err) : "", c->phase,
		(unsigned long long)c->off, c->len);
	t->failed++;
}

static void conn_end(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->phase = DONE;
}

static int sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	return getsockname(fd, (struct sockaddr *)&a, &len) ? 0 : ntohs(a.sin_port);
}

/* ---- client ---- */

struct client {
	struct sockaddr_in dst;
	uint32_t maxbytes;
	int ep;
	struct tally t;
};

/* A reset seen by the client: allowed only as the result of a kill. */
static void client_error(struct client *cl, struct conn *c, int err)
{
	if (err == ECONNRESET || err == EPIPE) {
		fprintf(stderr, "client conn %u port %u: %s (phase %d, %llu of %u bytes)\n",
			c->id, c->port, strerror(err), c->phase,
			(unsigned long long)c->off, c->len);
		cl->t.reset++;
		conn_end(c);
		return;
	}
	conn_fail(&cl->t, c, "client", "error", err);
	conn_end(c);
}

static int client_start(struct client *cl, struct conn *c, uint32_t id)
{
	int one = 1;
	struct hdr h;

	memset(c, 0, sizeof(*c));
	c->id = id;
	c->len = conn_len(id, cl->maxbytes);
	c->flags = id % ABORT_EVERY == ABORT_EVERY - 1 ? F_ABORT : 0;
	c->hash = CLASP_FNV_INIT;
	h.magic = htonl(MAGIC);
	h.id = htonl(id);
	h.len = htonl(c->len);
	h.flags = htonl(c->flags);
	memcpy(c->hdr, &h, sizeof(h));
	c->fd = clasp_socket();
	if (c->fd < 0 || set_nonblock(c->fd))
		return -1;
	/* A kill whose RST is lost leaves only keepalive to end it. */
	setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	c->phase = CONNECTING;
	c->start_ms = clasp_now_ms();
	if (connect(c->fd, (struct sockaddr *)&cl->dst, sizeof(cl->dst)) &&
	    errno != EINPROGRESS) {
		client_error(cl, c, errno);
		return 0;
	}
	c->port = local_port(c->fd);
	return ep_add(cl->ep, c->fd, EPOLLOUT, c);
}

static void client_abort(struct client *cl, struct conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	cl->t.aborted++;
	conn_end(c);
}

/* Send what the socket takes; on to the reply once all is out. */
static void client_send(struct client *cl, struct conn *c)
{
	uint64_t stop = c->flags & F_ABORT ? c->len / 2 : c->len;

	while (c->got < HDR_LEN) {
		ssize_t n = send(c->fd, c->hdr + c->got, HDR_LEN - c->got,
				 MSG_NOSIGNAL);

		if (n < 0)
			goto err;
		c->got += n;
	}
	while (c->off < stop) {
		size_t len = stop - c->off < CHUNK ? stop - c->off : CHUNK;
		ssize_t n;

		clasp_fill(buf, len, c->off, c->id);
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0)
			goto err;
		c->hash = clasp_fnv(c->hash, buf, n);
		c->off += n;
	}
	if (c->flags & F_ABORT) {
		client_abort(cl, c);
		return;
	}
	if (shutdown(c->fd, SHUT_WR)) {
		/* As for TCP, a socket that was reset is not connected. */
		client_error(cl, c, errno == ENOTCONN ? ECONNRESET : errno);
		return;
	}
	c->phase = REPLY;
	c->got = 0;
	ep_mod(cl->ep, c->fd, EPOLLIN, c);
	return;
err:
	if (errno != EAGAIN)
		client_error(cl, c, errno);
}

static void client_check_reply(struct client *cl, struct conn *c)
{
	uint64_t bytes, hash;

	memcpy(&bytes, c->reply, 8);
	memcpy(&hash, c->reply + 8, 8);
	if (bytes != c->len || hash != c->hash) {
		fprintf(stderr, "client conn %u: server read %llu bytes hash %016llx, sent %u hash %016llx\n",
			c->id, (unsigned long long)bytes,
			(unsigned long long)hash, c->len,
			(unsigned long long)c->hash);
		cl->t.failed++;
	} else {
		cl->t.ok++;
		cl->t.bytes += c->len;
	}
	conn_end(c);
}

/* The server's 16-byte reply, then EOF. */
static void client_recv(struct client *cl, struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno != EAGAIN)
				client_error(cl, c, errno);
			return;
		}
		if (!n) {
			if (c->got == REPLY_LEN) {
				client_check_reply(cl, c);
				return;
			}
			conn_fail(&cl->t, c, "client", "EOF before the reply", 0);
			conn_end(c);
			return;
		}
		if (c->got + n > REPLY_LEN) {
			conn_fail(&cl->t, c, "client", "reply too long", 0);
			conn_end(c);
			return;
		}
		memcpy(c->reply + c->got, buf, n);
		c->got += n;
	}
}

static void client_event(struct client *cl, struct conn *c)
{
	int err;

	if (c->phase == CONNECTING) {
		err = sock_error(c->fd);
		if (err) {
			client_error(cl, c, err);
			return;
		}
		c->phase = SENDING;
	}
	if (c->phase == SENDING)
		client_send(cl, c);
	else if (c->phase == REPLY)
		client_recv(cl, c);
}

/*
 * A connection still open at the deadline: say where it stands, and
 * whether poll() would report it ready now (epoll never did, or it was
 * ready just before the deadline: the age tells those apart).
 */
static void client_overdue(struct client *cl, struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLOUT };
	struct clasp_info info;

	if (poll(&p, 1, 0) < 0)
		p.revents = 0;
	if (!clasp_get_info(c->fd, &info))
		fprintf(stderr, "client conn %u: %lld ms old, poll 0x%x, state %u timer %u in %u ms, retransmits %u, snd_una %u snd_nxt %u rcv_nxt %u\n",
			c->id, clasp_now_ms() - c->start_ms, p.revents,
			info.state, info.timer, info.timer_ms,
			info.retransmits, info.snd_una, info.snd_nxt,
			info.rcv_nxt);
	conn_fail(&cl->t, c, "client", "still open at the deadline", 0);
	conn_end(c);
}

static int run_client(const char *addr, const char *port, unsigned long conns,
		      unsigned int parallel, uint32_t maxbytes, int deadline_s)
{
	struct epoll_event ev[MAX_EVENTS];
	struct client cl = { .maxbytes = maxbytes };
	struct conn *slots = calloc(parallel, sizeof(*slots));
	long long end = clasp_now_ms() + deadline_s * 1000LL;
	unsigned long next = 0, live = 0;
	unsigned int i;
	int n;

	cl.dst = clasp_addr(addr, atoi(port));
	cl.ep = epoll_create1(0);
	if (!slots || cl.ep < 0 || !parallel)
		return 2;
	for (i = 0; i < parallel; i++)
		slots[i].phase = DONE;
	while (next < conns || live) {
		live = 0;
		for (i = 0; i < parallel; i++) {
			if (slots[i].phase == DONE && next < conns) {
				if (client_start(&cl, &slots[i], next++)) {
					perror("client socket");
					return 2;
				}
				cl.t.conns++;
			}
			live += slots[i].phase != DONE;
		}
		if (clasp_now_ms() > end)
			break;
		n = epoll_wait(cl.ep, ev, MAX_EVENTS, 100);
		while (n-- > 0)
			client_event(&cl, ev[n].data.ptr);
	}
	for (i = 0; i < parallel; i++)
		if (slots[i].phase != DONE)
			client_overdue(&cl, &slots[i]);
	cl.t.failed += conns - cl.t.conns;
	printf("client conns %lu ok %lu aborted %lu reset %lu failed %lu bytes %llu\n",
	       cl.t.conns, cl.t.ok, cl.t.aborted, cl.t.reset, cl.t.failed,
	       cl.t.bytes);
	return cl.t.failed ? 1 : 0;
}

/* ---- server ---- */

struct server {
	int ep, lis;
	unsigned long open;
	struct tally t;
};

static volatile sig_atomic_t draining;

static void on_usr1(int sig)
{
	draining = 1;
}

static void server_close(struct server *sv, struct conn *c)
{
	conn_end(c);
	free(c);
	sv->open--;
}

static void server_error(struct server *sv, struct conn *c, int err)
{
	if (err == ECONNABORTED)
		sv->t.killed++;
	else if (err == ECONNRESET && (c->got < HDR_LEN || (c->flags & F_ABORT)))
		sv->t.reset++;
	else
		conn_fail(&sv->t, c, "server", "error", err);
	server_close(sv, c);
}

static int server_header(struct server *sv, struct conn *c)
{
	struct hdr h;

	memcpy(&h, c->hdr, sizeof(h));
	c->id = ntohl(h.id);
	c->len = ntohl(h.len);
	c->flags = ntohl(h.flags);
	if (ntohl(h.magic) != MAGIC) {
		conn_fail(&sv->t, c, "server", "bad magic", 0);
		return -1;
	}
	return 0;
}

/* Compare @n bytes read at the current offset with what was sent. */
static int server_data(struct server *sv, struct conn *c, const uint8_t *p,
		       size_t n)
{
	size_t i;

	if (c->off + n > c->len) {
		conn_fail(&sv->t, c, "server", "more data than announced", 0);
		return -1;
	}
	clasp_fill(want, n, c->off, c->id);
	if (memcmp(p, want, n)) {
		for (i = 0; p[i] == want[i]; i++)
			;
		fprintf(stderr, "server conn %u: byte %llu is %02x, sent %02x\n",
			c->id, (unsigned long long)(c->off + i), p[i], want[i]);
		sv->t.failed++;
		return -1;
	}
	c->hash = clasp_fnv(c->hash, p, n);
	c->off += n;
	return 0;
}

static void server_eof(struct server *sv, struct conn *c)
{
	uint64_t bytes = c->off;

	if (c->got < HDR_LEN || c->off != c->len || (c->flags & F_ABORT)) {
		conn_fail(&sv->t, c, "server", "early EOF", 0);
		server_close(sv, c);
		return;
	}
	memcpy(c->reply, &bytes, 8);
	memcpy(c->reply + 8, &c->hash, 8);
	/* 16 bytes into an empty send buffer: all or an error. */
	if (send(c->fd, c->reply, REPLY_LEN, MSG_NOSIGNAL) != REPLY_LEN) {
		server_error(sv, c, errno);
		return;
	}
	sv->t.ok++;
	sv->t.bytes += c->len;
	server_close(sv, c);
}

static void server_recv(struct server *sv, struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0), used = 0;

		if (n < 0) {
			if (errno != EAGAIN)
				server_error(sv, c, errno);
			return;
		}
		if (!n) {
			server_eof(sv, c);
			return;
		}
		if (c->got < HDR_LEN) {
			used = n < (ssize_t)(HDR_LEN - c->got) ? n : HDR_LEN - c->got;
			memcpy(c->hdr + c->got, buf, used);
			c->got += used;
			if (c->got == HDR_LEN && server_header(sv, c)) {
				server_close(sv, c);
				return;
			}
		}
		if (n > used && server_data(sv, c, buf + used, n - used)) {
			server_close(sv, c);
			return;
		}
	}
}

static void server_accept(struct server *sv)
{
	int one = 1;

	for (;;) {
		struct conn *c;
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(sv->lis, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno == ECONNABORTED) {
				sv->t.conns++;
				sv->t.killed++;
				continue;
			}
			if (errno != EAGAIN)
				perror("accept");
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->id = ~0U;
		c->port = ntohs(peer.sin_port);
		c->hash = CLASP_FNV_INIT;
		c->phase = SENDING;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		sv->t.conns++;
		sv->open++;
		ep_add(sv->ep, fd, EPOLLIN, c);
	}
}

static int run_server(const char *port)
{
	struct sockaddr_in a = clasp_addr("0.0.0.0", atoi(port));
	struct server sv = { .lis = clasp_socket() };
	struct epoll_event ev[MAX_EVENTS];
	long long drain_end = 0;
	int one = 1, n;

	signal(SIGUSR1, on_usr1);
	sv.ep = epoll_create1(0);
	if (sv.lis < 0 || sv.ep < 0)
		return 2;
	setsockopt(sv.lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(sv.lis, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(sv.lis, 256) || set_nonblock(sv.lis) ||
	    ep_add(sv.ep, sv.lis, EPOLLIN, NULL)) {
		perror("server listen");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (draining && !drain_end)
			drain_end = clasp_now_ms() + DRAIN_S * 1000LL;
		if (drain_end && (!sv.open || clasp_now_ms() > drain_end))
			break;
		n = epoll_wait(sv.ep, ev, MAX_EVENTS, 100);
		while (n-- > 0) {
			if (!ev[n].data.ptr)
				server_accept(&sv);
			else
				server_recv(&sv, ev[n].data.ptr);
		}
	}
	if (sv.open) {
		fprintf(stderr, "server: %lu connections still open\n", sv.open);
		sv.t.failed += sv.open;
	}
	printf("server conns %lu ok %lu reset %lu killed %lu failed %lu bytes %llu\n",
	       sv.t.conns, sv.t.ok, sv.t.reset, sv.t.killed, sv.t.failed,
	       sv.t.bytes);
	return sv.t.failed ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: clasp_churn server PORT\n"
		"       clasp_churn client ADDR PORT CONNS PARALLEL MAXBYTES DEADLINE_S\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "server"))
		return run_server(argv[2]);
	if (argc == 8 && !strcmp(argv[1], "client"))
		return run_client(argv[2], argv[3], strtoul(argv[4], NULL, 0),
				  strtoul(argv[5], NULL, 0),
				  strtoul(argv[6], NULL, 0), atoi(argv[7]));
	usage();
	return 2;
}
