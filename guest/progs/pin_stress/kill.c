// SPDX-License-Identifier: GPL-2.0
/* Processes that die holding pins. */
#include "pin_stress.h"

enum pinner { BY_GUP_TEST, BY_URING, BY_RDMA };

bool op_kill_pinned(void)
{
	int t = pick_target(true), nr, report[2];
	struct target *tg;
	enum pinner by = rnd_below(rdma.ctx && !rdma.broken ? 3 : 2);
	bool killed = chance(70);
	static const char *const pinner_names[] = { "gup_test", "io_uring", "an RDMA region" };
	long start;
	uint64_t tag = new_tag();
	struct pinned pin;
	pid_t pid;
	int status;
	long src = 0;
	char result = 0;

	if (t < 0 || (by == BY_GUP_TEST && gup_pin.target >= 0))
		return false;
	tg = &targets[t];
	start = pick_range(tg, 32, &nr);
	if (by == BY_URING)
		src = rnd_below(SRC_PAGES - nr + 1);
	if (pipe(report))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		inject = false;	/* the fail-nth file is the parent's */
		close(report[0]);
		if (by == BY_URING) {
			struct ring r = { .pin.target = -1 };
			bool fired;

			if (ring_setup(&r, tg, start, nr, &fired) ||
			    ring_read(&r, 0, nr, src) != (int)(nr * PAGE))
				_exit(1);
		} else if (by == BY_RDMA) {
			struct rdma r = { .pin.target = -1, .who = "a child: " };

			if (rdma_open(&r) || rdma_register(&r, t, start, nr, true))
				_exit(1);
			for (int i = 0; i < nr; i++)
				fill(r.buf + i * WORDS, tag + i);
			if (rdma_transfer(&r, true, 0, nr)) {
				/* Pinned, but the write may have landed in part. */
				if (write(report[1], "w", 1) != 1)
					_exit(1);
				_exit(1);
			}
		} else {
			struct pin_longterm_test args = {
				.addr = (uintptr_t)(tg->map + start * WORDS),
				.size = nr * PAGE,
				.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE,
			};
			int fd = open("/sys/kernel/debug/gup_test", O_RDWR);

			if (fd < 0 || ioctl(fd, PIN_LONGTERM_TEST_START, &args) ||
			    ioctl(fd, PIN_LONGTERM_TEST_WRITE, &tag))
				_exit(1);
		}
		if (write(report[1], "k", 1) != 1)
			_exit(1);
		if (killed)
			pause();
		_exit(0);
	}
	close(report[1]);
	if (read(report[0], &result, 1) != 1 || result != 'k') {
		waitpid(pid, &status, 0);
		if (result == 'w')
			check_failed("a child's RDMA WRITE into %s pages %ld-%ld failed (what those "
				     "pages hold is unknown now: later mismatches there follow "
				     "from this)", tg->name, start, start + nr - 1);
		else
			check_failed("a child could not pin %s %ld+%d by %s", tg->name, start, nr,
				     pinner_names[by]);
		close(report[0]);
		return true;
	}
	close(report[0]);
	pinned_in_file(&pin, t, start, nr, true);
	for (int i = 0; i < nr; i++)
		device_wrote(&pin, i, by == BY_URING ? SRC_TAG(src + i) : tag + i);
	if (killed)
		kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	/* The pins go with the process. */
	settle_pins("after a process holding pins died");
	note("kill_pinned %s %ld+%d by %s: %s", tg->name, start, nr,
	     pinner_names[by], killed ? "killed" : "exited");
	return true;
}
