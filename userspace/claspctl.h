/* SPDX-License-Identifier: GPL-2.0 */
/*
 * claspctl: shared declarations of the command-line tool.
 */
#ifndef CLASPCTL_H
#define CLASPCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "uapi/clasp.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit statuses. */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* kernel error, module missing, no such thing */
#define EXIT_USAGE	2	/* bad command line */

/* Options that every subcommand accepts. */
struct opts {
	bool json;
	bool pretty;
	bool numeric;		/* -n: ports as numbers */
	bool resolve;		/* -r: host names too */
	bool no_header;		/* -H */
	bool timers;		/* conns -o */
	bool info;		/* conns -i */
	bool processes;		/* conns -p */
	bool kill;		/* conns -K */
	bool ipv4, ipv6;	/* conns -4, -6: those sockets only (ss's) */
	const char *netns;	/* -N NAME */
};

extern struct opts opts;

/* claspctl.c */
void __attribute__((noreturn, format(printf, 2, 3)))
usage_error(void (*usage)(FILE *f), const char *fmt, ...);
void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);
bool is_help(const char *arg);
int parse_flags(int argc, char **argv, const char *allowed,
		void (*usage)(FILE *f), char **pos);

/* nl.c: one generic netlink socket talking to family "clasp" */
struct clasp_nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;
	uint32_t events_group;	/* 0 if the family has none */
	uint32_t segments_group;	/* 0 if the family has none */
	char *sbuf;		/* request being built */
};

void nl_open(struct clasp_nl *nl);
void nl_close(struct clasp_nl *nl);
struct nlmsghdr *nl_msg(struct clasp_nl *nl, uint8_t cmd, uint16_t flags);
int nl_talk(struct clasp_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	    void *data);
void __attribute__((noreturn)) nl_die(int err, const char *what);
int nl_parse_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb);
int nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb);
int nl_recv_events(struct clasp_nl *nl, mnl_cb_t cb, void *data);

/* json.c: a small streaming JSON writer to stdout */
void jw_begin_object(void);
void jw_end_object(void);
void jw_begin_array(void);
void jw_end_array(void);
void jw_key(const char *key);
void jw_string(const char *s);
void jw_u64(uint64_t v);
void jw_bool(bool v);
void jw_null(void);
void jw_raw(const char *text);
void jw_finish(void);		/* after a top-level value: newline */
void jw_kv_string(const char *key, const char *s);
void jw_kv_u64(const char *key, uint64_t v);
/*
 * one field as text or JSON, from one call (iproute2's print_*() style);
 * the text goes to pr_text, stdout when NULL (conns collects it there)
 */
extern FILE *pr_text;
void pr_u64(const char *key, const char *fmt, bool have, uint64_t v);
void pr_float(const char *key, const char *label, const char *numfmt,
	      bool have, double v);
void pr_str(const char *key, const char *label, const char *s);
void pr_flag(const char *key, const char *label, bool have, bool v);

/* util.c */
const char *state_name(unsigned int state);
int parse_state_filter(const char *name, uint32_t *mask);
#define STATES_ALL	0xffeU	/* bits 1 (ESTABLISHED) .. 11 (CLOSING) */
const char *cause_name(unsigned int cause);
const char *kind_name(unsigned int kind);
const char *ca_state_name(unsigned int state);

/* An address of either family: an IPv4 one in the first 4 bytes of @a. */
struct ip_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t a[16];		/* network order */
};

#define ADDR_STRLEN	48	/* INET6_ADDRSTRLEN and two brackets, rounded up */
const char *addr_str(const struct ip_addr *a, char *buf);
size_t fmt_u64(char *buf, uint64_t v);
void addr_v4mapped(const struct ip_addr *a, struct ip_addr *out);
bool addr_is_any(const struct ip_addr *a);
bool addr_in_prefix(const struct ip_addr *a, const struct ip_addr *want,
		    unsigned int len);
int parse_u64(const char *s, uint64_t *v);
int parse_port(const char *s, uint16_t *port);
int parse_prefix(const char *s, struct ip_addr *a, uint8_t *len);
int parse_endpoint(const char *s, struct ip_addr *a, uint16_t *port);
bool nl_get_addr(const struct nlattr **tb, bool local, struct ip_addr *a);
void nl_put_addr(struct nlmsghdr *nlh, bool local, const struct ip_addr *a);
void format_ms(char *buf, size_t len, uint32_t ms);
void enter_netns(const char *name);
void check_stdout(void);

/*
 * A filter on a connection's ends, from the local side: sport, dport,
 * src ADDR[/LEN], dst ADDR[/LEN] (conns and ladder share it).
 */
struct addr_filter {
	struct ip_addr src, dst;
	uint8_t src_len, dst_len;
	bool has_src, has_dst;
	uint16_t sport, dport;
};

bool parse_addr_filter(char **pos, int n, int *i, struct addr_filter *f,
		       void (*usage)(FILE *f));
void nl_put_addr_filter(struct nlmsghdr *nlh, const struct addr_filter *f,
			bool swap);

/* subcommands */
int do_conns(int argc, char **argv);
int do_kill(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_config(int argc, char **argv);
int do_monitor(int argc, char **argv);
int do_ladder(int argc, char **argv);
void conns_usage(FILE *f);
void kill_usage(FILE *f);
void stats_usage(FILE *f);
void config_usage(FILE *f);
void monitor_usage(FILE *f);
void ladder_usage(FILE *f);

#endif /* CLASPCTL_H */
