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
		    TP_PROTO(const struct clasp_entry *k, u32 a, u32 b),
		    TP_ARGS(k, a, b),
		    TP_STRUCT__entry(__array(u8, local, CLASP_SOCKADDR_LEN)
				     __array(u8, remote, CLASP_SOCKADDR_LEN)
				     __field(u32, a)
				     __field(u32, b)),
		    TP_fast_assign(clasp_key_sockaddr(k, true, __entry->local);
				   clasp_key_sockaddr(k, false, __entry->remote);
				   __entry->a = a;
				   __entry->b = b;),
		    TP_printk("%pISpc -> %pISpc a=%u b=%u", __entry->local,
			      __entry->remote, __entry->a, __entry->b));

TRACE_EVENT(clasp_state_change,
	    TP_PROTO(const struct clasp_entry *k, u8 old, u8 state, u8 cause),
	    TP_ARGS(k, old, state, cause),
	    TP_STRUCT__entry(__array(u8, local, CLASP_SOCKADDR_LEN)
			     __array(u8, remote, CLASP_SOCKADDR_LEN)
			     __field(u8, old)
			     __field(u8, state)
			     __field(u8, cause)),
	    TP_fast_assign(clasp_key_sockaddr(k, true, __entry->local);
			   clasp_key_sockaddr(k, false, __entry->remote);
			   __entry->old = old;
			   __entry->state = state;
			   __entry->cause = cause;),
	    TP_printk("%pISpc -> %pISpc %s -> %s cause=%u", __entry->local,
		      __entry->remote, clasp_show_state(__entry->old),
		      clasp_show_state(__entry->state), __entry->cause));

#define CLASP_CONN_EVENT(name)						\
	DEFINE_EVENT(clasp_conn_class, name,				\
		     TP_PROTO(const struct clasp_entry *k, u32 a, u32 b), \
		     TP_ARGS(k, a, b))

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
