/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp tracepoints, system "clasp":
 *   /sys/kernel/tracing/events/clasp/
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM clasp

#if !defined(_CLASP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _CLASP_TRACE_H

#include <linux/tracepoint.h>

#include "clasp.h"

#define clasp_show_state(val)						\
	__print_symbolic(val,						\
		{ TCP_ESTABLISHED, "ESTABLISHED" },			\
		{ TCP_SYN_SENT, "SYN_SENT" },				\
		{ TCP_SYN_RECV, "SYN_RCVD" },				\
		{ TCP_FIN_WAIT1, "FIN_WAIT_1" },			\
		{ TCP_FIN_WAIT2, "FIN_WAIT_2" },			\
		{ TCP_TIME_WAIT, "TIME_WAIT" },				\
		{ TCP_CLOSE, "CLOSED" },				\
		{ TCP_CLOSE_WAIT, "CLOSE_WAIT" },			\
		{ TCP_LAST_ACK, "LAST_ACK" },				\
		{ TCP_LISTEN, "LISTEN" },				\
		{ TCP_CLOSING, "CLOSING" })

DECLARE_EVENT_CLASS(clasp_conn_class,
		    TP_PROTO(const struct clasp_tuple *t, u32 a, u32 b),
		    TP_ARGS(t, a, b),
		    TP_STRUCT__entry(__field(__be32, laddr)
				     __field(__be32, raddr)
				     __field(u16, lport)
				     __field(u16, rport)
				     __field(u32, a)
				     __field(u32, b)),
		    TP_fast_assign(__entry->laddr = t->laddr;
				   __entry->raddr = t->raddr;
				   __entry->lport = ntohs(t->lport);
				   __entry->rport = ntohs(t->rport);
				   __entry->a = a;
				   __entry->b = b;),
		    TP_printk("%pI4:%u -> %pI4:%u a=%u b=%u", &__entry->laddr,
			      __entry->lport, &__entry->raddr, __entry->rport,
			      __entry->a, __entry->b));

TRACE_EVENT(clasp_state_change,
	    TP_PROTO(const struct clasp_tuple *t, u8 old, u8 state, u8 cause),
	    TP_ARGS(t, old, state, cause),
	    TP_STRUCT__entry(__field(__be32, laddr)
			     __field(__be32, raddr)
			     __field(u16, lport)
			     __field(u16, rport)
			     __field(u8, old)
			     __field(u8, state)
			     __field(u8, cause)),
	    TP_fast_assign(__entry->laddr = t->laddr;
			   __entry->raddr = t->raddr;
			   __entry->lport = ntohs(t->lport);
			   __entry->rport = ntohs(t->rport);
			   __entry->old = old;
			   __entry->state = state;
			   __entry->cause = cause;),
	    TP_printk("%pI4:%u -> %pI4:%u %s -> %s cause=%u", &__entry->laddr,
		      __entry->lport, &__entry->raddr, __entry->rport,
		      clasp_show_state(__entry->old),
		      clasp_show_state(__entry->state), __entry->cause));

#define CLASP_CONN_EVENT(name)						\
	DEFINE_EVENT(clasp_conn_class, name,				\
		     TP_PROTO(const struct clasp_tuple *t, u32 a, u32 b), \
		     TP_ARGS(t, a, b))

/* a: sequence number sent again, b: retransmissions of it so far */
CLASP_CONN_EVENT(clasp_retransmit);
/* a: SEQ, b: ACK of the reset */
CLASP_CONN_EVENT(clasp_rst_send);
CLASP_CONN_EVENT(clasp_rst_recv);
/* a: the cookie, b: the MSS it carries (0 when it failed) */
CLASP_CONN_EVENT(clasp_cookie_sent);
CLASP_CONN_EVENT(clasp_cookie_validated);
CLASP_CONN_EVENT(clasp_cookie_failed);

#endif /* _CLASP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
