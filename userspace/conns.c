// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl conns: list connections like ss -tan, from a CLASP_CMD_CONN_GET
 * dump filtered in the kernel; claspctl kill: CLASP_CMD_CONN_KILL.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claspctl.h"

void conns_usage(FILE *f)
{
	fprintf(f,
		"Usage: claspctl [-N NETNS] [-j] [-n|-r] [-H] conns [-o] [-i] [-p] [-K]\n"
		"                [-4|-6] [FILTER]...\n"
		"FILTER := state STATE | exclude STATE | sport [=] PORT |\n"
		"          dport [=] PORT | src [=] ADDR[/LEN] | dst [=] ADDR[/LEN]\n"
		"ADDR   := A.B.C.D | IPV6 | [IPV6]\n"
		"STATE  := established | syn-sent | syn-recv | fin-wait-1 |\n"
		"          fin-wait-2 | time-wait | closed | close-wait | last-ack |\n"
		"          listening | closing |\n"
		"          all | connected | synchronized | bucket | big\n"
		"  -o  show timers      -i  show internal information\n"
		"  -p  show the processes owning each socket (as ss -p)\n"
		"  -K  kill the connections the filter selects (as ss -K)\n"
		"  -4  IPv4 sockets only    -6  IPv6 sockets only (as ss)\n"
		"  -n  port numbers     -r  resolve host names\n"
		"  -H  no header        -j  JSON    --pretty  indented JSON\n"
		"Without a state filter every state is shown, listeners included.\n"
		"sport/src are the local side, dport/dst the peer.\n");
}

void kill_usage(FILE *f)
{
	fprintf(f,
		"Usage: claspctl kill SRC:PORT DST:PORT\n"
		"Aborts one connection with RST, as ss -K does; SRC:PORT is the\n"
		"local side, A.B.C.D:PORT or [IPV6]:PORT as conns shows it.\n"
		"Needs CAP_NET_ADMIN.\n");
}

/* One row, with every attribute the kernel sent. */
struct conn {
	uint64_t v[CLASP_A_MAX + 1];
	bool have[CLASP_A_MAX + 1];
	struct ip_addr laddr, raddr;	/* as on the wire */
	char ca_name[16];	/* congestion control, "" if not sent */
};

struct table;

/*
 * What tells two rows apart: the 4-tuple, and for a listener its cookie
 * (listeners bound to different devices share address and port).  A
 * connection shown twice may have changed kind between (socket, then
 * TIME_WAIT entry): the first is kept.
 */
struct row_key {
	struct ip_addr laddr, raddr;
	uint16_t lport, rport;
	uint64_t cookie;
};

/*
 * The rows already shown, an open-addressing set of keys: a dump is
 * resumed a message at a time, and a table resized meanwhile shows some
 * connections twice (the kernel's walk restarts, as inet_diag's may).
 */
struct seen_set {
	struct row_key *slots;
	bool *used;
	size_t n, cap;
};

/*
 * The rows of a dump: kept whole for -K (@keep), which kills before it
 * prints; otherwise each row is printed as it arrives, as a JSON object
 * or into the text @table.
 */
struct conn_list {
	struct conn *rows;
	size_t n, cap;
	bool keep;
	struct table *table;
	struct seen_set seen;
};

static uint64_t row_hash(const struct row_key *k)
{
	uint64_t h = ((uint64_t)k->lport << 16 | k->rport) ^ k->cookie, w;
	size_t i;

	for (i = 0; i < 16; i += 8) {
		memcpy(&w, k->laddr.a + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		memcpy(&w, k->raddr.a + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static bool seen_insert_slot(struct seen_set *s, const struct row_key *k)
{
	size_t i = row_hash(k) & (s->cap - 1);

	while (s->used[i]) {
		if (!memcmp(&s->slots[i], k, sizeof(*k)))
			return false;
		i = (i + 1) & (s->cap - 1);
	}
	s->used[i] = true;
	s->slots[i] = *k;
	s->n++;
	return true;
}

/* Kept at most half full: twice as many slots as keys, doubled as it grows. */
static void seen_grow(struct seen_set *s)
{
	struct seen_set big = { .cap = s->cap ? 2 * s->cap : 1024 };
	size_t i;

	big.slots = calloc(big.cap, sizeof(*big.slots));
	big.used = calloc(big.cap, sizeof(*big.used));
	if (!big.slots || !big.used)
		die("out of memory");
	for (i = 0; i < s->cap; i++)
		if (s->used[i])
			seen_insert_slot(&big, &s->slots[i]);
	free(s->slots);
	free(s->used);
	*s = big;
}

/* False if the key was there already. */
static bool seen_insert(struct seen_set *s, const struct row_key *k)
{
	if (2 * (s->n + 1) > s->cap)
		seen_grow(s);
	return seen_insert_slot(s, k);
}

static void seen_free(struct seen_set *s)
{
	free(s->slots);
	free(s->used);
}

/* A row seen before in this dump (a repeat of the kernel's walk)? */
static bool repeated_row(struct conn_list *l, const struct nlattr **tb)
{
	struct row_key k;

	memset(&k, 0, sizeof(k));
	nl_get_addr(tb, true, &k.laddr);
	nl_get_addr(tb, false, &k.raddr);
	k.lport = mnl_attr_get_u16(tb[CLASP_A_LPORT]);
	k.rport = tb[CLASP_A_RPORT] ? mnl_attr_get_u16(tb[CLASP_A_RPORT]) : 0;
	if (!k.rport && tb[CLASP_A_COOKIE])
		k.cookie = mnl_attr_get_u64(tb[CLASP_A_COOKIE]);
	return !seen_insert(&l->seen, &k);
}

static void print_conn(const struct conn *c, struct table *t);

/* An integer attribute's value, read in place (libmnl's calls cost more). */
static uint64_t attr_value(const struct nlattr *a)
{
	const void *p = (const char *)a + MNL_ATTR_HDRLEN;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	switch (a->nla_len - MNL_ATTR_HDRLEN) {
	case 1: return *(const uint8_t *)p;
	case 2: memcpy(&v16, p, 2); return v16;
	case 4: memcpy(&v32, p, 4); return v32;
	case 8: memcpy(&v64, p, 8); return v64;
	}
	return 0;
}

static int conn_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CLASP_A_MAX + 1];
	struct conn_list *l = data;
	struct conn row, *c = &row;
	struct ip_addr la;
	int i;

	if (nl_parse_attrs(nlh, tb))
		return MNL_CB_ERROR;
	if (!nl_get_addr(tb, true, &la) || !tb[CLASP_A_LPORT] ||
	    !tb[CLASP_A_STATE])
		return MNL_CB_OK;	/* not a connection */
	if (repeated_row(l, tb))
		return MNL_CB_OK;
	if (l->keep) {
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 64;
			l->rows = realloc(l->rows, l->cap * sizeof(*l->rows));
			if (!l->rows)
				die("out of memory");
		}
		c = &l->rows[l->n++];
	}
	memset(c, 0, sizeof(*c));
	for (i = 0; i <= CLASP_A_MAX; i++) {
		if (!tb[i] || i == CLASP_A_NAME || i == CLASP_A_STATS ||
		    i == CLASP_A_CONFIG || i == CLASP_A_ENTRY ||
		    i == CLASP_A_CA_NAME || i == CLASP_A_CA_AVAILABLE ||
		    i == CLASP_A_LADDR6 || i == CLASP_A_RADDR6)
			continue;
		c->have[i] = true;
		c->v[i] = attr_value(tb[i]);
	}
	if (tb[CLASP_A_CA_NAME])
		snprintf(c->ca_name, sizeof(c->ca_name), "%s",
			 mnl_attr_get_str(tb[CLASP_A_CA_NAME]));
	/* The addresses are big endian: keep their bytes as they are. */
	c->laddr = la;
	nl_get_addr(tb, false, &c->raddr);
	if (!l->keep)
		print_conn(c, l->table);
	return MNL_CB_OK;
}

/*
 * The family the socket shows its addresses in: an AF_INET6 socket's
 * IPv4 connection v4-mapped, as ss shows it.  A module that does not say
 * (no SOCK_FAMILY): the wire's.
 */
static int sock_family(const struct conn *c)
{
	return c->have[CLASP_A_SOCK_FAMILY] ? (int)c->v[CLASP_A_SOCK_FAMILY] :
					      c->laddr.family;
}

/*
 * One end's address as its socket shows it: v4-mapped in an AF_INET6
 * socket, but for the unspecified one, which is :: there (the peer of a
 * listener bound to ::ffff:a.b.c.d).
 */
static void shown_addr(const struct conn *c, bool local, struct ip_addr *a)
{
	const struct ip_addr *w = local ? &c->laddr : &c->raddr;

	if (sock_family(c) != AF_INET6) {
		*a = *w;
	} else if (w->family == AF_INET && addr_is_any(w)) {
		memset(a, 0, sizeof(*a));
		a->family = AF_INET6;
	} else {
		addr_v4mapped(w, a);
	}
}

/* A number as ss prints it: IPv4 as it is, IPv6 in brackets. */
static size_t num_host_str(const struct ip_addr *a, char *buf)
{
	if (a->family != AF_INET6) {
		addr_str(a, buf);
		return strlen(buf);
	}
	buf[0] = '[';
	addr_str(a, buf + 1);
	strcat(buf, "]");
	return strlen(buf);
}

/*
 * An address as ss prints it: IPv4 as a number, IPv6 in brackets, the
 * unspecified :: of an AF_INET6 socket that takes IPv4 too (not V6ONLY)
 * as *; with -r a name when it has one (no brackets then).  @buf holds
 * @len bytes, at least ADDR_STRLEN; returns the length written.
 */
static size_t host_str(const struct conn *c, bool local, char *buf,
		       size_t len)
{
	/* Many rows share an address: -r asks once for each. */
	static struct { struct ip_addr addr; char name[NI_MAXHOST]; } cache[256];
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr *sa = (struct sockaddr *)&sin;
	socklen_t salen = sizeof(sin);
	unsigned int slot = 0, i;
	struct ip_addr a;

	shown_addr(c, local, &a);
	if (a.family == AF_INET6 && addr_is_any(&a) &&
	    !(c->have[CLASP_A_V6ONLY] && c->v[CLASP_A_V6ONLY])) {
		strcpy(buf, "*");
		return 1;
	}
	if (!opts.resolve || addr_is_any(&a))
		return num_host_str(&a, buf);
	if (a.family == AF_INET6) {
		memcpy(&sin6.sin6_addr, a.a, 16);
		sa = (struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	} else {
		memcpy(&sin.sin_addr, a.a, 4);
	}
	for (i = 0; i < sizeof(a.a); i++)
		slot = (slot * 31 + a.a[i]) & 255;
	if (!memcmp(&cache[slot].addr, &a, sizeof(a))) {
		snprintf(buf, len, "%s", cache[slot].name);
		return strlen(buf);
	}
	if (getnameinfo(sa, salen, buf, len, NULL, 0, NI_NAMEREQD))
		num_host_str(&a, buf);
	cache[slot].addr = a;
	snprintf(cache[slot].name, sizeof(cache[slot].name), "%s", buf);
	return strlen(buf);
}

/*
 * The services database's TCP names by port, read once: getservbyport()
 * reads it through from the start on every call, which a table of
 * 100,000 rows would pay 200,000 times.  The first entry of a port wins,
 * as with getservbyport().
 */
static char **service_names(void)
{
	static char **names;
	struct servent *se;

	if (names)
		return names;
	names = calloc(65536, sizeof(*names));
	if (!names)
		die("out of memory");
	setservent(1);
	while ((se = getservent())) {
		unsigned int port = ntohs(se->s_port);

		if (!strcmp(se->s_proto, "tcp") && !names[port]) {
			names[port] = strdup(se->s_name);
			if (!names[port])
				die("out of memory");
		}
	}
	endservent();
	return names;
}

/*
 * A port as ss shows it: its service name (clasp's ports mean TCP's) unless
 * -n, the number when it has none.  Returns the length written to @buf
 * (@len bytes, at least 21).
 */
static size_t port_str(unsigned int port, char *buf, size_t len)
{
	const char *name = NULL;
	size_t n;

	if (!opts.numeric && port < 65536)
		name = service_names()[port];
	if (name) {
		n = strnlen(name, len - 1);
		memcpy(buf, name, n);
	} else {
		n = fmt_u64(buf, port);
	}
	buf[n] = '\0';
	return n;
}

/* append(buf, fmt, ...): printf at the end of a malloc'd string. */
static void __attribute__((format(printf, 2, 3)))
append(char **buf, const char *fmt, ...)
{
	size_t old = *buf ? strlen(*buf) : 0;
	va_list ap;
	char *more;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&more, fmt, ap);
	va_end(ap);
	if (n < 0 || !(*buf = realloc(*buf, old + n + 1)))
		die("out of memory");
	memcpy(*buf + old, more, n + 1);
	free(more);
}

/* -p: which processes hold which socket inode. */
struct user {
	unsigned long long ino;
	size_t seq;		/* the order found, kept among one inode's */
	char *users;		/* ss's ("comm",pid=N,fd=N),... */
};

static struct {
	struct user *v;
	size_t n, cap;
} users;

static void add_user(unsigned long long ino, const char *comm,
		     const char *pid, const char *fd)
{
	struct user *u;

	if (users.n == users.cap) {
		users.cap = users.cap ? 2 * users.cap : 64;
		users.v = realloc(users.v, users.cap * sizeof(*users.v));
		if (!users.v)
			die("out of memory");
	}
	u = &users.v[users.n];
	*u = (struct user){ .ino = ino, .seq = users.n };
	users.n++;
	append(&u->users, "(\"%s\",pid=%s,fd=%s)", comm, pid, fd);
}

static int user_cmp(const void *a, const void *b)
{
	const struct user *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorted by inode, one entry per inode listing all its holders. */
static void merge_users(void)
{
	size_t i, n = 0;

	qsort(users.v, users.n, sizeof(*users.v), user_cmp);
	for (i = 0; i < users.n; i++) {
		if (n && users.v[n - 1].ino == users.v[i].ino) {
			append(&users.v[n - 1].users, ",%s", users.v[i].users);
			free(users.v[i].users);
			continue;
		}
		users.v[n++] = users.v[i];
	}
	users.n = n;
}

static int user_ino_cmp(const void *key, const void *elem)
{
	unsigned long long ino = *(const unsigned long long *)key;
	const struct user *u = elem;

	return ino < u->ino ? -1 : ino > u->ino;
}

static const struct user *user_of(unsigned long long ino)
{
	return bsearch(&ino, users.v, users.n, sizeof(*users.v),
		       user_ino_cmp);
}

/* One process's sockets, from its /proc/PID/fd links. */
static void find_process_users(const char *pid)
{
	char path[600], link[64], comm[64] = "";
	struct dirent *f;
	FILE *cf;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	fds = opendir(path);
	if (!fds)
		return;
	while ((f = readdir(fds))) {
		unsigned long long ino;
		ssize_t n;

		if (f->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, f->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1 || !ino)
			continue;
		if (!comm[0]) {
			snprintf(path, sizeof(path), "/proc/%s/comm", pid);
			cf = fopen(path, "r");
			if (!cf || !fgets(comm, sizeof(comm), cf))
				strcpy(comm, "?");
			if (cf)
				fclose(cf);
			comm[strcspn(comm, "\n")] = '\0';
		}
		add_user(ino, comm, pid, f->d_name);
	}
	closedir(fds);
}

/*
 * -p: the processes holding each socket, found as ss finds them, before
 * the dump so that rows can be printed as they arrive: every
 * /proc/PID/fd/N that links to "socket:[INODE]".  Processes we may not
 * look into are left out, as by ss; the name is /proc/PID/comm.
 */
static void find_users(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;

	if (!proc)
		return;
	while ((p = readdir(proc)))
		if (p->d_name[0] >= '1' && p->d_name[0] <= '9')
			find_process_users(p->d_name);
	closedir(proc);
	merge_users();
}

static void free_users(void)
{
	size_t i;

	for (i = 0; i < users.n; i++)
		free(users.v[i].users);
	free(users.v);
}

/* The users of -p as JSON: [{"name": "prog", "pid": N, "fd": N}, ...]. */
static void json_users(const char *u)
{
	char name[64];
	unsigned long long pid, fd;
	int n;

	jw_begin_array();
	while (u && sscanf(u + (*u == ','), "(\"%63[^\"]\",pid=%llu,fd=%llu)%n",
			   name, &pid, &fd, &n) == 3) {
		jw_begin_object();
		jw_kv_string("name", name);
		jw_kv_u64("pid", pid);
		jw_kv_u64("fd", fd);
		jw_end_object();
		u += n + (*u == ',');
	}
	jw_end_array();
}

/* ss's name for an armed timer; NULL when none is. */
static const char *timer_name(const struct conn *c)
{
	if (!c->have[CLASP_A_TIMER])
		return NULL;
	switch (c->v[CLASP_A_TIMER]) {
	case CLASP_TIMER_RETRANS: return "on";
	case CLASP_TIMER_KEEPALIVE: return "keepalive";
	case CLASP_TIMER_TIMEWAIT: return "timewait";
	case CLASP_TIMER_FINWAIT2: return "timewait";	/* as ss shows it */
	case CLASP_TIMER_DELACK: return "delack";
	}
	return NULL;
}

static uint64_t val(const struct conn *c, int attr)
{
	return c->have[attr] ? c->v[attr] : 0;
}

/* One attribute through pr_u64(): null under -j when not reported. */
static void pr_attr(const struct conn *c, const char *key, const char *fmt,
		    int attr)
{
	pr_u64(key, fmt, c->have[attr], c->v[attr]);
}

/*
 * -o: " timer:(on,200ms,0)" as ss prints it (the table lines it up); under
 * -j {"kind": "on", "expires_ms": 200, "retrans": 0} or null.
 */
static void print_timer(const struct conn *c)
{
	const char *tn = timer_name(c);
	char buf[64];

	if (opts.json) {
		jw_key("timer");
		if (!tn) {
			jw_null();
			return;
		}
		jw_begin_object();
		jw_kv_string("kind", tn);
		jw_kv_u64("expires_ms", val(c, CLASP_A_TIMER_MS));
		jw_kv_u64("retrans", val(c, CLASP_A_RETRANS));
		jw_end_object();
	} else if (tn) {
		format_ms(buf, sizeof(buf), val(c, CLASP_A_TIMER_MS));
		fprintf(pr_text, " timer:(%s,%s,%llu)", tn, buf,
			(unsigned long long)val(c, CLASP_A_RETRANS));
	}
}

/* A rate in bits a second as ss's sprint_bw() writes it (-n: a number). */
static void format_bw(char *buf, size_t size, double bw)
{
	if (opts.numeric)
		snprintf(buf, size, "%.0f", bw);
	else if (bw > 1e9)
		snprintf(buf, size, "%.1fG", bw / 1e9);
	else if (bw > 1e6)
		snprintf(buf, size, "%.1fM", bw / 1e6);
	else if (bw > 1e3)
		snprintf(buf, size, "%.1fK", bw / 1e3);
	else
		snprintf(buf, size, "%g", bw);
}

/*
 * -i: " pacing_rate 4.5Mbps" as ss, "/1.0Gbps" after it under
 * SO_MAX_PACING_RATE; under -j both in bytes a second, or null.
 */
static void print_pacing(const struct conn *c)
{
	char rate[32], max[32];

	if (opts.json) {
		pr_attr(c, "pacing_rate", "", CLASP_A_PACING_RATE);
		pr_attr(c, "max_pacing_rate", "", CLASP_A_MAX_PACING_RATE);
		return;
	}
	if (!c->have[CLASP_A_PACING_RATE])
		return;
	format_bw(rate, sizeof(rate), 8.0 * c->v[CLASP_A_PACING_RATE]);
	fprintf(pr_text, " pacing_rate %sbps", rate);
	if (c->have[CLASP_A_MAX_PACING_RATE]) {
		format_bw(max, sizeof(max), 8.0 * c->v[CLASP_A_MAX_PACING_RATE]);
		fprintf(pr_text, "/%sbps", max);
	}
}

/*
 * -i: whatever the kernel knows about this kind of entry, in ss -i's words
 * on a line of its own, or as keys of the row's object.  Times are in
 * milliseconds both ways, as ss shows them.
 */
static void print_info(const struct conn *c)
{
	bool have;

	if (!opts.json)
		fprintf(pr_text, "\t kind:%s", kind_name(val(c, CLASP_A_KIND)));
	pr_flag("passive", " passive", c->have[CLASP_A_PASSIVE],
		c->v[CLASP_A_PASSIVE]);
	/* As ss -i: the algorithm's name alone. */
	pr_str("congestion_control", " ", c->ca_name[0] ? c->ca_name : NULL);
	pr_float("rto_ms", " rto:", "%g", c->have[CLASP_A_RTO_US],
		 c->v[CLASP_A_RTO_US] / 1000.0);
	pr_float("rtt_ms", " rtt:", "%.3f", c->have[CLASP_A_SRTT_US],
		 c->v[CLASP_A_SRTT_US] / 1000.0);
	pr_str("ca_state", " ca_state:", c->have[CLASP_A_CA_STATE] ?
	       ca_state_name(c->v[CLASP_A_CA_STATE]) : NULL);
	pr_attr(c, "mss", " mss:%llu", CLASP_A_MSS);
	pr_attr(c, "backoff", " backoff:%llu", CLASP_A_BACKOFF);
	pr_attr(c, "retrans", " retrans:%llu", CLASP_A_RETRANS);
	pr_attr(c, "snd_una", " snd_una:%llu", CLASP_A_SND_UNA);
	pr_attr(c, "snd_nxt", " snd_nxt:%llu", CLASP_A_SND_NXT);
	pr_attr(c, "rcv_nxt", " rcv_nxt:%llu", CLASP_A_RCV_NXT);
	pr_attr(c, "snd_wnd", " snd_wnd:%llu", CLASP_A_SND_WND);
	pr_attr(c, "rcv_wnd", " rcv_wnd:%llu", CLASP_A_RCV_WND);
	pr_attr(c, "ooo_segs", " ooo:%llu", CLASP_A_OOO_SEGS);
	pr_attr(c, "sack_blocks", " sack_blocks:%llu", CLASP_A_SACK_BLOCKS);
	pr_attr(c, "uid", " uid:%llu", CLASP_A_UID);
	pr_attr(c, "inode", " ino:%llu", CLASP_A_INODE);
	pr_attr(c, "cookie", " sk:%llx", CLASP_A_COOKIE);
	/* As ss -i: the peer's shift, then ours. */
	have = c->have[CLASP_A_SND_WSCALE] && c->have[CLASP_A_RCV_WSCALE];
	if (opts.json) {
		pr_attr(c, "snd_wscale", NULL, CLASP_A_SND_WSCALE);
		pr_attr(c, "rcv_wscale", NULL, CLASP_A_RCV_WSCALE);
	} else if (have) {
		fprintf(pr_text, " wscale:%llu,%llu",
			(unsigned long long)c->v[CLASP_A_SND_WSCALE],
			(unsigned long long)c->v[CLASP_A_RCV_WSCALE]);
	}
	pr_flag("ts", " ts", c->have[CLASP_A_TS_OK], c->v[CLASP_A_TS_OK]);
	pr_flag("sack", " sack", c->have[CLASP_A_SACK_OK],
		c->v[CLASP_A_SACK_OK]);
	/* As ss -i: "ecn" when in use, "ecnseen" once a mark came. */
	pr_flag("ecn", " ecn", c->have[CLASP_A_ECN_OK], c->v[CLASP_A_ECN_OK]);
	pr_flag("ecn_seen", " ecnseen", c->have[CLASP_A_ECN_SEEN],
		c->v[CLASP_A_ECN_SEEN]);
	/* As ss -i: text shows reordering when not 3, sacked when any. */
	have = c->have[CLASP_A_REORDERING];
	pr_u64("reordering", " reordering:%llu",
	       have && (opts.json || c->v[CLASP_A_REORDERING] != 3),
	       c->v[CLASP_A_REORDERING]);
	have = c->have[CLASP_A_SACKED_SEGS];
	pr_u64("sacked_segs", " sacked:%llu",
	       have && (opts.json || c->v[CLASP_A_SACKED_SEGS]),
	       c->v[CLASP_A_SACKED_SEGS]);
	/* As ss -i: cwnd always, ssthresh once a loss set it. */
	pr_attr(c, "cwnd", " cwnd:%llu", CLASP_A_CWND);
	have = c->have[CLASP_A_SSTHRESH];
	pr_u64("ssthresh", " ssthresh:%llu",
	       have && (opts.json || c->v[CLASP_A_SSTHRESH] < 0x7fffffff),
	       c->v[CLASP_A_SSTHRESH]);
	pr_attr(c, "in_flight", " in_flight:%llu", CLASP_A_IN_FLIGHT);
	print_pacing(c);
	if (!opts.json)
		fputc('\n', pr_text);
}

/* The text table's columns after the state, in order. */
enum { COL_RECVQ, COL_SENDQ, COL_LADDR, COL_LPORT, COL_PADDR, COL_PPORT,
       NR_COLS };

/* A row's columns as text, resolved as -n and -r ask. */
struct cols {
	char text[NR_COLS][NI_MAXHOST];
	size_t len[NR_COLS];
};

/*
 * The text table: ss's columns, each as wide as its widest row's, so that
 * no row is printed before the last has come.  Each row is formatted
 * once, as it comes, and kept packed in @rows: its state (a byte), its
 * columns (a 16-bit length and the text each), and the lengths of what
 * follows them in @tail (two 32-bit ones: what the widest peer port lines
 * up, -p's users and -o's timer; then, after the newline, -i's line).
 * Some 50 bytes a row: a struct conn kept for each took 672, and
 * host-name buffers 2,000.  @tail is one stream for all rows, pr_text
 * while they come; without -p, -o and -i it stays empty.
 */
struct table {
	char *rows;
	size_t len, cap, n;
	int wstate, w[NR_COLS];
	FILE *tail;
	char *tail_buf;
	size_t tail_size;
	long tail_start, tail_mid;
};

static void row_cols(const struct conn *c, struct cols *k)
{
	k->len[COL_RECVQ] = fmt_u64(k->text[COL_RECVQ], val(c, CLASP_A_RECV_Q));
	k->len[COL_SENDQ] = fmt_u64(k->text[COL_SENDQ], val(c, CLASP_A_SEND_Q));
	k->len[COL_LADDR] = host_str(c, true, k->text[COL_LADDR], NI_MAXHOST);
	k->len[COL_PADDR] = host_str(c, false, k->text[COL_PADDR], NI_MAXHOST);
	k->len[COL_LPORT] = port_str(val(c, CLASP_A_LPORT), k->text[COL_LPORT],
				     NI_MAXSERV);
	if (val(c, CLASP_A_RPORT)) {
		k->len[COL_PPORT] = port_str(val(c, CLASP_A_RPORT),
					     k->text[COL_PPORT], NI_MAXSERV);
	} else {
		k->text[COL_PPORT][0] = '*';
		k->len[COL_PPORT] = 1;
	}
}

static void table_init(struct table *t)
{
	/* ss's headers are the narrowest the columns get. */
	static const int w[NR_COLS] = { 6, 6, 13, 4, 12, 4 };

	memset(t, 0, sizeof(*t));
	t->wstate = 5;
	memcpy(t->w, w, sizeof(w));
	t->tail = open_memstream(&t->tail_buf, &t->tail_size);
	if (!t->tail)
		die("out of memory");
}

static void table_put(struct table *t, const void *p, size_t n)
{
	memcpy(t->rows + t->len, p, n);
	t->len += n;
}

/* The end of t->tail: no ftell() for each row when nothing goes there. */
static long table_tell(struct table *t)
{
	return opts.processes || opts.timers || opts.info ? ftell(t->tail) : 0;
}

/* A row's state and columns into the table; its tail follows in t->tail. */
static void table_add_cols(struct table *t, const struct conn *c)
{
	struct cols k;
	size_t need = 1 + 8;
	uint8_t state = c->v[CLASP_A_STATE];
	int i;

	row_cols(c, &k);
	for (i = 0; i < NR_COLS; i++)
		need += 2 + k.len[i];
	if (t->len + need > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1 << 16;
		if (t->cap < t->len + need)
			t->cap = t->len + need;
		t->rows = realloc(t->rows, t->cap);
		if (!t->rows)
			die("out of memory");
	}
	table_put(t, &state, 1);
	i = strlen(state_name(state));
	if (i > t->wstate)
		t->wstate = i;
	for (i = 0; i < NR_COLS; i++) {
		uint16_t len = k.len[i];

		table_put(t, &len, 2);
		table_put(t, k.text[i], len);
		if (len > t->w[i])
			t->w[i] = len;
	}
	t->n++;
	t->tail_start = table_tell(t);
}

/* Where the row's users and timer end and its newline goes. */
static void table_mid(struct table *t)
{
	t->tail_mid = table_tell(t);
}

static void table_end_row(struct table *t)
{
	uint32_t len[2] = { t->tail_mid - t->tail_start,
			    table_tell(t) - t->tail_mid };

	table_put(t, len, sizeof(len));
}

/* Output a block at a time: a printf() for each field was most of the time. */
static struct {
	char buf[1 << 16];
	size_t n;
} out;

static void out_flush(void)
{
	if (out.n && fwrite(out.buf, 1, out.n, stdout) != out.n)
		die("cannot write output: %s", strerror(errno));
	out.n = 0;
}

static void out_put(const char *p, size_t n)
{
	if (n > sizeof(out.buf) - out.n) {
		out_flush();
		if (n > sizeof(out.buf)) {
			if (fwrite(p, 1, n, stdout) != n)
				die("cannot write output: %s", strerror(errno));
			return;
		}
	}
	memcpy(out.buf + out.n, p, n);
	out.n += n;
}

static void out_pad(int n)
{
	static const char spaces[64] = { [0 ... 63] = ' ' };

	for (; n > 0; n -= sizeof(spaces))
		out_put(spaces, n < (int)sizeof(spaces) ? n : (int)sizeof(spaces));
}

/* A column: @s padded to @w on its right (@left) or on its left. */
static void out_col(const char *s, size_t n, int w, bool left)
{
	if (!left)
		out_pad(w - (int)n);
	out_put(s, n);
	if (left)
		out_pad(w - (int)n);
}

/* The table, as ss prints it: "%-*s %-*s %-*s %*s:%-*s %*s:%s". */
static void table_print(struct table *t)
{
	static const char sep[NR_COLS] = { ' ', ' ', ':', ' ', ':', 0 };
	static const bool left[NR_COLS] = { true, true, false, true, false,
					    true };
	const char *p = t->rows, *tail;
	size_t r;
	int i;

	if (fflush(t->tail))
		die("out of memory");
	tail = t->tail_buf;
	if (!opts.no_header)
		printf("%-*s %-*s %-*s %*s:%-*s %*s:%s\n", t->wstate, "State",
		       t->w[COL_RECVQ], "Recv-Q", t->w[COL_SENDQ], "Send-Q",
		       t->w[COL_LADDR], "Local Address", t->w[COL_LPORT], "Port",
		       t->w[COL_PADDR], "Peer Address", "Port");
	for (r = 0; r < t->n; r++) {
		const char *state = state_name((uint8_t)*p++);
		uint32_t len[2];
		uint16_t n = 0;

		out_col(state, strlen(state), t->wstate, true);
		out_put(" ", 1);
		for (i = 0; i < NR_COLS; i++) {
			memcpy(&n, p, 2);
			/* The peer's port: padded only when more follows. */
			out_col(p + 2, n, i == COL_PPORT ? 0 : t->w[i], left[i]);
			p += 2 + n;
			if (sep[i])
				out_put(&sep[i], 1);
		}
		memcpy(len, p, sizeof(len));
		p += sizeof(len);
		if (len[0])
			out_pad(t->w[COL_PPORT] - n);
		out_put(tail, len[0]);
		out_put("\n", 1);
		out_put(tail + len[0], len[1]);
		tail += len[0] + len[1];
	}
	out_flush();
}

static void table_free(struct table *t)
{
	fclose(t->tail);
	free(t->tail_buf);
	free(t->rows);
}

/* The columns under -j: numbers, never names (-n and -r are for reading). */
static void print_columns(const struct conn *c)
{
	char a[ADDR_STRLEN];
	struct ip_addr sa;

	jw_kv_string("state", state_name(c->v[CLASP_A_STATE]));
	jw_kv_string("kind", kind_name(val(c, CLASP_A_KIND)));
	/* The socket's family, which the addresses are in (as ss -f). */
	jw_kv_string("family", sock_family(c) == AF_INET6 ? "inet6" : "inet");
	shown_addr(c, true, &sa);
	jw_kv_string("local", addr_str(&sa, a));
	jw_kv_u64("local_port", val(c, CLASP_A_LPORT));
	shown_addr(c, false, &sa);
	jw_kv_string("peer", addr_str(&sa, a));
	jw_kv_u64("peer_port", val(c, CLASP_A_RPORT));
	jw_kv_u64("recv_q", val(c, CLASP_A_RECV_Q));
	jw_kv_u64("send_q", val(c, CLASP_A_SEND_Q));
}

/*
 * One row, a JSON object or into the text table @t: one path for both.
 * In text, what follows the columns goes to @t's tail (pr_text).
 */
static void print_conn(const struct conn *c, struct table *t)
{
	const struct user *u = NULL;

	if (opts.processes && c->have[CLASP_A_INODE])
		u = user_of(c->v[CLASP_A_INODE]);
	if (opts.json) {
		jw_begin_object();
		print_columns(c);
	} else {
		table_add_cols(t, c);
	}
	if (opts.processes && opts.json) {
		jw_key("users");
		json_users(u ? u->users : NULL);
	} else if (opts.processes && u) {
		fprintf(pr_text, " users:(%s)", u->users);
	}
	if (opts.timers)
		print_timer(c);
	if (!opts.json)
		table_mid(t);	/* the newline, which the table writes */
	if (opts.info)
		print_info(c);
	if (opts.json)
		jw_end_object();
	else
		table_end_row(t);
}

/* Abort one row's connection; false when it is gone (or cannot be). */
static bool kill_row(struct clasp_nl *nl, const struct conn *c)
{
	struct nlmsghdr *nlh = nl_msg(nl, CLASP_CMD_CONN_KILL, NLM_F_ACK);
	int err;

	nl_put_addr(nlh, true, &c->laddr);
	mnl_attr_put_u16(nlh, CLASP_A_LPORT, val(c, CLASP_A_LPORT));
	nl_put_addr(nlh, false, &c->raddr);
	mnl_attr_put_u16(nlh, CLASP_A_RPORT, val(c, CLASP_A_RPORT));
	err = nl_talk(nl, nlh, NULL, NULL);
	if (err == -ENOENT || err == -EINVAL)
		return false;
	if (err)
		nl_die(err, "conns -K");
	return true;
}

/*
 * -K: kill every connection of the list, keeping in it those killed, as
 * ss -K prints the sockets it closed.  Listeners are not connections and
 * stay; entries gone meanwhile are left out.
 */
static void kill_rows(struct clasp_nl *nl, struct conn_list *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		struct conn *c = &l->rows[i];

		if (!val(c, CLASP_A_RPORT) || !kill_row(nl, c))
			continue;
		l->rows[n++] = *c;
	}
	l->n = n;
}

struct filter {
	bool none;		/* selects nothing: -4 with an IPv6 address */
	bool saw_states;
	uint32_t states;
	struct addr_filter ends;
};

static void parse_filter(char **pos, int n, struct filter *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n; i++) {
		const char *kw = pos[i], *arg;
		uint32_t mask;

		if (parse_addr_filter(pos, n, &i, &f->ends, conns_usage))
			continue;
		if (strcmp(kw, "state") && strcmp(kw, "exclude") &&
		    strcmp(kw, "excl"))
			usage_error(conns_usage, "unknown filter '%s'", kw);
		if (i + 1 >= n)
			usage_error(conns_usage, "'%s' needs a state name", kw);
		arg = pos[++i];
		if (parse_state_filter(arg, &mask))
			usage_error(conns_usage, "wrong state name '%s'", arg);
		if (!f->saw_states) {
			f->states = kw[0] == 'e' ? STATES_ALL : 0;
			f->saw_states = true;
		}
		if (kw[0] == 'e')
			f->states &= ~mask;
		else
			f->states |= mask;
	}
}

/* What the rows need of each socket beyond the columns, as ss asks. */
static uint32_t dump_ext(void)
{
	uint32_t ext = 0;

	if (opts.timers || opts.info)
		ext |= CLASP_DUMP_EXT_TIMERS;
	if (opts.processes || opts.info)
		ext |= CLASP_DUMP_EXT_OWNER;
	if (opts.info)
		ext |= CLASP_DUMP_EXT_INFO;
	return ext;
}

int do_conns(int argc, char **argv)
{
	char **pos = calloc(argc + 1, sizeof(*pos));
	struct conn_list l = { };
	struct clasp_nl nl;
	struct nlmsghdr *nlh;
	struct table t;
	struct filter f;
	int n, err;

	if (!pos)
		die("out of memory");
	/*
	 * Nothing written yet: a larger buffer for a file or a pipe, where
	 * stdio's 4 KiB made a write() for every 60 rows.
	 */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	n = parse_flags(argc, argv, "jPnroiHpK46", conns_usage, pos);
	parse_filter(pos, n, &f);
	/*
	 * Only AF_INET6 sockets show IPv6 addresses (an IPv4 peer
	 * v4-mapped): an IPv6 address filter is for them, as ss's.
	 */
	if ((f.ends.has_src && f.ends.src.family == AF_INET6) ||
	    (f.ends.has_dst && f.ends.dst.family == AF_INET6)) {
		if (opts.ipv4 && !opts.ipv6)
			f.none = true;
		opts.ipv4 = false;
		opts.ipv6 = true;
	}
	if (opts.processes)
		find_users();
	l.keep = opts.kill;
	if (!opts.json) {
		table_init(&t);
		l.table = &t;
		pr_text = t.tail;
	}
	if (opts.json && !l.keep)
		jw_begin_array();
	nl_open(&nl);
	/* An empty state set ("state listen exclude listen") matches nothing. */
	if ((!f.saw_states || f.states) && !f.none) {
		nlh = nl_msg(&nl, CLASP_CMD_CONN_GET, NLM_F_DUMP);
		if (f.saw_states && f.states != STATES_ALL)
			mnl_attr_put_u32(nlh, CLASP_A_FILTER_STATES, f.states);
		nl_put_addr_filter(nlh, &f.ends, false);
		if (opts.ipv4 != opts.ipv6)
			mnl_attr_put_u8(nlh, CLASP_A_SOCK_FAMILY,
					opts.ipv4 ? AF_INET : AF_INET6);
		mnl_attr_put_u32(nlh, CLASP_A_DUMP_EXT, dump_ext());
		err = nl_talk(&nl, nlh, conn_cb, &l);
		if (err)
			nl_die(err, "conns");
	}
	if (opts.kill)
		kill_rows(&nl, &l);
	if (opts.json && l.keep)
		jw_begin_array();
	for (size_t i = 0; i < l.n; i++)
		print_conn(&l.rows[i], l.table);
	if (opts.json) {
		jw_end_array();
		jw_finish();
	} else {
		pr_text = NULL;
		table_print(&t);
		table_free(&t);
	}
	nl_close(&nl);
	free_users();
	free(l.rows);
	seen_free(&l.seen);
	free(pos);
	return EXIT_OK;
}

int do_kill(int argc, char **argv)
{
	char **pos = calloc(argc + 1, sizeof(*pos));
	struct ip_addr laddr, raddr;
	uint16_t lport, rport;
	struct clasp_nl nl;
	struct nlmsghdr *nlh;
	int n, err;

	if (!pos)
		die("out of memory");
	n = parse_flags(argc, argv, "jPn", kill_usage, pos);
	if (n != 2)
		usage_error(kill_usage, "kill needs SRC:PORT and DST:PORT");
	if (parse_endpoint(pos[0], &laddr, &lport))
		usage_error(kill_usage, "invalid endpoint '%s'", pos[0]);
	if (parse_endpoint(pos[1], &raddr, &rport))
		usage_error(kill_usage, "invalid endpoint '%s'", pos[1]);
	/* One end IPv4, the other IPv6: both as IPv6, the kernel sorts it. */
	if (laddr.family != raddr.family) {
		addr_v4mapped(&laddr, &laddr);
		addr_v4mapped(&raddr, &raddr);
	}
	nl_open(&nl);
	nlh = nl_msg(&nl, CLASP_CMD_CONN_KILL, NLM_F_ACK);
	nl_put_addr(nlh, true, &laddr);
	mnl_attr_put_u16(nlh, CLASP_A_LPORT, lport);
	nl_put_addr(nlh, false, &raddr);
	mnl_attr_put_u16(nlh, CLASP_A_RPORT, rport);
	err = nl_talk(&nl, nlh, NULL, NULL);
	if (err)
		nl_die(err, "kill");
	nl_close(&nl);
	free(pos);
	return EXIT_OK;
}
