// SPDX-License-Identifier: GPL-2.0-only
/*
 * tty_peer - the host end of the nested guest <-> host tty exchange
 * (tests/vm/steps/60-nested.sh): on the host tty of a tty-backed mtty port
 * (/dev/ttyMT<n>) it waits for the first byte the L2 guest sends on its
 * ttyS port (l2init with mtty.peer=BDF), then writes N bytes of
 * peer_h2g() while it reads and checks N bytes of peer_g2h()
 * (tests/lib/peerpat.h), both at once, and checks that nothing beyond N
 * arrives within a second.  Raw mode, CLOCAL (the guest's close must not
 * hang it up), non-blocking, one poll loop.
 *
 * Usage: tty_peer [--bytes N] [--wait S] [--idle S] TTY
 *   --bytes N  bytes each way (default 65536)
 *   --wait S   seconds allowed for the guest's first byte (its boot;
 *              default 900)
 *   --idle S   give up after S seconds without progress either way
 *              (default 120)
 * Prints "TTY-PEER-READY" once the tty is open, then "ok - tty-peer: ..."
 * lines and "tty-peer: N passed, N failed"; exit status 1 if a check
 * failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peerpat.h"
#include "rawtty.h"
#include "tap.h"

static void usage(void)
{
	fprintf(stderr, "usage: tty_peer [--bytes N] [--wait S] [--idle S] TTY\n");
	exit(2);
}

static unsigned long arg_num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || !v)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	unsigned long nbytes = 65536, wait_s = 900, idle_s = 120;
	size_t got = 0, wrote = 0, nbad = 0, first_bad = 0, extra = 0;
	unsigned char rbuf[4096], wbuf[4096];
	double t0, t_first = 0, t_done, last;
	const char *path, *what;
	int fd, i, err = 0;

	tap_tag("tty-peer");
	for (i = 1; i < argc - 1; i += 2) {
		if (!strcmp(argv[i], "--bytes"))
			nbytes = arg_num(argv[i + 1]);
		else if (!strcmp(argv[i], "--wait"))
			wait_s = arg_num(argv[i + 1]);
		else if (!strcmp(argv[i], "--idle"))
			idle_s = arg_num(argv[i + 1]);
		else
			usage();
	}
	if (i != argc - 1)
		usage();
	path = argv[i];

	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		tap_bail("tty-peer", "open %s: %s", path, strerror(errno));
	if (rawtty_set(fd, 1, &what) < 0)
		tap_bail("tty-peer", "raw mode on %s: %s: %s", path, what,
			 strerror(errno));
	ok(1, "%s open, raw, clocal, non-blocking", path);
	tap_say("TTY-PEER-READY");

	/* the guest speaks first: until then it may not have its port open */
	t0 = tap_now();
	last = t0;
	while (got < nbytes || wrote < nbytes) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double t = tap_now();
		ssize_t r, k;
		int pr;

		if (!got && t - t0 >= (double)wait_s) {
			err = ETIMEDOUT;
			ok(0, "no byte from the guest within %lu s", wait_s);
			break;
		}
		if (got && t - last >= (double)idle_s) {
			err = ETIMEDOUT;
			ok(0, "no progress for %lu s (received %zu, sent %zu of %lu)",
			   idle_s, got, wrote, nbytes);
			break;
		}
		if (got && wrote < nbytes)
			p.events |= POLLOUT;
		pr = poll(&p, 1, 500);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			err = errno;
			ok(0, "poll: %s", strerror(errno));
			break;
		}
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			err = EIO;
			ok(0, "poll revents 0x%x (hang-up or error) after %zu received, %zu sent",
			   p.revents, got, wrote);
			break;
		}
		if (p.revents & POLLIN) {
			r = read(fd, rbuf, sizeof(rbuf));
			if (r < 0 && errno != EAGAIN && errno != EINTR) {
				err = errno;
				ok(0, "read: %s", strerror(errno));
				break;
			}
			if (r == 0) {
				err = EPIPE;
				ok(0, "read: end of file after %zu bytes", got);
				break;
			}
			if (r > 0 && !got) {
				t_first = tap_now();
				tap_comment("first byte from the guest %.1f s after open; sending",
					    t_first - t0);
			}
			for (k = 0; k < r; k++) {
				if (got >= nbytes) {
					extra++;
					continue;
				}
				if (rbuf[k] != peer_g2h(got)) {
					if (!nbad)
						first_bad = got;
					nbad++;
				}
				got++;
			}
			if (r > 0)
				last = tap_now();
		}
		if ((p.revents & POLLOUT) && wrote < nbytes) {
			size_t len = nbytes - wrote, k2;

			if (len > sizeof(wbuf))
				len = sizeof(wbuf);
			for (k2 = 0; k2 < len; k2++)
				wbuf[k2] = peer_h2g(wrote + k2);
			r = write(fd, wbuf, len);
			if (r < 0 && errno != EAGAIN && errno != EINTR) {
				err = errno;
				ok(0, "write: %s", strerror(errno));
				break;
			}
			if (r > 0) {
				wrote += (size_t)r;
				last = tap_now();
			}
		}
	}
	t_done = tap_now();
	if (!err) {
		/* nothing beyond the N bytes may come */
		double end = tap_now() + 1.0;

		while (tap_now() < end) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (poll(&p, 1, 200) <= 0 || !(p.revents & POLLIN))
				continue;
			r = read(fd, rbuf, sizeof(rbuf));
			if (r > 0)
				extra += (size_t)r;
			else if (r == 0)
				break;
		}
	}
	if (t_first > 0)
		tap_comment("exchange: %zu received, %zu sent in %.1f s", got,
			    wrote, t_done - t_first);
	ok(got == nbytes && !nbad,
	   "received %zu of %lu bytes from the guest, %zu mismatches", got,
	   nbytes, nbad);
	if (nbad)
		tap_comment("first mismatch at offset %zu", first_bad);
	ok(!extra, "%zu bytes beyond the %lu", extra, nbytes);
	ok(wrote == nbytes, "sent %zu of %lu bytes to the guest", wrote,
	   nbytes);
	if (close(fd) < 0)
		ok(0, "close %s: %s", path, strerror(errno));
	return tap_done("tty-peer");
}
