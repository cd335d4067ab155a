/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest programs share. Header only: build-tests.sh compiles each
 * program from its one .c file. Include it after the system headers, with
 * _GNU_SOURCE defined first (for program_invocation_short_name).
 *
 * Exit codes, as docs/harness.md lists them: 0 as documented, 1 not as
 * documented, 2 a setup failure (die()), 4 skip.
 */
#ifndef GUEST_PROGS_LIB_H
#define GUEST_PROGS_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_SETUP	2
#define GUP_TEST_FILE	"/sys/kernel/debug/gup_test"

/* "PROGRAM: WHAT: ERROR" on stderr, and exit 2: the test could not run. */
static inline void __attribute__((noreturn)) die_err(int err, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(err));
	exit(EXIT_SETUP);
}

/* die_err() with errno, for the calls that set it. */
static inline void __attribute__((noreturn)) die(const char *what)
{
	die_err(errno, what);
}

/* CLOCK_MONOTONIC, in the unit a program reports. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline double now_ms(void)
{
	return now_ns() / 1e6;
}

static inline double now_s(void)
{
	return now_ns() / 1e9;
}

/* gup_test's debugfs file (CONFIG_GUP_TEST), which pins as a driver would. */
static inline int gup_test_open(void)
{
	int fd = open(GUP_TEST_FILE, O_RDWR);

	if (fd < 0)
		die(GUP_TEST_FILE);
	return fd;
}

/*
 * The first @size bytes of @path as the disk holds them: read with
 * O_DIRECT, around the page cache, into a page-aligned buffer to free().
 * The file must be that long.
 */
static inline void *read_disk(const char *path, size_t size)
{
	void *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0)
		die(path);
	if (posix_memalign(&buf, sysconf(_SC_PAGESIZE), size))
		die_err(ENOMEM, "posix_memalign");
	n = pread(fd, buf, size, 0);
	if (n < 0)
		die("O_DIRECT read");
	if (n != (ssize_t)size)
		die_err(EIO, "short O_DIRECT read");
	close(fd);
	return buf;
}

/*
 * The number on the @name line of a statistics file: "NAME VALUE"
 * (/proc/vmstat, memory.stat) or "NAME: VALUE kB" (/proc/meminfo).
 * -1 if there is no such line.
 */
static inline long long stat_file_value(const char *path, const char *name)
{
	size_t len = strlen(name);
	long long value = -1;
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		const char *rest = line + len;

		if (strncmp(line, name, len))
			continue;
		rest += *rest == ':';
		if (*rest == ' ' || *rest == '\t') {
			value = strtoll(rest, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

#endif
