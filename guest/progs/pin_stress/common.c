// SPDX-License-Identifier: GPL-2.0
/* Reporting, the random number generator, page tags and /proc files. */
#include "pin_stress.h"

void die(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	fprintf(stderr, "pin_stress: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(err));
	va_end(ap);
	exit(2);
}

/* A failed check: reported, counted, and the run goes on. */
void check_failed(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAILED: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	failures++;
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

uint64_t rng_state;
static uint64_t next_tag = 1;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

long rnd_below(long n)
{
	return n > 0 ? (long)(rnd() % (uint64_t)n) : 0;
}

bool chance(int percent)
{
	return rnd_below(100) < percent;
}

/* Tags leave the low 16 bits for the device's per-page index. */
uint64_t new_tag(void)
{
	return next_tag++ << 16;
}

void fill(uint64_t *page, uint64_t tag)
{
	for (unsigned long i = 0; i < WORDS; i++)
		page[i] = tag;
}

/* The page's tag, or report it torn (words differ) through *torn. */
uint64_t page_tag(const uint64_t *page, bool *torn)
{
	*torn = false;
	for (unsigned long i = 1; i < WORDS; i++)
		if (page[i] != page[0])
			*torn = true;
	return page[0];
}

/*
 * /proc/vmstat values, exact: stat_refresh first folds in the per-CPU
 * deltas. One read for all names, so that related counters agree.
 */
void vmstat(const char *const *names, long *values, int nr)
{
	char key[128];
	long value;
	FILE *f;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			die("stat_refresh");
		close(fd);
	}
	for (int i = 0; i < nr; i++)
		values[i] = -1;
	f = fopen("/proc/vmstat", "r");
	if (!f)
		die("/proc/vmstat");
	while (fscanf(f, "%127s %ld", key, &value) == 2)
		for (int i = 0; i < nr; i++)
			if (!strcmp(key, names[i]))
				values[i] = value;
	fclose(f);
}
void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		die("%s", path);
	close(fd);
}
