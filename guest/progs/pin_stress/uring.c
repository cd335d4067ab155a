// SPDX-License-Identifier: GPL-2.0
/* io_uring registered buffers, which READ_FIXED from O_DIRECT files writes. */
#include "pin_stress.h"

int ring_setup(struct ring *r, struct target *tg, long start, int nr,
		      bool *fired)
{
	struct iovec iov = {
		.iov_base = tg->map + start * WORDS,
		.iov_len = nr * PAGE,
	};
	bool armed;
	int ret;

	ret = io_uring_queue_init(8, &r->uring, 0);
	if (ret)
		return ret;
	armed = inject_arm();
	ret = io_uring_register_buffers(&r->uring, &iov, 1);
	*fired = inject_disarm(armed);
	if (ret) {
		io_uring_queue_exit(&r->uring);
		return ret;
	}
	r->up = true;
	r->ubuf = iov.iov_base;
	pinned_in_file(&r->pin, tg - targets, start, nr, true);
	return 0;
}

bool op_uring_register(void)
{
	struct ring *r = &rings[rnd_below(NR_RINGS)];
	int t = pick_target(false), nr, ret;
	struct target *tg = &targets[t];
	long start;
	bool fired = false;

	if (r->up)
		return false;
	start = pick_range(tg, 32, &nr);
	ret = ring_setup(r, tg, start, nr, &fired);
	note("uring_register %s %ld+%d: %s%s", tg->name, start, nr,
	     ret ? strerror(-ret) : "registered", fired ? " (fault injected)" : "");
	check_pin_outcome("io_uring_register_buffers", tg, start, nr, tg->pin_write_allowed,
			  -ret, fired);
	return true;
}

/* READ_FIXED of source blocks into buffer pages first..first+n-1. */
int ring_read(struct ring *r, int first, int n, long src)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);
	struct io_uring_cqe *cqe;
	int ret;

	io_uring_prep_read_fixed(sqe, src_fd, r->ubuf + first * WORDS, n * PAGE,
				 src * PAGE, 0);
	ret = io_uring_submit_and_wait(&r->uring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(&r->uring, &cqe);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&r->uring, cqe);
	return ret;
}

bool op_uring_read(void)
{
	struct ring *r = &rings[rnd_below(NR_RINGS)];
	int first, n, ret;
	long src;

	if (!r->up)
		return false;
	first = rnd_below(r->pin.nr);
	n = 1 + rnd_below(r->pin.nr - first);
	src = rnd_below(SRC_PAGES - n + 1);
	ret = ring_read(r, first, n, src);
	note("uring_read %s %ld+%d from source %ld: %d", targets[r->pin.target].name,
	     r->pin.start + first, n, src, ret);
	if (ret != (int)(n * PAGE)) {
		check_failed("READ_FIXED of %d bytes into %s: %d (%s)", n * (int)PAGE,
			     targets[r->pin.target].name, ret, ret < 0 ? strerror(-ret) : "short");
		return true;
	}
	for (int i = 0; i < n; i++)
		device_wrote(&r->pin, first + i, SRC_TAG(src + i));
	return true;
}

void ring_teardown(struct ring *r, bool unregister)
{
	if (!r->up)
		return;
	if (unregister) {
		int ret = io_uring_unregister_buffers(&r->uring);

		if (ret)
			check_failed("io_uring_unregister_buffers: %s", strerror(-ret));
	}
	io_uring_queue_exit(&r->uring);
	r->up = false;
	r->pin.target = -1;
}

bool op_uring_unregister(void)
{
	struct ring *r = &rings[rnd_below(NR_RINGS)];
	bool unregister = chance(50);

	if (!r->up)
		return false;
	note("uring_%s %s", unregister ? "unregister" : "close", targets[r->pin.target].name);
	ring_teardown(r, unregister);
	return true;
}
