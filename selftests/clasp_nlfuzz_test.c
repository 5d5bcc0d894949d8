// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "clasp" against malformed and random
 * requests, spoken over a plain netlink socket so that any byte of a
 * request can be wrong.
 *
 * Every request must get exactly one answer (an ACK, an error or the end of
 * a dump) and never a crash.  Once a request is well formed at the netlink
 * and genetlink header level and names an operation the family has, any
 * error for it comes from the attribute policy or from clasp itself, and
 * must then carry a message (NLMSGERR_ATTR_MSG).  Requests for operations
 * the family does not have get EOPNOTSUPP from the genetlink core.
 *
 * The random phase builds CLASP_NLFUZZ_ITERS requests (default 20000) from
 * the seed CLASP_NLFUZZ_SEED (default: the time), printed first so that a
 * failing run can be replayed; then the family must still answer a stats
 * and a config get.
 *
 * Every test runs in a network namespace of its own, and fails if the
 * kernel gained a taint flag (a WARN, an oops) while it ran.  Shared
 * helpers and the fixture: clasp_nl.h.
 */
#include <pthread.h>

#include "clasp_nl.h"
#include "clasp_seg.h"

/* ---- targeted malformed requests ---- */

/* Commands the family does not have, as do and as dump: EOPNOTSUPP. */
TEST_F(nl, unknown_commands)
{
	int cmd, dump, bad = 0;
	struct answer a;
	char what[64];

	for (cmd = 0; cmd < 256; cmd++) {
		for (dump = 0; dump < 2; dump++) {
			if (op_exists(cmd, dump))
				continue;
			msg_init(&req, self->nl.family, dump ? NLM_F_DUMP : 0, cmd);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what), "cmd %d%s", cmd,
				 dump ? " dump" : "");
			bad += !!want_errno(&a, -EOPNOTSUPP, what);
		}
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* A genetlink header that is short, or not zero where it must be. */
TEST_F(nl, bad_headers)
{
	static const uint16_t odd_flags[] = {
		NLM_F_ROOT, NLM_F_MATCH, NLM_F_ATOMIC, NLM_F_EXCL, NLM_F_CREATE,
		NLM_F_APPEND, NLM_F_MULTI, 0x8000,
	};
	struct answer a;
	uint32_t seq;
	size_t i, k;

	for (i = 0; i < NOPS; i++) {
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		msg_genl(&req)->reserved = 0x5a5a;
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "reserved field set"));
		for (k = 0; k < sizeof(odd_flags) / sizeof(odd_flags[0]); k++) {
			msg_init(&req, self->nl.family, odd_flags[k], clasp_ops[i]);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			EXPECT_EQ(0, want_error_with_msg(&a, "odd nlmsg_flags")) {
				TH_LOG("cmd %u flags 0x%x", clasp_ops[i], odd_flags[k]);
			}
		}
		/* A genetlink header cut short: the core says EINVAL. */
		for (k = 0; k < GENL_HDRLEN; k++) {
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			req.len = NLMSG_HDRLEN + k;
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			EXPECT_EQ(0, want_errno(&a, -EINVAL, "short genl header"));
		}
	}

	/*
	 * The netlink core drops, without an answer, a datagram shorter
	 * than a netlink header and a message longer than its datagram, and
	 * only acknowledges one that is not a request.
	 */
	msg_init(&req, self->nl.family, 0, CLASP_CMD_STATS_GET);
	for (k = 1; k < NLMSG_HDRLEN; k++) {
		msg_nlh(&req)->nlmsg_len = k;
		EXPECT_NE(0, nl_send_bytes(&self->nl, &req, k));
	}
	msg_nlh(&req)->nlmsg_len = req.len + 64;
	EXPECT_NE(0, nl_send_bytes(&self->nl, &req, req.len));
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONFIG_SET);
	msg_nlh(&req)->nlmsg_flags = NLM_F_ACK;
	seq = nl_send(&self->nl, &req);
	nl_wait(&self->nl, seq, NULL, NULL, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "not a request"));
	EXPECT_EQ(0, family_alive(&self->nl));
}

/*
 * Every attribute type, and a few past the last, at lengths the policy of
 * each operation does not allow, and flagged as nested or big endian.
 */
TEST_F(nl, wrong_attribute_types)
{
	static const uint16_t lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16 };
	static const uint16_t flags[] = { 0, NLA_F_NESTED, NLA_F_NET_BYTEORDER };
	uint8_t junk[16];
	struct answer a;
	size_t i, l, f;
	int type, dump, bad = 0, n = 0;
	char what[96];

	memset(junk, 0xa5, sizeof(junk));
	for (i = 0; i < NOPS; i++)
	for (dump = 0; dump < 2; dump++) {
		if (!op_exists(clasp_ops[i], dump))
			continue;
		for (type = 0; type <= CLASP_A_MAX + 3; type++)
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			int plen = policy_len(clasp_ops[i], type);

			/* The right shape (nothing checks BYTEORDER). */
			if (plen > 0 && plen == lens[l] && flags[f] != NLA_F_NESTED)
				continue;
			msg_init(&req, self->nl.family, dump ? NLM_F_DUMP : 0,
				 clasp_ops[i]);
			msg_put(&req, type | flags[f], junk, lens[l]);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what),
				 "cmd %u%s attr %d|0x%x len %u", clasp_ops[i],
				 dump ? " dump" : "", type, flags[f], lens[l]);
			bad += !!want_error_with_msg(&a, what);
			n++;
		}
	}
	TH_LOG("%d requests", n);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* Attributes up to the largest netlink allows, in a message of 192 KiB. */
TEST_F(nl, oversize_attributes)
{
	static const size_t sizes[] = { 32, 33, 255, 4096, 65531 };
	static uint8_t big[65536];
	struct answer a;
	size_t i, s;
	int k;

	memset(big, 'x', sizeof(big));
	for (i = 0; i < NOPS; i++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			msg_put(&req, CLASP_A_NAME, big, sizes[s]);
			msg_put_u64(&req, CLASP_A_VALUE, 1);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			EXPECT_EQ(0, want_error_with_msg(&a, "oversize NAME")) {
				TH_LOG("cmd %u size %zu", clasp_ops[i], sizes[s]);
			}
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			msg_put(&req, CLASP_A_LADDR, big, sizes[s]);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			EXPECT_EQ(0, want_error_with_msg(&a, "oversize LADDR")) {
				TH_LOG("cmd %u size %zu", clasp_ops[i], sizes[s]);
			}
		}
		/* Three attributes of 64 KiB each. */
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		for (k = 0; k < 3; k++)
			msg_put(&req, CLASP_A_STATS + k, big, 65531);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "192 KiB request"));
	}
	/* A NUL-terminated name one byte too long for the policy. */
	memset(big, 'a', 32);
	big[32] = '\0';
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONFIG_SET);
	msg_put(&req, CLASP_A_NAME, big, 33);
	msg_put_u64(&req, CLASP_A_VALUE, 1);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "32-character NAME"));
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* Nests where none is expected, nests of garbage, nests too deep. */
TEST_F(nl, garbage_nests)
{
	static const int outer[] = {
		CLASP_A_STATS, CLASP_A_CONFIG, CLASP_A_ENTRY, CLASP_A_LADDR,
		CLASP_A_NAME, CLASP_A_FILTER_STATES, CLASP_A_MAX + 1,
	};
	uint8_t junk[40];
	struct nlattr *nest[8];
	struct answer a;
	size_t i, o;
	int d, bad = 0;
	char what[64];

	for (d = 0; d < (int)sizeof(junk); d++)
		junk[d] = d * 37;
	for (i = 0; i < NOPS; i++)
	for (o = 0; o < sizeof(outer) / sizeof(outer[0]); o++) {
		snprintf(what, sizeof(what), "cmd %u nest %d", clasp_ops[i],
			 outer[o]);
		/* Garbage that does not parse as attributes. */
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		msg_put(&req, outer[o] | NLA_F_NESTED, junk, sizeof(junk));
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		bad += !!want_error_with_msg(&a, what);
		/* Well-formed nests, eight deep, with an entry inside. */
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		for (d = 0; d < 8; d++)
			nest[d] = msg_nest_start(&req, outer[o] | NLA_F_NESTED);
		msg_put_str(&req, CLASP_A_NAME, "msl_ms");
		msg_put_u64(&req, CLASP_A_VALUE, 1000);
		for (d = 7; d >= 0; d--)
			msg_nest_end(&req, nest[d]);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		bad += !!want_error_with_msg(&a, what);
		/* Nested content without the flag. */
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		nest[0] = msg_nest_start(&req, outer[o]);
		msg_put_u32(&req, CLASP_A_FILTER_STATES, ~0U);
		msg_nest_end(&req, nest[0]);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		bad += !!want_error_with_msg(&a, what);
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* Attribute headers that lie about their length, and trailing bytes. */
TEST_F(nl, truncated_attributes)
{
	static const uint16_t nla_lens[] = { 0, 1, 2, 3, 9, 12, 200, 0xffff };
	uint8_t four[4] = { 1, 2, 3, 4 };
	struct answer a;
	size_t i, l, t;
	char what[64];

	for (i = 0; i < NOPS; i++) {
		for (l = 0; l < sizeof(nla_lens) / sizeof(nla_lens[0]); l++) {
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			msg_put_raw(&req, CLASP_A_FILTER_STATES, nla_lens[l],
				    four, 4);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what), "cmd %u nla_len %u",
				 clasp_ops[i], nla_lens[l]);
			EXPECT_EQ(0, want_error_with_msg(&a, what));
		}
		for (t = 1; t < NLA_HDRLEN; t++) {
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			memset(req.buf + req.len, 0x11, t);
			req.len += t;
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what), "cmd %u %zu trailing bytes",
				 clasp_ops[i], t);
			EXPECT_EQ(0, want_error_with_msg(&a, what));
		}
	}
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* Connection requests without a full 4-tuple, config set without a pair. */
TEST_F(nl, missing_attributes)
{
	static const uint8_t conn_ops[] = { CLASP_CMD_CONN_GET, CLASP_CMD_CONN_KILL };
	struct in_addr lo;
	struct answer a;
	unsigned int mask;
	size_t i;
	char what[64];

	inet_pton(AF_INET, LO, &lo);
	for (i = 0; i < 2; i++) {
		for (mask = 0; mask < 15; mask++) {
			msg_init(&req, self->nl.family, 0, conn_ops[i]);
			if (mask & 1)
				msg_put(&req, CLASP_A_LADDR, &lo, 4);
			if (mask & 2)
				msg_put(&req, CLASP_A_RADDR, &lo, 4);
			if (mask & 4)
				msg_put_u16(&req, CLASP_A_LPORT, PORT);
			if (mask & 8)
				msg_put_u16(&req, CLASP_A_RPORT, PORT);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what), "cmd %u tuple mask %u",
				 conn_ops[i], mask);
			EXPECT_EQ(0, want_errno(&a, -EINVAL, what));
			EXPECT_EQ(0, want_error_with_msg(&a, what));
		}
		/* A full tuple of nothing. */
		msg_init(&req, self->nl.family, 0, conn_ops[i]);
		msg_put_tuple(&req, LO, 1, LO, 2);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_errno(&a, -ENOENT, "no such connection"));
		EXPECT_EQ(0, want_error_with_msg(&a, "no such connection"));
	}
	for (mask = 0; mask < 3; mask++) {
		msg_init(&req, self->nl.family, 0, CLASP_CMD_CONFIG_SET);
		if (mask & 1)
			msg_put_str(&req, CLASP_A_NAME, "msl_ms");
		if (mask & 2)
			msg_put_u64(&req, CLASP_A_VALUE, 1000);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		snprintf(what, sizeof(what), "config set mask %u", mask);
		EXPECT_EQ(0, want_errno(&a, -EINVAL, what));
		EXPECT_EQ(0, want_error_with_msg(&a, what));
	}
	EXPECT_EQ(0, family_alive(&self->nl));
}

/*
 * Every tunable just outside its range, and far outside: ERANGE with a
 * message, and the value unchanged.  Unknown and malformed names too.  A
 * value inside the range is taken, so the check can tell.
 */
TEST_F(nl, config_out_of_range)
{
	static const char *const bad_names[] = {
		"", "msl", "msl_ms ", "MSL_MS", "msl_msx",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 31 characters */
	};
	struct table before, after;
	struct answer a;
	int i, k;

	ASSERT_EQ(0, get_table(&self->nl, CLASP_CMD_CONFIG_GET, &before));
	ASSERT_GE(before.n, 19);
	for (i = 0; i < before.n; i++) {
		uint64_t outside[3] = { before.max[i] + 1, UINT64_MAX,
					before.min[i] - 1 };
		int n = before.min[i] ? 3 : 2;

		/* The memory pool's limits are global: not from here. */
		int want = strncmp(before.name[i], "mem_", 4) ? -ERANGE : -EPERM;

		ASSERT_LE(before.min[i], before.max[i]);
		for (k = 0; k < n; k++) {
			config_set(&self->nl, before.name[i], outside[k], &a);
			EXPECT_EQ(0, want_errno(&a, want, before.name[i])) {
				TH_LOG("value %llu", (unsigned long long)outside[k]);
			}
			EXPECT_EQ(0, want_error_with_msg(&a, before.name[i]));
		}
	}
	for (k = 0; k < (int)(sizeof(bad_names) / sizeof(bad_names[0])); k++) {
		config_set(&self->nl, bad_names[k], 1, &a);
		EXPECT_EQ(0, want_errno(&a, -ENOENT, bad_names[k]));
		EXPECT_EQ(0, want_error_with_msg(&a, bad_names[k]));
	}
	/* A name without its NUL. */
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONFIG_SET);
	msg_put(&req, CLASP_A_NAME, "msl_ms", 6);
	msg_put_u64(&req, CLASP_A_VALUE, 1000);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "NAME without NUL"));

	ASSERT_EQ(0, get_table(&self->nl, CLASP_CMD_CONFIG_GET, &after));
	ASSERT_EQ(before.n, after.n);
	for (i = 0; i < before.n; i++) {
		EXPECT_EQ(before.val[i], after.val[i]) {
			TH_LOG("%s changed", before.name[i]);
		}
	}

	i = table_find(&before, "msl_ms");
	ASSERT_LE(0, i);
	EXPECT_EQ(0, config_set(&self->nl, "msl_ms", before.max[i], &a));
	ASSERT_EQ(0, get_table(&self->nl, CLASP_CMD_CONFIG_GET, &after));
	EXPECT_EQ(before.max[i], after.val[i]);
	EXPECT_EQ(0, config_set(&self->nl, "msl_ms", before.min[i], &a));
	ASSERT_EQ(0, get_table(&self->nl, CLASP_CMD_CONFIG_GET, &after));
	EXPECT_EQ(before.min[i], after.val[i]);
}

/* Connection dumps with malformed filters fail; good filters work. */
TEST_F(nl, dump_bad_filters)
{
	struct pair p;
	struct answer a;
	uint8_t eight[8] = { 127, 0, 0, 1, 127, 0, 0, 1 };
	int n, k;

	ASSERT_EQ(0, pair_open(&p));
	for (k = 33; k < 256; k += 37) {
		msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
		msg_put(&req, CLASP_A_LADDR, eight, 4);
		msg_put_u8(&req, CLASP_A_FILTER_LPLEN, k);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "LPLEN over 32"));
		msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
		msg_put_u8(&req, CLASP_A_FILTER_RPLEN, k);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "RPLEN over 32"));
	}
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put(&req, CLASP_A_LADDR, eight, 8);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "8-byte LADDR"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u16(&req, CLASP_A_FILTER_STATES, 0xffff);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "16-bit FILTER_STATES"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u32(&req, CLASP_A_LPORT, PORT);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "32-bit LPORT"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_str(&req, CLASP_A_NAME, "msl_ms");
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "NAME in a dump"));

	/* Listener, client and server side: three; filtered: fewer. */
	n = 0;
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	nl_talk(&self->nl, &req, count_cb, &n, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "plain dump"));
	EXPECT_EQ(3, n);
	n = 0;
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u32(&req, CLASP_A_FILTER_STATES, 1U << TCP_LISTEN);
	nl_talk(&self->nl, &req, count_cb, &n, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "listeners"));
	EXPECT_EQ(1, n);
	n = 0;
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u16(&req, CLASP_A_RPORT, PORT);
	nl_talk(&self->nl, &req, count_cb, &n, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "rport filter"));
	EXPECT_EQ(1, n);
	n = 0;
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put(&req, CLASP_A_RADDR, eight, 4);
	msg_put_u8(&req, CLASP_A_FILTER_RPLEN, 0);
	msg_put_u32(&req, CLASP_A_FILTER_STATES, 1U << TCP_ESTABLISHED);
	nl_talk(&self->nl, &req, count_cb, &n, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "established, any raddr"));
	EXPECT_EQ(2, n);
	pair_close(&p);
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* What the messages of a dump said about their addresses. */
struct v6_seen {
	int n, v6, v4, bad;
};

static void v6_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CLASP_A_MAX + 1];
	struct v6_seen *s = arg;

	genl_attrs(nlh, tb, CLASP_A_MAX);
	if (!tb[CLASP_A_STATE])
		return;
	s->n++;
	if (!tb[CLASP_A_FAMILY] || !tb[CLASP_A_SOCK_FAMILY]) {
		s->bad++;
		return;
	}
	if (((const uint8_t *)tb[CLASP_A_FAMILY])[NLA_HDRLEN] == AF_INET6) {
		s->v6++;
		s->bad += !tb[CLASP_A_LADDR6] || !tb[CLASP_A_RADDR6] ||
			  tb[CLASP_A_LADDR6]->nla_len != NLA_HDRLEN + 16 ||
			  tb[CLASP_A_LADDR] || tb[CLASP_A_RADDR] ||
			  !tb[CLASP_A_V6ONLY];
	} else {
		s->v4++;
		s->bad += !tb[CLASP_A_LADDR] || tb[CLASP_A_LADDR6];
	}
}

/* One dump with @filter's attributes, counted by family. */
static void v6_dump(struct nl *nl, void (*filter)(struct msg *m),
		    struct v6_seen *s, struct answer *a)
{
	memset(s, 0, sizeof(*s));
	msg_init(&req, nl->family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	filter(&req);
	nl_talk(nl, &req, v6_cb, s, a);
}

#define PORT6	(PORT + 6)

static const struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;

static void f_rport6(struct msg *m)
{
	msg_put_u16(m, CLASP_A_RPORT, PORT6);
}

static void f_lport6_v6(struct msg *m)
{
	msg_put_u16(m, CLASP_A_LPORT, PORT6);
	msg_put_u8(m, CLASP_A_FAMILY, AF_INET6);
}

static void f_lport6_v4(struct msg *m)
{
	msg_put_u16(m, CLASP_A_LPORT, PORT6);
	msg_put_u8(m, CLASP_A_FAMILY, AF_INET);
}

static void f_lport6_sock4(struct msg *m)
{
	msg_put_u16(m, CLASP_A_LPORT, PORT6);
	msg_put_u8(m, CLASP_A_SOCK_FAMILY, AF_INET);
}

static void f_raddr6_128(struct msg *m)
{
	msg_put(m, CLASP_A_RADDR6, &lo6, 16);
	msg_put_u8(m, CLASP_A_FILTER_RPLEN, 128);
}

static void f_laddr6_other(struct msg *m)
{
	struct in6_addr a;

	inet_pton(AF_INET6, "2001:db8::1", &a);
	msg_put(m, CLASP_A_LADDR6, &a, 16);
	msg_put_u8(m, CLASP_A_FILTER_LPLEN, 64);
}

/* The client's side of an IPv6 pair, v6 addresses, ports. */
static void msg_tuple6(struct msg *m, const struct in6_addr *l, uint16_t lport,
		       const struct in6_addr *r, uint16_t rport)
{
	msg_put(m, CLASP_A_LADDR6, l, 16);
	msg_put_u16(m, CLASP_A_LPORT, lport);
	msg_put(m, CLASP_A_RADDR6, r, 16);
	msg_put_u16(m, CLASP_A_RPORT, rport);
}

/*
 * IPv6: messages carry FAMILY and LADDR6/RADDR6; filters, gets and kills
 * take them; malformed IPv6 attributes fail with an extack message.
 */
TEST_F(nl, ipv6_attrs)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(PORT6),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT }, me;
	static const uint16_t lens[] = { 0, 4, 8, 15, 17, 32 };
	uint8_t eight[8] = { 127, 0, 0, 1, 127, 0, 0, 1 };
	socklen_t len = sizeof(me);
	int lis, cli, srv, one = 1;
	struct v6_seen s;
	struct answer a;
	uint16_t cport;
	size_t k;

	lis = socket(AF_INET6, SOCK_STREAM, clasp_proto());
	cli = socket(AF_INET6, SOCK_STREAM, clasp_proto());
	ASSERT_LE(0, lis);
	ASSERT_LE(0, cli);
	setsockopt(lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ASSERT_EQ(0, bind(lis, (struct sockaddr *)&a6, sizeof(a6)));
	ASSERT_EQ(0, listen(lis, 8));
	ASSERT_EQ(0, connect(cli, (struct sockaddr *)&a6, sizeof(a6)));
	srv = accept(lis, NULL, NULL);
	ASSERT_LE(0, srv);
	ASSERT_EQ(0, getsockname(cli, (struct sockaddr *)&me, &len));
	cport = ntohs(me.sin6_port);

	/* Malformed: sizes (the policy's exact length), families, prefixes. */
	for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		uint8_t junk[32] = { 0 };

		msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
		msg_put(&req, CLASP_A_LADDR6, junk, lens[k]);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "LADDR6 not 16 bytes"));
		msg_init(&req, self->nl.family, 0, CLASP_CMD_CONN_KILL);
		msg_put(&req, CLASP_A_LADDR6, &lo6, 16);
		msg_put(&req, CLASP_A_RADDR6, junk, lens[k]);
		msg_put_u16(&req, CLASP_A_LPORT, PORT6);
		msg_put_u16(&req, CLASP_A_RPORT, cport);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "RADDR6 not 16 bytes"));
		msg_init(&req, self->nl.family, 0, CLASP_CMD_LADDER_START);
		msg_put(&req, CLASP_A_RADDR6, junk, lens[k]);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "ladder RADDR6 not 16 bytes"));
	}
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put(&req, CLASP_A_LADDR, eight, 4);
	msg_put(&req, CLASP_A_LADDR6, &lo6, 16);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "LADDR and LADDR6"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put(&req, CLASP_A_RADDR, eight, 4);
	msg_put_u8(&req, CLASP_A_FILTER_RPLEN, 33);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "IPv4 RADDR with RPLEN 33"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put(&req, CLASP_A_LADDR6, &lo6, 16);
	msg_put_u8(&req, CLASP_A_FILTER_LPLEN, 129);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "LADDR6 with LPLEN 129"));
	msg_init(&req, self->nl.family, 0, CLASP_CMD_LADDER_START);
	msg_put(&req, CLASP_A_LADDR, eight, 4);
	msg_put_u8(&req, CLASP_A_FILTER_LPLEN, 64);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "ladder IPv4 LADDR with LPLEN 64"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u8(&req, CLASP_A_FAMILY, 7);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "FAMILY 7"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u16(&req, CLASP_A_SOCK_FAMILY, AF_INET6);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "16-bit SOCK_FAMILY"));
	/* A tuple of mixed families, or FAMILY against its addresses. */
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONN_GET);
	msg_put(&req, CLASP_A_LADDR6, &lo6, 16);
	msg_put_u16(&req, CLASP_A_LPORT, cport);
	msg_put(&req, CLASP_A_RADDR, eight, 4);
	msg_put_u16(&req, CLASP_A_RPORT, PORT6);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "LADDR6 with RADDR"));
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONN_GET);
	msg_tuple6(&req, &lo6, cport, &lo6, PORT6);
	msg_put_u8(&req, CLASP_A_FAMILY, AF_INET);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "FAMILY AF_INET, IPv6 tuple"));

	/* Dumps: every row IPv6 with its attributes, and the filters. */
	v6_dump(&self->nl, f_rport6, &s, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "rport dump"));
	EXPECT_EQ(1, s.n);
	EXPECT_EQ(1, s.v6);
	EXPECT_EQ(0, s.bad);
	v6_dump(&self->nl, f_lport6_v6, &s, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "FAMILY AF_INET6"));
	EXPECT_EQ(2, s.v6);	/* the listener and the server's side */
	EXPECT_EQ(0, s.bad);
	v6_dump(&self->nl, f_lport6_v4, &s, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "FAMILY AF_INET"));
	EXPECT_EQ(0, s.n);
	v6_dump(&self->nl, f_lport6_sock4, &s, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "SOCK_FAMILY AF_INET"));
	EXPECT_EQ(0, s.n);
	v6_dump(&self->nl, f_raddr6_128, &s, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "RADDR6 ::1/128"));
	EXPECT_EQ(2, s.v6);	/* the two sides of the connection */
	v6_dump(&self->nl, f_laddr6_other, &s, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "LADDR6 2001:db8::/64"));
	EXPECT_EQ(0, s.n);

	/* Get and kill by IPv6 tuple. */
	memset(&s, 0, sizeof(s));
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONN_GET);
	msg_tuple6(&req, &lo6, cport, &lo6, PORT6);
	msg_put_u8(&req, CLASP_A_FAMILY, AF_INET6);
	nl_talk(&self->nl, &req, v6_cb, &s, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "get by IPv6 tuple"));
	EXPECT_EQ(1, s.v6);
	EXPECT_EQ(0, s.bad);
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONN_KILL);
	msg_tuple6(&req, &lo6, cport, &lo6, PORT6 + 1);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_errno(&a, -ENOENT, "kill of no IPv6 connection"));
	EXPECT_EQ(0, want_error_with_msg(&a, "kill of no IPv6 connection"));
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONN_KILL);
	msg_tuple6(&req, &lo6, cport, &lo6, PORT6);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "kill by IPv6 tuple"));
	v6_dump(&self->nl, f_rport6, &s, &a);
	EXPECT_EQ(0, s.n);

	close(srv);
	close(cli);
	close(lis);
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* ---- the random phase ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int rnd_below(unsigned int n)
{
	return rnd() % n;
}

static bool chance(unsigned int percent)
{
	return rnd_below(100) < percent;
}

static const char *const tunable_names[] = {
	"msl_ms", "rto_initial_ms", "rto_min_ms", "rto_max_ms", "syn_retries",
	"synack_retries", "retries", "orphan_retries", "fin_timeout_ms",
	"keepalive_time_ms", "keepalive_intvl_ms", "keepalive_probes",
	"max_syn_backlog", "max_tw_buckets", "rfc1337", "challenge_ack_limit",
	"invalid_ratelimit_ms",
	"syncookies", "syncookie_period_ms", "abort_on_overflow", "max_orphans",
	"window_scaling", "timestamps", "sack", "early_retrans", "recovery",
	"ecn", "tw_reuse",
};

/* An attribute that fits the policy of some operation. */
static void rnd_good_attr(struct msg *m)
{
	static const char *const addrs[] = { LO, "0.0.0.0", "10.1.2.3" };
	static const uint16_t ports[] = { PORT, 0, 1, 65535 };
	struct in_addr in;

	switch (rnd_below(8)) {
	case 0:
	case 1:
		inet_pton(AF_INET, addrs[rnd_below(3)], &in);
		msg_put(m, rnd_below(2) ? CLASP_A_LADDR : CLASP_A_RADDR, &in, 4);
		break;
	case 2:
		msg_put_u16(m, rnd_below(2) ? CLASP_A_LPORT : CLASP_A_RPORT,
			    ports[rnd_below(4)]);
		break;
	case 3:
		msg_put_u32(m, CLASP_A_FILTER_STATES, rnd());
		break;
	case 4:
		msg_put_u8(m, rnd_below(2) ? CLASP_A_FILTER_LPLEN :
					     CLASP_A_FILTER_RPLEN, rnd_below(40));
		break;
	case 5:
	case 6:
		msg_put_str(m, CLASP_A_NAME,
			    tunable_names[rnd_below(sizeof(tunable_names) /
						    sizeof(tunable_names[0]))]);
		break;
	default:
		msg_put_u64(m, CLASP_A_VALUE, chance(50) ? rnd_below(5000) : rnd());
		break;
	}
}

static void rnd_bytes(uint8_t *p, size_t len)
{
	while (len--)
		*p++ = rnd();
}

/* Any type, any flags, any length, any bytes. */
static void rnd_junk_attr(struct msg *m)
{
	static uint8_t junk[2048];
	uint16_t type = rnd_below(CLASP_A_MAX + 5);
	size_t len = chance(90) ? rnd_below(40) : rnd_below(sizeof(junk));

	if (chance(20))
		type |= NLA_F_NESTED;
	if (chance(10))
		type |= NLA_F_NET_BYTEORDER;
	rnd_bytes(junk, len);
	if (chance(10))
		msg_put_raw(m, type, rnd(), junk, len);
	else
		msg_put(m, type, junk, len);
}

static void rnd_nest(struct msg *m, int depth)
{
	struct nlattr *nest = msg_nest_start(m, rnd_below(CLASP_A_MAX + 2) |
					     (chance(70) ? NLA_F_NESTED : 0));
	int n = rnd_below(4);

	while (n--) {
		if (depth < 4 && chance(30))
			rnd_nest(m, depth + 1);
		else if (chance(50))
			rnd_good_attr(m);
		else
			rnd_junk_attr(m);
	}
	msg_nest_end(m, nest);
}

/* What a random request should get. */
struct expect {
	bool header_ok;		/* reaches the family's operation lookup */
	bool op_exists;		/* ... and the family has the operation */
};

/* The core takes only REQUEST, ACK, ECHO and the two DUMP bits together. */
static bool flags_ok(uint16_t flags)
{
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		flags &= ~NLM_F_DUMP;
	return !(flags & ~NLM_F_ECHO);
}

static void rnd_request(struct msg *m, uint16_t family, struct expect *ex)
{
	static const uint16_t extra[] = {
		NLM_F_ECHO, NLM_F_ECHO, NLM_F_ROOT, NLM_F_ATOMIC, NLM_F_EXCL,
		NLM_F_APPEND, NLM_F_MULTI,
	};
	bool dump = chance(25);
	uint16_t flags = dump ? NLM_F_DUMP : 0;
	uint8_t cmd = chance(85) ? clasp_ops[rnd_below(NOPS)] : rnd();
	bool clean = chance(30);	/* well-formed attributes only */
	int n = rnd_below(7);

	if (chance(5))
		flags |= extra[rnd_below(sizeof(extra) / sizeof(extra[0]))];
	msg_init(m, family, flags, cmd);
	ex->header_ok = flags_ok(flags);
	if (chance(3)) {
		msg_genl(m)->reserved = rnd() | 1;
		ex->header_ok = false;
	}
	if (chance(10))
		msg_genl(m)->version = rnd();
	while (n--) {
		unsigned int kind = rnd_below(10);

		if (clean || kind < 5)
			rnd_good_attr(m);
		else if (kind < 8)
			rnd_junk_attr(m);
		else
			rnd_nest(m, 0);
	}
	if (chance(3)) {
		m->len = NLMSG_HDRLEN + rnd_below(m->len - NLMSG_HDRLEN + 1);
		if (m->len < NLMSG_HDRLEN + GENL_HDRLEN)
			ex->header_ok = false;
	}
	ex->op_exists = op_exists(cmd, (flags & NLM_F_DUMP) == NLM_F_DUMP);
}

/* 0 when the answer is what @ex says it must be; else logs why. */
static int check_random_answer(const struct answer *a, const struct expect *ex,
			       uint8_t cmd)
{
	char what[48];

	snprintf(what, sizeof(what), "cmd %u", cmd);
	if (!a->answered || a->bad)
		return want_errno(a, 0, what);
	if (!ex->header_ok)
		return a->err ? 0 : want_errno(a, -EINVAL, what);
	if (!ex->op_exists)
		return want_errno(a, -EOPNOTSUPP, what);
	if (a->err)
		return want_error_with_msg(a, what);
	return 0;
}

static void hexdump(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		printf("%s%02x%s", i % 32 ? "" : "# ", p[i],
		       i % 32 == 31 || i + 1 == len ? "\n" : "");
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

TEST_F(nl, random_requests)
{
	unsigned long iters = env_ulong("CLASP_NLFUZZ_ITERS", 20000);
	unsigned long seed = env_ulong("CLASP_NLFUZZ_SEED", time(NULL));
	unsigned long i, errors = 0, fails = 0;
	long long t0 = clasp_now_ms();
	struct answer a;
	struct expect ex;
	struct pair p;

	/* Something for dumps to find and for kills to miss. */
	ASSERT_EQ(0, pair_open(&p));
	printf("# seed %lu (CLASP_NLFUZZ_SEED), %lu iterations\n", seed, iters);
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (i = 0; i < iters && fails < 10; i++) {
		rnd_request(&req, self->nl.family, &ex);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		errors += a.err != 0;
		if (check_random_answer(&a, &ex, msg_genl(&req)->cmd)) {
			printf("# iteration %lu: request of %zu bytes:\n", i,
			       req.len);
			hexdump(req.buf, req.len < 512 ? req.len : 512);
			fails++;
		}
	}
	printf("# %lu requests, %lu errors, in %lld ms\n", i, errors,
	       clasp_now_ms() - t0);
	EXPECT_EQ(0, fails);
	EXPECT_EQ(0, family_alive(&self->nl));
	/* The connection the fuzzer could not name is still there. */
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(p.cli));
	pair_close(&p);
}

/* ---- a kill racing a listener's close ---- */

#define RACE_PORT	(PORT + 1)
#define RACE_CHILDREN	16	/* established, never accepted */
#define RACE_REQUESTS	16	/* half-open, from a raw peer */
#define RACE_PEER	"127.0.0.2"	/* the raw peer: no client port is its */
#define RACE_PEER_PORT	40000	/* its first port */
#define RACE_KILLS	(RACE_CHILDREN + RACE_REQUESTS)

/* The kills of one round, packed in one datagram: processed back to back. */
struct race {
	struct nl *nl;
	uint8_t batch[RACE_KILLS * 64] __attribute__((aligned(4)));
	size_t len;
	uint32_t first_seq;
	pthread_barrier_t go;
	int delay_us;		/* before sending, to vary the overlap */
	int bad;		/* answers other than 0 or ENOENT */
};

/* Add a CONN_KILL of the listener's side of @raddr:@rport to the batch. */
static void race_add_kill(struct race *r, const char *raddr, uint16_t rport,
			  uint32_t seq)
{
	struct nlmsghdr *nlh;

	msg_init(&req, r->nl->family, 0, CLASP_CMD_CONN_KILL);
	msg_put_tuple(&req, LO, RACE_PORT, raddr, rport);
	nlh = msg_nlh(&req);
	nlh->nlmsg_len = req.len;
	nlh->nlmsg_seq = seq;
	memcpy(r->batch + r->len, req.buf, req.len);
	r->len += NLMSG_ALIGN(req.len);
}

static void *race_killer(void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct race *r = arg;
	struct answer a;
	int i;

	pthread_barrier_wait(&r->go);
	if (r->delay_us)
		usleep(r->delay_us);
	if (sendto(r->nl->fd, r->batch, r->len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)r->len) {
		r->bad++;
		return NULL;
	}
	for (i = 0; i < RACE_KILLS; i++) {
		nl_wait(r->nl, r->first_seq + i, NULL, NULL, &a);
		if (!a.answered || (a.err && a.err != -ENOENT)) {
			printf("# kill %d: %s %d\n", i,
			       a.answered ? "error" : "no answer", a.err);
			r->bad++;
		}
	}
	return NULL;
}

/* Every object of the namespace is gone: clasp's Objects gauge is 0. */
static bool no_objects(void)
{
	return clasp_stat("Objects") == 0;
}

/*
 * CONN_KILL of connections a listener holds (established children in its
 * accept queue, half-open requests) while the listener closes, which
 * resets and frees the same connections: each must end once.  Killing an
 * unaccepted child used to run alongside the close's clasp_child_forget(),
 * which took the child's spinlock while the kill owned the socket: both
 * could orphan and free it (a double destroy: refcount underflow, Objects
 * below zero).  Rounds of CLASP_NLRACE_ROUNDS (default 100), the kills
 * sent a little before, with or a little after the close.
 */
TEST_F(nl, kill_races_listener_close)
{
	unsigned long rounds = env_ulong("CLASP_NLRACE_ROUNDS", 100), i;
	struct sockaddr_in a = clasp_addr(LO, RACE_PORT);
	static struct race r;
	int cli[RACE_CHILDREN], raw, lis, one = 1, k;
	uint16_t cport[RACE_CHILDREN];
	long long t0 = clasp_now_ms();
	pthread_t t;

	/*
	 * The stack would answer the SYN-ACKs to the raw peer's ports with
	 * resets that end the requests at once: drop those.
	 */
	ASSERT_EQ(0, clasp_drop("ip saddr " RACE_PEER " @th,109,1 1"));
	raw = clasp_raw_open(RACE_PEER);
	ASSERT_LE(0, raw);
	r.nl = &self->nl;
	for (i = 0; i < rounds; i++) {
		struct clasp_seg syn = {
			.dport = RACE_PORT, .flags = TH_SYN, .win = 65535,
			.mss = 1460,
		};

		lis = clasp_socket();
		ASSERT_LE(0, lis);
		setsockopt(lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ASSERT_EQ(0, bind(lis, (struct sockaddr *)&a, sizeof(a)));
		ASSERT_EQ(0, listen(lis, RACE_KILLS + 8));
		r.len = 0;
		r.bad = 0;
		r.first_seq = ++self->nl.seq;
		self->nl.seq += RACE_KILLS;
		for (k = 0; k < RACE_CHILDREN; k++) {
			struct sockaddr_in me;
			socklen_t len = sizeof(me);

			cli[k] = clasp_socket();
			ASSERT_LE(0, cli[k]);
			ASSERT_EQ(0, connect(cli[k], (struct sockaddr *)&a, sizeof(a)))
				TH_LOG("round %lu: connect: %s", i, strerror(errno));
			ASSERT_EQ(0, getsockname(cli[k], (struct sockaddr *)&me, &len));
			cport[k] = ntohs(me.sin_port);
		}
		inet_pton(AF_INET, RACE_PEER, &syn.saddr);
		inet_pton(AF_INET, LO, &syn.daddr);
		for (k = 0; k < RACE_REQUESTS; k++) {
			syn.sport = RACE_PEER_PORT + (i * RACE_REQUESTS + k) % 1000;
			syn.seq = i * 100000 + k;
			ASSERT_EQ(0, clasp_raw_send(raw, &syn));
		}
		/* The listener, both ends of each child, and the requests. */
		ASSERT_TRUE(clasp_wait_until(clasp_stat("Objects") ==
					     1 + 2 * RACE_CHILDREN + RACE_REQUESTS,
					     REPLY_WAIT_S * 1000))
			TH_LOG("round %lu: Objects %lld", i, clasp_stat("Objects"));
		/* Alternate: children first, requests first, interleaved. */
		for (k = 0; k < RACE_KILLS; k++) {
			int c = (i % 3 == 0) ? k : (i % 3 == 1) ? RACE_KILLS - 1 - k :
				(k % 2 ? k / 2 : RACE_KILLS - 1 - k / 2);
			if (c < RACE_CHILDREN)
				race_add_kill(&r, LO, cport[c], r.first_seq + k);
			else
				race_add_kill(&r, RACE_PEER, RACE_PEER_PORT +
					      (i * RACE_REQUESTS + c -
					       RACE_CHILDREN) % 1000,
					      r.first_seq + k);
		}
		r.delay_us = (i % 4) * 300;
		ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, 2));
		ASSERT_EQ(0, pthread_create(&t, NULL, race_killer, &r));
		pthread_barrier_wait(&r.go);
		if (i % 4 == 3)
			usleep(600);
		close(lis);
		pthread_join(t, NULL);
		pthread_barrier_destroy(&r.go);
		EXPECT_EQ(0, r.bad) TH_LOG("round %lu", i);
		for (k = 0; k < RACE_CHILDREN; k++)
			close(cli[k]);
		if (r.bad)
			break;
	}
	close(raw);
	printf("# %lu rounds in %lld ms\n", i, clasp_now_ms() - t0);
	/* Each connection ended once: nothing left, nothing freed twice. */
	EXPECT_TRUE(clasp_wait_until(no_objects(), REPLY_WAIT_S * 1000))
		TH_LOG("Objects %lld after %lu rounds", clasp_stat("Objects"), i);
	EXPECT_EQ(0, family_alive(&self->nl));
}

CLASP_HARNESS_MAIN
