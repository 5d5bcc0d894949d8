// SPDX-License-Identifier: GPL-2.0
/*
 * Who may do what with the generic netlink family "clasp": reading
 * connections, counters and tunables is open to everyone; changing a
 * tunable or killing a connection takes CAP_NET_ADMIN over the network
 * namespace (GENL_UNS_ADMIN_PERM), as changing TCP's sysctls does.
 * Sequence numbers (SND_UNA, SND_NXT, RCV_NXT) are for CAP_NET_ADMIN over
 * the network namespace only, as sock_diag keeps TCP's: others see the
 * connections without them.
 * Checked as "nobody", as root of a user namespace that does not own the
 * network namespace, and as root of one that does.  Shared helpers and
 * the fixture: clasp_nl.h.
 */
#include "clasp_nl.h"

/* ---- sequence numbers: who sees them ---- */

/* What a dump or get showed: connections, and those with sequence numbers. */
struct seen {
	int conns;
	int with_seq;
	int compact;		/* compact entries (TIME_WAIT, FIN_WAIT_2) */
};

static void seen_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CLASP_A_MAX + 1];
	struct seen *s = arg;

	genl_attrs(nlh, tb, CLASP_A_MAX);
	if (!tb[CLASP_A_STATE])
		return;
	s->conns++;
	if (tb[CLASP_A_SND_UNA] || tb[CLASP_A_SND_NXT] || tb[CLASP_A_RCV_NXT])
		s->with_seq++;
	if (tb[CLASP_A_KIND] &&
	    *((const uint8_t *)tb[CLASP_A_KIND] + NLA_HDRLEN) == CLASP_KIND_COMPACT)
		s->compact++;
}

/* Dump every connection into @s; the answer's errno. */
static int dump_seen(struct nl *nl, struct seen *s)
{
	struct answer a;

	memset(s, 0, sizeof(*s));
	msg_init(&req, nl->family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	nl_talk(nl, &req, seen_cb, s, &a);
	return want_errno(&a, 0, "conn dump");
}

/*
 * A dump and a get of the pair's client as the caller: every connection
 * is there (@conns in the dump), with sequence numbers in each message if
 * @sees_seq and in none otherwise.  The count of surprises.
 */
static int check_seqs(struct nl *nl, struct pair *p, int conns, bool sees_seq)
{
	struct answer a;
	struct seen s;
	int bad = 0;

	bad += !!dump_seen(nl, &s);
	if (s.conns != conns) {
		printf("# conn dump: %d connections, want %d\n", s.conns, conns);
		bad++;
	}
	if (s.with_seq != (sees_seq ? s.conns : 0)) {
		printf("# conn dump: %d of %d connections with sequence numbers, want %s\n",
		       s.with_seq, s.conns, sees_seq ? "all" : "none");
		bad++;
	}
	if (!p)
		return bad;
	memset(&s, 0, sizeof(s));
	msg_pair(&req, nl, CLASP_CMD_CONN_GET, p);
	nl_talk(nl, &req, seen_cb, &s, &a);
	bad += !!want_errno(&a, 0, "conn get");
	if (s.conns != 1 || s.with_seq != (sees_seq ? 1 : 0)) {
		printf("# conn get: %d connections, %d with sequence numbers, want 1 and %d\n",
		       s.conns, s.with_seq, sees_seq);
		bad++;
	}
	return bad;
}

/* ---- who may do what ---- */

/*
 * In a child: the outcome of each request, as a count of surprises.  @p
 * is the pair to look at and kill (NULL for none), @conns the entries a
 * dump should show.
 */
static int check_access(struct pair *p, int conns, bool may_change,
			bool sees_seq)
{
	struct nl nl;
	struct answer a;
	struct table t;
	int bad = 0, want = may_change ? 0 : -EPERM;

	if (nl_open(&nl) || nl_resolve(&nl)) {
		printf("# cannot talk to the family\n");
		return 1;
	}
	bad += check_seqs(&nl, p, conns, sees_seq);
	bad += !!get_table(&nl, CLASP_CMD_STATS_GET, &t);
	bad += !!get_table(&nl, CLASP_CMD_CONFIG_GET, &t);
	config_set(&nl, "msl_ms", 1234, &a);
	bad += !!want_errno(&a, want, "config set");
	/* Out of range: checked after the permission, if at all. */
	config_set(&nl, "msl_ms", 0, &a);
	bad += !!want_errno(&a, may_change ? -ERANGE : -EPERM, "bad config set");
	if (p) {
		msg_pair(&req, &nl, CLASP_CMD_CONN_KILL, p);
		nl_talk(&nl, &req, NULL, NULL, &a);
		bad += !!want_errno(&a, want, "conn kill");
	}
	close(nl.fd);
	return bad;
}

/* Drop root; stay dumpable so that /proc/self/uid_map stays ours. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return -1;
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* A user namespace where our own (unprivileged) uid is root. */
static int enter_userns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_file("/proc/self/uid_map", map) ||
	    write_file("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", gid);
	return write_file("/proc/self/gid_map", map);
}

enum who { NOBODY_USER, USERNS_NOT_OWNER, USERNS_OWNER };

/*
 * Run check_access() in a child as @who; its result, or 4 (KSFT_SKIP)
 * when the child could not become @who for want of user namespaces.
 * Root of the user namespace that owns a network namespace has
 * CAP_NET_ADMIN over it: it sees the sequence numbers of a pair it opens
 * there, changes its tunables and kills its connections.
 */
static int access_as(enum who who, struct pair *p, int conns)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (become_nobody())
			_exit(100);
		if (who != NOBODY_USER && enter_userns()) {
			printf("# no user namespace as nobody: %s\n",
			       strerror(errno));
			_exit(KSFT_SKIP);
		}
		if (who == USERNS_OWNER) {
			static struct pair own;

			if (clasp_new_netns() || pair_open(&own))
				_exit(101);
			p = &own;
			conns = 3;
		}
		fflush(stdout);
		_exit(check_access(p, conns, who == USERNS_OWNER,
				   who == USERNS_OWNER) ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void expect_pair_untouched(struct __test_metadata *_metadata,
				  struct nl *nl, struct pair *p,
				  uint64_t msl)
{
	struct table t;
	int i;

	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(p->cli));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(p->srv));
	ASSERT_EQ(0, get_table(nl, CLASP_CMD_CONFIG_GET, &t));
	i = table_find(&t, "msl_ms");
	ASSERT_LE(0, i);
	EXPECT_EQ(msl, t.val[i]);
}

static uint64_t msl_now(struct nl *nl)
{
	struct table t;
	int i;

	if (get_table(nl, CLASP_CMD_CONFIG_GET, &t))
		return 0;
	i = table_find(&t, "msl_ms");
	return i < 0 ? 0 : t.val[i];
}

/*
 * Anyone may read, without the sequence numbers; only an admin may change
 * a tunable or kill, and sees them.
 */
TEST_F(nl, unprivileged_reads_only)
{
	uint64_t msl = msl_now(&self->nl);
	struct pair p;

	ASSERT_NE(0, msl);
	ASSERT_EQ(0, pair_open(&p));
	EXPECT_EQ(0, check_seqs(&self->nl, &p, 3, true));
	EXPECT_EQ(0, access_as(NOBODY_USER, &p, 3));
	expect_pair_untouched(_metadata, &self->nl, &p, msl);
	pair_close(&p);
}

/*
 * Root of a user namespace is no admin of a network namespace that user
 * namespace does not own.
 */
TEST_F(nl, userns_not_owner)
{
	uint64_t msl = msl_now(&self->nl);
	struct pair p;
	int rc;

	ASSERT_NE(0, msl);
	ASSERT_EQ(0, pair_open(&p));
	rc = access_as(USERNS_NOT_OWNER, &p, 3);
	if (rc == KSFT_SKIP) {
		pair_close(&p);
		SKIP(return, "unprivileged user namespaces are not allowed");
	}
	EXPECT_EQ(0, rc);
	expect_pair_untouched(_metadata, &self->nl, &p, msl);
	pair_close(&p);
}

/*
 * The mutating commands are GENL_UNS_ADMIN_PERM: root of a user namespace
 * steers the network namespace it created (but not the memory pool's
 * global limits: clasp_sysctl_test).
 */
TEST_F(nl, userns_owner_steers_its_own)
{
	int rc = access_as(USERNS_OWNER, NULL, 0);

	if (rc == KSFT_SKIP)
		SKIP(return, "unprivileged user namespaces are not allowed");
	EXPECT_EQ(0, rc);
}

/* Two entries, the listener and the client's TIME_WAIT, and no more. */
static bool only_listener_and_time_wait(struct nl *nl)
{
	struct seen s;

	return !dump_seen(nl, &s) && s.conns == 2 && s.compact == 1;
}

/*
 * A compact TIME_WAIT entry keeps its sequence numbers for an admin too:
 * everyone else sees the entry without them.
 */
TEST_F(nl, time_wait_sequence_numbers_for_admins_only)
{
	struct pair p;

	ASSERT_EQ(0, pair_open(&p));
	/* The client closes first: its side ends in TIME_WAIT. */
	close(p.cli);
	close(p.srv);
	ASSERT_TRUE(clasp_wait_until(only_listener_and_time_wait(&self->nl),
				     REPLY_WAIT_S * 1000));
	EXPECT_EQ(0, check_seqs(&self->nl, &p, 2, true));
	EXPECT_EQ(0, access_as(NOBODY_USER, &p, 2));
	close(p.lis);
}

CLASP_HARNESS_MAIN
