// SPDX-License-Identifier: GPL-2.0
/*
 * sync_walk_dirtying: data integrity writeback of a mapping whose pinned
 * folios writeback has cleaned walks the mapping for the folios a device
 * may have written, and dirties them. It must dirty no other folio: not
 * one that an fsync running beside it cleaned and wrote after the walk
 * found it.
 *
 *   sync_walk_dirtying [-n PAGES] [-r ROUNDS] DIR
 *
 * Writes DIR/sync-walk.data (PAGES pages, a multiple of PIN_EVERY) a page
 * at a time, so that its folios are small even where the page cache makes
 * large ones, and maps every PIN_EVERY-th page of it, side by side, to pin
 * those long-term for writing through gup_test. An fsync while they are
 * pinned cleans pinned folios, so syncs walk the mapping from then on.
 * Then, twice ROUNDS times: pwrite() every page and fsync(); the second
 * time with a child that calls syncfs() on the file in a loop. The sync's
 * walk runs beside the fsync's writeback, and waits for the folio lock of
 * each pinned folio it dirties again: meanwhile the fsync writes the
 * unpinned folios that follow, which the walk has looked up. The
 * writeback_dirty_folio tracepoint, filtered on the file's device and
 * inode, counts the folios dirtied in each half: the writes dirty each page
 * that is not pinned once a round in both, so a count of those that grows
 * with the syncs beside is the walk dirtying folios nobody pinned (the
 * pinned ones it dirties again as it should). The
 * tracing settings are put back on exit.
 *
 * Prints one line of the two counts. Exit: 0 if both are what the writes
 * dirty, 1 if not (or "refused ERRNO": the pin was refused), 2 setup
 * failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gup_test_series.h"
#include "lib.h"

#define PAGE		4096
#define PIN_EVERY	4
#define EVENT		"events/writeback/writeback_dirty_folio"

static const char *tracing;
static long saved_buffer_size_kb, saved_tracing_on;
static bool tracing_changed;
static pid_t syncer;

/*
 * A number that tracefs shows in @file; buffer_size_kb shows "7 (expanded:
 * 1408)" until the buffer is first used, which is 1408 for a later write.
 */
static long tracing_read(const char *file)
{
	char path[256], value[64], *expanded;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tracing, file);
	fd = open(path, O_RDONLY);
	if (fd < 0 || (n = read(fd, value, sizeof(value) - 1)) <= 0)
		die(path);
	value[n] = '\0';
	close(fd);
	expanded = strstr(value, "expanded:");
	return strtol(expanded ? expanded + strlen("expanded:") : value, NULL, 10);
}

/* Write @value to tracefs's @file; false if that failed. */
static bool tracing_try_write(const char *file, const char *value)
{
	char path[256];
	bool written;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tracing, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return false;
	written = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return written;
}

static void tracing_write(const char *file, const char *value)
{
	if (!tracing_try_write(file, value))
		die(file);
}

/* At any exit: no syncer left behind, and tracing as it was. */
static void put_back(void)
{
	char value[32];

	if (syncer > 0) {
		kill(syncer, SIGKILL);
		waitpid(syncer, NULL, 0);
		syncer = 0;
	}
	if (!tracing_changed)
		return;
	/* An atexit() handler must not exit: put back what can be. */
	tracing_changed = false;
	snprintf(value, sizeof(value), "%ld", saved_buffer_size_kb);
	if (!tracing_try_write(EVENT "/enable", "0") ||
	    !tracing_try_write(EVENT "/filter", "0") ||
	    !tracing_try_write("buffer_size_kb", value) ||
	    !tracing_try_write("tracing_on", saved_tracing_on ? "1" : "0"))
		fprintf(stderr, "sync_walk_dirtying: could not put tracing back\n");
}

/* Folios dirtied: the pinned pages' and the others'. */
struct dirtied {
	long pinned, unpinned;
};

/* The events in the trace buffer (emptied by this), by page. */
static struct dirtied trace_events(void)
{
	const char *header = "# entries-in-buffer/entries-written:";
	struct dirtied dirtied = { 0, 0 };
	char path[256], line[512], *at;
	long in_buffer, written;
	unsigned long index;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", tracing);
	f = fopen(path, "r");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, header, strlen(header)) &&
		    sscanf(line + strlen(header), "%ld/%ld", &in_buffer,
			   &written) == 2 && in_buffer != written) {
			fprintf(stderr, "sync_walk_dirtying: the trace buffer overflowed\n");
			exit(EXIT_SETUP);
		}
		if (line[0] == '#')
			continue;
		/* "... writeback_dirty_folio: bdi 254:0: ino=12 index=5" */
		at = strstr(line, " index=");
		if (!at || sscanf(at, " index=%lu", &index) != 1) {
			fprintf(stderr, "sync_walk_dirtying: cannot read %s", line);
			exit(EXIT_SETUP);
		}
		if (index % PIN_EVERY)
			dirtied.unpinned++;
		else
			dirtied.pinned++;
	}
	fclose(f);
	tracing_write("trace", "");
	return dirtied;
}

/* The folios that ROUNDS rounds of pwrite() and fsync() dirty. */
static struct dirtied dirtied_by_rounds(int fd, char *buf, long pages,
					long rounds)
{
	tracing_write("trace", "");
	tracing_write("tracing_on", "1");
	for (long r = 0; r < rounds; r++) {
		memset(buf, 0x20 + r % 64, pages * PAGE);
		if (pwrite(fd, buf, pages * PAGE, 0) != pages * PAGE)
			die("pwrite");
		if (fsync(fd))
			die("fsync");
	}
	tracing_write("tracing_on", "0");
	return trace_events();
}

int main(int argc, char **argv)
{
	long pages = 64, pinned, rounds = 100, expected;
	struct dirtied alone, beside;
	char path[4096], filter[128], *mem, *buf;
	struct pin_longterm_test args = {
		.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE,
	};
	struct stat st;
	int fd, gup_fd, opt;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		switch (opt) {
		case 'n': pages = strtol(optarg, NULL, 0); break;
		case 'r': rounds = strtol(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || pages <= 0 || pages % PIN_EVERY || rounds <= 0)
		goto usage;
	pinned = pages / PIN_EVERY;
	/* Where the test mounted it. */
	tracing = "/sys/kernel/tracing";

	snprintf(path, sizeof(path), "%s/sync-walk.data", argv[optind]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	buf = malloc(pages * PAGE);
	if (fd < 0 || !buf)
		die(path);
	memset(buf, 0x11, pages * PAGE);
	for (long i = 0; i < pages; i++)
		if (pwrite(fd, buf, PAGE, i * PAGE) != PAGE)
			die("pwrite");
	if (fsync(fd))
		die("fsync");

	/* Page i of the mapping is page i * PIN_EVERY of the file. */
	mem = mmap(NULL, pinned * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	for (long i = 0; i < pinned; i++)
		if (mmap(mem + i * PAGE, PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, i * PIN_EVERY * PAGE) == MAP_FAILED)
			die("mmap of a page");
	gup_fd = gup_test_open();
	args.addr = (uintptr_t)mem;
	args.size = pinned * PAGE;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args)) {
		printf("refused %s\n", strerrorname_np(errno));
		return 1;
	}
	memset(mem, 0x12, pinned * PAGE);
	if (fsync(fd))
		die("fsync while pinned");

	if (fstat(fd, &st))
		die("fstat");
	/* The tracepoint's name is the backing device's, "MAJOR:MINOR". */
	snprintf(filter, sizeof(filter), "name == \"%u:%u\" && ino == %lu",
		 major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
	saved_buffer_size_kb = tracing_read("buffer_size_kb");
	saved_tracing_on = tracing_read("tracing_on");
	tracing_changed = true;
	atexit(put_back);
	tracing_write("buffer_size_kb", "8192");
	tracing_write("tracing_on", "0");
	tracing_write(EVENT "/filter", filter);
	tracing_write(EVENT "/enable", "1");

	alone = dirtied_by_rounds(fd, buf, pages, rounds);
	syncer = fork();
	if (syncer < 0)
		die("fork");
	if (!syncer) {
		/* Gone with the parent, and off the parent's output pipe. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		if (!freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			_exit(EXIT_SETUP);
		for (;;)
			syncfs(fd);
	}
	beside = dirtied_by_rounds(fd, buf, pages, rounds);
	put_back();
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		die("PIN_LONGTERM_TEST_STOP");
	munmap(mem, pinned * PAGE);
	close(fd);

	expected = rounds * (pages - pinned);
	printf("%ld rounds of writes and fsync dirtied %ld folios not pinned (expected %ld) and %ld pinned; with syncfs() looping beside, %ld not pinned and %ld pinned\n",
	       rounds, alone.unpinned, expected, alone.pinned, beside.unpinned,
	       beside.pinned);
	/* Fewer than the writes dirtied: the filter missed them. */
	if (alone.unpinned < expected) {
		fprintf(stderr, "sync_walk_dirtying: the tracepoint counted too few folios\n");
		return EXIT_SETUP;
	}
	return alone.unpinned == expected && beside.unpinned == expected ? 0 : 1;
usage:
	fprintf(stderr, "usage: sync_walk_dirtying [-n PAGES] [-r ROUNDS] DIR\n");
	return EXIT_SETUP;
}
