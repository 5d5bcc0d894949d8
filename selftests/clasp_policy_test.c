// SPDX-License-Identifier: GPL-2.0
/*
 * The policy hooks every kernel transport runs, each with a real rule or
 * program: a socket filter (SO_ATTACH_FILTER), an IPsec policy that
 * blocks (ip xfrm), and cgroup BPF programs for ingress, egress and
 * connect().  Each one, while in place, must stop what it stops; taken
 * away, the connection carries on.  The LSM hook runs in the same call
 * as the socket filter (sk_filter_trim_cap()); no LSM with a policy is
 * loaded in the test guests to show it.
 *
 * The fake peer of clasp_pkt_env.h plays the other end; CLASP_PROTO=6
 * plays the same against kernel TCP.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/filter.h>
#include <sys/syscall.h>

#include "clasp_pkt_env.h"


/* A BPF program of @type that returns @ret, whatever it is given. */
static int bpf_prog_const(enum bpf_prog_type type,
			  enum bpf_attach_type expected, int ret)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.insn_cnt = 2;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	attr.expected_attach_type = expected;
	return syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

static int bpf_cgroup(int cmd, int cgroup, int prog, enum bpf_attach_type type)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = cgroup;
	attr.attach_bpf_fd = prog;
	attr.attach_type = type;
	return syscall(__NR_bpf, cmd, &attr, sizeof(attr));
}

/* The peer's data reaches the socket: acknowledged and read. */
static void data_arrives(struct __test_metadata *_metadata, struct env *e,
			 int fd, int from, int to)
{
	char buf[64];

	ASSERT_EQ(0, clasp_pkt_inject(&e->p, "P. %d:%d(%d) ack 1", from, to, to - from));
	ASSERT_EQ(0, clasp_pkt_expect(&e->p, 0, ". 1:1(0) ack %d", to));
	EXPECT_EQ(to - from, recv(fd, buf, sizeof(buf), 0));
}

/* A classic BPF filter that drops everything, then none. */
TEST(socket_filter_drops_until_detached)
{
	struct sock_filter drop_all[] = { { BPF_RET | BPF_K, 0, 0, 0 } };
	struct sock_fprog prog = { .len = 1, .filter = drop_all };
	long long drops = clasp_counter("FilterDrops");
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd, zero = 0;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	if (clasp_only_check("FilterDrops: TCP counts no segment a filter dropped"))
		EXPECT_EQ(drops + 1, clasp_counter("FilterDrops"));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)));
	data_arrives(_metadata, &e, fd, 1, 6);
	close(fd);
}

/*
 * The id of the BTF type named @name of kind @kind in the running kernel's
 * BTF (/sys/kernel/btf/vmlinux), or -1.  Walks the type section: each
 * type's header, then what its kind adds (include/uapi/linux/btf.h).
 */
static int btf_find(const char *name, unsigned int kind)
{
	static const unsigned char per_member[] = {
		[BTF_KIND_STRUCT] = 12, [BTF_KIND_UNION] = 12,
		[BTF_KIND_ENUM] = 8, [BTF_KIND_FUNC_PROTO] = 8,
		[BTF_KIND_DATASEC] = 12, [BTF_KIND_ENUM64] = 12,
	};
	static const unsigned char fixed[] = {
		[BTF_KIND_INT] = 4, [BTF_KIND_ARRAY] = 12, [BTF_KIND_VAR] = 4,
		[BTF_KIND_DECL_TAG] = 4,
	};
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY), id = -1, next = 1;
	size_t size = 0, cap = 64 << 20;
	const struct btf_header *h;
	const char *strs;
	const uint8_t *t, *end;
	uint8_t *btf;
	ssize_t n;

	if (fd < 0)
		goto out;
	btf = malloc(cap);
	if (!btf)
		goto out;
	/* sysfs hands a binary file out a page per read() at most. */
	while (size < cap && (n = read(fd, btf + size, cap - size)) > 0)
		size += n;
	h = (const struct btf_header *)btf;
	if (size < sizeof(*h) || h->magic != BTF_MAGIC ||
	    h->hdr_len + h->str_off + h->str_len > size)
		goto free;
	t = btf + h->hdr_len + h->type_off;
	end = t + h->type_len;
	strs = (const char *)btf + h->hdr_len + h->str_off;
	while (t + sizeof(struct btf_type) <= end) {
		const struct btf_type *bt = (const struct btf_type *)t;
		unsigned int k = BTF_INFO_KIND(bt->info);

		if (k == kind && !strcmp(strs + bt->name_off, name)) {
			id = next;
			break;
		}
		t += sizeof(*bt);
		if (k < sizeof(fixed))
			t += fixed[k];
		if (k < sizeof(per_member))
			t += per_member[k] * BTF_INFO_VLEN(bt->info);
		next++;
	}
free:
	free(btf);
out:
	if (fd >= 0)
		close(fd);
	return id;
}

/*
 * A BPF LSM program on the socket_sock_rcv_skb hook that refuses every
 * segment (security_sock_rcv_skb(), run by sk_filter()), attached: its
 * link's fd, closed to detach it.  It holds for every socket of the
 * machine, so it stays attached only for one segment.
 */
static int lsm_refuse_all(struct __test_metadata *_metadata)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = -EPERM },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int btf_id = btf_find("bpf_lsm_socket_sock_rcv_skb", BTF_KIND_FUNC);
	union bpf_attr attr;
	int prog, link;

	EXPECT_LE(0, btf_id) TH_LOG("no BTF id for bpf_lsm_socket_sock_rcv_skb");
	if (btf_id < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_LSM;
	attr.expected_attach_type = BPF_LSM_MAC;
	attr.attach_btf_id = btf_id;
	attr.insn_cnt = 2;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	prog = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	EXPECT_LE(0, prog) TH_LOG("BPF_PROG_LOAD (LSM): %s", strerror(errno));
	if (prog < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.prog_fd = prog;
	link = syscall(__NR_bpf, BPF_RAW_TRACEPOINT_OPEN, &attr, sizeof(attr));
	EXPECT_LE(0, link) TH_LOG("attaching the LSM program: %s", strerror(errno));
	close(prog);
	return link;
}

/* Is the BPF LSM among the active ones?  (securityfs says.) */
static bool bpf_lsm_active(void)
{
	char list[256] = "";
	FILE *f;

	mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL);
	f = fopen("/sys/kernel/security/lsm", "r");
	if (!f)
		return false;
	if (!fgets(list, sizeof(list), f))
		list[0] = 0;
	fclose(f);
	return strstr(list, "bpf");
}

/* The LSM hook: a segment it refuses never reaches the socket. */
TEST(lsm_refuses_until_detached)
{
	long long drops = clasp_counter("FilterDrops");
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd, link;

	if (!bpf_lsm_active())
		SKIP(return, "the BPF LSM is not active");
	fd = env_established(_metadata, &e, NULL);
	link = lsm_refuse_all(_metadata);
	ASSERT_LE(0, link);
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(link);
	if (clasp_only_check("FilterDrops: TCP counts no segment the LSM dropped"))
		EXPECT_EQ(drops + 1, clasp_counter("FilterDrops"));
	data_arrives(_metadata, &e, fd, 1, 6);
	close(fd);
}

/*
 * An IPsec policy that blocks the peer: its SYN gets no SYN-ACK, and its
 * SYN to a closed port no RST.  Flushed, the handshake goes through.
 */
TEST(ipsec_policy_blocks_before_any_answer)
{
	long long drops = clasp_counter("PolicyDrops");
	struct env e;
	struct clasp_pkt *p = &e.p;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	ASSERT_EQ(0, clasp_sh("ip xfrm policy add src %s/32 dst %s/32 dir in action block",
			      CLASP_PKT_PEER, CLASP_PKT_LOCAL));
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	clasp_pkt_conn(p, CLOSED_PORT, PEER_PORT + 1);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	if (clasp_only_check("PolicyDrops: TCP counts IPsec drops in /proc/net/xfrm_stat only"))
		EXPECT_EQ(drops + 2, clasp_counter("PolicyDrops"));
	ASSERT_EQ(0, clasp_sh("ip xfrm policy flush"));
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT + 2);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
}

FIXTURE(cgroup) {
	struct env e;
	int cgroup;
};

FIXTURE_SETUP(cgroup)
{
	env_setup(_metadata, &self->e, NULL);
	self->cgroup = clasp_cgroup_enter("clasp_policy_test", NULL);
	ASSERT_LE(0, self->cgroup) TH_LOG("cgroup2: %s", strerror(errno));
	listen_on(_metadata, &self->e, LISTEN_PORT);
}

FIXTURE_TEARDOWN(cgroup)
{
	close(self->cgroup);
}

/* A cgroup BPF program of @type that returns @ret, attached; its fd. */
static int cgroup_attach(struct __test_metadata *_metadata, int cgroup,
			 enum bpf_prog_type prog_type,
			 enum bpf_attach_type type, int ret)
{
	int prog = bpf_prog_const(prog_type, type, ret);

	EXPECT_LE(0, prog) TH_LOG("BPF_PROG_LOAD: %s", strerror(errno));
	if (prog < 0)
		return -1;
	EXPECT_EQ(0, bpf_cgroup(BPF_PROG_ATTACH, cgroup, prog, type)) {
		TH_LOG("BPF_PROG_ATTACH: %s", strerror(errno));
	}
	return prog;
}

/* Ingress: what the peer sends is dropped before the socket sees it. */
TEST_F(cgroup, ingress_program_drops)
{
	struct clasp_pkt *p = &self->e.p;
	int fd = passive_open(_metadata, &self->e, PEER_PORT), prog;

	prog = cgroup_attach(_metadata, self->cgroup, BPF_PROG_TYPE_CGROUP_SKB,
			     BPF_CGROUP_INET_INGRESS, 0);
	ASSERT_LE(0, prog);
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	ASSERT_EQ(0, bpf_cgroup(BPF_PROG_DETACH, self->cgroup, prog,
				BPF_CGROUP_INET_INGRESS));
	data_arrives(_metadata, &self->e, fd, 1, 6);
	close(fd);
}

/*
 * Egress: the socket's own segments carry it (skb->sk), so the program
 * sees them and drops the ACK; detached, the next ACK covers both.
 */
TEST_F(cgroup, egress_program_sees_the_socket)
{
	struct clasp_pkt *p = &self->e.p;
	int fd = passive_open(_metadata, &self->e, PEER_PORT), prog;
	char buf[16];

	prog = cgroup_attach(_metadata, self->cgroup, BPF_PROG_TYPE_CGROUP_SKB,
			     BPF_CGROUP_INET_EGRESS, 0);
	ASSERT_LE(0, prog);
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(5, recv(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, bpf_cgroup(BPF_PROG_DETACH, self->cgroup, prog,
				BPF_CGROUP_INET_EGRESS));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 6:11(5) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 11"));
	close(fd);
}

/* connect(): a cgroup connect4 program refuses it (EPERM); no SYN leaves. */
TEST_F(cgroup, connect_program_refuses)
{
	struct sockaddr_in to = clasp_addr(CLASP_PKT_PEER, REMOTE_PORT);
	struct clasp_pkt *p = &self->e.p;
	int fd = bound_socket(_metadata, CLASP_PKT_LOCAL, ACTIVE_PORT), prog;

	ASSERT_LE(0, fd);
	prog = cgroup_attach(_metadata, self->cgroup, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
			     BPF_CGROUP_INET4_CONNECT, 0);
	ASSERT_LE(0, prog);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EPERM, errno) TH_LOG("connect: %s", strerror(errno));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(TCP_CLOSE, clasp_state(fd));
	ASSERT_EQ(0, bpf_cgroup(BPF_PROG_DETACH, self->cgroup, prog,
				BPF_CGROUP_INET4_CONNECT));
	close(fd);
}

CLASP_HARNESS_MAIN
