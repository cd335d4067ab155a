/* SPDX-License-Identifier: GPL-2.0 */
/* pin_stress: what its parts share (main.c describes the program). */
#ifndef PIN_STRESS_H
#define PIN_STRESS_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <linux/fs.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>
#include <linux/kernel-page-flags.h>

#include "../gup_test_series.h"

#define PAGE		4096UL
#define WORDS		(PAGE / sizeof(uint64_t))
#define MAX_TARGETS	8
#define MAX_PIN_PAGES	64
#define SRC_PAGES	256
#define SRC_TAG(k)	(0x5352430000000000ULL + (k))
#define CONTROL_TAG(t, p) (0xC0C0000000000000ULL + ((uint64_t)(t) << 32) + (p))
#define NR_RINGS	2
/* gup_test's, the rings' and the RDMA memory region's */
#define NR_PIN_SETS	(NR_RINGS + 2)
#define EXT4_MAGIC	0xEF53
#define XFS_MAGIC	0x58465342
#define TMPFS_MAGIC	0x01021994
#define FUSE_MAGIC	0x65735546

struct target {
	const char *name;	/* the path, or "memfd" */
	char path[512];		/* empty for the memfd */
	char dir[256];		/* empty for the memfd and a block device */
	bool bdev;		/* a block device: fixed size, control pages after it */
	bool fuse;		/* on FUSE: no O_DIRECT, hole punching may be missing */
	int fd;
	int dio_fd;		/* O_DIRECT, -1 for the memfd and FUSE */
	uint64_t *map;		/* MAP_SHARED of max_pages */
	long pages;		/* current size in pages */
	uint64_t *model;	/* max_pages tags */
	bool pin_write_allowed;	/* writable long-term pins expected to work */
};

/*
 * A set of pinned pages. A page still in its file holds the model's tag;
 * one removed from the file (orphan >= 0) holds orphans[orphan], shared by
 * every pin of that page. A page truncated away may also hold zeros
 * (orphan_maybe_zero) until the device writes it again: ext4 sets the new
 * size before it truncates the page cache, and writeback that reaches a
 * dirty folio wholly past the new end in between zeroes it and writes
 * nothing (ext4_bio_write_folio() zeroes what lies past i_size). The
 * page is no longer in the file; what it held is the pinner's business.
 *
 * A page of a FUSE file may also leave the file without being removed
 * from it: FUSE drops the page cache (invalidate_inode_pages2()) when it
 * finds the file changed on the server and when the file is opened again,
 * and a pinned folio without private data goes with it (FUSE folios have
 * none; only a folio with buffers is kept, see filemap_release_folio()).
 * The pin keeps the page as it was at that moment, which the kernel
 * chooses. So a read-only pin of a FUSE page may hold any tag the page had
 * since it was last seen through the pin: earlier[i] keeps them.
 */
struct pinned {
	int target;		/* -1: nothing pinned */
	long start;
	int nr;
	bool writable;
	int orphan[MAX_PIN_PAGES];
	uint64_t *earlier[MAX_PIN_PAGES];
	int nr_earlier[MAX_PIN_PAGES];
};

struct ring {
	struct io_uring uring;
	bool up;
	struct pinned pin;
	uint64_t *ubuf;		/* address the buffer was registered at */
};

enum op {
	OP_CPU_WRITE, OP_CPU_READ, OP_PIN, OP_DEVICE_WRITE, OP_PINNED_READ, OP_UNPIN,
	OP_URING_REG, OP_URING_READ, OP_URING_UNREG, OP_SYNC, OP_DROP,
	OP_TRUNCATE, OP_EXTEND, OP_PUNCH, OP_REMAP, OP_FORK_WRITE,
	OP_KILL_PINNED, OP_UMOUNT, OP_BAD_INPUT, OP_MR_REG, OP_MR_WRITE,
	OP_MR_READ, OP_MR_DEREG, NR_OPS
};

/* An RDMA device, its connected pair of queue pairs, a buffer and a region. */
struct rdma {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	uint64_t *buf;			/* MAX_PIN_PAGES pages, registered */
	struct ibv_mr *buf_mr;
	struct ibv_mr *mr;		/* on a target, or NULL */
	uint64_t iova;			/* the region's address when registered */
	struct pinned pin;
	bool broken;			/* a transfer failed: see rdma_break() */
	const char *who;		/* what its reports start with */
};

/* main.c */
extern struct target targets[MAX_TARGETS];
extern int nr_targets;
extern long max_pages;
extern struct pinned gup_pin;
extern struct ring rings[NR_RINGS];
extern int gup_fd, src_fd;
extern bool verbose, inject;
extern int failures;
extern pid_t hog_pid;
extern const char *const op_names[NR_OPS];
extern unsigned long op_count[NR_OPS];
extern unsigned long faults_injected, refused_by_fault;
extern unsigned long device_pages_written, detached_device_writes;
extern unsigned long pages_dropped_by_invalidation;

/* common.c */
extern uint64_t rng_state;
__attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void check_failed(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void note(const char *fmt, ...);
long rnd_below(long n);
bool chance(int percent);
uint64_t new_tag(void);
void fill(uint64_t *page, uint64_t tag);
uint64_t page_tag(const uint64_t *page, bool *torn);
void vmstat(const char *const *names, long *values, int nr);
void write_file(const char *path, const char *text);

/* model.c */
extern long pins_base;
extern long rdma_buffer_pins;
extern struct pinned *all_pins[NR_PIN_SETS];
long pins_held(void);
void settle_pins(const char *when);
void removed_from_file(int target, long first, long end, bool truncated);
void set_file_page(int target, long p, uint64_t tag);
void device_wrote(struct pinned *pin, int i, uint64_t tag);
void pinned_in_file(struct pinned *pin, int target, long start, int nr, bool writable);
void compare_pinned(struct pinned *pin, const uint64_t *buf, const char *when);

/* faults.c */
extern int fail_nth_fd;
bool inject_arm(void);
void injected_failure(const char *call, int err);
void check_pin_outcome(const char *call, const struct target *tg, long start, int nr,
		       bool allowed, int err, bool fired);
bool inject_disarm(bool armed);

/* targets.c */
void map_target(struct target *t, void *at);
void set_size(struct target *t, long pages);
void open_target(struct target *t, const char *dir, int index);
void open_bdev_target(struct target *t, const char *path, int index);
void write_control(const char *dir, int index);
void write_source(const char *dir);
int pick_target(bool only_pinnable);
long pick_range(const struct target *t, int max, int *nr);

/* file_ops.c */
bool op_cpu_write(void);
bool op_cpu_read(void);
bool op_sync(void);
bool op_drop_caches(void);
bool op_truncate(void);
bool op_extend(void);
bool op_punch_hole(void);
bool op_remap(void);
bool op_fork_write(void);
bool op_umount_busy(void);

/* gup.c */
bool op_pin(void);
bool op_device_write(void);
void check_pinned_pages(const char *when);
bool op_unpin(void);
bool op_bad_input(void);
bool op_pinned_read(void);

/* uring.c */
int ring_setup(struct ring *r, struct target *tg, long start, int nr, bool *fired);
bool op_uring_register(void);
int ring_read(struct ring *r, int first, int n, long src);
bool op_uring_read(void);
void ring_teardown(struct ring *r, bool unregister);
bool op_uring_unregister(void);

/* rdma.c */
extern const char *rdma_device;
extern struct rdma rdma;
int rdma_open(struct rdma *r);
int rdma_register(struct rdma *r, int t, long start, int nr, bool writable);
int rdma_transfer(struct rdma *r, bool write, int first, int n);
bool op_mr_register(void);
bool op_mr_write(void);
bool op_mr_read(void);
bool op_mr_deregister(void);

/* kill.c */
bool op_kill_pinned(void);

/* finish.c */
void finish(void);

#endif
