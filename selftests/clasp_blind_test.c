// SPDX-License-Identifier: GPL-2.0
/*
 * What a blind attacker cannot do (RFC 5961), segment by segment: one who
 * knows a connection's 4-tuple but not its sequence numbers forges RSTs,
 * SYNs and ACKs at sequence numbers inside and outside the receive window,
 * in every synchronized state, in TIME_WAIT and in FIN_WAIT_2 after
 * close().  Each forged segment gets what RFC 5961 prescribes (a
 * challenge ACK, a duplicate ACK, or silence) and changes nothing: the
 * connection stays in its state and carries on.
 *
 * The world is the conformance tests' (clasp_pkt_env.h): a fake peer
 * behind a tun device; CLASP_PROTO=6 plays the same against kernel TCP.
 */
#include "clasp_pkt_env.h"

#define IN_WINDOW	1000	/* beyond rcv_nxt, well inside any window */
#define FAR		200000	/* beyond any window without scaling */

/*
 * A state to attack, how far each side got there, and what TCP does
 * differently with forged RSTs and SYNs: those tests are then clasp only
 * (TCP_DIFFERS()).
 */
FIXTURE_VARIANT(blind) {
	int state;
	bool entry;		/* a compact entry, not a socket */
	int rcv_nxt;		/* the module's, relative to the peer's ISN */
	int snd_nxt;		/* the module's highest sent, relative */
	bool tcp_differs;
};

FIXTURE(blind) {
	struct env e;
	int fd;
	long long challenges;
};

/* In a blind test, skip under TCP the variants it treats otherwise. */
#define TCP_DIFFERS() do { \
	if (variant->tcp_differs) \
		CLASP_ONLY("RFC 5961 in FIN_WAIT_2 after close(): TCP's timewait socket ACKs a RST outside its window, takes any inside it, resets a SYN"); \
} while (0)

FIXTURE_VARIANT_ADD(blind, established) {
	.state = TCP_ESTABLISHED, .rcv_nxt = 1, .snd_nxt = 1,
};

FIXTURE_VARIANT_ADD(blind, close_wait) {
	.state = TCP_CLOSE_WAIT, .rcv_nxt = 2, .snd_nxt = 1,
};

FIXTURE_VARIANT_ADD(blind, last_ack) {
	.state = TCP_LAST_ACK, .rcv_nxt = 2, .snd_nxt = 2,
};

FIXTURE_VARIANT_ADD(blind, fin_wait_1) {
	.state = TCP_FIN_WAIT1, .rcv_nxt = 1, .snd_nxt = 2,
};

FIXTURE_VARIANT_ADD(blind, fin_wait_2) {
	.state = TCP_FIN_WAIT2, .rcv_nxt = 1, .snd_nxt = 2,
};

FIXTURE_VARIANT_ADD(blind, closing) {
	.state = TCP_CLOSING, .rcv_nxt = 2, .snd_nxt = 2,
};

FIXTURE_VARIANT_ADD(blind, time_wait) {
	.state = TCP_TIME_WAIT, .entry = true, .rcv_nxt = 2, .snd_nxt = 2,
};

FIXTURE_VARIANT_ADD(blind, fin_wait_2_orphan) {
	.state = TCP_FIN_WAIT2, .entry = true, .rcv_nxt = 1, .snd_nxt = 2,
	.tcp_differs = true,
};

/* Close @fd and exchange FINs: TIME_WAIT, its timer left unchecked. */
static void to_time_wait(struct __test_metadata *_metadata, struct env *e,
			 int fd)
{
	struct clasp_pkt *p = &e->p;

	clasp_pkt_note(p, "close()");
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 2"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2"));
	expect_state(_metadata, e, TCP_TIME_WAIT);
}

/* Walk a passively opened connection into the variant's state. */
static void reach(struct __test_metadata *_metadata, struct env *e, int *fd,
		  const FIXTURE_VARIANT(blind) *v)
{
	struct clasp_pkt *p = &e->p;

	*fd = passive_open(_metadata, e, PEER_PORT);
	switch (v->state) {
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
		ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 1"));
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 2"));
		if (v->state == TCP_CLOSE_WAIT)
			break;
		clasp_pkt_note(p, "close()");
		ASSERT_EQ(0, close(*fd));
		*fd = -1;
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 2"));
		break;
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
		if (v->entry) {
			clasp_pkt_note(p, "close()");
			ASSERT_EQ(0, close(*fd));
			*fd = -1;
		} else {
			clasp_pkt_note(p, "shutdown(SHUT_WR)");
			ASSERT_EQ(0, shutdown(*fd, SHUT_WR));
		}
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 1"));
		if (v->state == TCP_FIN_WAIT2) {
			ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 2"));
		} else if (v->state == TCP_CLOSING) {
			ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 1"));
			ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2"));
		}
		break;
	case TCP_TIME_WAIT:
		to_time_wait(_metadata, e, *fd);
		*fd = -1;
		break;
	}
	ASSERT_EQ(0, clasp_pkt_expect_none(p, -1));
	expect_state(_metadata, e, v->state);
}

/*
 * Timers long enough that nothing is retransmitted during a test, on a
 * loaded host too: a FIN waiting for its ACK (FIN_WAIT_1, CLOSING,
 * LAST_ACK) would otherwise go again after the base RTO of 1 s, which a
 * loaded host has been seen to need for setup and test.
 */
static const struct clasp_param calm_timers[] = {
	{ "msl_ms", 30000 },
	{ "fin_timeout_ms", 60000 },
	{ "rto_initial_ms", 4 * CALM_RTO_STOCK },
	{ "rto_min_ms", 4 * CALM_RTO_STOCK },
	{ NULL, 0 }
};

FIXTURE_SETUP(blind)
{
	env_setup(_metadata, &self->e, calm_timers);
	listen_on(_metadata, &self->e, LISTEN_PORT);
	reach(_metadata, &self->e, &self->fd, variant);
	self->challenges = clasp_counter("ChallengeAcks");
}

FIXTURE_TEARDOWN(blind)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The module's duplicate or challenge ACK: where it stands. */
static int expect_ack(struct clasp_pkt *p, const FIXTURE_VARIANT(blind) *v)
{
	return clasp_pkt_expect(p, 0, ". %d:%d(0) ack %d", v->snd_nxt,
				v->snd_nxt, v->rcv_nxt);
}

/* Nothing changed: same state, no further segment. */
static void unchanged(struct __test_metadata *_metadata, struct env *e,
		      const FIXTURE_VARIANT(blind) *v)
{
	EXPECT_EQ(0, clasp_pkt_expect_none(&e->p, -1));
	expect_state(_metadata, e, v->state);
}

TEST_F(blind, rst_outside_window_ignored)
{
	struct clasp_pkt *p = &self->e.p;

	TCP_DIFFERS();
	ASSERT_EQ(0, clasp_pkt_inject(p, "R %d:%d(0)", variant->rcv_nxt + FAR,
				      variant->rcv_nxt + FAR));
	ASSERT_EQ(0, clasp_pkt_inject(p, "R. %d:%d(0) ack %d", variant->rcv_nxt - 2,
				      variant->rcv_nxt - 2, variant->snd_nxt));
	unchanged(_metadata, &self->e, variant);
}

/*
 * Just below rcv_nxt: after the peer's FIN (CLOSE_WAIT, CLOSING,
 * LAST_ACK) a RST at the FIN's own number resets, as TCP's
 * tcp_reset_check() allows; before it, or in TIME_WAIT, it is ignored.
 */
TEST_F(blind, rst_at_fin_sequence)
{
	struct clasp_pkt *p = &self->e.p;
	bool fin_in = !variant->entry && variant->rcv_nxt == 2;

	TCP_DIFFERS();
	ASSERT_EQ(0, clasp_pkt_inject(p, "R %d:%d(0)", variant->rcv_nxt - 1,
				      variant->rcv_nxt - 1));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	expect_state(_metadata, &self->e, fin_in ? 0 : variant->state);
}

TEST_F(blind, rst_in_window_challenged)
{
	struct clasp_pkt *p = &self->e.p;

	TCP_DIFFERS();
	ASSERT_EQ(0, clasp_pkt_inject(p, "R %d:%d(0)", variant->rcv_nxt + IN_WINDOW,
				      variant->rcv_nxt + IN_WINDOW));
	if (variant->state == TCP_TIME_WAIT) {
		/* Its window is closed: outside it, ignored (as TCP). */
		unchanged(_metadata, &self->e, variant);
		return;
	}
	ASSERT_EQ(0, expect_ack(p, variant));
	EXPECT_EQ(self->challenges + 1, clasp_counter("ChallengeAcks"));
	unchanged(_metadata, &self->e, variant);
}

TEST_F(blind, syn_challenged_anywhere)
{
	struct clasp_pkt *p = &self->e.p;
	long long want = self->challenges + 2;

	TCP_DIFFERS();
	if (variant->state == TCP_TIME_WAIT) {
		/*
		 * Above rcv_nxt a SYN may open a new incarnation (see the
		 * conformance tests); below, it gets the entry's ACK.
		 */
		ASSERT_EQ(0, clasp_pkt_inject(p, "S %d:%d(0) <mss %u>", -FAR, -FAR,
					      PEER_MSS));
		ASSERT_EQ(0, expect_ack(p, variant));
		ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
		ASSERT_EQ(0, expect_ack(p, variant));
		unchanged(_metadata, &self->e, variant);
		return;
	}
	ASSERT_EQ(0, clasp_pkt_inject(p, "S %d:%d(0) <mss %u>",
				      variant->rcv_nxt + IN_WINDOW,
				      variant->rcv_nxt + IN_WINDOW, PEER_MSS));
	ASSERT_EQ(0, expect_ack(p, variant));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S %d:%d(0) <mss %u>",
				      variant->rcv_nxt + FAR,
				      variant->rcv_nxt + FAR, PEER_MSS));
	ASSERT_EQ(0, expect_ack(p, variant));
	/* TCP answers a SYN outside the window of an entry, unchallenged. */
	if (!variant->entry)
		EXPECT_EQ(want, clasp_counter("ChallengeAcks"));
	unchanged(_metadata, &self->e, variant);
}

/*
 * An ACK of everything sent, at a sequence number outside the window:
 * a duplicate ACK, and the FIN or data it claims to acknowledge is not.
 */
TEST_F(blind, ack_outside_window_not_taken)
{
	struct clasp_pkt *p = &self->e.p;

	ASSERT_EQ(0, clasp_pkt_inject(p, ". %d:%d(0) ack %d", variant->rcv_nxt + FAR,
				      variant->rcv_nxt + FAR, variant->snd_nxt));
	ASSERT_EQ(0, expect_ack(p, variant));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". %d:%d(0) ack %d", variant->rcv_nxt - FAR,
				      variant->rcv_nxt - FAR, variant->snd_nxt));
	ASSERT_EQ(0, expect_ack(p, variant));
	unchanged(_metadata, &self->e, variant);
}

/* The connection carries on after all that, as far as its state allows. */
TEST_F(blind, connection_carries_on)
{
	struct clasp_pkt *p = &self->e.p;

	TCP_DIFFERS();
	ASSERT_EQ(0, clasp_pkt_inject(p, "R %d:%d(0)", variant->rcv_nxt + FAR,
				      variant->rcv_nxt + FAR));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". %d:%d(0) ack %d", variant->rcv_nxt + FAR,
				      variant->rcv_nxt + FAR, variant->snd_nxt));
	ASSERT_EQ(0, expect_ack(p, variant));
	switch (variant->state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT2:
		if (variant->entry)
			break;
		ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack %d", variant->snd_nxt));
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". %d:%d(0) ack 6",
					      variant->snd_nxt, variant->snd_nxt));
		EXPECT_EQ(5, recv(self->fd, (char[8]){ 0 }, 8, 0));
		break;
	case TCP_LAST_ACK:
		/* The real ACK of the FIN ends it. */
		ASSERT_EQ(0, clasp_pkt_inject(p, ". 2:2(0) ack 2"));
		EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
		expect_state(_metadata, &self->e, 0);
		return;
	}
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* A forged ACK must not stand for one the peer never sent: data stays queued. */
TEST(blind_ack_does_not_acknowledge_data)
{
	static const char data[100];
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long sent_us;
	int fd;

	fd = env_established(_metadata, &e, data_timers);
	clasp_pkt_note(p, "send() 100 bytes");
	ASSERT_EQ(100, send(fd, data, sizeof(data), 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:101(100) ack 1"));
	sent_us = p->ref_us;
	/* Sequence numbers far off, ACK of all the data. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". %d:%d(0) ack 101", FAR, FAR));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 101:101(0) ack 1"));
	/* Not acknowledged: sent again when the RTO expires. */
	clasp_pkt_mark_at(p, sent_us);
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "P. 1:101(100) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 101"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fd);
}

/*
 * RFC 5961 5.2: data in the window whose ACK is older than the peer could
 * have seen (blind data injection) is challenged and not delivered.
 */
TEST(blind_data_with_old_ack_not_delivered)
{
	long long challenges;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char buf[8];
	int fd;

	fd = env_established(_metadata, &e, NULL);
	challenges = clasp_counter("ChallengeAcks");
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack %d", -FAR));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	EXPECT_EQ(challenges + 1, clasp_counter("ChallengeAcks"));
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	/* The peer's real segment is taken. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 6"));
	EXPECT_EQ(5, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fd);
}

/*
 * RFC 5961 5.2: an ACK of data never sent is challenged (TCP drops it
 * silently in ESTABLISHED) and acknowledges nothing.
 */
TEST(ack_of_unsent_data_challenged)
{
	long long challenges;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	challenges = clasp_counter("ChallengeAcks");
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1000"));
	if (clasp_only_check("an ACK above SND.NXT: TCP drops it silently in ESTABLISHED")) {
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
		EXPECT_EQ(challenges + 1, clasp_counter("ChallengeAcks"));
	}
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	expect_state(_metadata, &e, TCP_ESTABLISHED);
	close(fd);
}

/*
 * A SYN at a half-open request, other than the peer's own again: outside
 * the window it gets an ACK (both); inside, a challenge ACK, where TCP
 * resets and drops the request (tcp_check_req()), which lets a blind
 * attacker with an in-window guess kill it.
 */
TEST(syn_at_request_changes_nothing)
{
	struct env e;
	struct clasp_pkt *p = &e.p;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S %d:%d(0) <mss %u>", FAR, FAR, PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	if (clasp_only_check("an in-window SYN at a request: TCP resets and drops the request")) {
		ASSERT_EQ(0, clasp_pkt_inject(p, "S %d:%d(0) <mss %u>", IN_WINDOW,
					      IN_WINDOW, PEER_MSS));
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	}
	expect_state(_metadata, &e, TCP_SYN_RECV);
	/* The handshake completes. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	expect_state(_metadata, &e, TCP_ESTABLISHED);
}

/* Forged resets at a TIME_WAIT entry, the last one exactly at rcv_nxt. */
static void assassinate(struct __test_metadata *_metadata, struct env *e)
{
	struct clasp_pkt *p = &e->p;

	ASSERT_EQ(0, clasp_pkt_inject(p, "R %d:%d(0)", 2 + 300000, 2 + 300000));
	ASSERT_EQ(0, clasp_pkt_inject(p, "R 3:3(0)"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "R. 1:1(0) ack 2"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "R. 0:0(0) ack 2"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	expect_state(_metadata, e, TCP_TIME_WAIT);
	ASSERT_EQ(0, clasp_pkt_inject(p, "R 2:2(0)"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * TIME_WAIT assassination: only a RST exactly at rcv_nxt ends the entry,
 * as TCP's (tcp_timewait_state_process()).
 */
TEST(time_wait_killed_only_by_exact_rst)
{
	long long killed;
	struct env e;
	int fd;

	env_setup(_metadata, &e, (const struct clasp_param[]){
		{ "msl_ms", 30000 }, { NULL, 0 } });
	listen_on(_metadata, &e, LISTEN_PORT);
	fd = passive_open(_metadata, &e, PEER_PORT);
	to_time_wait(_metadata, &e, fd);
	killed = clasp_counter("TimeWaitKilled");
	assassinate(_metadata, &e);
	expect_state(_metadata, &e, 0);
	if (clasp_only_check("TimeWaitKilled: TCP counts no TIME_WAIT ended by a RST"))
		EXPECT_EQ(killed + 1, clasp_counter("TimeWaitKilled"));
}

/* With rfc1337, not even the exact one (RFC 1337's remedy, as TCP's). */
TEST(time_wait_rfc1337_ignores_every_rst)
{
	struct env e;
	int fd;

	env_setup(_metadata, &e, (const struct clasp_param[]){
		{ "msl_ms", 30000 }, { "rfc1337", 1 }, { NULL, 0 } });
	listen_on(_metadata, &e, LISTEN_PORT);
	fd = passive_open(_metadata, &e, PEER_PORT);
	to_time_wait(_metadata, &e, fd);
	assassinate(_metadata, &e);
	expect_state(_metadata, &e, TCP_TIME_WAIT);
}

CLASP_HARNESS_MAIN
