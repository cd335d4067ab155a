/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gup_test.h of the kernel tree the programs are built against, and what
 * the series adds to it, for a build against the base: its gup_test
 * refuses these requests (EINVAL), so a program using them fails there,
 * which shows what the base lacks. release_bench.c tests
 * PIN_LONGTERM_TEST_STOP_SG itself, to say so before it starts.
 */
#ifndef GUP_TEST_SERIES_H
#define GUP_TEST_SERIES_H

#include "gup_test.h"

/* Patch 9: the emulated device's write, and pins without FOLL_LONGTERM. */
#ifndef PIN_LONGTERM_TEST_WRITE
#define PIN_LONGTERM_TEST_WRITE		_IOW('g', 10, __u64)
#endif
#ifndef PIN_LONGTERM_TEST_FLAG_SHORT_TERM
#define PIN_LONGTERM_TEST_FLAG_SHORT_TERM	4
#endif

/* Patch 21: release from a scatterlist. */
#ifndef PIN_LONGTERM_TEST_STOP_SG
#define GUP_TEST_WITHOUT_STOP_SG
struct pin_longterm_test_sg {
	__u32 max_segment;
	__u32 flags;
	__u64 nents;
	__u64 release_nsec;
};
#define PIN_LONGTERM_TEST_STOP_SG	_IOWR('g', 11, struct pin_longterm_test_sg)
#define PIN_LONGTERM_TEST_SG_DIRTY	1
#define PIN_LONGTERM_TEST_SG_PARTIAL	2
#define PIN_LONGTERM_TEST_SG_PER_ENTRY	4
#define PIN_LONGTERM_TEST_SG_FOLIO_OFFSET	8
#endif

#endif
