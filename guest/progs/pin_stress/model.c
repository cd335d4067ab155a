// SPDX-License-Identifier: GPL-2.0
/*
 * The model: what each page of a file and each pinned page must hold,
 * and the pins this process holds.
 */
#include "pin_stress.h"

static uint64_t *orphans;
static bool *orphan_maybe_zero;
static int nr_orphans;

long pins_base;	/* pins held by others when the run began */
long rdma_buffer_pins;	/* the RDMA buffer's, while registered */

long pins_held(void)
{
	static const char *const names[] = { "nr_foll_pin_acquired", "nr_foll_pin_released" };
	long values[2];

	vmstat(names, values, 2);
	return values[0] - values[1] - pins_base;
}

/* Every pinned set this process holds. */
struct pinned *all_pins[NR_PIN_SETS];

static long expected_pins(void)
{
	long nr = 0;

	for (int k = 0; k < NR_PIN_SETS; k++)
		if (all_pins[k]->target >= 0)
			nr += all_pins[k]->nr;
	return nr + rdma_buffer_pins;
}

/*
 * Wait until the pins held are the ones the model expects: io_uring drops
 * the pins of a closed ring, or of a dead process's, from a worker.
 */
void settle_pins(const char *when)
{
	long held = pins_held();

	for (int i = 0; held != expected_pins() && i < 100; i++) {
		usleep(100 * 1000);
		held = pins_held();
	}
	if (held != expected_pins())
		check_failed("%s: %ld pages pinned, %ld expected", when, held, expected_pins());
}

/* A new orphan holding tag, for the pages that leave a file. */
static int new_orphan(uint64_t tag, bool maybe_zero)
{
	orphans = realloc(orphans, (nr_orphans + 1) * sizeof(*orphans));
	orphan_maybe_zero = realloc(orphan_maybe_zero, (nr_orphans + 1) * sizeof(*orphan_maybe_zero));
	if (!orphans || !orphan_maybe_zero)
		die("realloc");
	orphans[nr_orphans] = tag;
	orphan_maybe_zero[nr_orphans] = maybe_zero;
	return nr_orphans++;
}

/*
 * Pages first..end-1 of target leave the file; pins keep them as orphans.
 * truncated: by truncation, which may zero them (see struct pinned).
 */
void removed_from_file(int target, long first, long end, bool truncated)
{
	for (long p = first; p < end; p++) {
		int orphan = -1;

		for (int k = 0; k < NR_PIN_SETS; k++) {
			struct pinned *pin = all_pins[k];
			int i = p - pin->start;

			if (pin->target != target || i < 0 || i >= pin->nr || pin->orphan[i] >= 0)
				continue;
			if (orphan < 0)
				orphan = new_orphan(targets[target].model[p], truncated);
			pin->orphan[i] = orphan;
		}
	}
}

/*
 * Page p of target now holds tag. A read-only pin of a FUSE page that is
 * still in the file may go on holding the old one (see struct pinned).
 */
void set_file_page(int target, long p, uint64_t tag)
{
	struct target *tg = &targets[target];

	for (int k = 0; k < NR_PIN_SETS && tg->fuse && tg->model[p] != tag; k++) {
		struct pinned *pin = all_pins[k];
		int i = p - pin->start;

		if (pin->target != target || pin->writable || i < 0 || i >= pin->nr ||
		    pin->orphan[i] >= 0)
			continue;
		pin->earlier[i] = realloc(pin->earlier[i],
					  (pin->nr_earlier[i] + 1) * sizeof(uint64_t));
		if (!pin->earlier[i])
			die("realloc");
		pin->earlier[i][pin->nr_earlier[i]++] = tg->model[p];
	}
	tg->model[p] = tag;
}

/*
 * Pinned page i was seen holding tag, not what the model says. If that is
 * a tag it had earlier, and the file's mapping shows what the model says
 * (the page cache holds another folio there now: a pinned page left stale
 * in the page cache would show there too), FUSE dropped it from the page
 * cache in between (before any truncation the model followed since): from
 * now on it is an orphan that keeps tag. Either way, what it held before
 * this look no longer matters.
 */
static bool dropped_by_invalidation(struct pinned *pin, int i, uint64_t tag)
{
	struct target *tg = &targets[pin->target];
	long p = pin->start + i;
	bool dropped = false, torn;

	for (int e = 0; e < pin->nr_earlier[i] && !dropped; e++)
		dropped = pin->earlier[i][e] == tag;
	pin->nr_earlier[i] = 0;
	if (dropped && pin->orphan[i] < 0)
		dropped = page_tag(tg->map + p * WORDS, &torn) == tg->model[p] && !torn;
	if (dropped) {
		pin->orphan[i] = new_orphan(tag, false);
		pages_dropped_by_invalidation++;
	}
	return dropped;
}

/* What the device (or the disk, for io_uring) wrote into pinned page i. */
void device_wrote(struct pinned *pin, int i, uint64_t tag)
{
	device_pages_written++;
	if (pin->orphan[i] < 0) {
		set_file_page(pin->target, pin->start + i, tag);
	} else {
		orphans[pin->orphan[i]] = tag;
		orphan_maybe_zero[pin->orphan[i]] = false;
		detached_device_writes++;
	}
}

static uint64_t pinned_tag(const struct pinned *pin, int i)
{
	return pin->orphan[i] < 0 ? targets[pin->target].model[pin->start + i] :
				    orphans[pin->orphan[i]];
}

void pinned_in_file(struct pinned *pin, int target, long start, int nr, bool writable)
{
	pin->target = target;
	pin->start = start;
	pin->nr = nr;
	pin->writable = writable;
	for (int i = 0; i < nr; i++) {
		pin->orphan[i] = -1;
		pin->nr_earlier[i] = 0;
	}
}

/* What was read through a pin, page by page, against the model. */
void compare_pinned(struct pinned *pin, const uint64_t *buf, const char *when)
{
	for (int i = 0; i < pin->nr; i++) {
		bool torn;
		uint64_t tag = page_tag(buf + i * WORDS, &torn);

		if (!torn && !tag && pin->orphan[i] >= 0 &&
		    orphan_maybe_zero[pin->orphan[i]])
			continue;
		if (!torn && tag != pinned_tag(pin, i) && dropped_by_invalidation(pin, i, tag))
			continue;
		if (!torn)
			pin->nr_earlier[i] = 0;
		if (torn || tag != pinned_tag(pin, i))
			check_failed("%s: pinned page %d (%s page %ld, %s) holds %#" PRIx64
				     "%s, expected %#" PRIx64, when, i,
				     targets[pin->target].name, pin->start + i,
				     pin->orphan[i] < 0 ? "in the file" : "removed",
				     tag, torn ? " (torn)" : "", pinned_tag(pin, i));
	}
}
