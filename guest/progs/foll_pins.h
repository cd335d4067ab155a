/* SPDX-License-Identifier: GPL-2.0 */
/*
 * foll_pins.h: the FOLL_PIN counters of /proc/vmstat, exact, for the guest
 * programs that check that a kernel path pins pages and unpins them all:
 * they read the counters before and after the path runs. A failure to
 * read them ends the program with exit status 2 (a setup failure).
 */
#ifndef FOLL_PINS_H
#define FOLL_PINS_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct foll_pins {
	long acquired;	/* nr_foll_pin_acquired */
	long released;	/* nr_foll_pin_released */
};

static inline struct foll_pins foll_pins_now(void)
{
	struct foll_pins pins = { .acquired = -1, .released = -1 };
	char key[64];
	long value;
	FILE *f;
	int fd;

	/* Fold the per-CPU deltas in: only then are the counters exact. */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		perror("foll_pins: /proc/sys/vm/stat_refresh");
		exit(2);
	}
	close(fd);
	f = fopen("/proc/vmstat", "r");
	if (!f) {
		perror("foll_pins: /proc/vmstat");
		exit(2);
	}
	while (fscanf(f, "%63s %ld", key, &value) == 2) {
		if (!strcmp(key, "nr_foll_pin_acquired"))
			pins.acquired = value;
		else if (!strcmp(key, "nr_foll_pin_released"))
			pins.released = value;
	}
	fclose(f);
	if (pins.acquired < 0 || pins.released < 0) {
		fprintf(stderr, "foll_pins: no nr_foll_pin_* in /proc/vmstat\n");
		exit(2);
	}
	return pins;
}

#endif
