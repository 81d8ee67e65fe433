/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stream peer's protocol: what the guests' stream selftest
 * (guest/vmmgmt_guest_stream_test.c) asks of vmmgmt_stream_peer
 * (host-tools/vmmgmt_stream_peer.c), which host-init runs in the host VM
 * in check mode, listening for streams on host port
 * VMMGMT_STREAM_PEER_PORT.
 *
 * Each stream starts with one command line from the guest, at most
 * STREAM_PEER_LINE_MAX bytes with its '\n'; the bytes after the newline
 * are the stream's data.  TAG (optional, [A-Za-z0-9_.-], at most 31
 * characters) names the stream's result for a later "result TAG".
 *
 *   sink [TAG]           read to the end of the stream, then answer
 *                        "<sha256 hex> <bytes>\n" of what it read, shut
 *                        down and close.
 *   source N SEED [TAG]  send N bytes of the pattern of SEED
 *                        (vmmgmt_pattern_fill()), shut down, read to the
 *                        end and close; the result is
 *                        "<sha256 hex> <N>" of what it sent.
 *   echo [TAG]           send every byte back until the end of the
 *                        stream, then shut down and close; the result is
 *                        "ok <bytes>" or "error <ERRNO NAME>" (a reset
 *                        by the guest: "error ECONNRESET").
 *   reset-after N [TAG]  read N bytes, wait until more is buffered (10 s
 *                        at most), then close without reading it: the
 *                        guest's stream is reset (ECONNRESET); the result
 *                        is "reset-sent <N>" (or "error ...").
 *   hold [TAG]           read nothing, send nothing, until "release TAG"
 *                        comes on another stream or 120 s pass; then
 *                        close (a reset if bytes were left unread).
 *   release TAG          close the streams held as TAG; answers
 *                        "released <count>\n".
 *   result TAG           answers the result line of the stream TAG and
 *                        '\n', "pending\n" while it runs, or "unknown\n".
 *
 * A bad command line is answered with "error <what>\n" and closed.
 */
#ifndef VMMGMT_STREAM_PEER_H
#define VMMGMT_STREAM_PEER_H

/* The host port the stream peer listens on. */
#define VMMGMT_STREAM_PEER_PORT		1008
#define STREAM_PEER_LINE_MAX		128
#define STREAM_PEER_TAG_MAX		32
/* hold: how long a held stream stays without a release. */
#define STREAM_PEER_HOLD_S		120

#endif /* VMMGMT_STREAM_PEER_H */
