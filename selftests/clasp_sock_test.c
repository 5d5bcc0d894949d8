// SPDX-License-Identifier: GPL-2.0
/*
 * Socket creation and bind semantics of clasp stream sockets.
 */
#include "kselftest_harness.h"
#include "clasp_util.h"

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

TEST(bind_reuseaddr_both_sockets)
{
	int a = clasp_socket(), b = clasp_socket(), one = 1;

	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, bind_to(a, "127.0.0.1", 0));
	EXPECT_EQ(0, bind_to(b, "127.0.0.1", bound_port(a)));
	close(a);
	close(b);
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

CLASP_HARNESS_MAIN
