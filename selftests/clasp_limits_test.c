// SPDX-License-Identifier: GPL-2.0
/*
 * Aggregate limits of a namespace.  max_orphans: sockets that close()
 * hands over while they still send their FIN (here, to a fake peer that
 * acknowledges nothing) are orphans; past the limit close() resets the
 * connection right after its FIN (AbortOnMemory), as TCP's tcp_close()
 * does past tcp_max_orphans.
 * When orphans end, the limit makes room again.
 *
 * The fake peer of clasp_pkt_env.h plays the other end of every
 * connection.  TCP's tcp_max_orphans is global, not per namespace: the
 * test is clasp's alone.
 */
#include "clasp_pkt_env.h"

#define MAX_ORPHANS	2
#define CONNS		4

/* A connection: its socket, and what the fake peer needs to play it. */
struct conn {
	int fd;
	struct clasp_pkt_id id;
};

TEST(orphans_past_the_limit_are_reset_and_room_returns)
{
	/* No retransmission while the test looks: a long RTO. */
	static const struct clasp_param params[] = {
		{ "max_orphans", MAX_ORPHANS },
		{ "rto_initial_ms", 20000 },
		{ "rto_min_ms", 20000 },
		{ "rto_max_ms", 80000 },
		{ NULL, 0 }
	};
	long long aborts = clasp_counter("AbortOnMemory");
	struct conn conns[CONNS + 1];
	struct env e;
	struct clasp_pkt *p = &e.p;
	int i;

	CLASP_ONLY("max_orphans per namespace: TCP's tcp_max_orphans is global");
	env_setup(_metadata, &e, params);
	listen_on(_metadata, &e, LISTEN_PORT);
	for (i = 0; i <= CONNS; i++) {
		conns[i].fd = passive_open(_metadata, &e, PEER_PORT + i);
		clasp_pkt_save(p, &conns[i].id);
	}

	/* The first MAX_ORPHANS send their FIN and stay, orphaned. */
	for (i = 0; i < CONNS; i++) {
		clasp_pkt_play(p, &conns[i].id);
		clasp_pkt_note(p, "close() connection %d", i);
		ASSERT_EQ(0, close(conns[i].fd));
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 1"));
		if (i < MAX_ORPHANS) {
			expect_state(_metadata, &e, TCP_FIN_WAIT1);
		} else {
			/* Past the limit: reset right after, and gone (as TCP). */
			ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R. 2:2(0) ack 1"));
			expect_state(_metadata, &e, 0);
		}
	}
	EXPECT_EQ(aborts + CONNS - MAX_ORPHANS, clasp_counter("AbortOnMemory"));

	/* The first orphan ends: its FIN acknowledged, the peer's FIN in. */
	clasp_pkt_play(p, &conns[0].id);
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 2"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2"));
	expect_state(_metadata, &e, TCP_TIME_WAIT);

	/* Room again: the next close() orphans its socket. */
	clasp_pkt_play(p, &conns[CONNS].id);
	ASSERT_EQ(0, close(conns[CONNS].fd));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 1"));
	expect_state(_metadata, &e, TCP_FIN_WAIT1);
	EXPECT_EQ(aborts + CONNS - MAX_ORPHANS, clasp_counter("AbortOnMemory"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));

	/*
	 * The orphans left would retry their FINs for minutes, holding the
	 * module (rmmod in later tests): the peer resets them.
	 */
	for (i = 1; i <= CONNS; i += CONNS - 1) {
		clasp_pkt_play(p, &conns[i].id);
		ASSERT_EQ(0, clasp_pkt_inject(p, "R 1:1(0)"));
		expect_state(_metadata, &e, 0);
	}
}

CLASP_HARNESS_MAIN
