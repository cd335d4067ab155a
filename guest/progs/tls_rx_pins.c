// SPDX-License-Identifier: GPL-2.0
/*
 * tls_rx_pins: send data over kTLS (TLS 1.2, AES-GCM-128, software) on a
 * TCP loopback connection and receive it with zero-copy decryption, which
 * has the cipher write each record straight into the receive buffer's
 * pages. Checks that the received data are what was sent, and that the
 * pages decrypted into were pinned and all unpinned again
 * (nr_foll_pin_acquired/released in /proc/vmstat).
 *
 *   tls_rx_pins [file PATH]
 *     file PATH  receive into a MAP_SHARED mapping of PATH (created and
 *                sized as needed), then fsync it and read it back with
 *                O_DIRECT; anonymous memory without it
 *
 * Exit status: 0 as expected, 1 the data or the pins were not as
 * expected, 2 setup failure, 4 no kTLS in this kernel (skip).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "foll_pins.h"
#include "lib.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define RECORD		16384	/* the largest TLS record */
#define RECORDS		64
#define TOTAL		(RECORD * RECORDS)

static void fill(unsigned char *buf, size_t size)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = (unsigned char)(i * 31 + i / RECORD);
}

/* Both ends use the same key: each direction has its own sequence. */
static void set_tls(int fd, int direction)
{
	struct tls12_crypto_info_aes_gcm_128 info = { 0 };

	info.info.version = TLS_1_2_VERSION;
	info.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	memset(info.key, 0x11, sizeof(info.key));
	memset(info.iv, 0x22, sizeof(info.iv));
	memset(info.salt, 0x33, sizeof(info.salt));
	if (setsockopt(fd, SOL_TLS, direction, &info, sizeof(info)))
		die(direction == TLS_TX ? "TLS_TX" : "TLS_RX");
}

/* A connected TCP pair on loopback, kTLS on both. */
static void tls_pair(int *tx, int *rx)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int listener, one = 1;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0 || bind(listener, (void *)&addr, sizeof(addr)) ||
	    listen(listener, 1) || getsockname(listener, (void *)&addr, &len))
		die("listen on loopback");
	*tx = socket(AF_INET, SOCK_STREAM, 0);
	if (*tx < 0 || connect(*tx, (void *)&addr, sizeof(addr)))
		die("connect");
	*rx = accept(listener, NULL, NULL);
	if (*rx < 0)
		die("accept");
	close(listener);
	setsockopt(*tx, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (setsockopt(*tx, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) ||
	    setsockopt(*rx, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		if (errno == ENOENT) {
			fprintf(stderr, "tls_rx_pins: no kTLS in this kernel\n");
			exit(4);
		}
		die("TCP_ULP tls");
	}
	set_tls(*tx, TLS_TX);
	set_tls(*rx, TLS_RX);
}

int main(int argc, char **argv)
{
	unsigned char *sent, *recvbuf, *ondisk;
	struct foll_pins before, now;
	long acquired, released;
	const char *path = NULL;
	int tx, rx, fd = -1;
	size_t done = 0;
	pid_t sender;
	int status;

	if (argc == 3 && !strcmp(argv[1], "file"))
		path = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: tls_rx_pins [file PATH]\n");
		return 2;
	}

	sent = malloc(TOTAL);
	if (!sent)
		die("malloc");
	fill(sent, TOTAL);
	if (path) {
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			die(path);
		if (ftruncate(fd, TOTAL))
			die("ftruncate");
		recvbuf = mmap(NULL, TOTAL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else {
		recvbuf = mmap(NULL, TOTAL, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (recvbuf == MAP_FAILED)
		die("mmap");
	memset(recvbuf, 0, TOTAL);

	tls_pair(&tx, &rx);
	before = foll_pins_now();

	sender = fork();
	if (sender < 0)
		die("fork");
	if (!sender) {
		for (size_t off = 0; off < TOTAL; off += RECORD)
			if (send(tx, sent + off, RECORD, 0) != RECORD)
				die("send");
		_exit(0);
	}
	close(tx);

	/*
	 * One record at a time into a page-aligned buffer that holds it
	 * whole: that is what lets kTLS decrypt into the buffer itself.
	 */
	while (done < TOTAL) {
		ssize_t got = recv(rx, recvbuf + done, TOTAL - done, 0);

		if (got <= 0)
			die("recv");
		done += got;
	}
	if (waitpid(sender, &status, 0) != sender || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("sender");
	close(rx);

	now = foll_pins_now();
	acquired = now.acquired - before.acquired;
	released = now.released - before.released;
	printf("%s: %d records of %d bytes received: pins acquired %ld, released %ld\n",
	       path ? "ext4 MAP_SHARED buffer" : "anonymous buffer",
	       RECORDS, RECORD, acquired, released);
	if (memcmp(recvbuf, sent, TOTAL)) {
		printf("the received data differ from what was sent\n");
		return 1;
	}
	if (acquired != released) {
		printf("%ld pins not released\n", acquired - released);
		return 1;
	}
	if (acquired < TOTAL / getpagesize()) {
		printf("%d pages were decrypted into, with only %ld pins taken\n",
		       TOTAL / getpagesize(), acquired);
		return 1;
	}
	if (!path)
		return 0;

	/* What was decrypted into the file's pages must reach the disk. */
	if (fsync(fd))
		die("fsync");
	munmap(recvbuf, TOTAL);
	close(fd);
	ondisk = read_disk(path, TOTAL);
	if (memcmp(ondisk, sent, TOTAL)) {
		printf("the file on disk differs from what was received into it\n");
		return 1;
	}
	printf("the received data are on disk\n");
	return 0;
}
