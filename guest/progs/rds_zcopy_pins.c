// SPDX-License-Identifier: GPL-2.0
/*
 * rds_zcopy_pins: send RDS messages with MSG_ZEROCOPY between two sockets
 * of this host and check that the data arrive, that the send pinned the
 * message's pages and that every pin is released once the messages are
 * freed (nr_foll_pin_acquired/released in /proc/vmstat).
 *
 *   rds_zcopy_pins SENDER_IP RECEIVER_IP
 *
 * Both addresses must be local and outside 127/8, so that the sender
 * binds to the TCP transport (which allows MSG_ZEROCOPY) and RDS hands
 * the messages to the receiver through its loopback path.
 *
 * Exit status: 0 as expected, 1 the data or the pins were not as
 * expected, 2 setup failure, 4 no RDS over TCP in this kernel (skip).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rds.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "foll_pins.h"
#include "lib.h"

#ifndef AF_RDS
#define AF_RDS 21
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif

#define MESSAGE		(64 << 10)
#define MESSAGES	16

static int rds_socket(const char *ip, unsigned short port,
		      struct sockaddr_in *addr)
{
	int fd = socket(AF_RDS, SOCK_SEQPACKET, 0);

	if (fd < 0) {
		if (errno == EAFNOSUPPORT) {
			fprintf(stderr, "rds_zcopy_pins: no RDS in this kernel\n");
			exit(4);
		}
		die("socket(AF_RDS)");
	}
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &addr->sin_addr) != 1) {
		fprintf(stderr, "rds_zcopy_pins: bad address %s\n", ip);
		exit(2);
	}
	if (bind(fd, (void *)addr, sizeof(*addr)))
		die("bind");
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in from, to;
	struct foll_pins before, now;
	long acquired, released;
	unsigned char *buf, *got;
	int tx, rx, one = 1, waited;

	if (argc != 3) {
		fprintf(stderr, "usage: rds_zcopy_pins SENDER_IP RECEIVER_IP\n");
		return 2;
	}
	buf = mmap(NULL, MESSAGE * MESSAGES, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	got = malloc(MESSAGE);
	if (buf == MAP_FAILED || !got)
		die("allocating buffers");
	for (size_t i = 0; i < (size_t)MESSAGE * MESSAGES; i++)
		buf[i] = (unsigned char)(i * 7 + i / MESSAGE);

	rx = rds_socket(argv[2], 4001, &to);
	tx = rds_socket(argv[1], 4000, &from);
	if (setsockopt(tx, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		die("SO_ZEROCOPY");

	before = foll_pins_now();
	for (int m = 0; m < MESSAGES; m++) {
		/* A zerocopy send must carry a cookie for its notification. */
		char control[CMSG_SPACE(sizeof(uint32_t))] = { 0 };
		struct iovec iov = {
			.iov_base = buf + (size_t)m * MESSAGE,
			.iov_len = MESSAGE,
		};
		struct msghdr msg = {
			.msg_name = &to,
			.msg_namelen = sizeof(to),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		uint32_t cookie = m;

		cmsg->cmsg_level = SOL_RDS;
		cmsg->cmsg_type = RDS_CMSG_ZCOPY_COOKIE;
		cmsg->cmsg_len = CMSG_LEN(sizeof(cookie));
		memcpy(CMSG_DATA(cmsg), &cookie, sizeof(cookie));
		if (sendmsg(tx, &msg, MSG_ZEROCOPY) != MESSAGE) {
			if (errno == EOPNOTSUPP) {
				fprintf(stderr, "rds_zcopy_pins: MSG_ZEROCOPY not supported here\n");
				return 4;
			}
			die("sendmsg MSG_ZEROCOPY");
		}
	}
	for (int m = 0; m < MESSAGES; m++) {
		ssize_t n = recv(rx, got, MESSAGE, 0);

		if (n != MESSAGE)
			die("recv");
		if (memcmp(got, buf + (size_t)m * MESSAGE, MESSAGE)) {
			printf("message %d arrived with other data than was sent\n", m);
			return 1;
		}
	}
	acquired = foll_pins_now().acquired - before.acquired;
	close(tx);
	close(rx);

	/* The messages are freed after the sockets: wait for the last unpin. */
	for (waited = 0; waited < 50; waited++) {
		released = foll_pins_now().released - before.released;
		if (released >= acquired)
			break;
		usleep(100 * 1000);
	}
	now = foll_pins_now();
	acquired = now.acquired - before.acquired;
	released = now.released - before.released;
	printf("%d messages of %d bytes sent with MSG_ZEROCOPY and received: pins acquired %ld, released %ld\n",
	       MESSAGES, MESSAGE, acquired, released);
	if (acquired != released) {
		printf("%ld pins not released\n", acquired - released);
		return 1;
	}
	if (acquired < (long)MESSAGES * MESSAGE / getpagesize()) {
		printf("%d pages were sent without a copy, with only %ld pins taken\n",
		       MESSAGES * MESSAGE / getpagesize(), acquired);
		return 1;
	}
	return 0;
}
