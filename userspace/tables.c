// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl stats and claspctl config: the namespace's counters
 * (CLASP_CMD_STATS_GET) and tunables (CLASP_CMD_CONFIG_GET/SET).  Both
 * replies are one message with a nest of CLASP_A_ENTRY nests.  The
 * congestion control is a name, not a number: config's reply carries it
 * beside the nest (CLASP_A_CA_NAME, with every algorithm's name in
 * CLASP_A_CA_AVAILABLE), and config set sends it as CLASP_A_CA_NAME.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "claspctl.h"

void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: claspctl [-j] [-p] stats\n"
		"       claspctl -s\n"
		"Prints every counter of this network namespace, as\n"
		"/proc/net/clasp_stats has them.\n");
}

void config_usage(FILE *f)
{
	fprintf(f,
		"Usage: claspctl [-j] [-p] config [show [KEY]...]\n"
		"       claspctl config get KEY\n"
		"       claspctl config set KEY VALUE\n"
		"show lists tunables with their ranges, get prints one value,\n"
		"set changes one in this network namespace (needs CAP_NET_ADMIN).\n"
		"congestion_control takes an algorithm's name (show lists them).\n");
}

struct entry {
	char name[32];
	uint64_t value, min, max;
	bool ranged;
};

struct table {
	int nest;		/* CLASP_A_STATS or CLASP_A_CONFIG */
	struct entry *e;
	size_t n;
	char ca[16];		/* config: congestion_control, "" if not sent */
	char ca_avail[256];	/* config: the algorithms, space-separated */
};

#define CA_KEY	"congestion_control"

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CLASP_A_MAX + 1], *et[CLASP_A_MAX + 1];
	struct table *t = data;
	const struct nlattr *a;

	if (nl_parse_attrs(nlh, tb))
		return MNL_CB_ERROR;
	if (tb[CLASP_A_CA_NAME])
		snprintf(t->ca, sizeof(t->ca), "%s",
			 mnl_attr_get_str(tb[CLASP_A_CA_NAME]));
	if (tb[CLASP_A_CA_AVAILABLE])
		snprintf(t->ca_avail, sizeof(t->ca_avail), "%s",
			 mnl_attr_get_str(tb[CLASP_A_CA_AVAILABLE]));
	if (!tb[t->nest])
		return MNL_CB_OK;
	mnl_attr_for_each_nested(a, tb[t->nest]) {
		struct entry *e;

		if (mnl_attr_get_type(a) != CLASP_A_ENTRY ||
		    nl_parse_nested(a, et) || !et[CLASP_A_NAME] ||
		    !et[CLASP_A_VALUE])
			continue;
		t->e = realloc(t->e, (t->n + 1) * sizeof(*t->e));
		if (!t->e)
			die("out of memory");
		e = &t->e[t->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s",
			 mnl_attr_get_str(et[CLASP_A_NAME]));
		e->value = mnl_attr_get_u64(et[CLASP_A_VALUE]);
		if (et[CLASP_A_VALUE_MIN] && et[CLASP_A_VALUE_MAX]) {
			e->min = mnl_attr_get_u64(et[CLASP_A_VALUE_MIN]);
			e->max = mnl_attr_get_u64(et[CLASP_A_VALUE_MAX]);
			e->ranged = true;
		}
	}
	return MNL_CB_OK;
}

static void fetch(struct clasp_nl *nl, uint8_t cmd, int nest,
		  struct table *t, const char *what)
{
	struct nlmsghdr *nlh;
	int err;

	memset(t, 0, sizeof(*t));
	t->nest = nest;
	nlh = nl_msg(nl, cmd, NLM_F_ACK);
	err = nl_talk(nl, nlh, table_cb, t);
	if (err)
		nl_die(err, what);
	if (!t->n)
		die("%s: the kernel sent no entries", what);
}

static int num_width(uint64_t v)
{
	char buf[24];

	return snprintf(buf, sizeof(buf), "%" PRIu64, v);
}

int do_stats(int argc, char **argv)
{
	char **pos = calloc(argc + 1, sizeof(*pos));
	struct clasp_nl nl;
	struct table t;
	int wn = 0, wv = 0;
	size_t i;

	if (!pos)
		die("out of memory");
	if (parse_flags(argc, argv, "jPn", stats_usage, pos))
		usage_error(stats_usage, "stats takes no argument ('%s')",
			    pos[0]);
	nl_open(&nl);
	fetch(&nl, CLASP_CMD_STATS_GET, CLASP_A_STATS, &t, "stats");
	if (opts.json) {
		jw_begin_object();
		for (i = 0; i < t.n; i++)
			jw_kv_u64(t.e[i].name, t.e[i].value);
		jw_end_object();
		jw_finish();
	} else {
		for (i = 0; i < t.n; i++) {
			int w = strlen(t.e[i].name);

			wn = w > wn ? w : wn;
			w = num_width(t.e[i].value);
			wv = w > wv ? w : wv;
		}
		for (i = 0; i < t.n; i++)
			printf("%-*s %*" PRIu64 "\n", wn, t.e[i].name, wv,
			       t.e[i].value);
	}
	nl_close(&nl);
	free(t.e);
	free(pos);
	return EXIT_OK;
}

static const struct entry *find(const struct table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].name, name))
			return &t->e[i];
	return NULL;
}

/* JSON: "congestion_control": {"value": NAME, "available": [NAMES]} */
static void config_ca_json(const struct table *t)
{
	char avail[sizeof(t->ca_avail)], *name, *save = NULL;

	jw_key(CA_KEY);
	jw_begin_object();
	jw_kv_string("value", t->ca);
	jw_key("available");
	jw_begin_array();
	snprintf(avail, sizeof(avail), "%s", t->ca_avail);
	for (name = strtok_r(avail, " ", &save); name;
	     name = strtok_r(NULL, " ", &save))
		jw_string(name);
	jw_end_array();
	jw_end_object();
}

/* @ca: with the congestion control after the numbers (NULL: without). */
static void config_print(const struct entry **sel, size_t n,
			 const struct table *ca)
{
	int wn = 4, wv = 5, wmin = 3, wmax = 3;
	size_t i;

	if (opts.json) {
		jw_begin_object();
		for (i = 0; i < n; i++) {
			jw_key(sel[i]->name);
			jw_begin_object();
			jw_kv_u64("value", sel[i]->value);
			jw_kv_u64("min", sel[i]->min);
			jw_kv_u64("max", sel[i]->max);
			jw_end_object();
		}
		if (ca && ca->ca[0])
			config_ca_json(ca);
		jw_end_object();
		jw_finish();
		return;
	}
	for (i = 0; i < n; i++) {
		int w = strlen(sel[i]->name);

		wn = w > wn ? w : wn;
		w = num_width(sel[i]->value);
		wv = w > wv ? w : wv;
		w = num_width(sel[i]->min);
		wmin = w > wmin ? w : wmin;
		w = num_width(sel[i]->max);
		wmax = w > wmax ? w : wmax;
	}
	printf("%-*s %*s %*s %*s\n", wn, "Name", wv, "Value", wmin, "Min",
	       wmax, "Max");
	for (i = 0; i < n; i++)
		printf("%-*s %*" PRIu64 " %*" PRIu64 " %*" PRIu64 "\n",
		       wn, sel[i]->name, wv, sel[i]->value, wmin, sel[i]->min,
		       wmax, sel[i]->max);
	/* A name has no range: the names it may take instead. */
	if (ca && ca->ca[0])
		printf("%s %s (available: %s)\n", CA_KEY, ca->ca,
		       ca->ca_avail);
}

static int config_show(struct clasp_nl *nl, char **keys, int nkeys, bool get)
{
	const struct entry **sel;
	bool with_ca = !nkeys;
	struct table t;
	size_t n = 0;
	int i;

	fetch(nl, CLASP_CMD_CONFIG_GET, CLASP_A_CONFIG, &t, "config");
	sel = calloc(t.n + nkeys, sizeof(*sel));
	if (!sel)
		die("out of memory");
	if (!nkeys) {
		for (n = 0; n < t.n; n++)
			sel[n] = &t.e[n];
	}
	for (i = 0; i < nkeys; i++) {
		if (!strcmp(keys[i], CA_KEY) && t.ca[0]) {
			with_ca = true;
			continue;
		}
		sel[n] = find(&t, keys[i]);
		if (!sel[n])
			die("unknown tunable '%s' (see claspctl config show)",
			    keys[i]);
		n++;
	}
	if (get && !opts.json && !n)
		printf("%s\n", t.ca);
	else if (get && !opts.json)
		printf("%" PRIu64 "\n", sel[0]->value);
	else
		config_print(sel, n, with_ca ? &t : NULL);
	free(sel);
	free(t.e);
	return EXIT_OK;
}

/* @name: congestion_control's value, NULL for a numeric tunable. */
static int config_set(struct clasp_nl *nl, const char *key, uint64_t value,
		      const char *name)
{
	struct nlmsghdr *nlh;
	int err;

	nlh = nl_msg(nl, CLASP_CMD_CONFIG_SET, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CLASP_A_NAME, key);
	if (name)
		mnl_attr_put_strz(nlh, CLASP_A_CA_NAME, name);
	else
		mnl_attr_put_u64(nlh, CLASP_A_VALUE, value);
	err = nl_talk(nl, nlh, NULL, NULL);
	if (err)
		nl_die(err, "config set");
	return EXIT_OK;
}

int do_config(int argc, char **argv)
{
	char **pos = calloc(argc + 1, sizeof(*pos));
	struct clasp_nl nl;
	uint64_t value = 0;
	const char *cmd;
	int n, ret;

	if (!pos)
		die("out of memory");
	n = parse_flags(argc, argv, "jPn", config_usage, pos);
	cmd = n ? pos[0] : "show";
	if (!strcmp(cmd, "show") || !strcmp(cmd, "list")) {
		/* keys checked once the kernel has told us the names */
	} else if (!strcmp(cmd, "get")) {
		if (n != 2)
			usage_error(config_usage, "config get needs one KEY");
	} else if (!strcmp(cmd, "set")) {
		if (n != 3)
			usage_error(config_usage,
				    "config set needs KEY and VALUE");
		if (!strcmp(pos[1], CA_KEY)) {
			if (strlen(pos[2]) > 15)
				die("no such congestion control '%s' (see claspctl config show)",
				    pos[2]);
		} else if (parse_u64(pos[2], &value))
			usage_error(config_usage,
				    "invalid value '%s' (a decimal number)",
				    pos[2]);
		if (strlen(pos[1]) > 31)
			die("unknown tunable '%s' (see claspctl config show)",
			    pos[1]);
	} else {
		usage_error(config_usage, "unknown config command '%s'", cmd);
	}
	nl_open(&nl);
	if (!strcmp(cmd, "set"))
		ret = config_set(&nl, pos[1], value,
				 strcmp(pos[1], CA_KEY) ? NULL : pos[2]);
	else
		ret = config_show(&nl, n ? pos + 1 : pos, n ? n - 1 : 0,
				  !strcmp(cmd, "get"));
	nl_close(&nl);
	free(pos);
	return ret;
}
