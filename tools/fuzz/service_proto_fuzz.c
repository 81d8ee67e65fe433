// SPDX-License-Identifier: GPL-2.0
/*
 * service_proto_fuzz - libFuzzer target for the receivers' checks of the
 * host services protocol (tools/include/vmmgmt_service_proto.h), which
 * vmmgmtd's service runner runs on every call from a guest (svc_read_call()
 * in tools/vmmgmtd/services.c) and vmmgmtctl call on every frame from the
 * host (call_take() in tools/vmmgmtctl/call.c): vmmgmt_svc_call_check(),
 * vmmgmt_svc_call_split(), vmmgmt_svc_name_ok(), vmmgmt_svc_frame_check()
 * and vmmgmt_svc_reader_take(), the client's reassembly of frames.
 *
 * The input's first byte picks what the rest is:
 *   0: a call header (16 bytes) and its bytes (the rest, its length the
 *      header's len when that fits), split whatever the header's check
 *      says, with the header's argc;
 *   1: a service name (the rest, up to its first NUL);
 *   2: a frame header (16 bytes);
 *   3: four chunk sizes (1 byte each, 0 for all that is left) and the
 *      bytes a client reads from the stream: fed in chunks of those sizes
 *      (in turn) to vmmgmt_svc_reader_take() (what call.c's call_take()
 *      runs), into buffers of the documented sizes, and compared with the
 *      frames the model finds in the whole.
 * It crashes on a read past the input (ASan), on undefined behaviour
 * (UBSan), and when a check differs from a model of the rules written
 * out again here with the limits of Documentation/services.rst.  The
 * model's argc limit made 63 instead of 64 (in a copy, not kept) crashed
 * it within a second, from the seeds or from no input at all.
 */
#include "vmmgmt_service_proto.h"

#include "parse_fuzz.h"

/* Documentation/services.rst, "The call", "Frames" and "Limits". */
#define M_NAME_MAX	64
#define M_ARGS_MAX	64
#define M_CALL_LEN_MAX	16384
#define M_FRAME_MAX	65536
#define M_MSG_MAX	1024
#define M_HDR_LEN	16	/* a call's or a frame's header */
#define M_EXIT_LEN	16	/* EXIT's payload */
#define M_ERROR_LEN	8	/* ERROR's, before the text */
/* The target's own bound: a call at its largest, 1 + 16 + 16384. */
#define M_IN_MAX	17408

static __u16 get16(const __u8 *p, size_t off)
{
	return p[off] | p[off + 1] << 8;
}

static __u32 get32(const __u8 *p, size_t off)
{
	return get16(p, off) | (__u32)get16(p, off + 2) << 16;
}

/* A service name of @len bytes (no NUL among them). */
static bool model_name(const __u8 *p, size_t len)
{
	size_t i;

	if (!len || len > M_NAME_MAX || p[0] == '.' || p[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		__u8 c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

/*
 * The call header at @p: 0 or the errno of "What the server checks".
 * Where a limit and the relation of len and argc both fail, the limit
 * wins (vmmgmtd reads no further).
 */
static int model_call(const __u8 *p)
{
	__u32 argc = get16(p, 6), len = get32(p, 8);

	if (get32(p, 0) != 0x43534d56 || get16(p, 4) != 1 ||	/* "VMSC" */
	    get32(p, 12))
		return -EPROTO;
	if (argc > M_ARGS_MAX || len > M_CALL_LEN_MAX)
		return -E2BIG;
	if (len < 2 + argc)
		return -EPROTO;
	return 0;
}

/*
 * The call's @len bytes: exactly @argc + 1 strings, each ended by a NUL,
 * the first a service name.  @starts gets where each string begins.
 */
static int model_split(const __u8 *p, size_t len, unsigned int argc,
		       size_t *starts)
{
	size_t i, n = 0;

	if (argc > M_ARGS_MAX || !len || p[len - 1])
		return -EPROTO;
	starts[0] = 0;
	for (i = 0; i < len; i++) {
		if (p[i])
			continue;
		if (++n > argc + 1)
			return -EPROTO;
		starts[n] = i + 1;
	}
	if (n != argc + 1 || !model_name(p, starts[1] - 1))
		return -EPROTO;
	return 0;
}

/* The frame header at @p: is it one a client takes? */
static bool model_frame(const __u8 *p)
{
	__u32 len = get32(p, 8);

	if (get32(p, 0) != 0x46534d56 || get16(p, 6) ||	/* "VMSF" */
	    get32(p, 12) || len > M_FRAME_MAX)
		return false;
	switch (get16(p, 4)) {
	case 1:			/* STDOUT */
	case 2:			/* STDERR */
		return true;
	case 3:			/* EXIT */
		return len == M_EXIT_LEN;
	case 4:			/* ERROR */
		return len >= M_ERROR_LEN && len <= M_ERROR_LEN + M_MSG_MAX;
	default:
		return false;
	}
}

static void fuzz_call(const __u8 *p, size_t len)
{
	char *argv[M_ARGS_MAX + 2];
	struct vmmgmt_svc_call h;
	size_t plen, i, starts[M_ARGS_MAX + 2];
	unsigned int argc;
	char *buf;
	int ret, want;

	if (len < sizeof(h))
		return;
	memcpy(&h, p, sizeof(h));
	ret = vmmgmt_svc_call_check(&h);
	want = model_call(p);
	if (ret != want)
		fprintf(stderr,
			"service_proto_fuzz: call_check %d, the model %d\n",
			ret, want);
	FUZZ_ASSERT(ret == want);
	/* As svc_read_call() reads them: exactly len bytes, on the heap. */
	plen = le32toh(h.len);
	if (plen > len - sizeof(h))
		plen = len - sizeof(h);
	buf = malloc(plen ? plen : 1);
	FUZZ_ASSERT(buf);
	memcpy(buf, p + sizeof(h), plen);
	argc = le16toh(h.argc);
	ret = vmmgmt_svc_call_split(buf, plen, argc, argv);
	want = model_split(p + sizeof(h), plen, argc, starts);
	if (ret != want)
		fprintf(stderr,
			"service_proto_fuzz: call_split %d, the model %d\n",
			ret, want);
	FUZZ_ASSERT(ret == want);
	FUZZ_ASSERT(!memcmp(buf, p + sizeof(h), plen));
	if (!ret) {
		for (i = 0; i <= argc; i++)
			FUZZ_ASSERT(argv[i] == buf + starts[i]);
		FUZZ_ASSERT(!argv[argc + 1]);
	}
	free(buf);
}

static void fuzz_name(const __u8 *p, size_t len)
{
	size_t n = 0;
	char *name;
	bool ok;

	name = malloc(len + 1);
	FUZZ_ASSERT(name);
	memcpy(name, p, len);
	name[len] = 0;
	while (n < len && p[n])
		n++;
	ok = vmmgmt_svc_name_ok(name);
	if (ok != model_name(p, n))
		fprintf(stderr,
			"service_proto_fuzz: name_ok %d, the model %d\n",
			ok, !ok);
	FUZZ_ASSERT(ok == model_name(p, n));
	free(name);
}

static void fuzz_frame(const __u8 *p, size_t len)
{
	struct vmmgmt_svc_frame f;
	bool ok;
	int ret;

	if (len < sizeof(f))
		return;
	memcpy(&f, p, sizeof(f));
	ret = vmmgmt_svc_frame_check(&f);
	ok = model_frame(p);
	FUZZ_ASSERT(ret == 0 || ret == -EPROTO);
	if (ok != !ret)
		fprintf(stderr,
			"service_proto_fuzz: frame_check %d, the model %s\n",
			ret, ok ? "takes it" : "refuses it");
	FUZZ_ASSERT(ok == !ret);
}

/* What a client made of the frames: call_take()'s or the model's. */
struct take {
	struct vmmgmt_svc_reader rd;	/* payload: M_FRAME_MAX bytes */
	bool done, broken;	/* EXIT or ERROR taken; a frame refused */
	size_t frames;
	__u8 *out[2];		/* STDOUT, STDERR: the input's size each */
	size_t out_len[2];
	__u8 exit[M_EXIT_LEN];
	int err;
	char *msg;		/* M_MSG_MAX + 1 bytes, as in call.c */
	size_t msg_len;
};

/* One whole frame of @len bytes at @payload (call_frame()). */
static void take_frame(struct take *t, unsigned int type,
		       const __u8 *payload, size_t len)
{
	int i = type == 2;

	t->frames++;
	switch (type) {
	case 1:
	case 2:
		memcpy(t->out[i] + t->out_len[i], payload, len);
		t->out_len[i] += len;
		break;
	case 3:
		memcpy(t->exit, payload, M_EXIT_LEN);
		t->done = true;
		break;
	case 4:
		t->err = (int)get32(payload, 0);
		if (t->err <= 0 || t->err > 4095)
			t->err = EPROTO;
		memcpy(t->msg, payload + M_ERROR_LEN, len - M_ERROR_LEN);
		t->msg_len = len - M_ERROR_LEN;
		t->msg[t->msg_len] = 0;
		t->done = true;
		break;
	}
}

/* vmmgmt_svc_reader_take()'s callback: false after the last frame. */
static bool take_one(void *arg, unsigned int type, const unsigned char *payload,
		     size_t len)
{
	struct take *t = arg;

	take_frame(t, type, payload, len);
	return !t->done;
}

/* Bytes from the stream, into frames (what call_take() does). */
static void take_bytes(struct take *t, const __u8 *p, size_t n)
{
	if (t->done || t->broken)
		return;
	if (vmmgmt_svc_reader_take(&t->rd, p, n, take_one, t) < 0)
		t->broken = true;
}

/* The model: the frames in the whole of @p, one after the other. */
static void model_stream(struct take *t, const __u8 *p, size_t len)
{
	size_t off = 0, flen;

	while (!t->done) {
		if (len - off < M_HDR_LEN)
			return;
		if (!model_frame(p + off)) {
			t->broken = true;
			return;
		}
		flen = get32(p, off + 8);
		if (len - off - M_HDR_LEN < flen)
			return;
		take_frame(t, get16(p, off + 4), p + off + M_HDR_LEN, flen);
		off += M_HDR_LEN + flen;
	}
}

static void take_init(struct take *t, size_t len)
{
	memset(t, 0, sizeof(*t));
	t->rd.payload = malloc(M_FRAME_MAX);
	t->out[0] = malloc(len + 1);
	t->out[1] = malloc(len + 1);
	t->msg = malloc(M_MSG_MAX + 1);
	FUZZ_ASSERT(t->rd.payload && t->out[0] && t->out[1] && t->msg);
}

static void take_free(struct take *t)
{
	free(t->rd.payload);
	free(t->out[0]);
	free(t->out[1]);
	free(t->msg);
}

static void fuzz_stream(const __u8 *p, size_t len)
{
	struct take got, want;
	size_t off, k, i;

	if (len < 4)
		return;
	take_init(&got, len);
	take_init(&want, len);
	for (off = 4, i = 0; off < len; off += k, i++) {
		k = p[i % 4] ? p[i % 4] : len - off;
		if (k > len - off)
			k = len - off;
		take_bytes(&got, p + off, k);
	}
	model_stream(&want, p + 4, len - 4);
	if (got.done != want.done || got.broken != want.broken ||
	    got.frames != want.frames)
		fprintf(stderr,
			"service_proto_fuzz: %zu frames%s%s, the model %zu%s%s\n",
			got.frames, got.done ? ", done" : "",
			got.broken ? ", refused" : "", want.frames,
			want.done ? ", done" : "",
			want.broken ? ", refused" : "");
	FUZZ_ASSERT(got.done == want.done && got.broken == want.broken);
	FUZZ_ASSERT(got.frames == want.frames);
	for (i = 0; i < 2; i++) {
		FUZZ_ASSERT(got.out_len[i] == want.out_len[i]);
		FUZZ_ASSERT(!memcmp(got.out[i], want.out[i], got.out_len[i]));
	}
	FUZZ_ASSERT(!memcmp(got.exit, want.exit, M_EXIT_LEN));
	FUZZ_ASSERT(got.err == want.err && got.msg_len == want.msg_len);
	FUZZ_ASSERT(!memcmp(got.msg, want.msg, got.msg_len));
	take_free(&got);
	take_free(&want);
}

int fuzz_one_input(const __u8 *data, size_t size);

int fuzz_one_input(const __u8 *data, size_t size)
{
	if (!size || size > M_IN_MAX)
		return 0;
	switch (data[0]) {
	case 0:
		fuzz_call(data + 1, size - 1);
		break;
	case 1:
		fuzz_name(data + 1, size - 1);
		break;
	case 2:
		fuzz_frame(data + 1, size - 1);
		break;
	case 3:
		fuzz_stream(data + 1, size - 1);
		break;
	}
	return 0;
}
