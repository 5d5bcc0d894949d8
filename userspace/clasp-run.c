// SPDX-License-Identifier: GPL-2.0
/*
 * clasp-run: run a program with its TCP sockets (IPv4 and IPv6) created as clasp,
 * through the LD_PRELOAD library libclasp-run.so (clasp_preload.c).
 *
 *   clasp-run [-l | -c] [-p PROTO] [-v] [--] COMMAND [ARG]...
 *
 * Exit status: COMMAND's; 1 when the module is not loaded or the library
 * is missing, 2 on a bad command line, 126 when COMMAND cannot be run,
 * 127 when it is not found (as env(1)).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CLASP_RUN_LIBDIR
#define CLASP_RUN_LIBDIR "/usr/local/lib/clasp"
#endif
#define LIBNAME "libclasp-run.so"
#define SYSFS_MODULE "/sys/module/clasp"

#define USAGE "Usage: clasp-run [-l | -c] [-p PROTO] [-v] [--] COMMAND [ARG]...\n"

static void usage(FILE *f)
{
	fprintf(f, USAGE
		"Run COMMAND with its TCP sockets (IPv4 and IPv6) created as clasp sockets.\n"
		"  -l, --listen      only listening sockets become clasp\n"
		"  -c, --connect     only connecting sockets become clasp\n"
		"  -p, --proto PROTO IP protocol number (default: the module's, from\n"
		"                    " SYSFS_MODULE "/parameters/proto)\n"
		"  -v, --verbose     say on stderr which sockets become clasp\n"
		"  -h, --help        this text\n"
		"See clasp-run(1).\n");
}

static void usage_error(const char *fmt, const char *arg)
{
	fputs("clasp-run: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n" USAGE "Try 'clasp-run --help'.\n", stderr);
	exit(2);
}

/* The protocol number the loaded module registered, or -1. */
static int module_proto(void)
{
	FILE *f = fopen(SYSFS_MODULE "/parameters/proto", "r");
	int p = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &p) != 1)
		p = -1;
	fclose(f);
	return p;
}

/* The preload library: beside this executable (the build tree, or an
 * install that keeps them together), else in CLASP_RUN_LIBDIR.
 */
static int find_library(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(buf, size, "%s/%s", exe, LIBNAME) < (int)size &&
			    !access(buf, R_OK))
				return 0;
		}
	}
	snprintf(buf, size, "%s/%s", CLASP_RUN_LIBDIR, LIBNAME);
	return access(buf, R_OK);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", no_argument, NULL, 'l' },
		{ "connect", no_argument, NULL, 'c' },
		{ "proto", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *role = "all";
	char lib[PATH_MAX], num[16], *preload, *end;
	const char *old;
	int c, proto = -1, verbose = 0;

	/* "+": options end at COMMAND, whose options are its own; ":": a
	 * missing value is told from an unknown option.
	 */
	while ((c = getopt_long(argc, argv, "+:lcp:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
		case 'c':
			if (strcmp(role, "all"))
				usage_error("%s", "-l and -c exclude each other");
			role = c == 'l' ? "listen" : "connect";
			break;
		case 'p':
			errno = 0;
			proto = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || proto < 1 || proto > 255)
				usage_error("-p wants a protocol number from 1 to 255, not '%s'",
					    optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case '?':
			if (optopt)
				usage_error("unknown option '-%s'", (char[]){ optopt, 0 });
			usage_error("unknown option '%s'", argv[optind - 1]);
			break;
		default:	/* ':' */
			usage_error("option '%s' wants a value", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error("%s", "no COMMAND given");

	if (access(SYSFS_MODULE, F_OK)) {
		fprintf(stderr,
			"clasp-run: the clasp module is not loaded (no %s): load clasp.ko first\n",
			SYSFS_MODULE);
		return 1;
	}
	if (proto < 0)
		proto = module_proto();
	if (proto < 0)
		proto = 253;
	if (find_library(lib, sizeof(lib))) {
		fprintf(stderr, "clasp-run: %s not found beside clasp-run nor in %s\n",
			LIBNAME, CLASP_RUN_LIBDIR);
		return 1;
	}
	/* ld.so splits LD_PRELOAD at spaces and colons. */
	if (strpbrk(lib, " :")) {
		fprintf(stderr, "clasp-run: cannot preload %s: its path has a space or colon\n",
			lib);
		return 1;
	}
	old = getenv("LD_PRELOAD");
	if (old && *old) {
		if (asprintf(&preload, "%s %s", lib, old) < 0) {
			perror("clasp-run");
			return 1;
		}
	} else {
		preload = lib;
	}
	snprintf(num, sizeof(num), "%d", proto);
	if (setenv("LD_PRELOAD", preload, 1) || setenv("CLASP_RUN_PROTO", num, 1) ||
	    setenv("CLASP_RUN_ROLE", role, 1) ||
	    (verbose && setenv("CLASP_RUN_VERBOSE", "1", 1))) {
		perror("clasp-run");
		return 1;
	}
	if (verbose)
		fprintf(stderr, "clasp-run: %s sockets as protocol %d, preloading %s\n",
			role, proto, lib);
	execvp(argv[optind], argv + optind);
	c = errno;
	fprintf(stderr, "clasp-run: %s: %s\n", argv[optind], strerror(c));
	return c == ENOENT ? 127 : 126;
}
