// SPDX-License-Identifier: GPL-2.0
/*
 * Who may do what with the generic netlink family "clasp": reading
 * connections, counters and tunables is open to everyone; changing a
 * tunable or killing a connection takes CAP_NET_ADMIN in the initial user
 * namespace (GENL_ADMIN_PERM).  Checked as "nobody", as root of a user
 * namespace that does not own the network namespace, and as root of one
 * that does.  Shared helpers and the fixture: clasp_nl.h.
 */
#include "clasp_nl.h"

/* ---- who may do what ---- */

/* In a child: the outcome of each request, as a count of surprises. */
static int check_access(struct pair *p, bool may_change)
{
	struct nl nl;
	struct answer a;
	struct table t;
	int n = 0, bad = 0, want = may_change ? 0 : -EPERM;

	if (nl_open(&nl) || nl_resolve(&nl)) {
		printf("# cannot talk to the family\n");
		return 1;
	}
	msg_init(&req, nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	nl_talk(&nl, &req, count_cb, &n, &a);
	bad += !!want_errno(&a, 0, "conn dump");
	if (p && n != 3) {
		printf("# conn dump: %d connections, want 3\n", n);
		bad++;
	}
	if (p) {
		msg_pair(&req, &nl, CLASP_CMD_CONN_GET, p);
		nl_talk(&nl, &req, NULL, NULL, &a);
		bad += !!want_errno(&a, 0, "conn get");
	}
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
 */
static int access_as(enum who who, struct pair *p)
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
			if (clasp_new_netns())
				_exit(101);
			p = NULL;
		}
		fflush(stdout);
		_exit(check_access(p, false) ? 1 : 0);
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

/* Anyone may read; only an admin may change a tunable or kill. */
TEST_F(nl, unprivileged_reads_only)
{
	uint64_t msl = msl_now(&self->nl);
	struct pair p;

	ASSERT_NE(0, msl);
	ASSERT_EQ(0, pair_open(&p));
	EXPECT_EQ(0, access_as(NOBODY_USER, &p));
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
	rc = access_as(USERNS_NOT_OWNER, &p);
	if (rc == KSFT_SKIP) {
		pair_close(&p);
		SKIP(return, "unprivileged user namespaces are not allowed");
	}
	EXPECT_EQ(0, rc);
	expect_pair_untouched(_metadata, &self->nl, &p, msl);
	pair_close(&p);
}

/*
 * The mutating commands are GENL_ADMIN_PERM: CAP_NET_ADMIN in the initial
 * user namespace.  Root of a user namespace may read even the namespace it
 * created, and may not steer it.
 */
TEST_F(nl, userns_owner_reads_but_does_not_steer)
{
	int rc = access_as(USERNS_OWNER, NULL);

	if (rc == KSFT_SKIP)
		SKIP(return, "unprivileged user namespaces are not allowed");
	EXPECT_EQ(0, rc);
}

CLASP_HARNESS_MAIN
