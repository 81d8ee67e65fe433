// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): streams between a
 * host endpoint and a fake guest, and stream segments between two fake
 * VMs.  The test plays the guest with the stream rules the modules use
 * (lib/vmmgmt_stream.c compiled in): every segment the host sends must
 * pass vmmgmt_stream_rx() on the guest's side, so wrong offsets, acks or
 * windows fail the test.  Listen, accept, data both ways, the window, a
 * peer that breaks it (EPROTO), refusals (ECONNREFUSED, EOPNOTSUPP,
 * EACCES), a full backlog, the host's connect, a VM removed under a
 * reader, and sendfile()/splice() on a stream.
 */
#include <sys/sendfile.h>

#include "vmmgmt_host_vm.h"

/* lib/vmmgmt_stream.c, as the guest module compiles it. */
#define fallthrough	__attribute__((__fallthrough__))
#include "vmmgmt_stream.c"

#define SPORT		300
#define SPORT2		302
#define NOPORT		301
#define POLICY		VMMGMT_HOST_SYSFS "/policy"
#define SEG		sizeof(struct vmmgmt_stream_seg)

/* The fake guest's end of one stream. */
struct gs {
	struct fake_vm *f;
	struct vmmgmt_stream_state st;
	__u64 id;
	__u32 vm, port;		/* the other end */
	__u64 got;		/* bytes received */
};

static void gs_init(struct gs *g, struct fake_vm *f, __u64 id, __u32 vm,
		    __u32 port, bool opener)
{
	memset(g, 0, sizeof(*g));
	g->f = f;
	g->id = id;
	g->vm = vm;
	g->port = port;
	vmmgmt_stream_init(&g->st, opener);
}

/* Post a segment with @len bytes after it, waiting for room in G2H. */
static int gs_post(struct gs *g, const struct vmmgmt_stream_seg *seg,
		   const void *data, __u32 len)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_rec r = {
		.len = SEG + len, .mode = VMMGMT_MODE_CHAT,
		.flags = VMMGMT_REC_F_STREAM, .id = g->id,
		.src = { .port = GUEST_PORT },
		.dst = { .vm = g->vm, .port = g->port },
	};
	int ret, ms;

	memcpy(buf, seg, SEG);
	memcpy(buf + SEG, data, len);
	for (ms = 0; ms < WAIT_MS; ms += 10) {
		ret = fake_post(g->f, &r, buf);
		if (ret != -ENOSPC)
			return ret;
		vmmgmt_sleep_ms(10);
	}
	return -ETIMEDOUT;
}

/* Send a segment as the rules number it. */
static int gs_send(struct gs *g, __u8 op, const void *data, __u32 len)
{
	struct vmmgmt_stream_seg seg;

	vmmgmt_stream_tx_fill(&g->st, op, len, &seg);
	return gs_post(g, &seg, data, len);
}

static int gs_rst(struct gs *g, __u32 err)
{
	struct vmmgmt_stream_seg seg;

	vmmgmt_stream_tx_fill(&g->st, VMMGMT_STREAM_RST, 0, &seg);
	vmmgmt_stream_fail(&g->st, err);
	return gs_post(g, &seg, &err, sizeof(err));
}

/* Take the next record off H2G as a segment; @data gets DATA bytes. */
static int gs_recv(struct fake_vm *f, struct vmmgmt_rec *h,
		   struct vmmgmt_stream_seg *seg, __u8 *data, __u32 *dlen,
		   __u32 *err, int ms)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	int ret;

	ret = fake_recv(f, h, buf, sizeof(buf), ms);
	if (ret)
		return ret;
	if (!(h->flags & VMMGMT_REC_F_STREAM) ||
	    vmmgmt_stream_parse(h, buf, seg, dlen, err))
		return -EBADMSG;
	if (data && *dlen)
		memcpy(data, buf + SEG, *dlen);
	return 0;
}

/* Expect an error answer or RST with @err for stream @id from @f's H2G. */
static void expect_rst(struct __test_metadata *_metadata, struct fake_vm *f,
		       __u64 id, __u32 err, bool answer)
{
	struct vmmgmt_stream_seg seg;
	struct vmmgmt_rec h;
	__u32 dlen, e = 0;

	ASSERT_EQ(0, gs_recv(f, &h, &seg, NULL, &dlen, &e, WAIT_MS));
	EXPECT_EQ(id, h.id);
	ASSERT_EQ((__u8)VMMGMT_STREAM_RST, seg.op);
	EXPECT_EQ(err, e) TH_LOG("errno %u (%s), want %u", e, strerror(e), err);
	if (answer) {
		EXPECT_EQ(VMMGMT_REC_F_STREAM | VMMGMT_REC_F_RESPONSE |
			  VMMGMT_REC_F_ERROR, h.flags);
	} else {
		EXPECT_EQ(VMMGMT_REC_F_STREAM, h.flags);
	}
}

/* Nothing more comes for a while. */
static bool h2g_quiet(struct fake_vm *f, int ms)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h;

	return fake_recv(f, &h, buf, sizeof(buf), ms) == -ETIMEDOUT;
}

/*
 * Take DATA (and the odd ACK or FIN) until @n bytes in all came, each
 * checked by the rules and against @want (the whole stream from offset
 * 0); read them and ACK when the rules say so.
 */
static void gs_take(struct __test_metadata *_metadata, struct gs *g,
		    const __u8 *want, __u64 n)
{
	static __u8 data[VMMGMT_MSG_MAX];
	struct vmmgmt_stream_seg seg;
	struct vmmgmt_rec h;
	__u32 dlen, err;

	while (g->got < n) {
		ASSERT_EQ(0, gs_recv(g->f, &h, &seg, data, &dlen, &err, WAIT_MS)) {
			TH_LOG("at %llu of %llu", (unsigned long long)g->got,
			       (unsigned long long)n);
		}
		ASSERT_EQ(g->id, h.id);
		ASSERT_EQ(VMMGMT_REC_F_STREAM, h.flags);
		ASSERT_EQ(0U, h.src.vm);
		ASSERT_EQ(g->port, h.src.port);
		ASSERT_EQ((__u32)GUEST_PORT, h.dst.port);
		ASSERT_NE((__u8)VMMGMT_STREAM_RST, seg.op);
		ASSERT_EQ(0, vmmgmt_stream_rx(&g->st, &seg, dlen)) {
			TH_LOG("op %u seq %llu ack %llu window %u", seg.op,
			       (unsigned long long)seg.seq,
			       (unsigned long long)seg.ack, seg.window);
		}
		if (seg.op != VMMGMT_STREAM_DATA)
			continue;
		ASSERT_GE(g->f->h2g.max_len, dlen + SEG);
		ASSERT_EQ(0, memcmp(data, want + g->got, dlen));
		g->got += dlen;
		vmmgmt_stream_read(&g->st, dlen);
		if (vmmgmt_stream_ack_due(&g->st))
			ASSERT_EQ(0, gs_send(g, VMMGMT_STREAM_ACK, NULL, 0));
	}
}

/* Send @n bytes of @src as DATA in the largest segments G2H carries. */
static int gs_write(struct gs *g, const __u8 *src, __u64 n)
{
	__u32 max = g->f->g2h.max_len - SEG, len;
	__u64 off;
	int ret;

	for (off = 0; off < n; off += len) {
		len = n - off < max ? n - off : max;
		ret = gs_send(g, VMMGMT_STREAM_DATA, src + off, len);
		if (ret)
			return ret;
	}
	return 0;
}

static int h_listen(int fd, __u32 port, __u32 backlog)
{
	struct vmmgmt_stream_listen l = { .port = port, .backlog = backlog };

	return ioctl(fd, VMMGMT_HOST_IOC_STREAM_LISTEN, &l) ? -errno :
	       (int)l.port;
}

static int h_accept(int fd, __u32 flags, struct vmmgmt_addr *peer)
{
	struct vmmgmt_stream_accept a = { .flags = flags };

	if (ioctl(fd, VMMGMT_HOST_IOC_STREAM_ACCEPT, &a))
		return -errno;
	if (peer)
		*peer = a.peer;
	return a.fd;
}

/* A host writer (write() or sendfile()) in a thread of its own. */
struct hw {
	pthread_t t;
	int fd;
	int src;		/* sendfile() from this file if >= 0 */
	const __u8 *buf;
	size_t n;
	size_t done;
	int err;
};

static void *hw_run(void *p)
{
	struct hw *w = p;
	off_t off = 0;
	ssize_t r;

	while (w->done < w->n) {
		if (w->src >= 0)
			r = sendfile(w->fd, w->src, &off, w->n - w->done);
		else
			r = write(w->fd, w->buf + w->done, w->n - w->done);
		if (r <= 0) {
			w->err = r ? errno : EIO;
			break;
		}
		w->done += r;
	}
	return NULL;
}

static int hw_start(struct hw *w, int fd, int src, const __u8 *buf, size_t n)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->src = src;
	w->buf = buf;
	w->n = n;
	return pthread_create(&w->t, NULL, hw_run, w);
}

/* Bytes 0..n-1 of a test stream. */
static void pattern(__u8 *buf, __u64 n, __u32 seed)
{
	__u64 i;

	for (i = 0; i < n; i++)
		buf[i] = (__u8)((i * 131 + seed) ^ (i >> 11));
}

FIXTURE(hstream) {
	int dev, lst;
	struct fake_vm a, b;
	__u8 *out, *in;
};

FIXTURE_SETUP(hstream)
{
	self->lst = -1;
	self->out = malloc(4 << 20);
	self->in = malloc(4 << 20);
	ASSERT_NE(NULL, self->out);
	ASSERT_NE(NULL, self->in);
	if (!fake_vms_setup(_metadata, &self->dev, &self->a, &self->b))
		return;
	/* t-alpha's module has streams; t-beta's does not (yet). */
	ASSERT_NE(0ULL, self->a.hdr->features_offered & VMMGMT_F_STREAM);
	self->a.hdr->features_accepted = VMMGMT_F_STREAM;
	self->lst = open_dev();
	ASSERT_LE(0, self->lst);
	ASSERT_EQ(SPORT, h_listen(self->lst, SPORT, 4));
}

FIXTURE_TEARDOWN(hstream)
{
	vmmgmt_write_text(POLICY, "deny t-alpha t-beta");
	if (self->lst >= 0)
		close(self->lst);
	fake_vms_teardown(self->dev, &self->a, &self->b);
	free(self->out);
	free(self->in);
}

/* The guest opens a stream to the listener: SYN, ACCEPT, accept(). */
static int open_from_guest(struct __test_metadata *_metadata,
			   struct fake_vm *a, int lst, struct gs *g, __u64 id,
			   __u32 flags)
{
	struct vmmgmt_stream_seg seg;
	struct vmmgmt_addr peer = {};
	struct vmmgmt_rec h;
	__u32 dlen, err;
	int fd;

	gs_init(g, a, id, 0, SPORT, true);
	EXPECT_EQ(0, gs_send(g, VMMGMT_STREAM_SYN, NULL, 0));
	EXPECT_EQ(0, gs_recv(a, &h, &seg, NULL, &dlen, &err, WAIT_MS));
	EXPECT_EQ((__u8)VMMGMT_STREAM_ACCEPT, seg.op);
	EXPECT_EQ(id, h.id);
	EXPECT_EQ(VMMGMT_REC_F_STREAM, h.flags);
	EXPECT_EQ((__u16)VMMGMT_MODE_CHAT, h.mode);
	EXPECT_EQ(0U, h.src.vm);
	EXPECT_EQ((__u32)SPORT, h.src.port);
	EXPECT_EQ((__u32)ID_A, h.dst.vm);
	EXPECT_EQ((__u32)GUEST_PORT, h.dst.port);
	EXPECT_EQ(0, vmmgmt_stream_rx(&g->st, &seg, 0));
	fd = h_accept(lst, flags, &peer);
	EXPECT_LE(0, fd) TH_LOG("accept: %s", strerror(-fd));
	EXPECT_EQ((__u32)ID_A, peer.vm);
	EXPECT_EQ((__u32)GUEST_PORT, peer.port);
	EXPECT_NE(-1, fcntl(fd, F_GETFD));
	EXPECT_NE(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	return fd;
}

/*
 * Guest to host with the host reading: the guest sends what its window
 * allows, the host's ACKs (which must come once a quarter window was
 * read) open it again.
 */
static void guest_to_host(struct __test_metadata *_metadata, struct gs *g,
			  int fd, const __u8 *out, __u8 *in, __u64 n)
{
	struct vmmgmt_stream_seg seg;
	struct vmmgmt_rec h;
	__u32 dlen, err, len;
	__u64 got = 0;
	ssize_t r;

	while (got < n) {
		while (g->st.tx_next < n && vmmgmt_stream_tx_room(&g->st)) {
			len = g->f->g2h.max_len - SEG;
			if (len > vmmgmt_stream_tx_room(&g->st))
				len = vmmgmt_stream_tx_room(&g->st);
			if (len > n - g->st.tx_next)
				len = n - g->st.tx_next;
			ASSERT_EQ(0, gs_send(g, VMMGMT_STREAM_DATA,
					     out + g->st.tx_next, len));
		}
		r = read(fd, in + got, n - got);
		ASSERT_LT(0, r) TH_LOG("read: %s", strerror(errno));
		got += r;
		/* All read and the window shut: an ACK is due, and comes. */
		while (!gs_recv(g->f, &h, &seg, NULL, &dlen, &err,
				got == g->st.tx_next && g->st.tx_next < n &&
				!vmmgmt_stream_tx_room(&g->st) ? WAIT_MS : 0)) {
			ASSERT_EQ((__u8)VMMGMT_STREAM_ACK, seg.op);
			ASSERT_EQ(0, vmmgmt_stream_rx(&g->st, &seg, 0));
		}
	}
	ASSERT_EQ(0, memcmp(in, out, n));
}

TEST_F(hstream, accept_and_data)
{
	const __u64 n = 1000000;
	struct vmmgmt_stream_seg seg;
	struct vmmgmt_rec h;
	__u32 dlen, err;
	struct gs g;
	struct hw w;
	char c;
	int fd;

	fd = open_from_guest(_metadata, &self->a, self->lst, &g, 11, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "streams_open"));
	EXPECT_EQ(1, vm_attr_num("t-alpha", "streams_opened"));
	pattern(self->out, n, 1);
	guest_to_host(_metadata, &g, fd, self->out, self->in, n);
	EXPECT_EQ((long long)n, vm_attr_num("t-alpha", "stream_rx_bytes"));

	/* Host to guest, a blocking writer against the guest's window. */
	pattern(self->out, n, 2);
	ASSERT_EQ(0, hw_start(&w, fd, -1, self->out, n));
	gs_take(_metadata, &g, self->out, n);
	pthread_join(w.t, NULL);
	EXPECT_EQ(n, w.done);
	EXPECT_EQ(0, w.err);
	EXPECT_EQ((long long)n, vm_attr_num("t-alpha", "stream_tx_bytes"));

	/* The guest shuts down: the host reads the end of the stream. */
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_FIN, NULL, 0));
	EXPECT_EQ(0, read(fd, &c, 1));
	EXPECT_EQ(0, read(fd, &c, 1));
	/* Half-closed: the host still writes. */
	memcpy(self->out + n, "abc", 3);
	ASSERT_EQ(3, write(fd, self->out + n, 3));
	gs_take(_metadata, &g, self->out, n + 3);
	/* The host closes: FIN at the stream's length, no RST. */
	close(fd);
	ASSERT_EQ(0, gs_recv(&self->a, &h, &seg, NULL, &dlen, &err, WAIT_MS));
	EXPECT_EQ((__u8)VMMGMT_STREAM_FIN, seg.op);
	EXPECT_EQ(0, vmmgmt_stream_rx(&g.st, &seg, 0));
	EXPECT_EQ(n + 3, seg.seq);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "streams_open"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "streams_reset"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
}

/*
 * A non-blocking host writer stops exactly at the guest's window, poll()
 * says so, and it resumes once the guest's ACKs came.
 */
TEST_F(hstream, window_stops_writer)
{
	const __u64 n = 4 * VMMGMT_STREAM_WINDOW;
	struct pollfd p;
	__u64 sent = 0, target;
	struct gs g;
	ssize_t r;
	int fd;

	fd = open_from_guest(_metadata, &self->a, self->lst, &g, 12, VMMGMT_ACCEPT_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_NE(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	pattern(self->out, n, 3);
	while (sent < 3 * VMMGMT_STREAM_WINDOW) {
		/* What the guest granted: its ack plus the window. */
		target = g.st.rx_acked + VMMGMT_STREAM_WINDOW;
		while (sent < target) {
			p = (struct pollfd){ .fd = fd, .events = POLLOUT };
			ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
			r = write(fd, self->out + sent, n - sent);
			ASSERT_LT(0, r) TH_LOG("at %llu: %s",
					       (unsigned long long)sent,
					       strerror(errno));
			sent += r;
			ASSERT_GE(target, sent);
		}
		/* Not a byte more, and poll() agrees. */
		EXPECT_EQ(-1, write(fd, self->out + sent, 1));
		EXPECT_EQ(EAGAIN, errno);
		p = (struct pollfd){ .fd = fd, .events = POLLOUT | POLLIN };
		EXPECT_EQ(0, poll(&p, 1, 100));
		gs_take(_metadata, &g, self->out, sent);
	}
	/* Nothing to read: EAGAIN, not EOF. */
	EXPECT_EQ(-1, read(fd, self->in, 1));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
}

/* Data past the window the host granted: RST EPROTO, read() EPROTO. */
TEST_F(hstream, eproto_past_window)
{
	struct gs g;
	char c;
	int fd;

	fd = open_from_guest(_metadata, &self->a, self->lst, &g, 13, 0);
	ASSERT_LE(0, fd);
	pattern(self->out, VMMGMT_STREAM_WINDOW + 1, 4);
	/* The guest cheats: one byte more than it was allowed. */
	g.st.tx_limit++;
	ASSERT_EQ(0, gs_write(&g, self->out, VMMGMT_STREAM_WINDOW + 1));
	expect_rst(_metadata, &self->a, 13, EPROTO, false);
	EXPECT_EQ(-1, read(fd, &c, 1));
	EXPECT_EQ(EPROTO, errno);
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EPROTO, errno);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "streams_reset"));
	/* The channel is fine. */
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
	close(fd);
	/* A failed stream's close sends nothing more. */
	EXPECT_TRUE(h2g_quiet(&self->a, 200));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 20, 100));
}

/* Refusals: nobody on the port, an RST nobody takes, a malformed SYN. */
TEST_F(hstream, refused)
{
	struct vmmgmt_stream_seg seg = { .op = VMMGMT_STREAM_SYN };
	long long drops;
	struct gs g;

	gs_init(&g, &self->a, 21, 0, NOPORT, true);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_SYN, NULL, 0));
	expect_rst(_metadata, &self->a, 21, ECONNREFUSED, true);
	/* DATA for no stream on the listener's port. */
	gs_init(&g, &self->a, 22, 0, SPORT, true);
	g.st.state = VMMGMT_STREAM_S_OPEN;
	g.st.tx_limit = 10;
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_DATA, "x", 1));
	expect_rst(_metadata, &self->a, 22, ECONNREFUSED, true);
	/* An RST nobody takes is dropped, never answered. */
	drops = vm_attr_num("t-alpha", "drops");
	gs_init(&g, &self->a, 23, 0, NOPORT, true);
	ASSERT_EQ(0, gs_rst(&g, ECONNRESET));
	EXPECT_TRUE(h2g_quiet(&self->a, 300));
	EXPECT_EQ(drops + 1, vm_attr_num("t-alpha", "drops"));
	/* A SYN with a zero window breaks the rules. */
	gs_init(&g, &self->a, 24, 0, SPORT, true);
	ASSERT_EQ(0, gs_post(&g, &seg, NULL, 0));
	expect_rst(_metadata, &self->a, 24, EPROTO, true);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "streams_open"));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 20, 100));
}

/* Segments to another VM: policy, the destination's streams, routing. */
TEST_F(hstream, to_other_vm)
{
	struct vmmgmt_stream_seg seg;
	struct vmmgmt_rec h;
	__u32 dlen, err;
	struct gs g;

	gs_init(&g, &self->a, 31, ID_B, GUEST_PORT, true);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_SYN, NULL, 0));
	expect_rst(_metadata, &self->a, 31, EACCES, true);
	ASSERT_EQ(0, vmmgmt_write_text(POLICY, "allow t-alpha t-beta"));
	gs_init(&g, &self->a, 32, ID_B, GUEST_PORT, true);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_SYN, NULL, 0));
	expect_rst(_metadata, &self->a, 32, EOPNOTSUPP, true);
	/* t-beta's module takes streams now: the SYN goes through. */
	self->b.hdr->features_accepted = VMMGMT_F_STREAM;
	gs_init(&g, &self->a, 33, ID_B, GUEST_PORT, true);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_SYN, NULL, 0));
	ASSERT_EQ(0, gs_recv(&self->b, &h, &seg, NULL, &dlen, &err, WAIT_MS));
	EXPECT_EQ((__u8)VMMGMT_STREAM_SYN, seg.op);
	EXPECT_EQ(33ULL, h.id);
	EXPECT_EQ(VMMGMT_REC_F_STREAM, h.flags);
	EXPECT_EQ((__u32)ID_A, h.src.vm);
	EXPECT_EQ((__u32)GUEST_PORT, h.src.port);
	/* An RST to a VM that is gone is dropped, not answered. */
	ASSERT_EQ(0, del_vm(self->dev, ID_B));
	ASSERT_EQ(0, gs_rst(&g, ECONNRESET));
	EXPECT_TRUE(h2g_quiet(&self->a, 300));
	gs_init(&g, &self->a, 34, ID_B, GUEST_PORT, true);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_SYN, NULL, 0));
	expect_rst(_metadata, &self->a, 34, EHOSTUNREACH, true);
}

/* A full backlog refuses; accepting makes room. */
TEST_F(hstream, backlog_full)
{
	struct vmmgmt_stream_seg seg;
	struct vmmgmt_rec h;
	__u32 dlen, err, i;
	struct pollfd p;
	struct gs g;
	int l, fd;

	l = open_dev();
	ASSERT_LE(0, l);
	EXPECT_EQ(-EINVAL, h_listen(l, SPORT2, VMMGMT_STREAM_BACKLOG_MAX + 1));
	ASSERT_EQ(SPORT2, h_listen(l, SPORT2, 2));
	EXPECT_EQ(-EISCONN, h_listen(l, SPORT2, 2));
	for (i = 1; i <= 3; i++) {
		gs_init(&g, &self->a, 40 + i, 0, SPORT2, true);
		ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_SYN, NULL, 0));
		if (i == 3) {
			expect_rst(_metadata, &self->a, 43, ECONNREFUSED, true);
			continue;
		}
		ASSERT_EQ(0, gs_recv(&self->a, &h, &seg, NULL, &dlen, &err,
				     WAIT_MS));
		EXPECT_EQ((__u8)VMMGMT_STREAM_ACCEPT, seg.op);
	}
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(2, vm_attr_num("t-alpha", "streams_open"));
	fd = h_accept(l, 0, NULL);
	ASSERT_LE(0, fd);
	gs_init(&g, &self->a, 44, 0, SPORT2, true);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_SYN, NULL, 0));
	ASSERT_EQ(0, gs_recv(&self->a, &h, &seg, NULL, &dlen, &err, WAIT_MS));
	EXPECT_EQ((__u8)VMMGMT_STREAM_ACCEPT, seg.op);
	EXPECT_EQ(44ULL, h.id);
	/* Closing the listener resets the two still waiting. */
	close(l);
	expect_rst(_metadata, &self->a, 42, ECONNRESET, false);
	expect_rst(_metadata, &self->a, 44, ECONNRESET, false);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "streams_open"));
	/* Not a listener any more, nor a listener at all. */
	EXPECT_EQ(-EINVAL, h_accept(self->dev, 0, NULL));
	EXPECT_EQ(-EINVAL, h_accept(self->lst, 2, NULL));
	ASSERT_EQ(0, fcntl(self->lst, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, h_accept(self->lst, 0, NULL));
	close(fd);
}

struct conn {
	pthread_t t;
	int fd;
	struct vmmgmt_stream_connect c;
	int ret;
};

static void *conn_run(void *p)
{
	struct conn *c = p;

	c->ret = ioctl(c->fd, VMMGMT_HOST_IOC_STREAM_CONNECT, &c->c) ? -errno : 0;
	return NULL;
}

static int h_connect(int fd, __u32 vm, __u32 port, __u32 ms)
{
	struct conn c = { .fd = fd, .c = { .addr = { .vm = vm, .port = port },
					   .timeout_ms = ms } };

	conn_run(&c);
	return c.ret;
}

/* The guest side of a host CONNECT: take the SYN. */
static void take_syn(struct __test_metadata *_metadata, struct fake_vm *f,
		     struct gs *g)
{
	struct vmmgmt_stream_seg seg;
	struct vmmgmt_rec h;
	__u32 dlen, err;

	ASSERT_EQ(0, gs_recv(f, &h, &seg, NULL, &dlen, &err, WAIT_MS));
	ASSERT_EQ((__u8)VMMGMT_STREAM_SYN, seg.op);
	EXPECT_EQ(0U, h.src.vm);
	EXPECT_LE((__u32)VMMGMT_PORT_DYNAMIC, h.src.port);
	EXPECT_EQ(f->id, h.dst.vm);
	EXPECT_EQ((__u32)GUEST_PORT, h.dst.port);
	EXPECT_NE(0ULL, h.id);
	gs_init(g, f, h.id, 0, h.src.port, false);
	ASSERT_EQ(0, vmmgmt_stream_rx(&g->st, &seg, 0));
}

/* The host connects to a guest listener; the file becomes the stream. */
TEST_F(hstream, host_connect)
{
	struct vmmgmt_stream_seg seg;
	struct vmmgmt_rec h;
	__u32 dlen, err;
	struct conn c;
	struct gs g;
	char buf[16];
	int fd;

	fd = open_dev();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, h_connect(fd, 0, 5, 0));
	EXPECT_EQ(-EHOSTUNREACH, h_connect(fd, 4242, 5, 0));
	/* t-beta has no streams. */
	EXPECT_EQ(-EOPNOTSUPP, h_connect(fd, ID_B, GUEST_PORT, 0));
	/* t-alpha says chat is off. */
	self->a.hdr->features_accepted = VMMGMT_F_STREAM | VMMGMT_F_MODES;
	self->a.hdr->guest_modes = 0;
	EXPECT_EQ(-EPERM, h_connect(fd, ID_A, GUEST_PORT, 0));
	self->a.hdr->features_accepted = VMMGMT_F_STREAM;
	/* Nobody answers: ETIMEDOUT, and the guest gets an RST. */
	EXPECT_EQ(-ETIMEDOUT, h_connect(fd, ID_A, GUEST_PORT, 300));
	take_syn(_metadata, &self->a, &g);
	expect_rst(_metadata, &self->a, g.id, ECONNRESET, false);
	/* The guest refuses. */
	c = (struct conn){ .fd = fd, .c = { .addr = { .vm = ID_A,
						      .port = GUEST_PORT } } };
	ASSERT_EQ(0, pthread_create(&c.t, NULL, conn_run, &c));
	take_syn(_metadata, &self->a, &g);
	ASSERT_EQ(0, gs_rst(&g, ECONNREFUSED));
	pthread_join(c.t, NULL);
	EXPECT_EQ(-ECONNREFUSED, c.ret);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "streams_open"));
	/* The guest accepts. */
	c = (struct conn){ .fd = fd, .c = { .addr = { .vm = ID_A,
						      .port = GUEST_PORT } } };
	ASSERT_EQ(0, pthread_create(&c.t, NULL, conn_run, &c));
	take_syn(_metadata, &self->a, &g);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_ACCEPT, NULL, 0));
	pthread_join(c.t, NULL);
	ASSERT_EQ(0, c.ret);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "streams_open"));
	EXPECT_EQ(-EISCONN, h_connect(fd, ID_A, GUEST_PORT, 0));
	EXPECT_EQ(-EISCONN, h_listen(fd, 0, 0));
	ASSERT_EQ(5, write(fd, "hello", 5));
	gs_take(_metadata, &g, (const __u8 *)"hello", 5);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_DATA, "world", 5));
	ASSERT_EQ(5, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	/* SHUTDOWN: FIN at 5, then write() fails with EPIPE. */
	ASSERT_EQ(0, ioctl(fd, VMMGMT_HOST_IOC_STREAM_SHUTDOWN));
	ASSERT_EQ(0, gs_recv(&self->a, &h, &seg, NULL, &dlen, &err, WAIT_MS));
	EXPECT_EQ((__u8)VMMGMT_STREAM_FIN, seg.op);
	EXPECT_EQ(0, vmmgmt_stream_rx(&g.st, &seg, 0));
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EPIPE, errno);
	/* Unread data at close: RST ECONNRESET instead of a FIN. */
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_DATA, "left", 4));
	vmmgmt_sleep_ms(200);
	close(fd);
	expect_rst(_metadata, &self->a, g.id, ECONNRESET, false);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "streams_open"));
}

/* The peer VM goes away under a blocked reader: ECONNRESET. */
TEST_F(hstream, vm_removed)
{
	struct pollfd p;
	struct gs g;
	struct hw w;
	char c;
	int fd;

	fd = open_from_guest(_metadata, &self->a, self->lst, &g, 51, 0);
	ASSERT_LE(0, fd);
	/* A writer blocked on the closed window wakes too. */
	pattern(self->out, 2 * VMMGMT_STREAM_WINDOW, 5);
	ASSERT_EQ(0, hw_start(&w, fd, -1, self->out,
			      2 * VMMGMT_STREAM_WINDOW));
	vmmgmt_sleep_ms(300);
	ASSERT_EQ(0, del_vm(self->dev, ID_A));
	pthread_join(w.t, NULL);
	EXPECT_EQ((size_t)VMMGMT_STREAM_WINDOW, w.done);
	EXPECT_EQ(ECONNRESET, w.err);
	EXPECT_EQ(-1, read(fd, &c, 1));
	EXPECT_EQ(ECONNRESET, errno);
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLERR | POLLHUP, p.revents);
	close(fd);
}

/* The VM resets its channel: its streams fail, a new one works. */
TEST_F(hstream, channel_reset)
{
	struct gs g;
	char c;
	int fd, fd2;

	fd = open_from_guest(_metadata, &self->a, self->lst, &g, 61, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fake_reset(&self->a, WAIT_MS));
	self->a.hdr->features_accepted = VMMGMT_F_STREAM;
	EXPECT_EQ(-1, read(fd, &c, 1));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "streams_open"));
	/* The same id again is a new stream. */
	fd2 = open_from_guest(_metadata, &self->a, self->lst, &g, 61, 0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_DATA, "z", 1));
	ASSERT_EQ(1, read(fd2, &c, 1));
	EXPECT_EQ('z', c);
	close(fd);
	close(fd2);
}

/* sendfile() from a file into a stream, splice() from a stream to a pipe. */
TEST_F(hstream, sendfile_splice)
{
	const size_t n = 3 * VMMGMT_STREAM_WINDOW + 12345;
	int fd, mfd, pfd[2];
	struct gs g;
	struct hw w;

	fd = open_from_guest(_metadata, &self->a, self->lst, &g, 71, 0);
	ASSERT_LE(0, fd);
	mfd = memfd_create("stream-src", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	pattern(self->out, n, 6);
	ASSERT_EQ((ssize_t)n, write(mfd, self->out, n));
	ASSERT_EQ(0, hw_start(&w, fd, mfd, NULL, n));
	gs_take(_metadata, &g, self->out, n);
	pthread_join(w.t, NULL);
	EXPECT_EQ(n, w.done);
	EXPECT_EQ(0, w.err);
	close(mfd);

	ASSERT_EQ(0, pipe(pfd));
	pattern(self->out, 5000, 7);
	ASSERT_EQ(0, gs_send(&g, VMMGMT_STREAM_DATA, self->out, 5000));
	ASSERT_EQ(5000, splice(fd, NULL, pfd[1], NULL, 5000, 0));
	ASSERT_EQ(5000, read(pfd[0], self->in, 5000));
	EXPECT_EQ(0, memcmp(self->in, self->out, 5000));
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

/* A /dev/vmmgmt-host file that is no stream keeps its record semantics. */
TEST_F(hstream, listener_still_reads_records)
{
	struct vmmgmt_rec h;
	__u8 buf[sizeof(h) + 8];

	ASSERT_EQ(0, fake_send(&self->a, 81, SPORT, "rec", 3, 0));
	ASSERT_EQ((ssize_t)sizeof(h) + 3, read(self->lst, buf, sizeof(buf)));
	memcpy(&h, buf, sizeof(h));
	EXPECT_EQ(81ULL, h.id);
	EXPECT_EQ(0, memcmp(buf + sizeof(h), "rec", 3));
	EXPECT_EQ(-1, ioctl(self->lst, VMMGMT_HOST_IOC_STREAM_SHUTDOWN));
	EXPECT_EQ(ENOTCONN, errno);
	/* Segments come from the stream layer, never from write(). */
	memset(&h, 0, sizeof(h));
	h.mode = VMMGMT_MODE_CHAT;
	h.flags = VMMGMT_REC_F_STREAM;
	h.dst.vm = ID_A;
	h.dst.port = GUEST_PORT;
	EXPECT_EQ(-1, write(self->lst, &h, sizeof(h)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
