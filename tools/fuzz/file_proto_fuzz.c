// SPDX-License-Identifier: GPL-2.0
/*
 * file_proto_fuzz - libFuzzer target for the receivers' checks of the file
 * protocol (tools/include/vmmgmt_file_proto.h), which vmmgmtd's file
 * service runs on every request from a guest and vmmgmtctl on every
 * answer: vmmgmt_file_req_check(), vmmgmt_file_path_check(),
 * vmmgmt_file_resp_check() and vmmgmt_file_recv_data() (chunks and the
 * end with its SHA-256, read from a stream).
 *
 * The input's first byte picks what the rest is:
 *   0: a request header (32 bytes) and a path (the rest, its length the
 *      header's path_len when that fits);
 *   1: an answer header (48 bytes) and the op it answers (1 byte);
 *   2: the announced size (2 bytes; its top bit set: a resumed
 *      transfer from the offset of its low byte, the rest the size) and
 *      the data stream that follows, read through a pipe by
 *      vmmgmt_file_recv_data().
 * It crashes on a read past the input (ASan), on undefined behaviour
 * (UBSan), and when a check differs from a model of the rules written
 * out again here with the limits of Documentation/files.rst.
 */
#include <fcntl.h>
#include <unistd.h>

#include "vmmgmt_file_proto.h"

#include "parse_fuzz.h"

/* Documentation/files.rst, "Limits". */
#define M_PATH_MAX	4095
#define M_NAME_MAX	255
#define M_SIZE_MAX	(16ULL << 40)
#define M_CHUNK_MAX	(256 * 1024)
#define M_LS_MAX	4096

static __u16 get16(const __u8 *p, size_t off)
{
	return p[off] | p[off + 1] << 8;
}

static __u32 get32(const __u8 *p, size_t off)
{
	return get16(p, off) | (__u32)get16(p, off + 2) << 16;
}

static __u64 get64(const __u8 *p, size_t off)
{
	return get32(p, off) | (__u64)get32(p, off + 4) << 32;
}

/* The request header at @p: 0 or the errno the documentation gives. */
static int model_req(const __u8 *p)
{
	__u16 op = get16(p, 6);
	__u32 flags = get32(p, 8), mode = get32(p, 24);
	__u64 size = get64(p, 16);

	if (get32(p, 0) != 0x51464d56)		/* "VMFQ" */
		return -EPROTO;
	if (get16(p, 4) != 1)
		return -EPROTONOSUPPORT;
	if (op < 1 || op > 5)
		return -EOPNOTSUPP;
	if (get32(p, 28) || flags & ~3u)
		return -EINVAL;
	if (get32(p, 12) > M_PATH_MAX)
		return -ENAMETOOLONG;
	/* GET (2) may resume (flag 2): its size is the bytes kept. */
	if (op == 2 && flags == 2) {
		if (mode)
			return -EINVAL;
	} else if (op != 1 && (flags || mode || size)) {
		return -EINVAL;
	}
	if (mode & ~07777u)
		return -EINVAL;
	if (size > M_SIZE_MAX)
		return -EFBIG;
	return 0;
}

static int model_path(const __u8 *p, size_t len, unsigned int op)
{
	size_t i, comp = 0;

	if (!len)
		return op == 3 || op == 5 ? 0 : -EINVAL;
	if (len > M_PATH_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++)
		if (!p[i])
			return -EINVAL;
	for (i = 0; i < len; i++) {
		comp = p[i] == '/' ? 0 : comp + 1;
		if (comp > M_NAME_MAX)
			return -ENAMETOOLONG;
	}
	return 0;
}

static void fuzz_req(const __u8 *p, size_t len)
{
	struct vmmgmt_file_req req;
	size_t plen;
	int ret, want;

	if (len < sizeof(req))
		return;
	memcpy(&req, p, sizeof(req));
	ret = vmmgmt_file_req_check(&req);
	want = model_req(p);
	if (ret != want)
		fprintf(stderr, "file_proto_fuzz: req_check %d, the model %d\n", ret, want);
	FUZZ_ASSERT(ret == want);
	if (ret)
		return;
	plen = le32toh(req.path_len);
	if (plen > len - sizeof(req))
		plen = len - sizeof(req);
	ret = vmmgmt_file_path_check((const char *)p + sizeof(req), plen,
				     le16toh(req.op));
	want = model_path(p + sizeof(req), plen, le16toh(req.op));
	if (ret != want)
		fprintf(stderr, "file_proto_fuzz: path_check %d, the model %d\n", ret, want);
	FUZZ_ASSERT(ret == want);
}

static void fuzz_resp(const __u8 *p, size_t len)
{
	struct vmmgmt_file_resp resp;
	bool ok;
	int ret;

	if (len < sizeof(resp) + 1)
		return;
	memcpy(&resp, p, sizeof(resp));
	ret = vmmgmt_file_resp_check(&resp, p[sizeof(resp)]);
	ok = get32(p, 0) == 0x41464d56 && get16(p, 4) == 1 &&	/* "VMFA" */
	     get16(p, 6) == p[sizeof(resp)] && get32(p, 8) <= 4095 &&
	     get32(p, 32) <= 999999999 && get32(p, 36) <= M_LS_MAX &&
	     !(get32(p, 40) & ~1u) && !get32(p, 44) && get64(p, 16) <= M_SIZE_MAX;
	FUZZ_ASSERT(ret == 0 || ret == -EPROTO);
	if (ok != !ret)
		fprintf(stderr, "file_proto_fuzz: resp_check %d, the model %s\n", ret,
			ok ? "takes it" : "refuses it");
	FUZZ_ASSERT(ok == !ret);
}

static void fuzz_data(const __u8 *p, size_t len)
{
	__u8 digest[VMMGMT_SHA256_DIGEST];
	struct vmmgmt_sha256 sha;
	__u64 size, from = 0;
	bool fatal;
	int fds[2], ret;

	if (len < 2)
		return;
	size = get16(p, 0);
	/* The top bit: a resumed transfer, from the low byte's offset. */
	if (size & 0x8000) {
		size &= 0x7fff;
		from = size & 0xff;
	}
	vmmgmt_sha256_init(&sha);
	/* The whole input fits in a pipe: the fuzzer's max_len is 8 KiB. */
	FUZZ_ASSERT(!pipe2(fds, O_CLOEXEC));
	FUZZ_ASSERT(!vmmgmt_write_all(fds[1], p + 2, len - 2));
	close(fds[1]);
	ret = vmmgmt_file_recv_data(fds[0], -1, from, size, &sha, NULL, NULL, digest,
				    &fatal);
	close(fds[0]);
	if (fatal)
		FUZZ_ASSERT(ret == -EPROTO || ret == -EPIPE);
	else
		FUZZ_ASSERT(ret == 0 || ret == -EBADMSG ||
			    (ret < 0 && ret >= -4095));
	/* Success needs at least the end (48 bytes) after the chunks. */
	if (!ret)
		FUZZ_ASSERT(len - 2 >= 48 + size - from);
}

int fuzz_one_input(const __u8 *data, size_t size);

int fuzz_one_input(const __u8 *data, size_t size)
{
	if (!size || size > 8192)
		return 0;
	switch (data[0]) {
	case 0:
		fuzz_req(data + 1, size - 1);
		break;
	case 1:
		fuzz_resp(data + 1, size - 1);
		break;
	case 2:
		fuzz_data(data + 1, size - 1);
		break;
	}
	return 0;
}
