// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl: inspect and steer the clasp transport over its generic netlink
 * family "clasp", in the style of iproute2's ss and ip.
 *
 *   claspctl [-N NETNS] [-j] [-n|-r] [-H] conns [-o] [-i] [-p] [-K] [-4|-6]
 *            [FILTER]...
 *   claspctl kill SRC:PORT DST:PORT
 *   claspctl stats [-j]
 *   claspctl config [show [KEY] | set KEY VALUE]
 *   claspctl monitor [-j]
 *   claspctl ladder [--peer NETNS] [--svg FILE] [FILTER]...
 *
 * Exit status: 0 success, 1 the kernel refused, the module is not loaded
 * or stdout could not be written, 2 bad command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claspctl.h"

struct opts opts;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: claspctl [OPTIONS] OBJECT [ARGS]\n"
		"       claspctl [-j] [-n|-r] [-H] conns [-o] [-i] [-p] [-K] [-4|-6] [FILTER]...\n"
		"       claspctl kill SRC:PORT DST:PORT\n"
		"       claspctl [-j] stats\n"
		"       claspctl [-j] config [show [KEY] | set KEY VALUE]\n"
		"       claspctl [-j] monitor\n"
		"       claspctl ladder [--peer NETNS] [--svg FILE] [FILTER]...\n"
		"       claspctl help | -V | --version\n"
		"OPTIONS: -j, --json     JSON output\n"
		"         --pretty       indented JSON (implies -j)\n"
		"         -n, --numeric  port numbers, not service names\n"
		"         -r, --resolve  host names too\n"
		"         -H, --no-header  no header line\n"
		"         -N, --net NETNS  in the network namespace NETNS (ip netns)\n"
		"         -s             same as \"stats\"\n"
		"FILTER:  state STATE | exclude STATE | sport PORT | dport PORT |\n"
		"         src ADDR[/LEN] | dst ADDR[/LEN]  (ADDR: A.B.C.D or [IPV6])\n"
		"\"claspctl OBJECT help\" describes one object; see claspctl(8).\n");
}

void usage_error(void (*use)(FILE *f), const char *fmt, ...)
{
	va_list ap;

	fputs("claspctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	use(stderr);
	exit(EXIT_USAGE);
}

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("claspctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAIL);
}

bool is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "-h") ||
	       !strcmp(arg, "--help");
}

static const struct {
	const char *name;
	char flag;
} long_flags[] = {
	{ "--json", 'j' },
	{ "--pretty", 'P' },	/* -p is ss's --processes */
	{ "--numeric", 'n' },
	{ "--resolve", 'r' },
	{ "--no-header", 'H' },
	{ "--options", 'o' },
	{ "--info", 'i' },
	{ "--processes", 'p' },
	{ "--kill", 'K' },
	{ "--ipv4", '4' },
	{ "--ipv6", '6' },
};

static void set_flag(char c)
{
	switch (c) {
	case 'j': opts.json = true; break;
	case 'P': opts.json = opts.pretty = true; break;
	case 'n': opts.numeric = true; opts.resolve = false; break;
	case 'r': opts.resolve = true; opts.numeric = false; break;
	case 'H': opts.no_header = true; break;
	case 'o': opts.timers = true; break;
	case 'i': opts.info = true; break;
	case 'p': opts.processes = true; break;
	case 'K': opts.kill = true; break;
	case '4': opts.ipv4 = true; break;
	case '6': opts.ipv6 = true; break;
	}
}

/* Letters, and -4 and -6 (of conns, as ss's). */
static bool looks_like_option(const char *arg)
{
	return arg[0] == '-' && ((arg[1] >= 'a' && arg[1] <= 'z') ||
				 (arg[1] >= 'A' && arg[1] <= 'Z') ||
				 arg[1] == '-' || arg[1] == '4' || arg[1] == '6');
}

/*
 * Consume the options of a subcommand wherever they appear: single letters
 * from @allowed (clusters such as -oi too), their long forms, and -h,
 * --help or a leading "help", which print @use to stdout and exit 0.
 * Everything else is copied to @pos in order; returns how many.
 */
int parse_flags(int argc, char **argv, const char *allowed,
		void (*use)(FILE *f), char **pos)
{
	bool dashdash = false;
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		size_t k;

		if (dashdash || !looks_like_option(a)) {
			if (!n && !dashdash && !strcmp(a, "help")) {
				use(stdout);
				exit(EXIT_OK);
			}
			pos[n++] = argv[i];
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			use(stdout);
			exit(EXIT_OK);
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (a[1] == '-') {
			for (k = 0; k < ARRAY_SIZE(long_flags); k++)
				if (!strcmp(a, long_flags[k].name) &&
				    strchr(allowed, long_flags[k].flag))
					break;
			if (k == ARRAY_SIZE(long_flags))
				usage_error(use, "unknown option '%s'", a);
			set_flag(long_flags[k].flag);
			continue;
		}
		for (k = 1; a[k]; k++) {
			if (a[k] == 'P' || !strchr(allowed, a[k]))
				usage_error(use, "unknown option '-%c'", a[k]);
			set_flag(a[k]);
		}
	}
	pos[n] = NULL;
	return n;
}

static void version(void)
{
	printf("claspctl %s\n", CLASP_VERSION);
	exit(EXIT_OK);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	void (*usage)(FILE *f);
} objects[] = {
	{ "conns", do_conns, conns_usage },
	{ "conn", do_conns, conns_usage },
	{ "kill", do_kill, kill_usage },
	{ "stats", do_stats, stats_usage },
	{ "config", do_config, config_usage },
	{ "monitor", do_monitor, monitor_usage },
	{ "ladder", do_ladder, ladder_usage },
};

/*
 * Enter the network namespace NAME as ip netns names it (a file under
 * /run/netns), as ss -N does; a path works too.
 */
void enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open network namespace \"%s\": %s", name,
		    strerror(errno));
	if (setns(fd, CLONE_NEWNET))
		die("cannot enter network namespace \"%s\": %s", name,
		    strerror(errno));
	close(fd);
}

/* What was printed reached stdout, or exit 1 (a full disk, a closed pipe). */
void check_stdout(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "claspctl: cannot write output: %s\n",
			strerror(errno ? errno : EIO));
		_exit(EXIT_FAIL);
	}
}

/* Before the object: the general options, and those of conns (ss -tnop). */
static const char global_flags[] = "jPnrHopiK46";

int main(int argc, char **argv)
{
	bool stats = false;
	int i, rc;

	atexit(check_stdout);
	for (i = 1; i < argc && !stats; i++) {
		const char *a = argv[i];
		size_t k;

		if (!strcmp(a, "-V") || !strcmp(a, "--version"))
			version();
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(a, "--stats")) {
			stats = true;
			continue;
		}
		if (!strcmp(a, "--net") || !strncmp(a, "--net=", 6)) {
			if (a[5] == '=')
				opts.netns = a + 6;
			else if (i + 1 < argc)
				opts.netns = argv[++i];
			else
				usage_error(usage, "'%s' needs a namespace name", a);
			continue;
		}
		if (!strcmp(a, "--"))
			continue;
		if (!looks_like_option(a))
			break;
		if (a[1] == '-') {
			for (k = 0; k < ARRAY_SIZE(long_flags); k++)
				if (!strcmp(a, long_flags[k].name) &&
				    strchr(global_flags, long_flags[k].flag))
					break;
			if (k == ARRAY_SIZE(long_flags))
				usage_error(usage, "unknown option '%s'", a);
			set_flag(long_flags[k].flag);
			continue;
		}
		/* -s and -N NETNS end a cluster: -js, -nN NETNS. */
		for (k = 1; a[k]; k++) {
			if (a[k] == 's' && !a[k + 1]) {
				stats = true;
				break;
			}
			if (a[k] == 'N' && !a[k + 1]) {
				if (i + 1 >= argc)
					usage_error(usage, "'-N' needs a namespace name");
				opts.netns = argv[++i];
				break;
			}
			if (a[k] == 'P' || !strchr(global_flags, a[k]))
				usage_error(usage, "unknown option '-%c'", a[k]);
			set_flag(a[k]);
		}
	}
	if (opts.netns && !*opts.netns)
		usage_error(usage, "empty namespace name");
	if (stats) {
		if (opts.timers || opts.info || opts.processes || opts.kill ||
		    opts.ipv4 || opts.ipv6)
			usage_error(stats_usage,
				    "-o, -i, -p, -K, -4 and -6 are options of conns");
		if (opts.netns)
			enter_netns(opts.netns);
		rc = do_stats(argc - i, argv + i);
		check_stdout();
		return rc;
	}
	if (i == argc)
		usage_error(usage, "no object given");
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t k = 0; k < ARRAY_SIZE(objects); k++)
		if (!strcmp(argv[i], objects[k].name)) {
			if (objects[k].fn != do_conns &&
			    (opts.timers || opts.info || opts.processes ||
			     opts.kill || opts.ipv4 || opts.ipv6))
				usage_error(objects[k].usage,
					    "-o, -i, -p, -K, -4 and -6 are options of conns");
			if (opts.netns)
				enter_netns(opts.netns);
			rc = objects[k].fn(argc - i - 1, argv + i + 1);
			check_stdout();
			return rc;
		}
	usage_error(usage, "unknown object '%s'", argv[i]);
}
