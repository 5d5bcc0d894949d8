// SPDX-License-Identifier: GPL-2.0
/*
 * Segments whose data lies in paged fragments, as virtio-net and GRO
 * deliver them: a tap device in IFF_NAPI_FRAGS mode puts every iovec
 * after the first into a page fragment, so the headers are linear and
 * the payload is not.  The segments overlap what already arrived, by
 * less than, exactly and more than a fragment, and some are entirely
 * old: the byte stream read from the socket must be exactly what was
 * sent, and the module must neither crash nor lose a byte (it used to
 * trim the overlap with __skb_pull(), which BUG()s inside fragments).
 *
 * CLASP_PROTO=6 plays the same against kernel TCP.
 */
#include "kselftest_harness.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/uio.h>

#include "clasp_seg.h"

#define LOCAL_IP	"10.99.1.1"
#define PEER_IP		"10.99.1.2"
#define LOCAL_PORT	8000
#define PEER_PORT	40000
#define PEER_ISN	1000000U
#define STREAM_LEN	20000
#define FRAG_LEN	700	/* payload bytes per page fragment */

static const uint8_t local_mac[ETH_ALEN] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t peer_mac[ETH_ALEN] = { 2, 0, 0, 0, 0, 2 };

/* Byte @i of the stream the peer sends. */
static uint8_t stream_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

FIXTURE(frags) {
	int tap, lfd, fd;
	uint32_t local_isn;
};

static int tap_open(void)
{
	struct ifreq ifr = {
		.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_NAPI | IFF_NAPI_FRAGS,
	};
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);

	if (fd < 0 && errno == ENOENT) {
		clasp_sh("modprobe tun");
		fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	}
	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "claspf0");
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Send a segment from the peer: Ethernet, IP and clasp headers in the
 * linear part, the payload (stream bytes [@off, @off + @len)) in page
 * fragments of FRAG_LEN bytes.
 */
static int peer_send(int tap, uint32_t local_isn, uint8_t flags, uint32_t off,
		     size_t len)
{
	static uint8_t payload[STREAM_LEN];
	uint8_t pkt[20 + 60 + STREAM_LEN], first[ETH_HLEN + 80];
	struct iovec iov[1 + STREAM_LEN / FRAG_LEN + 2];
	struct ether_header *eth = (struct ether_header *)first;
	struct clasp_seg s = {
		.sport = PEER_PORT, .dport = LOCAL_PORT,
		.seq = PEER_ISN + 1 + off, .ack = local_isn + 1,
		.flags = flags, .win = 65535, .data = payload + off, .len = len,
		.mss = flags & TH_SYN ? 1460 : 0,
	};
	size_t n, hdr, done;
	int i = 0;

	for (n = 0; n < STREAM_LEN; n++)
		payload[n] = stream_byte(n);
	if (flags & TH_SYN)
		s.seq = PEER_ISN;
	inet_pton(AF_INET, PEER_IP, &s.saddr);
	inet_pton(AF_INET, LOCAL_IP, &s.daddr);
	n = clasp_ip_build(&s, pkt, sizeof(pkt));
	if (!n)
		return -1;
	memcpy(eth->ether_dhost, local_mac, ETH_ALEN);
	memcpy(eth->ether_shost, peer_mac, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_IP);
	/* The first iovec is the linear part: the three headers. */
	hdr = n - len;
	memcpy(first + ETH_HLEN, pkt, hdr);
	iov[i++] = (struct iovec){ first, ETH_HLEN + hdr };
	for (done = 0; done < len; done += FRAG_LEN)
		iov[i++] = (struct iovec){ pkt + hdr + done,
					   len - done < FRAG_LEN ? len - done : FRAG_LEN };
	return writev(tap, iov, i) == (ssize_t)(ETH_HLEN + n) ? 0 : -1;
}

/* The module's SYN-ACK to the peer: its ISN, or -1 after @ms. */
static long long synack_isn(int tap, int ms)
{
	long long end = clasp_now_ms() + ms;
	uint8_t frame[2048];
	struct clasp_seg s;

	while (clasp_now_ms() < end) {
		ssize_t n = read(tap, frame, sizeof(frame));

		if (n < 0) {
			clasp_sleep_ms(2);
			continue;
		}
		if (n > ETH_HLEN &&
		    !clasp_seg_parse(frame + ETH_HLEN, n - ETH_HLEN, &s) &&
		    s.flags == (TH_SYN | TH_ACK) && s.sport == LOCAL_PORT)
			return s.seq;
	}
	return -1;
}

FIXTURE_SETUP(frags)
{
	struct sockaddr_in a = clasp_addr(LOCAL_IP, LOCAL_PORT);
	struct timeval guard = { 10 * clasp_slow(), 0 };
	long long isn;

	ASSERT_EQ(0, clasp_new_netns()) TH_LOG("namespace: %s", strerror(errno));
	self->tap = tap_open();
	ASSERT_LE(0, self->tap) TH_LOG("tap with IFF_NAPI_FRAGS: %s", strerror(errno));
	ASSERT_EQ(0, clasp_sh("ip link set claspf0 address 02:00:00:00:00:01 up && "
			      "ip addr add %s/24 dev claspf0 && "
			      "ip neigh add %s lladdr 02:00:00:00:00:02 dev claspf0",
			      LOCAL_IP, PEER_IP));
	self->lfd = clasp_socket();
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(self->lfd, 1));

	ASSERT_EQ(0, peer_send(self->tap, 0, TH_SYN, 0, 0));
	isn = synack_isn(self->tap, 5000 * clasp_slow());
	ASSERT_LE(0, isn) TH_LOG("no SYN-ACK");
	self->local_isn = isn;
	ASSERT_EQ(0, peer_send(self->tap, self->local_isn, TH_ACK, 0, 0));
	self->fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("accept: %s", strerror(errno));
	setsockopt(self->fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof(guard));
}

FIXTURE_TEARDOWN(frags)
{
	struct linger abort = { .l_onoff = 1, .l_linger = 0 };

	/*
	 * An abort, not a FIN: with the tap gone and the default timers, an
	 * orphan would retry for minutes and hold the module.
	 */
	setsockopt(self->fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
	close(self->fd);
	close(self->lfd);
	close(self->tap);
}

/* Read @len bytes and compare them with the stream from @off. */
static void expect_stream(struct __test_metadata *_metadata, int fd,
			  uint32_t off, size_t len)
{
	static uint8_t buf[STREAM_LEN];
	size_t got = 0, i;

	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);

		ASSERT_LT(0, n) TH_LOG("recv after %zu of %zu bytes: %s", got, len,
				       n ? strerror(errno) : "EOF");
		got += n;
	}
	for (i = 0; i < len; i++)
		ASSERT_EQ(stream_byte(off + i), buf[i]) TH_LOG("byte %zu", off + i);
	EXPECT_EQ(-1, recv(fd, buf, 1, MSG_DONTWAIT)) TH_LOG("more data than sent");
}

TEST_F(frags, overlaps_inside_fragments_are_trimmed)
{
	/* [start, end) of each segment, in the order sent. */
	static const uint32_t segs[][2] = {
		{ 0, 3000 },		/* new */
		{ 2900, 4000 },		/* overlap of 100: inside the first fragment */
		{ 3300, 5000 },		/* overlap of 700: exactly one fragment */
		{ 4000, 6500 },		/* overlap of 1000: past a fragment boundary */
		{ 1000, 6000 },		/* entirely old */
		{ 100, 9000 },		/* overlap of 6400: most of the segment */
		{ 8999, 9001 },		/* overlap of 1 */
		{ 9001, 12000 },	/* exactly in order */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(segs); i++)
		ASSERT_EQ(0, peer_send(self->tap, self->local_isn, TH_ACK | TH_PUSH,
				       segs[i][0], segs[i][1] - segs[i][0])) {
			TH_LOG("segment %zu: %s", i, strerror(errno));
		}
	expect_stream(_metadata, self->fd, 0, 12000);
}

TEST_F(frags, small_segments_copied_out_of_fragments)
{
	uint32_t off;

	/*
	 * Small segments keep their own buffers until those hold a quarter
	 * of the receive buffer; the rest are copied into compact buffers,
	 * from the fragments.  120 of them pass that quarter.
	 */
	for (off = 0; off < 12000; off += 100)
		ASSERT_EQ(0, peer_send(self->tap, self->local_isn, TH_ACK | TH_PUSH,
				       off >= 50 ? off - 50 : off, off >= 50 ? 150 : 100));
	expect_stream(_metadata, self->fd, 0, 12000);
}

CLASP_HARNESS_MAIN
