// SPDX-License-Identifier: GPL-2.0
/*
 * gup_test's long-term pin (the emulated device), its release, and bad
 * requests to it.
 */
#include "pin_stress.h"

bool op_pin(void)
{
	int t = pick_target(false), nr, flags;
	struct target *tg = &targets[t];
	struct pin_longterm_test args;
	long start;
	bool armed, fired, expect_ok;
	int ret;

	if (gup_pin.target >= 0)
		return false;
	start = pick_range(tg, MAX_PIN_PAGES, &nr);
	flags = chance(80) ? PIN_LONGTERM_TEST_FLAG_USE_WRITE : 0;
	if (chance(30))
		flags |= PIN_LONGTERM_TEST_FLAG_USE_FAST;
	/*
	 * A short-term pin is a direct I/O in flight: it must dirty what it
	 * wrote on release, which gup_test's stop does not, so it only reads.
	 */
	if (!(flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE) && chance(30))
		flags |= PIN_LONGTERM_TEST_FLAG_SHORT_TERM;
	args = (struct pin_longterm_test){
		.addr = (uintptr_t)(tg->map + start * WORDS),
		.size = nr * PAGE,
		.flags = flags,
	};
	armed = !(flags & PIN_LONGTERM_TEST_FLAG_USE_FAST) && inject_arm();
	ret = ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args);
	fired = inject_disarm(armed);
	expect_ok = tg->pin_write_allowed || !(flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	note("pin %s %ld+%d flags %d: %s%s", tg->name, start, nr, flags,
	     ret ? strerror(errno) : "pinned", fired ? " (fault injected)" : "");
	check_pin_outcome(flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE ?
			  "writable PIN_LONGTERM_TEST_START" : "read-only PIN_LONGTERM_TEST_START",
			  tg, start, nr, expect_ok, ret ? errno : 0, fired);
	if (ret)
		return true;
	pinned_in_file(&gup_pin, t, start, nr, flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	return true;
}

bool op_device_write(void)
{
	uint64_t tag = new_tag();

	if (gup_pin.target < 0 || !gup_pin.writable)
		return false;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_WRITE, &tag)) {
		check_failed("PIN_LONGTERM_TEST_WRITE: %s", strerror(errno));
		return true;
	}
	for (int i = 0; i < gup_pin.nr; i++)
		device_wrote(&gup_pin, i, tag + i);
	note("device_write %s %ld+%d", targets[gup_pin.target].name,
	     gup_pin.start, gup_pin.nr);
	return true;
}

void check_pinned_pages(const char *when)
{
	static uint64_t buf[MAX_PIN_PAGES * WORDS];
	uint64_t addr = (uintptr_t)buf;

	if (gup_pin.target < 0)
		return;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_READ, &addr)) {
		check_failed("PIN_LONGTERM_TEST_READ %s: %s", when, strerror(errno));
		return;
	}
	compare_pinned(&gup_pin, buf, when);
}

bool op_unpin(void)
{
	struct pin_longterm_test_sg sg = { 0 };
	bool armed, fired;
	int ret;

	if (gup_pin.target < 0)
		return false;
	if (chance(50)) {
		ret = ioctl(gup_fd, PIN_LONGTERM_TEST_STOP);
		note("unpin by stop: %s", ret ? strerror(errno) : "ok");
		if (ret)
			check_failed("PIN_LONGTERM_TEST_STOP: %s", strerror(errno));
		gup_pin.target = -1;
		return false;
	}
	sg.max_segment = chance(50) ? 0 : PAGE << rnd_below(5);
	if (gup_pin.writable && chance(50))
		sg.flags |= PIN_LONGTERM_TEST_SG_DIRTY;
	if (chance(30))
		sg.flags |= PIN_LONGTERM_TEST_SG_PARTIAL;
	if (chance(30))
		sg.flags |= PIN_LONGTERM_TEST_SG_PER_ENTRY;
	armed = inject_arm();
	ret = ioctl(gup_fd, PIN_LONGTERM_TEST_STOP_SG, &sg);
	fired = inject_disarm(armed);
	note("unpin from sg (max_segment %u flags %u): %s%s", sg.max_segment,
	     sg.flags, ret ? strerror(errno) : "ok", fired ? " (fault injected)" : "");
	if (ret && fired) {
		/* The pins stay: check that, and release them the plain way. */
		injected_failure("PIN_LONGTERM_TEST_STOP_SG", errno);
		settle_pins("after a failed sg release");
		check_pinned_pages("after a failed sg release");
		if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
			check_failed("PIN_LONGTERM_TEST_STOP: %s", strerror(errno));
	} else if (ret) {
		check_failed("PIN_LONGTERM_TEST_STOP_SG: %s", strerror(errno));
	}
	gup_pin.target = -1;
	return true;
}

static void bad_request(const char *what, unsigned long cmd, void *arg, int expect)
{
	int ret, err;

	/* Before and after, the pins held must be the model's. */
	settle_pins(what);
	ret = ioctl(gup_fd, cmd, arg);
	err = errno;

	note("bad_input %s: %s", what, ret ? strerror(err) : "ok");
	if (expect && (!ret || err != expect))
		check_failed("%s: %s, expected %s", what, ret ? strerror(err) : "success",
			     strerror(expect));
	if (!expect && ret)
		check_failed("%s: %s, expected success", what, strerror(err));
	settle_pins(what);
	check_pinned_pages(what);
}

bool op_bad_input(void)
{
	/* Below mmap_min_addr: nothing is ever mapped there. */
	void *unmapped = (void *)PAGE;
	static void *prot_none, *read_only;
	struct target *tg = &targets[pick_target(false)];
	struct pin_longterm_test args = { .flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE };
	struct pin_longterm_test_sg sg = { 0 };
	uint64_t addr = 0;
	bool held = gup_pin.target >= 0;

	if (!prot_none) {
		prot_none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		/* Zeros: a valid request, in memory the ioctl cannot write. */
		read_only = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (prot_none == MAP_FAILED || read_only == MAP_FAILED)
			die("mmap");
	}
	switch (rnd_below(12)) {
	case 0:
		args.addr = (uintptr_t)tg->map + 1;
		args.size = PAGE;
		bad_request("pin at an unaligned address", PIN_LONGTERM_TEST_START, &args,
			    EINVAL);
		break;
	case 1:
		args.addr = (uintptr_t)tg->map;
		args.size = held ? PAGE : 0;
		bad_request(held ? "a second pin" : "pin of 0 bytes",
			    PIN_LONGTERM_TEST_START, &args, EINVAL);
		break;
	case 2:
		args.addr = (uintptr_t)tg->map;
		args.size = PAGE + 1;
		bad_request("pin of an unaligned size", PIN_LONGTERM_TEST_START, &args, EINVAL);
		break;
	case 3:
		if (held)
			return false;
		/* Read-only, so that xfs's refusal of writable pins cannot pass it. */
		args.flags = 0;
		args.addr = (uintptr_t)unmapped;
		args.size = PAGE;
		bad_request("pin of unmapped memory", PIN_LONGTERM_TEST_START, &args, EFAULT);
		break;
	case 4:
		if (held)
			return false;
		args.flags = 0;
		args.addr = (uintptr_t)prot_none;
		args.size = PAGE;
		bad_request("pin of PROT_NONE memory", PIN_LONGTERM_TEST_START, &args, EFAULT);
		break;
	case 5:
		if (held)
			return false;
		/* Past the end of the file: no page to pin. */
		args.flags = 0;
		args.addr = (uintptr_t)(tg->map + (tg->pages - 1) * WORDS);
		args.size = 2 * PAGE;
		if (tg->pages == max_pages)
			return false;
		bad_request("pin past the end of the file", PIN_LONGTERM_TEST_START, &args,
			    EFAULT);
		break;
	case 6:
		args.addr = (uintptr_t)tg->map;
		args.size = PAGE;
		args.flags = 0x80;
		bad_request("pin with unknown flags", PIN_LONGTERM_TEST_START, &args, EINVAL);
		break;
	case 7:
		if (held)
			return false;
		bad_request("device write without a pin", PIN_LONGTERM_TEST_WRITE, &addr,
			    EINVAL);
		bad_request("stop without a pin", PIN_LONGTERM_TEST_STOP, NULL, 0);
		bad_request("sg release without a pin", PIN_LONGTERM_TEST_STOP_SG, &sg, EINVAL);
		break;
	case 8:
		if (!held)
			return false;
		addr = (uintptr_t)unmapped;
		bad_request("read into unmapped memory", PIN_LONGTERM_TEST_READ, &addr, EFAULT);
		bad_request("device write from unmapped memory", PIN_LONGTERM_TEST_WRITE,
			    unmapped, gup_pin.writable ? EFAULT : EINVAL);
		break;
	case 9:
		if (!held)
			return false;
		sg.flags = 0x100;
		bad_request("sg release with unknown flags", PIN_LONGTERM_TEST_STOP_SG, &sg,
			    EINVAL);
		sg.flags = 0;
		sg.max_segment = PAGE + 512;
		bad_request("sg release with an unaligned segment", PIN_LONGTERM_TEST_STOP_SG,
			    &sg, EINVAL);
		bad_request("sg release from unmapped memory", PIN_LONGTERM_TEST_STOP_SG,
			    unmapped, EFAULT);
		/* The results cannot be copied back: the pins must stay. */
		bad_request("sg release into read-only memory", PIN_LONGTERM_TEST_STOP_SG,
			    read_only, EFAULT);
		break;
	case 10:
		if (!held || gup_pin.writable)
			return false;
		sg.flags = PIN_LONGTERM_TEST_SG_DIRTY;
		bad_request("dirtying release of a read-only pin", PIN_LONGTERM_TEST_STOP_SG,
			    &sg, EINVAL);
		bad_request("device write into a read-only pin", PIN_LONGTERM_TEST_WRITE,
			    &addr, EINVAL);
		break;
	case 11:
		args.addr = (uintptr_t)tg->map;
		args.size = 1ULL << 44;
		bad_request(held ? "a second, huge pin" : "pin of 16 TiB",
			    PIN_LONGTERM_TEST_START, &args, held ? EINVAL : ENOMEM);
		break;
	}
	return true;
}

bool op_pinned_read(void)
{
	if (gup_pin.target < 0)
		return false;
	check_pinned_pages("pinned_read");
	return true;
}
