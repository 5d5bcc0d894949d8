// SPDX-License-Identifier: GPL-2.0
/*
 * libclasp-run.so - the LD_PRELOAD library of clasp-run(1).
 *
 * It turns socket(AF_INET or AF_INET6, SOCK_STREAM[|flags], 0 or
 * IPPROTO_TCP) into socket(the same family, SOCK_STREAM[|flags],
 * CLASP_RUN_PROTO) and leaves every other socket alone.  clasp-run sets the environment it reads:
 *
 *   CLASP_RUN_PROTO    the protocol number (default 253)
 *   CLASP_RUN_ROLE     all (default), listen or connect
 *   CLASP_RUN_VERBOSE  1: say on stderr which sockets became clasp
 *
 * A socket's role is not known when socket() creates it.  With the role
 * "all" only socket() changes.  With "listen" or "connect" socket() creates
 * the TCP socket the program asked for and remembers it, setsockopt()
 * remembers the options set on it, and listen() (for "listen") or
 * connect() (for "connect") replaces it before going on: a new clasp
 * socket gets the same options in the same order, the address the TCP
 * socket was bound to, its file status flags (O_NONBLOCK), and is dup3()ed
 * onto the same descriptor number with the same FD_CLOEXEC.  A socket that
 * takes the other role stays TCP.  An option clasp refuses is reported on
 * stderr and left out; a bind clasp refuses fails the listen() or
 * connect() with its errno.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum role { ROLE_ALL, ROLE_LISTEN, ROLE_CONNECT };

static int (*real_socket)(int, int, int);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_listen)(int, int);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);

static int clasp_proto = 253;
static enum role clasp_role = ROLE_ALL;
static int verbose;

/* An option set on a TCP socket that may still become clasp. */
struct opt {
	struct opt *next;
	int level, name;
	socklen_t len;
	unsigned char val[];
};

/* A TCP socket that may still become clasp, by descriptor number; the
 * inode tells it from a later file that got the same number.
 */
struct cand {
	dev_t dev;
	ino_t ino;
	int domain;		/* AF_INET or AF_INET6 */
	struct opt *opts, **tail;
};

static struct cand *cands;
static int ncands;
static pthread_mutex_t cand_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "clasp-run[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (n < (int)sizeof(buf) - 1)
		buf[n++] = '\n';
	/* One write: lines of several processes do not mix. */
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

static void init(void)
{
	const char *s;

	real_socket = dlsym(RTLD_NEXT, "socket");
	real_setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	real_listen = dlsym(RTLD_NEXT, "listen");
	real_connect = dlsym(RTLD_NEXT, "connect");
	if (!real_socket || !real_setsockopt || !real_listen || !real_connect) {
		say("cannot find libc's socket functions: %s", dlerror());
		abort();
	}
	s = getenv("CLASP_RUN_PROTO");
	if (s && *s) {
		char *end;
		long p = strtol(s, &end, 10);

		if (*end || p < 1 || p > 255)
			say("CLASP_RUN_PROTO=%s is not a protocol number: using 253", s);
		else
			clasp_proto = p;
	}
	s = getenv("CLASP_RUN_ROLE");
	if (s && !strcmp(s, "listen"))
		clasp_role = ROLE_LISTEN;
	else if (s && !strcmp(s, "connect"))
		clasp_role = ROLE_CONNECT;
	else if (s && *s && strcmp(s, "all"))
		say("CLASP_RUN_ROLE=%s is not all, listen or connect: using all", s);
	s = getenv("CLASP_RUN_VERBOSE");
	verbose = s && *s && strcmp(s, "0");
}

static void setup(void)
{
	int e = errno;

	pthread_once(&init_once, init);
	errno = e;
}

/* Is this the socket() call of an IPv4 or IPv6 TCP socket? */
static int is_tcp(int domain, int type, int protocol)
{
	return (domain == AF_INET || domain == AF_INET6) &&
	       (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

static void free_opts(struct cand *c)
{
	struct opt *o, *next;

	for (o = c->opts; o; o = next) {
		next = o->next;
		free(o);
	}
	c->opts = NULL;
	c->tail = &c->opts;
	c->ino = 0;
	c->dev = 0;
}

static const char *family_name(int domain)
{
	return domain == AF_INET6 ? "AF_INET6" : "AF_INET";
}

/* Remember fd, of family domain, as a candidate; cand_lock held. */
static void remember(int fd, int domain)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return;
	if (fd >= ncands) {
		int n = fd < 64 ? 64 : 2 * fd;
		struct cand *m = realloc(cands, n * sizeof(*m));

		if (!m)
			return;	/* not remembered: it stays TCP */
		memset(m + ncands, 0, (n - ncands) * sizeof(*m));
		cands = m;
		ncands = n;
	}
	free_opts(&cands[fd]);
	cands[fd].dev = st.st_dev;
	cands[fd].ino = st.st_ino;
	cands[fd].domain = domain;
}

/* The candidate at fd, if fd is still that socket; cand_lock held. */
static struct cand *find(int fd)
{
	struct stat st;
	struct cand *c;

	if (fd < 0 || fd >= ncands || !cands[fd].ino)
		return NULL;
	c = &cands[fd];
	if (fstat(fd, &st) < 0 || st.st_ino != c->ino || st.st_dev != c->dev) {
		free_opts(c);
		return NULL;
	}
	return c;
}

int socket(int domain, int type, int protocol)
{
	int fd;

	setup();
	if (!is_tcp(domain, type, protocol))
		return real_socket(domain, type, protocol);
	if (clasp_role == ROLE_ALL) {
		fd = real_socket(domain, type, clasp_proto);
		if (verbose && fd >= 0)
			say("fd %d: socket(%s, SOCK_STREAM, %d)", fd,
			    family_name(domain), clasp_proto);
		return fd;
	}
	fd = real_socket(domain, type, protocol);
	if (fd >= 0) {
		int e = errno;

		pthread_mutex_lock(&cand_lock);
		remember(fd, domain);
		pthread_mutex_unlock(&cand_lock);
		errno = e;
	}
	return fd;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct cand *c;
	struct opt *o;
	int ret, e;

	setup();
	ret = real_setsockopt(fd, level, name, val, len);
	if (ret < 0 || clasp_role == ROLE_ALL)
		return ret;
	e = errno;
	pthread_mutex_lock(&cand_lock);
	c = find(fd);
	if (c) {
		/* No option of TCP's or IP's is this long: refuse to keep it. */
		o = len <= 4096 ? malloc(sizeof(*o) + len) : NULL;
		if (o) {
			o->next = NULL;
			o->level = level;
			o->name = name;
			o->len = len;
			if (len)
				memcpy(o->val, val, len);
			*c->tail = o;
			c->tail = &o->next;
		} else {
			say("fd %d: option (level %d, name %d) of %u bytes will not be carried over",
			    fd, level, name, (unsigned int)len);
		}
	}
	pthread_mutex_unlock(&cand_lock);
	errno = e;
	return ret;
}

/* Replace the TCP socket at fd, candidate c, by a clasp socket with its
 * options, bound address, file status flags and FD_CLOEXEC.  0, or -1
 * with errno set and fd left as it was.  cand_lock held.
 */
/* Was the socket bound: to a port, or to an address not the wildcard? */
static int bound(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET6)
		return sin6->sin6_port ||
		       !IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
	return sin->sin_port || sin->sin_addr.s_addr != htonl(INADDR_ANY);
}

static int become_clasp(int fd, struct cand *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fl, fdfl, nfd, e;
	struct opt *o;

	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	/* IPV6_V6ONLY, set or not, comes over with the options. */
	nfd = real_socket(c->domain, SOCK_STREAM, clasp_proto);
	if (nfd < 0)
		return -1;
	for (o = c->opts; o; o = o->next)
		if (real_setsockopt(nfd, o->level, o->name, o->val, o->len) < 0)
			say("fd %d: option (level %d, name %d) not carried over to clasp: %s",
			    fd, o->level, o->name, strerror(errno));
	if (bound(&ss) && bind(nfd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	if (fcntl(nfd, F_SETFL, fl) < 0)
		goto fail;
	if (dup3(nfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		goto fail;
	close(nfd);
	if (verbose)
		say("fd %d: now socket(%s, SOCK_STREAM, %d), before %s", fd,
		    family_name(c->domain), clasp_proto,
		    clasp_role == ROLE_LISTEN ? "listen()" : "connect()");
	return 0;
fail:
	e = errno;
	close(nfd);
	errno = e;
	return -1;
}

/* Take fd out of the candidates; make it clasp if want. */
static int settle(int fd, int want)
{
	struct cand *c;
	int ret = 0, e = errno;

	pthread_mutex_lock(&cand_lock);
	c = find(fd);
	if (c) {
		if (want)
			ret = become_clasp(fd, c);
		if (!ret)
			free_opts(c);
	}
	pthread_mutex_unlock(&cand_lock);
	if (!ret)
		errno = e;
	return ret;
}

int listen(int fd, int backlog)
{
	setup();
	if (clasp_role != ROLE_ALL && settle(fd, clasp_role == ROLE_LISTEN) < 0)
		return -1;
	return real_listen(fd, backlog);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	setup();
	/* connect(AF_UNSPEC) on a fresh socket does nothing: no decision yet. */
	if (clasp_role != ROLE_ALL && addr && len >= sizeof(sa_family_t) &&
	    (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
	    settle(fd, clasp_role == ROLE_CONNECT) < 0)
		return -1;
	return real_connect(fd, addr, len);
}
