// SPDX-License-Identifier: GPL-2.0
/* Fault injection with fail-nth, and how a pin call may fail under it. */
#include "pin_stress.h"

/*
 * Fault injection with fail-nth: the nth fault-injection point the calling
 * thread passes fails. inject_arm() arms it (sometimes) before a call and
 * inject_disarm() reports whether it fired. The file stays open, as opening
 * it would itself pass the points.
 */
int fail_nth_fd = -1;

bool inject_arm(void)
{
	char text[24];

	if (!inject || !chance(40))
		return false;
	snprintf(text, sizeof(text), "%ld", 1 + rnd_below(24));
	if (pwrite(fail_nth_fd, text, strlen(text), 0) < 0)
		die("arming fail-nth");
	return true;
}

/* An allocation that fails makes the call fail with ENOMEM, nothing else. */
void injected_failure(const char *call, int err)
{
	refused_by_fault++;
	if (err != ENOMEM)
		check_failed("%s failed with %s under an injected allocation failure",
			     call, strerror(err));
}

/*
 * Judge a pin or registration of pages of tg: err is 0 or the errno it
 * failed with, allowed whether it may pin (a writable long-term pin of xfs
 * must fail with EFAULT). A fault that fired need not be why a call
 * failed, as many allocations have a fallback: an expected refusal is one
 * even under injection, and any other failure under injection must be
 * ENOMEM.
 */
void check_pin_outcome(const char *call, const struct target *tg, long start, int nr,
			      bool allowed, int err, bool fired)
{
	if (!allowed && err == EFAULT)
		return;
	if (err && fired)
		injected_failure(call, err);
	else if (allowed && err)
		check_failed("%s of %s pages %ld+%d: %s", call, tg->name, start, nr,
			     strerror(err));
	else if (!allowed)
		check_failed("%s of %s pages %ld+%d: %s, expected EFAULT", call, tg->name,
			     start, nr, err ? strerror(err) : "success");
}

bool inject_disarm(bool armed)
{
	char text[16] = "";
	bool fired;

	if (!armed)
		return false;
	if (pread(fail_nth_fd, text, sizeof(text) - 1, 0) < 0)
		die("reading fail-nth");
	fired = atoi(text) == 0;
	if (!fired && pwrite(fail_nth_fd, "0", 1, 0) < 0)
		die("disarming fail-nth");
	if (fired)
		faults_injected++;
	return fired;
}
