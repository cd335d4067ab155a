// SPDX-License-Identifier: GPL-2.0
#include "pin_stress.h"

/*
 * RDMA memory regions on rxe (-r DEVICE). The "NIC" is rxe: an RDMA WRITE
 * from a queue pair connected to its twin on the same device has rxe copy
 * the data into the pages of the region, which ib_umem pinned long-term;
 * an RDMA READ has it copy them out. The source and sink of those
 * transfers is a registered buffer of anonymous memory, which stays
 * pinned for the whole run: each transfer's data is written into it by
 * the CPU first, so a fork that left the process a copy of its own pinned
 * page (fork_write and kill_pinned fork) would send stale data and fail
 * the checks.
 */
/*
 * How long a transfer may go without a completion: rxe gives up on a lost
 * packet after about 7 s (see rdma_connect()).
 */
#define TRANSFER_SECONDS 30

const char *rdma_device;
struct rdma rdma = { .pin.target = -1, .who = "" };

static int qp_modify(struct ibv_qp *qp, struct ibv_qp_attr *attr, int mask)
{
	int ret = ibv_modify_qp(qp, attr, mask);

	if (ret)
		errno = ret;
	return ret;
}

/* Connect r->qp[0] and r->qp[1] to each other through GID index gid. */
static int rdma_connect(struct rdma *r, int gid_index, const union ibv_gid *gid)
{
	for (int i = 0; i < 2; i++) {
		struct ibv_qp_attr attr = {
			.qp_state = IBV_QPS_INIT,
			.port_num = 1,
			.qp_access_flags = IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE,
		};

		if (qp_modify(r->qp[i], &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			      IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
			return -1;
		attr = (struct ibv_qp_attr){
			.qp_state = IBV_QPS_RTR,
			.path_mtu = IBV_MTU_1024,
			.dest_qp_num = r->qp[!i]->qp_num,
			.max_dest_rd_atomic = 1,
			.min_rnr_timer = 12,
			.ah_attr = {
				.is_global = 1,
				.port_num = 1,
				.grh = { .dgid = *gid, .sgid_index = gid_index, .hop_limit = 1 },
			},
		};
		if (qp_modify(r->qp[i], &attr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			      IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			      IBV_QP_MIN_RNR_TIMER))
			return -1;
		/*
		 * rxe takes a retry count of 7 as "retry for ever": 6 makes a
		 * transfer that never gets through end in an error completion.
		 * The timeout, 4.096 us << 18 (about 1 s), is far above what a
		 * loaded TCG guest takes to turn a packet round.
		 */
		attr = (struct ibv_qp_attr){
			.qp_state = IBV_QPS_RTS,
			.timeout = 18,
			.retry_cnt = 6,
			.rnr_retry = 7,
			.max_rd_atomic = 1,
		};
		if (qp_modify(r->qp[i], &attr, IBV_QP_STATE | IBV_QP_TIMEOUT |
			      IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			      IBV_QP_MAX_QP_RD_ATOMIC))
			return -1;
	}
	return 0;
}

/* Open the device, a pair of connected queue pairs and the buffer. */
int rdma_open(struct rdma *r)
{
	struct ibv_qp_init_attr qp_attr = {
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = 4, .max_recv_wr = 1, .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct ibv_device **list;
	struct ibv_port_attr port;
	union ibv_gid gid;
	int n, gid_index = -1;

	list = ibv_get_device_list(&n);
	for (int i = 0; list && i < n && !r->ctx; i++)
		if (!strcmp(ibv_get_device_name(list[i]), rdma_device))
			r->ctx = ibv_open_device(list[i]);
	if (list)
		ibv_free_device_list(list);
	if (!r->ctx)
		return -1;
	if (ibv_query_port(r->ctx, 1, &port))
		return -1;
	/*
	 * The RoCE v2 GID of the netdev's IPv4 address, which the caller
	 * gave it: it resolves to the device itself without IPv6.
	 */
	for (int i = 0; i < port.gid_tbl_len && gid_index < 0; i++) {
		struct ibv_gid_entry entry;

		if (ibv_query_gid_ex(r->ctx, 1, i, &entry, 0) ||
		    entry.gid_type != IBV_GID_TYPE_ROCE_V2 ||
		    !IN6_IS_ADDR_V4MAPPED((struct in6_addr *)entry.gid.raw))
			continue;
		gid = entry.gid;
		gid_index = i;
	}
	if (gid_index < 0) {
		errno = ENODEV;
		return -1;
	}
	r->pd = ibv_alloc_pd(r->ctx);
	r->cq = r->pd ? ibv_create_cq(r->ctx, 8, NULL, NULL, 0) : NULL;
	if (!r->cq)
		return -1;
	qp_attr.send_cq = qp_attr.recv_cq = r->cq;
	for (int i = 0; i < 2; i++) {
		r->qp[i] = ibv_create_qp(r->pd, &qp_attr);
		if (!r->qp[i])
			return -1;
	}
	if (rdma_connect(r, gid_index, &gid))
		return -1;
	r->buf = mmap(NULL, MAX_PIN_PAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->buf == MAP_FAILED)
		return -1;
	r->buf_mr = ibv_reg_mr(r->pd, r->buf, MAX_PIN_PAGES * PAGE, IBV_ACCESS_LOCAL_WRITE);
	return r->buf_mr ? 0 : -1;
}

/*
 * Register pages start..start+nr-1 of target t: writable (the peer may
 * RDMA WRITE into it; ib_umem pins with FOLL_WRITE) or read-only. On
 * failure, returns -1 with errno set.
 */
int rdma_register(struct rdma *r, int t, long start, int nr, bool writable)
{
	void *addr = targets[t].map + start * WORDS;

	r->mr = ibv_reg_mr(r->pd, addr, nr * PAGE, IBV_ACCESS_REMOTE_READ |
			   (writable ? IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE : 0));
	if (!r->mr)
		return -1;
	r->iova = (uintptr_t)addr;
	pinned_in_file(&r->pin, t, start, nr, writable);
	return 0;
}

/*
 * After a transfer that failed or did not end: print the queue pairs'
 * states (the requester's next PSN and the responder's expected one tell
 * a lost request from a lost acknowledgement) and rxe's counters (the
 * whole run's: they cannot single out one transfer), and move both queue
 * pairs to the error state, so that nothing still queued lands later and
 * nothing more is sent on them (a late completion would be taken for the
 * next transfer's). The region's pages that the transfer was to write now
 * hold old data, new data or a mix, which the model cannot know.
 */
static void rdma_break(struct rdma *r)
{
	static const char *const names[] = {
		[IBV_QPS_RESET] = "RESET", [IBV_QPS_INIT] = "INIT", [IBV_QPS_RTR] = "RTR",
		[IBV_QPS_RTS] = "RTS", [IBV_QPS_SQD] = "SQD", [IBV_QPS_SQE] = "SQE",
		[IBV_QPS_ERR] = "ERR",
	};
	char command[256], line[256];
	FILE *f;

	for (int i = 0; i < 2; i++) {
		struct ibv_qp_init_attr init;
		struct ibv_qp_attr attr;

		if (ibv_query_qp(r->qp[i], &attr, IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_RQ_PSN,
				 &init))
			printf("%squeue pair %d: cannot query\n", r->who, i);
		else if (attr.qp_state < sizeof(names) / sizeof(names[0]) && names[attr.qp_state])
			printf("%squeue pair %d: %s, next send PSN %u, expected receive PSN %u\n",
			       r->who, i, names[attr.qp_state], attr.sq_psn, attr.rq_psn);
		else
			printf("%squeue pair %d: state %d\n", r->who, i, attr.qp_state);
		attr = (struct ibv_qp_attr){ .qp_state = IBV_QPS_ERR };
		if (qp_modify(r->qp[i], &attr, IBV_QP_STATE))
			printf("%squeue pair %d: cannot move to ERR: %s\n", r->who, i,
			       strerror(errno));
	}
	/* Bounded: the device may be what is stuck. */
	snprintf(command, sizeof(command), "timeout 10 rdma statistic show link %s/1 2>&1",
		 rdma_device);
	f = popen(command, "r");
	while (f && fgets(line, sizeof(line), f))
		printf("%s%s", r->who, line);
	if (f)
		pclose(f);
	fflush(stdout);
	r->broken = true;
}

/*
 * One RDMA WRITE (or READ) between pages first..first+n-1 of the region
 * and the start of the buffer, to completion. Returns 0 or -1 with errno:
 * the post's error, ETIMEDOUT if no completion came within
 * TRANSFER_SECONDS, or EIO for an error completion. Any failure breaks
 * the queue pairs (rdma_break()).
 */
int rdma_transfer(struct rdma *r, bool write, int first, int n)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)r->buf,
		.length = n * PAGE,
		.lkey = r->buf_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
		.wr.rdma = { .remote_addr = r->iova + first * PAGE, .rkey = r->mr->rkey },
	}, *bad;
	const char *what = write ? "WRITE" : "READ";
	struct timespec start, now;
	struct ibv_wc wc;
	int ret;

	ret = ibv_post_send(r->qp[0], &wr, &bad);
	if (ret) {
		printf("%sRDMA %s: post failed: %s\n", r->who, what, strerror(ret));
		rdma_break(r);
		errno = ret;
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!(ret = ibv_poll_cq(r->cq, 1, &wc))) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >
		    TRANSFER_SECONDS) {
			printf("%sRDMA %s: no completion in %d s\n", r->who, what, TRANSFER_SECONDS);
			rdma_break(r);
			errno = ETIMEDOUT;
			return -1;
		}
		usleep(100);
	}
	if (ret < 0 || wc.status != IBV_WC_SUCCESS) {
		printf("%sRDMA %s: %s\n", r->who, what,
		       ret < 0 ? "poll failed" : ibv_wc_status_str(wc.status));
		rdma_break(r);
		errno = EIO;
		return -1;
	}
	return 0;
}

bool op_mr_register(void)
{
	int t = pick_target(false), nr, ret;
	struct target *tg = &targets[t];
	bool writable = chance(80), armed, fired;
	long start;

	if (!rdma.ctx || rdma.broken || rdma.mr)
		return false;
	start = pick_range(tg, 32, &nr);
	armed = inject_arm();
	ret = rdma_register(&rdma, t, start, nr, writable);
	fired = inject_disarm(armed);
	note("mr_register %s %ld+%d %s: %s%s", tg->name, start, nr,
	     writable ? "writable" : "read-only", ret ? strerror(errno) : "registered",
	     fired ? " (fault injected)" : "");
	check_pin_outcome(writable ? "writable ibv_reg_mr" : "read-only ibv_reg_mr", tg, start,
			  nr, tg->pin_write_allowed || !writable, ret ? errno : 0, fired);
	return true;
}

/* The NIC writes tagged pages into the region. */
bool op_mr_write(void)
{
	uint64_t tag = new_tag();
	int first, n;

	if (!rdma.mr || rdma.broken || !rdma.pin.writable)
		return false;
	first = rnd_below(rdma.pin.nr);
	n = 1 + rnd_below(rdma.pin.nr - first);
	for (int i = 0; i < n; i++)
		fill(rdma.buf + i * WORDS, tag + first + i);
	if (rdma_transfer(&rdma, true, first, n)) {
		check_failed("RDMA WRITE into %s pages %ld-%ld: %s (what those pages hold "
			     "is unknown now: later mismatches there follow from this)",
			     targets[rdma.pin.target].name, rdma.pin.start + first,
			     rdma.pin.start + first + n - 1, strerror(errno));
		return true;
	}
	for (int i = 0; i < n; i++)
		device_wrote(&rdma.pin, first + i, tag + first + i);
	note("mr_write %s %ld+%d", targets[rdma.pin.target].name, rdma.pin.start + first, n);
	return true;
}

/* The NIC reads the region: each page must hold what the model says. */
bool op_mr_read(void)
{
	if (!rdma.mr || rdma.broken)
		return false;
	memset(rdma.buf, 0xff, rdma.pin.nr * PAGE);
	if (rdma_transfer(&rdma, false, 0, rdma.pin.nr)) {
		check_failed("RDMA READ from %s: %s", targets[rdma.pin.target].name,
			     strerror(errno));
		return true;
	}
	compare_pinned(&rdma.pin, rdma.buf, "RDMA READ");
	note("mr_read %s %ld+%d", targets[rdma.pin.target].name, rdma.pin.start, rdma.pin.nr);
	return true;
}

bool op_mr_deregister(void)
{
	if (!rdma.mr)
		return false;
	note("mr_deregister %s", targets[rdma.pin.target].name);
	if (ibv_dereg_mr(rdma.mr))
		check_failed("ibv_dereg_mr: %s", strerror(errno));
	rdma.mr = NULL;
	rdma.pin.target = -1;
	return true;
}

/*
 * A child pins (through its own gup_test file, an io_uring registration or
 * an RDMA memory region), has the device write, reports, and then is
 * killed with SIGKILL or exits: the pins go with the process, without the
 * pages being dirtied.
 */
