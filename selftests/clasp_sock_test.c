// SPDX-License-Identifier: GPL-2.0
/*
 * Socket creation and bind semantics of clasp stream sockets.
 */
#include "kselftest_harness.h"
#include "clasp_util.h"

#include <linux/filter.h>
#include <sys/wait.h>

static uint16_t bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	return ntohs(a.sin_port);
}

static int bind_to(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in a = clasp_addr(ip, port);

	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

static int connect_to(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in a = clasp_addr(ip, port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

TEST(socket_is_clasp_stream)
{
	int fd = clasp_socket(), val;
	socklen_t len = sizeof(val);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &val, &len));
	EXPECT_EQ(clasp_proto(), val);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_TYPE, &val, &len));
	EXPECT_EQ(SOCK_STREAM, val);
	EXPECT_EQ(0, close(fd));
}

TEST(bind_port_zero_picks_ephemeral)
{
	int fd = clasp_socket(), lo, hi;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	uint16_t port;

	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%d %d", &lo, &hi));
	fclose(f);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_to(fd, "127.0.0.1", 0));
	port = bound_port(fd);
	EXPECT_LE(lo, port);
	EXPECT_GE(hi, port);
	close(fd);
}

TEST(bind_clash_is_eaddrinuse)
{
	int a = clasp_socket(), b = clasp_socket(), c = clasp_socket();

	ASSERT_EQ(0, bind_to(a, "127.0.0.1", 0));
	errno = 0;
	EXPECT_EQ(-1, bind_to(b, "127.0.0.1", bound_port(a)));
	EXPECT_EQ(EADDRINUSE, errno);
	/* The wildcard address overlaps every specific one. */
	errno = 0;
	EXPECT_EQ(-1, bind_to(c, "0.0.0.0", bound_port(a)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(a);
	close(b);
	close(c);
}

TEST(bind_distinct_addresses_share_port)
{
	int a = clasp_socket(), b = clasp_socket();

	ASSERT_EQ(0, bind_to(a, "127.0.0.1", 0));
	EXPECT_EQ(0, bind_to(b, "127.0.0.2", bound_port(a)));
	close(a);
	close(b);
}

TEST(bind_foreign_address_is_eaddrnotavail)
{
	int fd = clasp_socket();

	errno = 0;
	EXPECT_EQ(-1, bind_to(fd, "192.0.2.1", 0));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	close(fd);
}

TEST(bind_twice_is_einval)
{
	int fd = clasp_socket();

	ASSERT_EQ(0, bind_to(fd, "127.0.0.1", 0));
	errno = 0;
	EXPECT_EQ(-1, bind_to(fd, "127.0.0.1", 0));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/*
 * Two SO_REUSEADDR sockets share a port; the first may listen, the second
 * then may not (the one already there listens), as with TCP.
 */
TEST(bind_reuseaddr_both_sockets)
{
	int a = clasp_socket(), b = clasp_socket(), one = 1;

	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, bind_to(a, "127.0.0.1", 0));
	EXPECT_EQ(0, bind_to(b, "127.0.0.1", bound_port(a)));
	EXPECT_EQ(0, listen(a, 1));
	errno = 0;
	EXPECT_EQ(-1, listen(b, 1));
	EXPECT_EQ(EADDRINUSE, errno);
	close(a);
	close(b);
}

/*
 * A server that closes its listener and listens again on the port while
 * a connection it accepted lives on (iperf3 -N does): SO_REUSEADDR lets
 * it, as with TCP.
 */
TEST(reuseaddr_listens_again_beside_its_connection)
{
	int lis = clasp_socket(), cli = clasp_socket(), again = clasp_socket();
	int one = 1, srv;
	uint16_t port;

	ASSERT_EQ(0, setsockopt(lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, bind_to(lis, "127.0.0.1", 0));
	port = bound_port(lis);
	ASSERT_EQ(0, listen(lis, 1));
	ASSERT_EQ(0, connect_to(cli, "127.0.0.1", port));
	srv = accept(lis, NULL, NULL);
	ASSERT_LE(0, srv);
	close(lis);
	ASSERT_EQ(0, setsockopt(again, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_EQ(0, bind_to(again, "127.0.0.1", port)) {
		TH_LOG("bind beside the accepted connection: %s", strerror(errno));
	}
	EXPECT_EQ(0, listen(again, 1));
	close(again);
	close(srv);
	close(cli);
}

TEST(port_free_again_after_close)
{
	int a = clasp_socket(), b = clasp_socket();
	uint16_t port;

	ASSERT_EQ(0, bind_to(a, "127.0.0.1", 0));
	port = bound_port(a);
	close(a);
	EXPECT_EQ(0, bind_to(b, "127.0.0.1", port));
	close(b);
}

TEST(many_sockets_get_distinct_ports)
{
	enum { N = 200 };
	int fds[N], i, j;
	uint16_t ports[N];

	for (i = 0; i < N; i++) {
		fds[i] = clasp_socket();
		ASSERT_EQ(0, bind_to(fds[i], "0.0.0.0", 0));
		ports[i] = bound_port(fds[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(ports[j], ports[i]);
	}
	for (i = 0; i < N; i++)
		close(fds[i]);
}

/*
 * send() on a socket that is neither bound nor connected fails with EPIPE
 * and leaves it unbound, as TCP's (no_autobind): no port is taken, and
 * bind() still works.  inet_sendmsg() used to bind it to an ephemeral
 * port first, so that getsockname() showed one and bind() said EINVAL.
 */
TEST(send_unconnected_does_not_bind)
{
	int fd = clasp_socket();

	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, send(fd, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, bound_port(fd));
	EXPECT_EQ(0, bind_to(fd, "127.0.0.1", 0)) TH_LOG("bind: %s", strerror(errno));
	EXPECT_NE(0, bound_port(fd));
	close(fd);
}

/* A connection over loopback: @cli connected to @srv, accepted. */
static int pair_open(int *cli, int *srv)
{
	int lis = clasp_socket();

	*cli = clasp_socket();
	*srv = -1;
	if (lis < 0 || *cli < 0 || bind_to(lis, "127.0.0.1", 0) ||
	    listen(lis, 1)) {
		close(lis);
		return -1;
	}
	if (!connect(*cli, (struct sockaddr *)&(struct sockaddr_in){
			     .sin_family = AF_INET,
			     .sin_port = htons(bound_port(lis)),
			     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
		     sizeof(struct sockaddr_in)))
		*srv = accept(lis, NULL, NULL);
	close(lis);
	return *srv < 0 ? -1 : 0;
}

/*
 * clasp has no urgent data.  send(MSG_OOB) fails with EOPNOTSUPP, as with
 * a protocol that has none, and sends nothing (TCP sends an urgent byte).
 * recv(MSG_OOB) fails with EINVAL, as TCP's does when no urgent data is
 * pending, and leaves the data queued for an ordinary read.
 */
TEST(msg_oob_is_refused)
{
	struct pollfd pfd = { .events = POLLIN };
	char buf[16];
	int cli, srv;

	ASSERT_EQ(0, pair_open(&cli, &srv)) TH_LOG("%s", strerror(errno));
	if (clasp_only_check("send(MSG_OOB) is EOPNOTSUPP: TCP sends urgent data")) {
		errno = 0;
		EXPECT_EQ(-1, send(cli, "!", 1, MSG_OOB | MSG_NOSIGNAL));
		EXPECT_EQ(EOPNOTSUPP, errno);
	}
	ASSERT_EQ(4, send(cli, "data", 4, MSG_NOSIGNAL));
	pfd.fd = srv;
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	errno = 0;
	EXPECT_EQ(-1, recv(srv, buf, sizeof(buf), MSG_OOB | MSG_DONTWAIT));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, recv(srv, buf, sizeof(buf), MSG_OOB | MSG_PEEK));
	EXPECT_EQ(EINVAL, errno);
	/* The data, and only it: no urgent byte came in line either. */
	EXPECT_EQ(4, recv(srv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(buf, "data", 4));
	EXPECT_EQ(-1, recv(srv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(cli);
	close(srv);
}

/* A listener on 127.0.0.1:@port with SO_REUSEPORT; -1 and errno if not. */
static int reuseport_listener(uint16_t port)
{
	int fd = clasp_socket(), one = 1, err;

	if (fd < 0)
		return -1;
	if (!setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) &&
	    !bind_to(fd, "127.0.0.1", port) && !listen(fd, 64))
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/*
 * @n connections to @port, each accepted by whichever of the @nlis
 * listeners has it: @count[i] is how many listener i took.  Returns the
 * number accepted (a loopback connect() returns after the handshake, so
 * each is queued on one listener by then).
 */
static int spread(int *lis, int nlis, uint16_t port, int n, int *count)
{
	int i, k, got = 0;

	for (k = 0; k < nlis; k++)
		count[k] = 0;
	for (i = 0; i < n; i++) {
		struct pollfd pfd[4];
		int c = clasp_socket(), a;

		if (c < 0 || connect_to(c, "127.0.0.1", port)) {
			close(c);
			continue;
		}
		for (k = 0; k < nlis; k++)
			pfd[k] = (struct pollfd){ .fd = lis[k], .events = POLLIN };
		if (poll(pfd, nlis, 5000) == 1) {
			for (k = 0; k < nlis; k++) {
				if (!(pfd[k].revents & POLLIN))
					continue;
				a = accept(lis[k], NULL, NULL);
				if (a >= 0) {
					count[k]++;
					got++;
					close(a);
				}
			}
		}
		close(c);
	}
	return got;
}

/* Two SO_REUSEPORT listeners on one port, @lis[0] the first; the port. */
static uint16_t reuseport_pair(struct __test_metadata *_metadata, int *lis)
{
	uint16_t port;

	lis[0] = reuseport_listener(0);
	ASSERT_LE(0, lis[0]) TH_LOG("first listener: %s", strerror(errno));
	port = bound_port(lis[0]);
	lis[1] = reuseport_listener(port);
	ASSERT_LE(0, lis[1]) TH_LOG("second listener: %s", strerror(errno));
	return port;
}

/*
 * SO_REUSEPORT, as TCP's: listeners of one user that all set it share a
 * port, a socket without it is refused the port, and connections are
 * spread over the group by a hash of their 4-tuple (64 connections all
 * on one of two listeners would happen once in 2^63).
 */
TEST(reuseport_listeners_share_a_port)
{
	int lis[2], other, count[2];
	uint16_t port;

	port = reuseport_pair(_metadata, lis);
	other = clasp_socket();
	errno = 0;
	EXPECT_EQ(-1, bind_to(other, "127.0.0.1", port));
	EXPECT_EQ(EADDRINUSE, errno);
	close(other);
	EXPECT_EQ(64, spread(lis, 2, port, 64, count));
	EXPECT_LT(0, count[0]);
	EXPECT_LT(0, count[1]) TH_LOG("%d and %d", count[0], count[1]);
	/* One listener gone, the other hears every connection. */
	close(lis[0]);
	EXPECT_EQ(8, spread(&lis[1], 1, port, 8, count));
	close(lis[1]);
}

/*
 * A classic BPF program attached to the group picks the listener by its
 * index, the order in which they joined: one returning 1 sends every
 * connection to the second.
 */
TEST(reuseport_bpf_picks_the_listener)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 1) };
	struct sock_fprog prog = { .len = 1, .filter = code };
	int lis[2], count[2];
	uint16_t port;

	port = reuseport_pair(_metadata, lis);
	ASSERT_EQ(0, setsockopt(lis[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF,
				&prog, sizeof(prog))) {
		TH_LOG("SO_ATTACH_REUSEPORT_CBPF: %s", strerror(errno));
	}
	EXPECT_EQ(16, spread(lis, 2, port, 16, count));
	EXPECT_EQ(0, count[0]);
	EXPECT_EQ(16, count[1]);
	close(lis[0]);
	close(lis[1]);
}

/* Another user's socket may not join the group: EADDRINUSE, as TCP's. */
TEST(reuseport_other_user_refused)
{
	int lis, status;
	uint16_t port;
	pid_t pid;

	lis = reuseport_listener(0);
	ASSERT_LE(0, lis) TH_LOG("listener: %s", strerror(errno));
	port = bound_port(lis);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(3);
		fd = reuseport_listener(port);
		_exit(fd >= 0 ? 1 : errno == EADDRINUSE ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("another user's listener: %s",
		       WEXITSTATUS(status) == 1 ? "joined" : "failed otherwise");
	}
	close(lis);
}

CLASP_HARNESS_MAIN
