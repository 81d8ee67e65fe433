/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the head-of-line test (selftests/host/vmmgmt_hol_test.c) and its
 * guests' program (selftests/guest-tools/vmmgmt_hol_peer.c) agree on:
 * ports, sizes, and the text of commands and reports.
 *
 * Every message is text, one command or report per chat record, no
 * NUL needed.  The host sends commands to hol-b's HOL_B_CTL_PORT; both
 * guests send reports to the test's host endpoint HOL_REPORT_PORT:
 *
 *	host -> b:  "rate LABEL SECS"	measure B's echo rate to the host
 *		    "flood VM"		flood VM: a stream, then chat (cycle 1)
 *		    "pause"		the flood's threads park before their
 *					next write
 *		    "resume"		they write again (the next cycle)
 *		    "counters"		report the module's stream and flow
 *					counters
 *	b -> host:  "ready abi=0.M streams=S"
 *		    "rate LABEL RATE msgs=N secs=T errors=E"
 *		    "stream connected" | "stream err=E"
 *		    "stream blocked cycle=C bytes=N"
 *		    "stream ended err=E bytes=N"
 *		    "writer blocked cycle=C writes=N enobufs=K"
 *		    "writer never-blocked cycle=C writes=N enobufs=K"
 *		    "writer returned rc=R errno=E blocked_ms=M"
 *		    "writer answer errno=E after_ms=M nobufs=K down=H other=O"
 *		    "flood paused cycle=C writes=N stream_bytes=S"
 *		    "counters stream_probes=N ..." (sysfs names and values)
 *	c -> host:  "ready abi=0.M streams=S", "flooded"
 * The host sends commands to hol-c over its second serial port
 * (HOL_C_TTY), one a line, "WHAT SEQ": "read SEQ" (read and discard
 * what arrives), "stop SEQ" (read nothing), "break SEQ" (break its own
 * rings); hol-c acknowledges each on its console, "hol: c WHAT SEQ done
 * records=N bytes=B" (its vmmgmt channel is what the test wedges).
 */
#ifndef VMMGMT_HOL_PROTO_H
#define VMMGMT_HOL_PROTO_H

/* Host ports, of the test's endpoints. */
#define HOL_ECHO_PORT		4301	/* echoes whatever comes in */
#define HOL_REPORT_PORT		4302	/* the guests' reports */
/* hol-b's port for the test's commands. */
#define HOL_B_CTL_PORT		4320
/* hol-c's chat port and its stream listener, read on the test's command. */
#define HOL_C_PORT		4310
#define HOL_C_STREAM_PORT	4311
/* hol-c's second serial port: the test's commands (read, stop, break). */
#define HOL_C_TTY		"/dev/ttyS1"

/* B's echo messages, and how many it keeps in flight. */
#define HOL_ECHO_LEN		256
#define HOL_ECHO_WINDOW		8
/* B's chat flood messages to C, and its stream writes. */
#define HOL_FLOOD_LEN		1024
#define HOL_STREAM_CHUNK	(64 * 1024)
/* A write that took this long was blocked (by XOFF, or a closed window). */
#define HOL_BLOCKED_MS		300
/* A flood writer that never blocks stops after this many writes. */
#define HOL_FLOOD_MAX_WRITES	20000

/* Longest command or report. */
#define HOL_TEXT_MAX		240

#endif /* VMMGMT_HOL_PROTO_H */
