// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl: inspect and steer the clasp transport.
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: claspctl [-V | --version] [-h | --help]\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-V") ||
			  !strcmp(argv[1], "--version"))) {
		printf("claspctl %s\n", CLASP_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
