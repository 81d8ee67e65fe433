// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: vmmgmt_abi - KUnit suite for the ABI in uapi/vmmgmt.h
 *
 * Checks the ABI header as the kernel compiler sees it (userspace has its
 * own _Static_asserts): the offset and size of every field of struct
 * vmmgmt_region_header, struct vmmgmt_version, struct vmmgmt_info and of
 * the ring structures (struct vmmgmt_ring_desc, struct vmmgmt_ring_ctrl,
 * struct vmmgmt_addr, struct vmmgmt_rec), the natural alignment of their
 * fields, the absence of implicit padding, the magic bytes of a region,
 * the encoding and numbering of the ioctls, the region sizes, the link
 * states, the ring constants, modes and record flags, and the ABI 0.7
 * additions (flow control notices and limits, stream segments, the
 * stream ioctls' arguments, the host send timeout), of ABI 0.8 (VMs
 * that outlive their daemon: the ADD_VM flags, listing and adopting VMs)
 * and of ABI 0.9 (the host module handover: QUIESCE, EXPORT_VM, IMPORT_VM,
 * RESUME, their arguments and the state header).  Every ioctl number of
 * uapi/vmmgmt.h is in vmmgmt_ioctls[] (scripts/kunit refuses to run when
 * one is missing), and every field of struct vmmgmt_ctrl and of every
 * ioctl's argument structure is in a table of its structure below.
 *
 * The expected numbers are written out here on purpose: the layout is the
 * ABI, so any change to uapi/vmmgmt.h that moves a byte must break this
 * suite and be made deliberately, together with a change here.
 *
 * Run with ``make kunit`` (scripts/kunit); see Documentation/testing.rst.
 */

#include <kunit/test.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/stddef.h>
#include <linux/unaligned.h>

#include <vmmgmt.h>
#include "../lib/vmmgmt_flow.h"

/*
 * One field of an ABI structure: where the compiler put it and how big it
 * made it, then where the ABI says it is, its size, and the size of its
 * scalar type (of an array's elements), which is the alignment it needs.
 */
struct abi_field {
	const char *name;
	size_t offset;
	size_t size;
	size_t want_offset;
	size_t want_size;
	size_t elem;
};

#define HDR_OFF(m)	offsetof(struct vmmgmt_region_header, m)
#define HDR_SZ(m)	sizeof_field(struct vmmgmt_region_header, m)
#define VER_OFF(m)	offsetof(struct vmmgmt_version, m)
#define VER_SZ(m)	sizeof_field(struct vmmgmt_version, m)
#define INFO_OFF(m)	offsetof(struct vmmgmt_info, m)
#define INFO_SZ(m)	sizeof_field(struct vmmgmt_info, m)
#define DESC_OFF(m)	offsetof(struct vmmgmt_ring_desc, m)
#define DESC_SZ(m)	sizeof_field(struct vmmgmt_ring_desc, m)
#define CTRL_OFF(m)	offsetof(struct vmmgmt_ring_ctrl, m)
#define CTRL_SZ(m)	sizeof_field(struct vmmgmt_ring_ctrl, m)
#define ADDR_OFF(m)	offsetof(struct vmmgmt_addr, m)
#define ADDR_SZ(m)	sizeof_field(struct vmmgmt_addr, m)
#define REC_OFF(m)	offsetof(struct vmmgmt_rec, m)
#define REC_SZ(m)	sizeof_field(struct vmmgmt_rec, m)

/* { name, compiled offset, compiled size, ABI offset, ABI size, elem } */
static const struct abi_field region_header_fields[] = {
	{ "magic", HDR_OFF(magic), HDR_SZ(magic), 0, 8, 8 },
	{ "abi_major", HDR_OFF(abi_major), HDR_SZ(abi_major), 8, 2, 2 },
	{ "abi_minor", HDR_OFF(abi_minor), HDR_SZ(abi_minor), 10, 2, 2 },
	{ "header_size", HDR_OFF(header_size), HDR_SZ(header_size), 12, 4, 4 },
	{ "region_size", HDR_OFF(region_size), HDR_SZ(region_size), 16, 8, 8 },
	{ "features_offered", HDR_OFF(features_offered), HDR_SZ(features_offered), 24, 8, 8 },
	{ "features_accepted", HDR_OFF(features_accepted), HDR_SZ(features_accepted), 32, 8, 8 },
	{ "link_state", HDR_OFF(link_state), HDR_SZ(link_state), 40, 4, 4 },
	{ "host_id", HDR_OFF(host_id), HDR_SZ(host_id), 44, 4, 4 },
	{ "vm_id", HDR_OFF(vm_id), HDR_SZ(vm_id), 48, 4, 4 },
	{ "generation", HDR_OFF(generation), HDR_SZ(generation), 52, 4, 4 },
	{ "name", HDR_OFF(name), HDR_SZ(name), 56, 32, 1 },
	{ "rings", HDR_OFF(rings), HDR_SZ(rings), 88, 32, 4 },
	{ "reset_request", HDR_OFF(reset_request), HDR_SZ(reset_request), 120, 4, 4 },
	{ "reset_ack", HDR_OFF(reset_ack), HDR_SZ(reset_ack), 124, 4, 4 },
	{ "guest_modes", HDR_OFF(guest_modes), HDR_SZ(guest_modes), 128, 4, 4 },
	{ "guest_pad", HDR_OFF(guest_pad), HDR_SZ(guest_pad), 132, 4, 4 },
	{ "reserved", HDR_OFF(reserved), HDR_SZ(reserved), 136, 120, 8 },
};

static const struct abi_field version_fields[] = {
	{ "abi_major", VER_OFF(abi_major), VER_SZ(abi_major), 0, 2, 2 },
	{ "abi_minor", VER_OFF(abi_minor), VER_SZ(abi_minor), 2, 2, 2 },
	{ "pad", VER_OFF(pad), VER_SZ(pad), 4, 4, 4 },
	{ "features", VER_OFF(features), VER_SZ(features), 8, 8, 8 },
	{ "reserved", VER_OFF(reserved), VER_SZ(reserved), 16, 16, 8 },
};

static const struct abi_field info_fields[] = {
	{ "vm_id", INFO_OFF(vm_id), INFO_SZ(vm_id), 0, 4, 4 },
	{ "peer_id", INFO_OFF(peer_id), INFO_SZ(peer_id), 4, 4, 4 },
	{ "link_state", INFO_OFF(link_state), INFO_SZ(link_state), 8, 4, 4 },
	{ "host_id", INFO_OFF(host_id), INFO_SZ(host_id), 12, 4, 4 },
	{ "region_size", INFO_OFF(region_size), INFO_SZ(region_size), 16, 8, 8 },
	{ "abi_major", INFO_OFF(abi_major), INFO_SZ(abi_major), 24, 2, 2 },
	{ "abi_minor", INFO_OFF(abi_minor), INFO_SZ(abi_minor), 26, 2, 2 },
	{ "vectors", INFO_OFF(vectors), INFO_SZ(vectors), 28, 4, 4 },
	{ "reserved", INFO_OFF(reserved), INFO_SZ(reserved), 32, 32, 8 },
};

static const struct abi_field ring_desc_fields[] = {
	{ "ctrl_offset", DESC_OFF(ctrl_offset), DESC_SZ(ctrl_offset), 0, 4, 4 },
	{ "data_offset", DESC_OFF(data_offset), DESC_SZ(data_offset), 4, 4, 4 },
	{ "data_size", DESC_OFF(data_size), DESC_SZ(data_size), 8, 4, 4 },
	{ "reserved", DESC_OFF(reserved), DESC_SZ(reserved), 12, 4, 4 },
};

/* Producer's cache line first, consumer's second: tail at 64. */
static const struct abi_field ring_ctrl_fields[] = {
	{ "head", CTRL_OFF(head), CTRL_SZ(head), 0, 4, 4 },
	{ "prod_waiting", CTRL_OFF(prod_waiting), CTRL_SZ(prod_waiting), 4, 4, 4 },
	{ "prod_pad", CTRL_OFF(prod_pad), CTRL_SZ(prod_pad), 8, 56, 4 },
	{ "tail", CTRL_OFF(tail), CTRL_SZ(tail), 64, 4, 4 },
	{ "cons_running", CTRL_OFF(cons_running), CTRL_SZ(cons_running), 68, 4, 4 },
	{ "notify_at", CTRL_OFF(notify_at), CTRL_SZ(notify_at), 72, 4, 4 },
	{ "cons_pad", CTRL_OFF(cons_pad), CTRL_SZ(cons_pad), 76, 52, 4 },
};

static const struct abi_field addr_fields[] = {
	{ "host", ADDR_OFF(host), ADDR_SZ(host), 0, 4, 4 },
	{ "vm", ADDR_OFF(vm), ADDR_SZ(vm), 4, 4, 4 },
	{ "port", ADDR_OFF(port), ADDR_SZ(port), 8, 4, 4 },
	{ "reserved", ADDR_OFF(reserved), ADDR_SZ(reserved), 12, 4, 4 },
};

static const struct abi_field rec_fields[] = {
	{ "len", REC_OFF(len), REC_SZ(len), 0, 4, 4 },
	{ "mode", REC_OFF(mode), REC_SZ(mode), 4, 2, 2 },
	{ "flags", REC_OFF(flags), REC_SZ(flags), 6, 2, 2 },
	{ "id", REC_OFF(id), REC_SZ(id), 8, 8, 8 },
	{ "src", REC_OFF(src), REC_SZ(src), 16, 16, 4 },
	{ "dst", REC_OFF(dst), REC_SZ(dst), 32, 16, 4 },
};

#define SS_OFF(m)	offsetof(struct vmmgmt_stats_sample, m)
#define SS_SZ(m)	sizeof_field(struct vmmgmt_stats_sample, m)
#define SC_OFF(m)	offsetof(struct vmmgmt_stats_cpu, m)
#define SC_SZ(m)	sizeof_field(struct vmmgmt_stats_cpu, m)
#define SN_OFF(m)	offsetof(struct vmmgmt_stats_needs, m)
#define SN_SZ(m)	sizeof_field(struct vmmgmt_stats_needs, m)

/* The fixed part; cpu[] follows at 240. */
static const struct abi_field stats_sample_fields[] = {
	{ "version", SS_OFF(version), SS_SZ(version), 0, 2, 2 },
	{ "flags", SS_OFF(flags), SS_SZ(flags), 2, 2, 2 },
	{ "nr_cpus", SS_OFF(nr_cpus), SS_SZ(nr_cpus), 4, 4, 4 },
	{ "seq", SS_OFF(seq), SS_SZ(seq), 8, 8, 8 },
	{ "timestamp", SS_OFF(timestamp), SS_SZ(timestamp), 16, 8, 8 },
	{ "period", SS_OFF(period), SS_SZ(period), 24, 8, 8 },
	{ "nr_cpu_entries", SS_OFF(nr_cpu_entries), SS_SZ(nr_cpu_entries), 32, 4, 4 },
	{ "runnable", SS_OFF(runnable), SS_SZ(runnable), 36, 4, 4 },
	{ "nr_threads", SS_OFF(nr_threads), SS_SZ(nr_threads), 40, 4, 4 },
	{ "load_avg", SS_OFF(load_avg), SS_SZ(load_avg), 44, 12, 4 },
	{ "psi_some_avg10", SS_OFF(psi_some_avg10), SS_SZ(psi_some_avg10), 56, 12, 4 },
	{ "psi_full_avg10", SS_OFF(psi_full_avg10), SS_SZ(psi_full_avg10), 68, 12, 4 },
	{ "total", SS_OFF(total), SS_SZ(total), 80, 48, 8 },
	{ "mem_total", SS_OFF(mem_total), SS_SZ(mem_total), 128, 8, 8 },
	{ "mem_free", SS_OFF(mem_free), SS_SZ(mem_free), 136, 8, 8 },
	{ "mem_available", SS_OFF(mem_available), SS_SZ(mem_available), 144, 8, 8 },
	{ "mem_cached", SS_OFF(mem_cached), SS_SZ(mem_cached), 152, 8, 8 },
	{ "needs", SS_OFF(needs), SS_SZ(needs), 160, 16, 4 },
	{ "reserved", SS_OFF(reserved), SS_SZ(reserved), 176, 64, 8 },
};

static const struct abi_field stats_cpu_fields[] = {
	{ "user", SC_OFF(user), SC_SZ(user), 0, 8, 8 },
	{ "system", SC_OFF(system), SC_SZ(system), 8, 8, 8 },
	{ "idle", SC_OFF(idle), SC_SZ(idle), 16, 8, 8 },
	{ "iowait", SC_OFF(iowait), SC_SZ(iowait), 24, 8, 8 },
	{ "steal", SC_OFF(steal), SC_SZ(steal), 32, 8, 8 },
	{ "cpu", SC_OFF(cpu), SC_SZ(cpu), 40, 4, 4 },
	{ "reserved", SC_OFF(reserved), SC_SZ(reserved), 44, 4, 4 },
};

static const struct abi_field stats_needs_fields[] = {
	{ "vcpus_wanted", SN_OFF(vcpus_wanted), SN_SZ(vcpus_wanted), 0, 4, 4 },
	{ "urgency", SN_OFF(urgency), SN_SZ(urgency), 4, 4, 4 },
	{ "flags", SN_OFF(flags), SN_SZ(flags), 8, 4, 4 },
	{ "reserved", SN_OFF(reserved), SN_SZ(reserved), 12, 4, 4 },
};

/* ABI 0.6: the host's statistics request and the file mode request. */
#define SCT_OFF(m)	offsetof(struct vmmgmt_stats_ctl, m)
#define SCT_SZ(m)	sizeof_field(struct vmmgmt_stats_ctl, m)
static const struct abi_field stats_ctl_fields[] = {
	{ "op", SCT_OFF(op), SCT_SZ(op), 0, 4, 4 },
	{ "sampling", SCT_OFF(sampling), SCT_SZ(sampling), 4, 4, 4 },
	{ "period_ms", SCT_OFF(period_ms), SCT_SZ(period_ms), 8, 4, 4 },
	{ "reserved", SCT_OFF(reserved), SCT_SZ(reserved), 12, 4, 4 },
};

#define MR_OFF(m)	offsetof(struct vmmgmt_mode_req, m)
#define MR_SZ(m)	sizeof_field(struct vmmgmt_mode_req, m)
static const struct abi_field mode_req_fields[] = {
	{ "mode", MR_OFF(mode), MR_SZ(mode), 0, 4, 4 },
	{ "flags", MR_OFF(flags), MR_SZ(flags), 4, 4, 4 },
	{ "reserved", MR_OFF(reserved), MR_SZ(reserved), 8, 8, 8 },
};

/* ABI 0.7: stream segments, the stream ioctls, the host send timeout. */
#define SEG_OFF(m)	offsetof(struct vmmgmt_stream_seg, m)
#define SEG_SZ(m)	sizeof_field(struct vmmgmt_stream_seg, m)
static const struct abi_field stream_seg_fields[] = {
	{ "op", SEG_OFF(op), SEG_SZ(op), 0, 1, 1 },
	{ "flags", SEG_OFF(flags), SEG_SZ(flags), 1, 1, 1 },
	{ "reserved", SEG_OFF(reserved), SEG_SZ(reserved), 2, 2, 2 },
	{ "window", SEG_OFF(window), SEG_SZ(window), 4, 4, 4 },
	{ "seq", SEG_OFF(seq), SEG_SZ(seq), 8, 8, 8 },
	{ "ack", SEG_OFF(ack), SEG_SZ(ack), 16, 8, 8 },
};

#define SCN_OFF(m)	offsetof(struct vmmgmt_stream_connect, m)
#define SCN_SZ(m)	sizeof_field(struct vmmgmt_stream_connect, m)
static const struct abi_field stream_connect_fields[] = {
	{ "addr", SCN_OFF(addr), SCN_SZ(addr), 0, 16, 4 },
	{ "timeout_ms", SCN_OFF(timeout_ms), SCN_SZ(timeout_ms), 16, 4, 4 },
	{ "flags", SCN_OFF(flags), SCN_SZ(flags), 20, 4, 4 },
	{ "reserved", SCN_OFF(reserved), SCN_SZ(reserved), 24, 8, 8 },
};

#define SLI_OFF(m)	offsetof(struct vmmgmt_stream_listen, m)
#define SLI_SZ(m)	sizeof_field(struct vmmgmt_stream_listen, m)
static const struct abi_field stream_listen_fields[] = {
	{ "port", SLI_OFF(port), SLI_SZ(port), 0, 4, 4 },
	{ "backlog", SLI_OFF(backlog), SLI_SZ(backlog), 4, 4, 4 },
	{ "flags", SLI_OFF(flags), SLI_SZ(flags), 8, 4, 4 },
	{ "reserved", SLI_OFF(reserved), SLI_SZ(reserved), 12, 4, 4 },
};

#define SAC_OFF(m)	offsetof(struct vmmgmt_stream_accept, m)
#define SAC_SZ(m)	sizeof_field(struct vmmgmt_stream_accept, m)
static const struct abi_field stream_accept_fields[] = {
	{ "peer", SAC_OFF(peer), SAC_SZ(peer), 0, 16, 4 },
	{ "fd", SAC_OFF(fd), SAC_SZ(fd), 16, 4, 4 },
	{ "flags", SAC_OFF(flags), SAC_SZ(flags), 20, 4, 4 },
	{ "reserved", SAC_OFF(reserved), SAC_SZ(reserved), 24, 8, 8 },
};

#define HT_OFF(m)	offsetof(struct vmmgmt_host_timeout, m)
#define HT_SZ(m)	sizeof_field(struct vmmgmt_host_timeout, m)
static const struct abi_field host_timeout_fields[] = {
	{ "send_ms", HT_OFF(send_ms), HT_SZ(send_ms), 0, 4, 4 },
	{ "flags", HT_OFF(flags), HT_SZ(flags), 4, 4, 4 },
	{ "reserved", HT_OFF(reserved), HT_SZ(reserved), 8, 8, 8 },
};

/* ABI 0.8: VM registration, listing and adoption (/dev/vmmgmt-host). */
#define VA_OFF(m)	offsetof(struct vmmgmt_host_vm_add, m)
#define VA_SZ(m)	sizeof_field(struct vmmgmt_host_vm_add, m)
static const struct abi_field host_vm_add_fields[] = {
	{ "vm_id", VA_OFF(vm_id), VA_SZ(vm_id), 0, 4, 4 },
	{ "region_fd", VA_OFF(region_fd), VA_SZ(region_fd), 4, 4, 4 },
	{ "nr_vectors", VA_OFF(nr_vectors), VA_SZ(nr_vectors), 8, 4, 4 },
	{ "flags", VA_OFF(flags), VA_SZ(flags), 12, 4, 4 },
	{ "kick_fds", VA_OFF(kick_fds), VA_SZ(kick_fds), 16, 32, 4 },
	{ "call_fds", VA_OFF(call_fds), VA_SZ(call_fds), 48, 32, 4 },
	{ "qemu_pid", VA_OFF(qemu_pid), VA_SZ(qemu_pid), 80, 4, 4 },
	{ "pad", VA_OFF(pad), VA_SZ(pad), 84, 4, 4 },
	{ "name", VA_OFF(name), VA_SZ(name), 88, 32, 1 },
	{ "reserved", VA_OFF(reserved), VA_SZ(reserved), 120, 40, 8 },
};

#define VI_OFF(m)	offsetof(struct vmmgmt_host_vm_info, m)
#define VI_SZ(m)	sizeof_field(struct vmmgmt_host_vm_info, m)
static const struct abi_field host_vm_info_fields[] = {
	{ "vm_id", VI_OFF(vm_id), VI_SZ(vm_id), 0, 4, 4 },
	{ "qemu_pid", VI_OFF(qemu_pid), VI_SZ(qemu_pid), 4, 4, 4 },
	{ "region_size", VI_OFF(region_size), VI_SZ(region_size), 8, 8, 8 },
	{ "nr_vectors", VI_OFF(nr_vectors), VI_SZ(nr_vectors), 16, 4, 4 },
	{ "flags", VI_OFF(flags), VI_SZ(flags), 20, 4, 4 },
	{ "link_state", VI_OFF(link_state), VI_SZ(link_state), 24, 4, 4 },
	{ "adoptions", VI_OFF(adoptions), VI_SZ(adoptions), 28, 4, 4 },
	{ "name", VI_OFF(name), VI_SZ(name), 32, 32, 1 },
	{ "reserved", VI_OFF(reserved), VI_SZ(reserved), 64, 16, 8 },
};

#define VL_OFF(m)	offsetof(struct vmmgmt_host_vm_list, m)
#define VL_SZ(m)	sizeof_field(struct vmmgmt_host_vm_list, m)
static const struct abi_field host_vm_list_fields[] = {
	{ "after_id", VL_OFF(after_id), VL_SZ(after_id), 0, 4, 4 },
	{ "count", VL_OFF(count), VL_SZ(count), 4, 4, 4 },
	{ "flags", VL_OFF(flags), VL_SZ(flags), 8, 4, 4 },
	{ "pad", VL_OFF(pad), VL_SZ(pad), 12, 4, 4 },
	{ "reserved", VL_OFF(reserved), VL_SZ(reserved), 16, 16, 8 },
	{ "vms", VL_OFF(vms), VL_SZ(vms), 32, 1280, 8 },
};

#define VD_OFF(m)	offsetof(struct vmmgmt_host_vm_adopt, m)
#define VD_SZ(m)	sizeof_field(struct vmmgmt_host_vm_adopt, m)
static const struct abi_field host_vm_adopt_fields[] = {
	{ "vm_id", VD_OFF(vm_id), VD_SZ(vm_id), 0, 4, 4 },
	{ "qemu_pid", VD_OFF(qemu_pid), VD_SZ(qemu_pid), 4, 4, 4 },
	{ "reserved", VD_OFF(reserved), VD_SZ(reserved), 8, 8, 8 },
};

/* The arguments of BIND (both devices) and DEL_VM; ADD_VM's is above. */
#define BIND_OFF(m)	offsetof(struct vmmgmt_bind, m)
#define BIND_SZ(m)	sizeof_field(struct vmmgmt_bind, m)
static const struct abi_field bind_fields[] = {
	{ "port", BIND_OFF(port), BIND_SZ(port), 0, 4, 4 },
	{ "flags", BIND_OFF(flags), BIND_SZ(flags), 4, 4, 4 },
	{ "reserved", BIND_OFF(reserved), BIND_SZ(reserved), 8, 8, 8 },
};

#define VDEL_OFF(m)	offsetof(struct vmmgmt_host_vm_del, m)
#define VDEL_SZ(m)	sizeof_field(struct vmmgmt_host_vm_del, m)
static const struct abi_field host_vm_del_fields[] = {
	{ "vm_id", VDEL_OFF(vm_id), VDEL_SZ(vm_id), 0, 4, 4 },
	{ "flags", VDEL_OFF(flags), VDEL_SZ(flags), 4, 4, 4 },
	{ "reserved", VDEL_OFF(reserved), VDEL_SZ(reserved), 8, 8, 8 },
};

/*
 * Names and control requests: struct vmmgmt_name is the argument of the
 * names ioctls and part of struct vmmgmt_ctrl, the CTRL payload; struct
 * vmmgmt_credit is the CREDIT notice's; struct vmmgmt_name_list is
 * LIST_NAMES' argument and the LIST answer.
 */
#define NAME_OFF(m)	offsetof(struct vmmgmt_name, m)
#define NAME_SZ(m)	sizeof_field(struct vmmgmt_name, m)
static const struct abi_field name_fields[] = {
	{ "name", NAME_OFF(name), NAME_SZ(name), 0, 32, 1 },
	{ "addr", NAME_OFF(addr), NAME_SZ(addr), 32, 16, 4 },
	{ "flags", NAME_OFF(flags), NAME_SZ(flags), 48, 4, 4 },
	{ "reserved", NAME_OFF(reserved), NAME_SZ(reserved), 52, 4, 4 },
};

#define CTL_OFF(m)	offsetof(struct vmmgmt_ctrl, m)
#define CTL_SZ(m)	sizeof_field(struct vmmgmt_ctrl, m)
static const struct abi_field ctrl_fields[] = {
	{ "op", CTL_OFF(op), CTL_SZ(op), 0, 4, 4 },
	{ "reserved", CTL_OFF(reserved), CTL_SZ(reserved), 4, 4, 4 },
	{ "name", CTL_OFF(name), CTL_SZ(name), 8, 56, 4 },
};

#define CRED_OFF(m)	offsetof(struct vmmgmt_credit, m)
#define CRED_SZ(m)	sizeof_field(struct vmmgmt_credit, m)
static const struct abi_field credit_fields[] = {
	{ "op", CRED_OFF(op), CRED_SZ(op), 0, 4, 4 },
	{ "msgs", CRED_OFF(msgs), CRED_SZ(msgs), 4, 4, 4 },
	{ "dst", CRED_OFF(dst), CRED_SZ(dst), 8, 16, 4 },
	{ "bytes", CRED_OFF(bytes), CRED_SZ(bytes), 24, 8, 8 },
};

#define NL_OFF(m)	offsetof(struct vmmgmt_name_list, m)
#define NL_SZ(m)	sizeof_field(struct vmmgmt_name_list, m)
static const struct abi_field name_list_fields[] = {
	{ "after", NL_OFF(after), NL_SZ(after), 0, 32, 1 },
	{ "count", NL_OFF(count), NL_SZ(count), 32, 4, 4 },
	{ "flags", NL_OFF(flags), NL_SZ(flags), 36, 4, 4 },
	{ "reserved", NL_OFF(reserved), NL_SZ(reserved), 40, 24, 8 },
	{ "names", NL_OFF(names), NL_SZ(names), 64, 1792, 4 },
};

/* ABI 0.9: the host module handover. */
#define QU_OFF(m)	offsetof(struct vmmgmt_host_quiesce, m)
#define QU_SZ(m)	sizeof_field(struct vmmgmt_host_quiesce, m)
static const struct abi_field host_quiesce_fields[] = {
	{ "format", QU_OFF(format), QU_SZ(format), 0, 4, 4 },
	{ "nr_ports", QU_OFF(nr_ports), QU_SZ(nr_ports), 4, 4, 4 },
	{ "ports", QU_OFF(ports), QU_SZ(ports), 8, 256, 4 },
	{ "flags", QU_OFF(flags), QU_SZ(flags), 264, 4, 4 },
	{ "pad", QU_OFF(pad), QU_SZ(pad), 268, 4, 4 },
	{ "reserved", QU_OFF(reserved), QU_SZ(reserved), 272, 16, 8 },
};

#define SH_OFF(m)	offsetof(struct vmmgmt_host_vm_state_hdr, m)
#define SH_SZ(m)	sizeof_field(struct vmmgmt_host_vm_state_hdr, m)
static const struct abi_field host_vm_state_hdr_fields[] = {
	{ "magic", SH_OFF(magic), SH_SZ(magic), 0, 4, 4 },
	{ "format", SH_OFF(format), SH_SZ(format), 4, 4, 4 },
	{ "len", SH_OFF(len), SH_SZ(len), 8, 4, 4 },
	{ "vm_id", SH_OFF(vm_id), SH_SZ(vm_id), 12, 4, 4 },
};

/* add is a struct vmmgmt_host_vm_add: 8-byte aligned (its reserved). */
#define EX_OFF(m)	offsetof(struct vmmgmt_host_vm_export, m)
#define EX_SZ(m)	sizeof_field(struct vmmgmt_host_vm_export, m)
static const struct abi_field host_vm_export_fields[] = {
	{ "vm_id", EX_OFF(vm_id), EX_SZ(vm_id), 0, 4, 4 },
	{ "flags", EX_OFF(flags), EX_SZ(flags), 4, 4, 4 },
	{ "state", EX_OFF(state), EX_SZ(state), 8, 8, 8 },
	{ "state_len", EX_OFF(state_len), EX_SZ(state_len), 16, 4, 4 },
	{ "pad", EX_OFF(pad), EX_SZ(pad), 20, 4, 4 },
	{ "add", EX_OFF(add), EX_SZ(add), 24, 160, 8 },
	{ "reserved", EX_OFF(reserved), EX_SZ(reserved), 184, 16, 8 },
};

#define IM_OFF(m)	offsetof(struct vmmgmt_host_vm_import, m)
#define IM_SZ(m)	sizeof_field(struct vmmgmt_host_vm_import, m)
static const struct abi_field host_vm_import_fields[] = {
	{ "add", IM_OFF(add), IM_SZ(add), 0, 160, 8 },
	{ "state", IM_OFF(state), IM_SZ(state), 160, 8, 8 },
	{ "state_len", IM_OFF(state_len), IM_SZ(state_len), 168, 4, 4 },
	{ "flags", IM_OFF(flags), IM_SZ(flags), 172, 4, 4 },
	{ "reserved", IM_OFF(reserved), IM_SZ(reserved), 176, 16, 8 },
};

/*
 * Check one structure: every field where the ABI puts it, 64-bit fields on
 * 8-byte boundaries, fields back to back from offset 0 (the table is in
 * declaration order) and no implicit padding: the sizes of the members add
 * up to sizeof() of the structure, which is @want_size.
 */
static void check_layout(struct kunit *test, const char *type,
			 const struct abi_field *fields, size_t n,
			 size_t size, size_t want_size)
{
	size_t sum = 0, end = 0;
	size_t i;

	KUNIT_EXPECT_EQ_MSG(test, size, want_size, "sizeof(struct %s)", type);

	for (i = 0; i < n; i++) {
		const struct abi_field *f = &fields[i];

		KUNIT_EXPECT_EQ_MSG(test, f->offset, f->want_offset,
				    "offsetof(struct %s, %s)", type, f->name);
		KUNIT_EXPECT_EQ_MSG(test, f->size, f->want_size,
				    "sizeof_field(struct %s, %s)",
				    type, f->name);
		/* Natural alignment: 64-bit fields on 8-byte boundaries. */
		KUNIT_EXPECT_EQ_MSG(test, f->offset % f->elem, 0,
				    "%s.%s is not aligned to %zu bytes",
				    type, f->name, f->elem);
		KUNIT_EXPECT_EQ_MSG(test, f->offset, end,
				    "hole or reordering before %s.%s",
				    type, f->name);
		end = f->offset + f->size;
		sum += f->size;
	}
	KUNIT_EXPECT_EQ_MSG(test, sum, size,
			    "implicit padding in struct %s", type);
	KUNIT_EXPECT_EQ_MSG(test, end, size,
			    "tail padding in struct %s", type);
}

static void vmmgmt_abi_region_header_layout(struct kunit *test)
{
	check_layout(test, "vmmgmt_region_header", region_header_fields,
		     ARRAY_SIZE(region_header_fields),
		     sizeof(struct vmmgmt_region_header), 256);
}

static void vmmgmt_abi_version_layout(struct kunit *test)
{
	check_layout(test, "vmmgmt_version", version_fields,
		     ARRAY_SIZE(version_fields),
		     sizeof(struct vmmgmt_version), 32);
}

static void vmmgmt_abi_info_layout(struct kunit *test)
{
	check_layout(test, "vmmgmt_info", info_fields,
		     ARRAY_SIZE(info_fields), sizeof(struct vmmgmt_info), 64);
}

/* The statistics sample (ABI 0.4) and its parts. */
static void vmmgmt_abi_stats_layout(struct kunit *test)
{
	check_layout(test, "vmmgmt_stats_sample", stats_sample_fields,
		     ARRAY_SIZE(stats_sample_fields),
		     sizeof(struct vmmgmt_stats_sample), 240);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_stats_sample, cpu), 240);
	check_layout(test, "vmmgmt_stats_cpu", stats_cpu_fields,
		     ARRAY_SIZE(stats_cpu_fields),
		     sizeof(struct vmmgmt_stats_cpu), 48);
	check_layout(test, "vmmgmt_stats_needs", stats_needs_fields,
		     ARRAY_SIZE(stats_needs_fields),
		     sizeof(struct vmmgmt_stats_needs), 16);
	/* The largest sample fits the smallest ring's largest record. */
	KUNIT_EXPECT_LE(test, 240 + VMMGMT_STATS_MAX_CPUS * 48,
			VMMGMT_RING_MIN_DATA / 4);
	KUNIT_EXPECT_EQ(test, VMMGMT_STATS_PSI_NR, 3);
	KUNIT_EXPECT_EQ(test, VMMGMT_STATS_F_KNOWN,
			VMMGMT_STATS_F_PSI | VMMGMT_STATS_F_NEEDS);
}

/* Modes (ABI 0.6): the masks, the stats request, the mode request. */
static void vmmgmt_abi_modes(struct kunit *test)
{
	check_layout(test, "vmmgmt_stats_ctl", stats_ctl_fields,
		     ARRAY_SIZE(stats_ctl_fields),
		     sizeof(struct vmmgmt_stats_ctl), 16);
	check_layout(test, "vmmgmt_mode_req", mode_req_fields,
		     ARRAY_SIZE(mode_req_fields),
		     sizeof(struct vmmgmt_mode_req), 16);
	KUNIT_EXPECT_EQ(test, VMMGMT_MODES_USER, 0x7cU);
	KUNIT_EXPECT_EQ(test, VMMGMT_MODES_DEFAULT, 0x0cU);
	KUNIT_EXPECT_EQ(test, VMMGMT_MODES_DEFAULT & ~VMMGMT_MODES_USER, 0U);
	/* The mask must hold every mode in a __u32. */
	KUNIT_EXPECT_LE(test, (int)VMMGMT_MODE_MAX, 32);
	KUNIT_EXPECT_EQ(test, VMMGMT_STATS_CTL_GET, 1);
	KUNIT_EXPECT_EQ(test, VMMGMT_STATS_CTL_SET, 2);
}

/*
 * Flow control (ABI 0.7): the notices are control ops in the same
 * numbering as the requests, the held limits are the guest's contract.
 */
static void vmmgmt_abi_flow(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, VMMGMT_CTRL_PUBLISH, 1);
	KUNIT_EXPECT_EQ(test, VMMGMT_CTRL_WITHDRAW, 2);
	KUNIT_EXPECT_EQ(test, VMMGMT_CTRL_LOOKUP, 3);
	KUNIT_EXPECT_EQ(test, VMMGMT_CTRL_CREDIT, 16);
	KUNIT_EXPECT_EQ(test, VMMGMT_CTRL_PEER_GONE, 17);
	KUNIT_EXPECT_EQ(test, VMMGMT_HELD_MSGS, 128);
	KUNIT_EXPECT_EQ(test, VMMGMT_HELD_BYTES, 2 * 1024 * 1024);
	/* A notice is a struct vmmgmt_ctrl: it fits the smallest ring. */
	KUNIT_EXPECT_EQ(test, sizeof(struct vmmgmt_ctrl), 64);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_ctrl, name), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_name, addr), 32);
	/* Every held record fits: one record of any size is never refused. */
	KUNIT_EXPECT_GE(test, VMMGMT_HELD_BYTES, VMMGMT_MSG_MAX);
	/* Credits: a window holds records of any size, four fit held. */
	KUNIT_EXPECT_EQ(test, VMMGMT_FLOW_WINDOW_MSGS, 32);
	KUNIT_EXPECT_EQ(test, VMMGMT_FLOW_WINDOW_BYTES, 512 * 1024);
	/* Two stream windows fit into one destination window. */
	KUNIT_EXPECT_GE(test, VMMGMT_FLOW_WINDOW_BYTES, 2 * VMMGMT_STREAM_WINDOW);
	KUNIT_EXPECT_EQ(test, VMMGMT_FLOW_DESTS, 64);
	KUNIT_EXPECT_GE(test, VMMGMT_FLOW_WINDOW_BYTES, 2 * VMMGMT_MSG_MAX);
	KUNIT_EXPECT_EQ(test, VMMGMT_HELD_MSGS, 4 * VMMGMT_FLOW_WINDOW_MSGS);
	KUNIT_EXPECT_EQ(test, VMMGMT_HELD_BYTES, 4 * VMMGMT_FLOW_WINDOW_BYTES);
	KUNIT_EXPECT_EQ(test, sizeof(struct vmmgmt_credit), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_credit, msgs), 4);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_credit, dst), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_credit, bytes), 24);
	/* Told apart from a struct vmmgmt_ctrl notice by its length. */
	KUNIT_EXPECT_NE(test, sizeof(struct vmmgmt_credit),
			sizeof(struct vmmgmt_ctrl));
}

/* A record of @mode and @flags to (0, @vm, @port). */
static bool flow_counted(u16 mode, u16 flags, u32 vm, u32 port)
{
	struct vmmgmt_rec r = {
		.mode = mode, .flags = flags,
		.dst = { .vm = vm, .port = port },
	};

	return vmmgmt_flow_counted(&r);
}

/*
 * Credits (lib/vmmgmt_flow.h): which records take one and for which
 * destination.  Both modules take the rules from there: a record one side
 * counts and the other does not would leak a credit for good.
 */
static void vmmgmt_abi_flow_rules(struct kunit *test)
{
	struct vmmgmt_addr key, dst = { .host = 3, .vm = 5, .port = 99 };

	/* What the host consumes itself takes none. */
	KUNIT_EXPECT_FALSE(test, flow_counted(VMMGMT_MODE_CTRL, 0, 0, 0));
	KUNIT_EXPECT_FALSE(test, flow_counted(VMMGMT_MODE_CTRL, 0, 0, 7));
	KUNIT_EXPECT_FALSE(test, flow_counted(VMMGMT_MODE_STATS, 0, 0, 0));
	KUNIT_EXPECT_FALSE(test, flow_counted(VMMGMT_MODE_CHAT, 0, 0, 0));
	KUNIT_EXPECT_FALSE(test, flow_counted(VMMGMT_MODE_CHAT,
					      VMMGMT_REC_F_STREAM, 0, 0));
	/* Everything routed does, whatever its mode. */
	KUNIT_EXPECT_TRUE(test, flow_counted(VMMGMT_MODE_CHAT, 0, 0, 7));
	KUNIT_EXPECT_TRUE(test, flow_counted(VMMGMT_MODE_CHAT, 0, 2, 5));
	KUNIT_EXPECT_TRUE(test, flow_counted(VMMGMT_MODE_CTRL,
					     VMMGMT_REC_F_RESPONSE, 2, 5));
	KUNIT_EXPECT_TRUE(test, flow_counted(VMMGMT_MODE_STATS,
					     VMMGMT_REC_F_RESPONSE, 0, 9));
	KUNIT_EXPECT_TRUE(test, flow_counted(VMMGMT_MODE_CTRL,
					     VMMGMT_REC_F_STREAM, 2, 5));
	/* A VM's ports share one key; a host port is its own; no host id. */
	vmmgmt_flow_key(&dst, &key);
	KUNIT_EXPECT_EQ(test, key.host, 0U);
	KUNIT_EXPECT_EQ(test, key.vm, 5U);
	KUNIT_EXPECT_EQ(test, key.port, 0U);
	KUNIT_EXPECT_EQ(test, key.reserved, 0U);
	dst.vm = 0;
	vmmgmt_flow_key(&dst, &key);
	KUNIT_EXPECT_EQ(test, key.vm, 0U);
	KUNIT_EXPECT_EQ(test, key.port, 99U);
}

/* Streams (ABI 0.7): the segment and the arguments of the ioctls. */
static void vmmgmt_abi_streams(struct kunit *test)
{
	check_layout(test, "vmmgmt_stream_seg", stream_seg_fields,
		     ARRAY_SIZE(stream_seg_fields),
		     sizeof(struct vmmgmt_stream_seg), 24);
	check_layout(test, "vmmgmt_stream_connect", stream_connect_fields,
		     ARRAY_SIZE(stream_connect_fields),
		     sizeof(struct vmmgmt_stream_connect), 32);
	check_layout(test, "vmmgmt_stream_listen", stream_listen_fields,
		     ARRAY_SIZE(stream_listen_fields),
		     sizeof(struct vmmgmt_stream_listen), 16);
	check_layout(test, "vmmgmt_stream_accept", stream_accept_fields,
		     ARRAY_SIZE(stream_accept_fields),
		     sizeof(struct vmmgmt_stream_accept), 32);
	check_layout(test, "vmmgmt_host_timeout", host_timeout_fields,
		     ARRAY_SIZE(host_timeout_fields),
		     sizeof(struct vmmgmt_host_timeout), 16);
	KUNIT_EXPECT_EQ(test, VMMGMT_STREAM_SYN, 1);
	KUNIT_EXPECT_EQ(test, VMMGMT_STREAM_ACCEPT, 2);
	KUNIT_EXPECT_EQ(test, VMMGMT_STREAM_DATA, 3);
	KUNIT_EXPECT_EQ(test, VMMGMT_STREAM_ACK, 4);
	KUNIT_EXPECT_EQ(test, VMMGMT_STREAM_FIN, 5);
	KUNIT_EXPECT_EQ(test, VMMGMT_STREAM_RST, 6);
	KUNIT_EXPECT_EQ(test, VMMGMT_STREAM_WINDOW, 256 * 1024);
	KUNIT_EXPECT_EQ(test, VMMGMT_STREAMS_MAX, 64);
	KUNIT_EXPECT_EQ(test, VMMGMT_STREAM_BACKLOG_MAX, 16);
	KUNIT_EXPECT_EQ(test, VMMGMT_ACCEPT_NONBLOCK, 1);
	/* A segment header and some data fit the smallest ring's record. */
	KUNIT_EXPECT_LT(test, sizeof(struct vmmgmt_stream_seg),
			VMMGMT_RING_MIN_DATA / 4);
}

/* VMs that outlive their daemon (ABI 0.8): registration, list, adopt. */
static void vmmgmt_abi_host_vms(struct kunit *test)
{
	check_layout(test, "vmmgmt_host_vm_add", host_vm_add_fields,
		     ARRAY_SIZE(host_vm_add_fields),
		     sizeof(struct vmmgmt_host_vm_add), 160);
	check_layout(test, "vmmgmt_host_vm_del", host_vm_del_fields,
		     ARRAY_SIZE(host_vm_del_fields),
		     sizeof(struct vmmgmt_host_vm_del), 16);
	check_layout(test, "vmmgmt_host_vm_info", host_vm_info_fields,
		     ARRAY_SIZE(host_vm_info_fields),
		     sizeof(struct vmmgmt_host_vm_info), 80);
	check_layout(test, "vmmgmt_host_vm_list", host_vm_list_fields,
		     ARRAY_SIZE(host_vm_list_fields),
		     sizeof(struct vmmgmt_host_vm_list), 1312);
	check_layout(test, "vmmgmt_host_vm_adopt", host_vm_adopt_fields,
		     ARRAY_SIZE(host_vm_adopt_fields),
		     sizeof(struct vmmgmt_host_vm_adopt), 16);
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_VM_F_PERSIST, 1);
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_VM_F_ORPHAN, 2);
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_VMS_PER_LIST, 16);
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_VM_LIST_F_MORE, 1);
	KUNIT_EXPECT_EQ(test, sizeof_field(struct vmmgmt_host_vm_list, vms) /
			sizeof(struct vmmgmt_host_vm_info),
			VMMGMT_HOST_VMS_PER_LIST);
	KUNIT_EXPECT_EQ(test, sizeof_field(struct vmmgmt_host_vm_info, name),
			VMMGMT_NAME_MAX);
	KUNIT_EXPECT_GE(test, VMMGMT_ABI_MINOR, 8);
}

/* The host module handover (ABI 0.9): its ioctls' arguments and limits. */
static void vmmgmt_abi_handover(struct kunit *test)
{
	check_layout(test, "vmmgmt_host_quiesce", host_quiesce_fields,
		     ARRAY_SIZE(host_quiesce_fields),
		     sizeof(struct vmmgmt_host_quiesce), 288);
	check_layout(test, "vmmgmt_host_vm_state_hdr", host_vm_state_hdr_fields,
		     ARRAY_SIZE(host_vm_state_hdr_fields),
		     sizeof(struct vmmgmt_host_vm_state_hdr), 16);
	check_layout(test, "vmmgmt_host_vm_export", host_vm_export_fields,
		     ARRAY_SIZE(host_vm_export_fields),
		     sizeof(struct vmmgmt_host_vm_export), 200);
	check_layout(test, "vmmgmt_host_vm_import", host_vm_import_fields,
		     ARRAY_SIZE(host_vm_import_fields),
		     sizeof(struct vmmgmt_host_vm_import), 192);
	/* The ADD_VM argument inside, field by field where it is embedded. */
	KUNIT_EXPECT_EQ(test, EX_OFF(add.vm_id), 24);
	KUNIT_EXPECT_EQ(test, EX_OFF(add.kick_fds), 40);
	KUNIT_EXPECT_EQ(test, EX_OFF(add.call_fds), 72);
	KUNIT_EXPECT_EQ(test, EX_OFF(add.name), 112);
	KUNIT_EXPECT_EQ(test, IM_OFF(add.vm_id), 0);
	KUNIT_EXPECT_EQ(test, IM_OFF(add.name), 88);
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_HANDOVER_FORMAT, 1);
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_HANDOVER_PORTS, 64);
	KUNIT_EXPECT_EQ(test, QU_SZ(ports) / sizeof(__u32),
			VMMGMT_HOST_HANDOVER_PORTS);
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_HANDOVER_STATE_MAX, 4 * 1024 * 1024);
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_HANDOVER_HOLD_MS, 10000);
	/* "ohmv" in memory: the bytes 'o' 'h' 'm' 'v' on a little-endian host. */
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_STATE_MAGIC, 0x766d686fU);
	KUNIT_EXPECT_GE(test, VMMGMT_ABI_MINOR, 9);
}

/* Endpoints: the argument of BIND on both devices. */
static void vmmgmt_abi_bind_layout(struct kunit *test)
{
	check_layout(test, "vmmgmt_bind", bind_fields, ARRAY_SIZE(bind_fields),
		     sizeof(struct vmmgmt_bind), 16);
	KUNIT_EXPECT_EQ(test, VMMGMT_PORT_DYNAMIC, 0x8000);
	KUNIT_EXPECT_EQ(test, VMMGMT_PORT_ECHO, 7);
	KUNIT_EXPECT_LT(test, VMMGMT_PORT_ECHO, VMMGMT_PORT_DYNAMIC);
}

/*
 * Control requests (the host parses these from guest memory) and names:
 * struct vmmgmt_ctrl, its struct vmmgmt_name, and the CREDIT notice.
 */
static void vmmgmt_abi_ctrl_layout(struct kunit *test)
{
	check_layout(test, "vmmgmt_name", name_fields, ARRAY_SIZE(name_fields),
		     sizeof(struct vmmgmt_name), 56);
	check_layout(test, "vmmgmt_ctrl", ctrl_fields, ARRAY_SIZE(ctrl_fields),
		     sizeof(struct vmmgmt_ctrl), 64);
	/* Where the host finds each field of the request in a record. */
	KUNIT_EXPECT_EQ(test, CTL_OFF(name.name), 8);
	KUNIT_EXPECT_EQ(test, CTL_OFF(name.addr), 40);
	KUNIT_EXPECT_EQ(test, CTL_OFF(name.addr.host), 40);
	KUNIT_EXPECT_EQ(test, CTL_OFF(name.addr.vm), 44);
	KUNIT_EXPECT_EQ(test, CTL_OFF(name.addr.port), 48);
	KUNIT_EXPECT_EQ(test, CTL_OFF(name.addr.reserved), 52);
	KUNIT_EXPECT_EQ(test, CTL_OFF(name.flags), 56);
	KUNIT_EXPECT_EQ(test, CTL_OFF(name.reserved), 60);
	check_layout(test, "vmmgmt_credit", credit_fields,
		     ARRAY_SIZE(credit_fields), sizeof(struct vmmgmt_credit), 32);
	KUNIT_EXPECT_EQ(test, VMMGMT_CTRL_LIST, 4);
	KUNIT_EXPECT_EQ(test, VMMGMT_NAMES_MAX, 4096);
	KUNIT_EXPECT_EQ(test, VMMGMT_NAMES_PER_OWNER, 64);
}

/* The name list (ABI 0.5): ioctl argument and CTRL answer. */
static void vmmgmt_abi_name_list_layout(struct kunit *test)
{
	check_layout(test, "vmmgmt_name_list", name_list_fields,
		     ARRAY_SIZE(name_list_fields),
		     sizeof(struct vmmgmt_name_list), 1856);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_name_list, after), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_name_list, count), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_name_list, flags), 36);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_name_list, reserved), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_name_list, names), 64);
	KUNIT_EXPECT_EQ(test, sizeof(struct vmmgmt_name_list), 64 + 32 * 56);
	KUNIT_EXPECT_EQ(test, VMMGMT_NAMES_PER_LIST, 32);
	KUNIT_EXPECT_EQ(test, VMMGMT_CTRL_LIST, 4);
	/* The largest answer fits the smallest ring's largest record. */
	KUNIT_EXPECT_LE(test, sizeof(struct vmmgmt_name_list),
			VMMGMT_RING_MIN_DATA / 4);
}

static void vmmgmt_abi_ring_layout(struct kunit *test)
{
	check_layout(test, "vmmgmt_ring_desc", ring_desc_fields,
		     ARRAY_SIZE(ring_desc_fields),
		     sizeof(struct vmmgmt_ring_desc), 16);
	check_layout(test, "vmmgmt_ring_ctrl", ring_ctrl_fields,
		     ARRAY_SIZE(ring_ctrl_fields),
		     sizeof(struct vmmgmt_ring_ctrl), 128);
	check_layout(test, "vmmgmt_addr", addr_fields,
		     ARRAY_SIZE(addr_fields), sizeof(struct vmmgmt_addr), 16);
	check_layout(test, "vmmgmt_rec", rec_fields,
		     ARRAY_SIZE(rec_fields), sizeof(struct vmmgmt_rec), 48);

	/* rings[] is indexed by enum vmmgmt_ring_id. */
	KUNIT_EXPECT_EQ(test, HDR_SZ(rings) / sizeof(struct vmmgmt_ring_desc),
			2);
	KUNIT_EXPECT_EQ(test, HDR_OFF(rings[VMMGMT_RING_G2H]), 88);
	KUNIT_EXPECT_EQ(test, HDR_OFF(rings[VMMGMT_RING_H2G]), 104);
	/* The consumer's index is on its own cache line. */
	KUNIT_EXPECT_EQ(test, CTRL_OFF(tail), VMMGMT_CACHELINE);
	/* A record header keeps the next record 8-byte aligned. */
	KUNIT_EXPECT_EQ(test, sizeof(struct vmmgmt_rec) % VMMGMT_RING_ALIGN, 0);
}

/* Ring constants, modes and flags are stored in the region. */
static void vmmgmt_abi_ring_constants(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, VMMGMT_RING_G2H, 0);
	KUNIT_EXPECT_EQ(test, VMMGMT_RING_H2G, 1);
	KUNIT_EXPECT_EQ(test, VMMGMT_RING_MIN_DATA, 16384);
	KUNIT_EXPECT_TRUE(test, is_power_of_2(VMMGMT_RING_MIN_DATA));
	KUNIT_EXPECT_EQ(test, VMMGMT_RING_ALIGN, 8);
	KUNIT_EXPECT_EQ(test, VMMGMT_CACHELINE, 64);
	KUNIT_EXPECT_EQ(test, VMMGMT_MSG_MAX, 65536);

	KUNIT_EXPECT_EQ(test, VMMGMT_MODE_PAD, 0);	/* zeroed memory */
	KUNIT_EXPECT_EQ(test, VMMGMT_MODE_CTRL, 1);
	KUNIT_EXPECT_EQ(test, VMMGMT_MODE_CHAT, 2);
	KUNIT_EXPECT_EQ(test, VMMGMT_MODE_STATS, 3);
	KUNIT_EXPECT_EQ(test, VMMGMT_MODE_FILE, 4);
	KUNIT_EXPECT_EQ(test, VMMGMT_MODE_CALC, 5);
	KUNIT_EXPECT_EQ(test, VMMGMT_MODE_CMD, 6);
	KUNIT_EXPECT_EQ(test, VMMGMT_MODE_MAX, 7);
	KUNIT_EXPECT_LE(test, VMMGMT_MODE_MAX, U16_MAX);

	KUNIT_EXPECT_EQ(test, VMMGMT_REC_F_RESPONSE, 0x0001);
	KUNIT_EXPECT_EQ(test, VMMGMT_REC_F_ERROR, 0x0002);
	KUNIT_EXPECT_EQ(test, VMMGMT_REC_F_STREAM, 0x0004);
	KUNIT_EXPECT_EQ(test, VMMGMT_REC_F_KNOWN,
			VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR |
			VMMGMT_REC_F_STREAM);
	KUNIT_EXPECT_LE(test, VMMGMT_REC_F_KNOWN, U16_MAX);

	/* Feature bits are stored in the region header (ABI 0.3). */
	KUNIT_EXPECT_EQ(test, VMMGMT_F_NOTIFY_AT, 1ULL);
	KUNIT_EXPECT_EQ(test, VMMGMT_F_MODES, 2ULL);
	KUNIT_EXPECT_EQ(test, VMMGMT_F_FLOW, 4ULL);
	KUNIT_EXPECT_EQ(test, VMMGMT_F_STREAM, 8ULL);
	KUNIT_EXPECT_EQ(test, VMMGMT_F_KNOWN,
			VMMGMT_F_NOTIFY_AT | VMMGMT_F_MODES | VMMGMT_F_FLOW |
			VMMGMT_F_STREAM);
}

/* A region starts with the bytes "vmmgmt\0\0" (VMMGMT_MAGIC, LE). */
static void vmmgmt_abi_magic_bytes(struct kunit *test)
{
	static const u8 want[8] = { 'v', 'm', 'm', 'g', 'm', 't', 0, 0 };
	struct vmmgmt_region_header hdr = { .magic = VMMGMT_MAGIC };
	u8 region[sizeof(struct vmmgmt_region_header)] = { };

	KUNIT_EXPECT_EQ(test, VMMGMT_MAGIC, 0x0000746d676d6d76ULL);

	put_unaligned_le64(VMMGMT_MAGIC, region);
	KUNIT_EXPECT_MEMEQ(test, region, want, sizeof(want));
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(want), VMMGMT_MAGIC);
	KUNIT_EXPECT_EQ(test, offsetof(struct vmmgmt_region_header, magic), 0);

	/* The hosts are little-endian: a plain store gives the same bytes. */
#ifdef __LITTLE_ENDIAN
	KUNIT_EXPECT_MEMEQ(test, &hdr, want, sizeof(want));
#else
	kunit_info(test, "big-endian: native store of the magic not checked");
	KUNIT_EXPECT_EQ(test, hdr.magic, VMMGMT_MAGIC);
#endif
}

struct abi_ioctl {
	const char *name;
	unsigned int cmd;
	bool host;
	unsigned int want_cmd;	/* with the generic _IOC encoding */
	unsigned int nr;
	unsigned int size;
	unsigned int dir;
};

#define ABI_IOCTL(cmd, host, want, nr, size, dir) \
	{ #cmd, cmd, host, want, nr, size, dir }

/*
 * Every ioctl of uapi/vmmgmt.h, 33 at ABI 0.9: a new one must be added
 * here (scripts/kunit checks that each is).  want_cmd is the whole number
 * with the generic encoding: dir << 30 | size << 16 | 0xb9 << 8 | nr.
 */
static const struct abi_ioctl vmmgmt_ioctls[] = {
	ABI_IOCTL(VMMGMT_HOST_IOC_GET_VERSION, true,  0x8020b900,
		  0x00, 32, _IOC_READ),
	ABI_IOCTL(VMMGMT_IOC_GET_VERSION,      false, 0x8020b940,
		  0x40, 32, _IOC_READ),
	ABI_IOCTL(VMMGMT_IOC_GET_INFO,         false, 0x8040b941,
		  0x41, 64, _IOC_READ),
	ABI_IOCTL(VMMGMT_IOC_BIND,             false, 0xc010b942,
		  0x42, 16, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_CONNECT,          false, 0x4010b943,
		  0x43, 16, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_LAST_SRC,         false, 0x8010b944,
		  0x44, 16, _IOC_READ),
	ABI_IOCTL(VMMGMT_IOC_PUBLISH,          false, 0x4038b945,
		  0x45, 56, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_WITHDRAW,         false, 0x4038b946,
		  0x46, 56, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_LOOKUP,           false, 0xc038b947,
		  0x47, 56, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_LIST_NAMES,       false, 0xc740b948,
		  0x48, 1856, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_SET_MODE,         false, 0x4010b949,
		  0x49, 16, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_GET_MODE,         false, 0x8010b94a,
		  0x4a, 16, _IOC_READ),
	ABI_IOCTL(VMMGMT_IOC_SET_NEEDS,        false, 0x4010b950,
		  0x50, 16, _IOC_WRITE),
	/* ABI 0.7 */
	ABI_IOCTL(VMMGMT_IOC_STREAM_CONNECT,   false, 0x4020b94b,
		  0x4b, 32, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_STREAM_LISTEN,    false, 0xc010b94c,
		  0x4c, 16, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_STREAM_ACCEPT,    false, 0xc020b94d,
		  0x4d, 32, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_IOC_STREAM_SHUTDOWN,  false, 0x0000b94e,
		  0x4e, 0, _IOC_NONE),
	ABI_IOCTL(VMMGMT_HOST_IOC_STREAM_CONNECT, true, 0x4020b913,
		  0x13, 32, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_STREAM_LISTEN, true, 0xc010b914,
		  0x14, 16, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_STREAM_ACCEPT, true, 0xc020b915,
		  0x15, 32, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_STREAM_SHUTDOWN, true, 0x0000b916,
		  0x16, 0, _IOC_NONE),
	ABI_IOCTL(VMMGMT_HOST_IOC_SET_TIMEOUT, true, 0x4010b917,
		  0x17, 16, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_ADD_VM,      true,  0x40a0b901,
		  0x01, 160, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_DEL_VM,      true,  0x4010b902,
		  0x02, 16, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_BIND,        true,  0xc010b910,
		  0x10, 16, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_PUBLISH,     true,  0x4038b911,
		  0x11, 56, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_LOOKUP,      true,  0xc038b912,
		  0x12, 56, _IOC_READ | _IOC_WRITE),
	/* ABI 0.8 */
	ABI_IOCTL(VMMGMT_HOST_IOC_LIST_VMS,    true,  0xc520b918,
		  0x18, 1312, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_ADOPT_VM,    true,  0x4010b919,
		  0x19, 16, _IOC_WRITE),
	/* ABI 0.9 */
	ABI_IOCTL(VMMGMT_HOST_IOC_QUIESCE,     true,  0xc120b91a,
		  0x1a, 288, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_EXPORT_VM,   true,  0xc0c8b91b,
		  0x1b, 200, _IOC_READ | _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_IMPORT_VM,   true,  0x40c0b91c,
		  0x1c, 192, _IOC_WRITE),
	ABI_IOCTL(VMMGMT_HOST_IOC_RESUME,      true,  0x4120b91d,
		  0x1d, 288, _IOC_WRITE),
};

/* The ioctl numbers decode to the type, number, size and direction. */
static void vmmgmt_abi_ioctl_encoding(struct kunit *test)
{
	/* x86 and UML use asm-generic/ioctl.h; others encode differently. */
	bool generic = _IOC_DIRSHIFT == 30 && _IOC_READ == 2U &&
		       _IOC_SIZEBITS == 14;
	size_t i;

	KUNIT_EXPECT_EQ(test, VMMGMT_IOC_MAGIC, 0xb9);
	KUNIT_EXPECT_EQ(test, ARRAY_SIZE(vmmgmt_ioctls), 33);

	for (i = 0; i < ARRAY_SIZE(vmmgmt_ioctls); i++) {
		const struct abi_ioctl *io = &vmmgmt_ioctls[i];

		KUNIT_EXPECT_EQ_MSG(test, _IOC_TYPE(io->cmd), 0xb9,
				    "_IOC_TYPE(%s)", io->name);
		KUNIT_EXPECT_EQ_MSG(test, _IOC_NR(io->cmd), io->nr,
				    "_IOC_NR(%s)", io->name);
		KUNIT_EXPECT_EQ_MSG(test, _IOC_SIZE(io->cmd), io->size,
				    "_IOC_SIZE(%s)", io->name);
		KUNIT_EXPECT_EQ_MSG(test, _IOC_DIR(io->cmd), io->dir,
				    "_IOC_DIR(%s)", io->name);
		if (generic)
			KUNIT_EXPECT_EQ_MSG(test, io->cmd, io->want_cmd,
					    "value of %s", io->name);
	}
	if (!generic)
		kunit_info(test, "non-generic _IOC encoding: values not checked");
}

/* Host ioctls use 0x00-0x3f, guest ones 0x40-0x7f; no number is shared. */
static void vmmgmt_abi_ioctl_ranges(struct kunit *test)
{
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(vmmgmt_ioctls); i++) {
		const struct abi_ioctl *io = &vmmgmt_ioctls[i];
		unsigned int nr = _IOC_NR(io->cmd);

		if (io->host)
			KUNIT_EXPECT_LE_MSG(test, nr, 0x3f,
					    "host ioctl %s", io->name);
		else
			KUNIT_EXPECT_TRUE_MSG(test, nr >= 0x40 && nr <= 0x7f,
					      "guest ioctl %s has nr %#x",
					      io->name, nr);

		for (j = i + 1; j < ARRAY_SIZE(vmmgmt_ioctls); j++) {
			KUNIT_EXPECT_NE_MSG(test, nr,
					    _IOC_NR(vmmgmt_ioctls[j].cmd),
					    "%s and %s share a number", io->name,
					    vmmgmt_ioctls[j].name);
			KUNIT_EXPECT_NE_MSG(test, io->cmd, vmmgmt_ioctls[j].cmd,
					    "%s == %s", io->name,
					    vmmgmt_ioctls[j].name);
		}
	}
}

static void vmmgmt_abi_region_sizes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, VMMGMT_REGION_MIN_SIZE, 0x10000ULL);
	KUNIT_EXPECT_EQ(test, VMMGMT_REGION_MAX_SIZE, 0x4000000ULL);
	KUNIT_EXPECT_EQ(test, VMMGMT_REGION_DEFAULT_SIZE, 0x100000ULL);

	/* ivshmem BAR2 is a PCI BAR: its size is a power of two. */
	KUNIT_EXPECT_TRUE(test, is_power_of_2(VMMGMT_REGION_DEFAULT_SIZE));
	KUNIT_EXPECT_TRUE(test, is_power_of_2(VMMGMT_REGION_MIN_SIZE));
	KUNIT_EXPECT_TRUE(test, is_power_of_2(VMMGMT_REGION_MAX_SIZE));
	KUNIT_EXPECT_GE(test, VMMGMT_REGION_DEFAULT_SIZE,
			VMMGMT_REGION_MIN_SIZE);
	KUNIT_EXPECT_LE(test, VMMGMT_REGION_DEFAULT_SIZE,
			VMMGMT_REGION_MAX_SIZE);
	KUNIT_EXPECT_GE(test, VMMGMT_REGION_MIN_SIZE,
			sizeof(struct vmmgmt_region_header));
}

/* Link states are stored in the region: their values must never change. */
static void vmmgmt_abi_link_state(struct kunit *test)
{
	static const u32 states[] = {
		VMMGMT_LINK_DOWN, VMMGMT_LINK_UP, VMMGMT_LINK_BROKEN,
	};
	size_t i, j;

	KUNIT_EXPECT_EQ(test, VMMGMT_LINK_DOWN, 0);	/* zeroed region */
	KUNIT_EXPECT_EQ(test, VMMGMT_LINK_UP, 1);
	KUNIT_EXPECT_EQ(test, VMMGMT_LINK_BROKEN, 2);

	for (i = 0; i < ARRAY_SIZE(states); i++)
		for (j = i + 1; j < ARRAY_SIZE(states); j++)
			KUNIT_EXPECT_NE_MSG(test, states[i], states[j],
					    "link states %zu and %zu", i, j);

	/* Every value fits the __u32 link_state fields. */
	KUNIT_EXPECT_LE(test, sizeof(enum vmmgmt_link_state),
			sizeof_field(struct vmmgmt_region_header, link_state));
}

/* The remaining constants that cross a boundary. */
static void vmmgmt_abi_constants(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, VMMGMT_NAME_MAX, 32);
	KUNIT_EXPECT_EQ(test, sizeof_field(struct vmmgmt_region_header, name),
			VMMGMT_NAME_MAX);
	KUNIT_EXPECT_EQ(test, VMMGMT_HOST_PEER_ID, 0);
	KUNIT_EXPECT_EQ(test, VMMGMT_VM_ID_MAX, 0xffff);
	KUNIT_EXPECT_LE(test, VMMGMT_ABI_MAJOR, U16_MAX);
	KUNIT_EXPECT_LE(test, VMMGMT_ABI_MINOR, U16_MAX);
	/* vmmgmtd and QEMU's ivshmem-doorbell,vectors= must agree. */
	KUNIT_EXPECT_EQ(test, VMMGMT_VECTORS_DEFAULT, 2);

	/* ivshmem-doorbell BAR0 registers, from QEMU's ivshmem spec. */
	KUNIT_EXPECT_EQ(test, VMMGMT_IVSHMEM_REG_INTRMASK, 0x00);
	KUNIT_EXPECT_EQ(test, VMMGMT_IVSHMEM_REG_INTRSTATUS, 0x04);
	KUNIT_EXPECT_EQ(test, VMMGMT_IVSHMEM_REG_IVPOSITION, 0x08);
	KUNIT_EXPECT_EQ(test, VMMGMT_IVSHMEM_REG_DOORBELL, 0x0c);
}

static struct kunit_case vmmgmt_abi_cases[] = {
	KUNIT_CASE(vmmgmt_abi_region_header_layout),
	KUNIT_CASE(vmmgmt_abi_version_layout),
	KUNIT_CASE(vmmgmt_abi_info_layout),
	KUNIT_CASE(vmmgmt_abi_ring_layout),
	KUNIT_CASE(vmmgmt_abi_stats_layout),
	KUNIT_CASE(vmmgmt_abi_bind_layout),
	KUNIT_CASE(vmmgmt_abi_ctrl_layout),
	KUNIT_CASE(vmmgmt_abi_name_list_layout),
	KUNIT_CASE(vmmgmt_abi_modes),
	KUNIT_CASE(vmmgmt_abi_flow),
	KUNIT_CASE(vmmgmt_abi_flow_rules),
	KUNIT_CASE(vmmgmt_abi_streams),
	KUNIT_CASE(vmmgmt_abi_host_vms),
	KUNIT_CASE(vmmgmt_abi_handover),
	KUNIT_CASE(vmmgmt_abi_ring_constants),
	KUNIT_CASE(vmmgmt_abi_magic_bytes),
	KUNIT_CASE(vmmgmt_abi_ioctl_encoding),
	KUNIT_CASE(vmmgmt_abi_ioctl_ranges),
	KUNIT_CASE(vmmgmt_abi_region_sizes),
	KUNIT_CASE(vmmgmt_abi_link_state),
	KUNIT_CASE(vmmgmt_abi_constants),
	{}
};

static struct kunit_suite vmmgmt_abi_suite = {
	.name = "vmmgmt_abi",
	.test_cases = vmmgmt_abi_cases,
};

kunit_test_suite(vmmgmt_abi_suite);

MODULE_DESCRIPTION("KUnit test of the vmmgmt ABI (uapi/vmmgmt.h)");
MODULE_LICENSE("GPL");
