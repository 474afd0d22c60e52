/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rawtty.h - put a serial tty into the raw mode the guest-side test
 * programs (tests/vm/l2init.c, tests/bench/l2bench.c) use: cfmakeraw,
 * CLOCAL | CREAD, no hardware or software flow control, VTIME 0, 115200
 * baud.  Header only: those programs are single static binaries.
 */
#ifndef MTTY_RAWTTY_H
#define MTTY_RAWTTY_H

#include <termios.h>

/*
 * Returns 0, or -1 with errno set and *@what naming the call that failed
 * ("tcgetattr" or "tcsetattr").
 */
static inline int rawtty_set(int fd, int vmin, const char **what)
{
	struct termios t;

	*what = "tcgetattr";
	if (tcgetattr(fd, &t) < 0)
		return -1;
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(tcflag_t)CRTSCTS;
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	t.c_cc[VMIN] = vmin;
	t.c_cc[VTIME] = 0;
	*what = "tcsetattr";
	if (cfsetispeed(&t, B115200) < 0 || cfsetospeed(&t, B115200) < 0 ||
	    tcsetattr(fd, TCSANOW, &t) < 0)
		return -1;
	return 0;
}

#endif /* MTTY_RAWTTY_H */
