// SPDX-License-Identifier: GPL-2.0-only
/*
 * hmp - send one command to a QEMU human monitor (HMP) on a unix socket
 * and print its answer (busybox nc cannot connect to unix sockets).
 *
 *   hmp [-t SECS] SOCKET 'COMMAND'
 *
 * Connects to SOCKET (waiting up to SECS, default 30, for it to appear
 * and accept: a just-started QEMU may not listen yet), reads the banner up
 * to the first "(qemu) " prompt, sends COMMAND and prints everything QEMU
 * says until the next prompt, or until QEMU closes the connection (quit).
 * Terminal escape sequences, carriage returns and the echoed command line
 * are removed.
 *
 * Exit status: 0 answer printed, 1 connect/IO error, 2 usage, 3 no prompt
 * within SECS.
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -o hmp hmp.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PROMPT "(qemu) "

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_sock(const char *path, double deadline)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "hmp: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fprintf(stderr, "hmp: socket: %s\n", strerror(errno));
			return -1;
		}
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    now() >= deadline) {
			fprintf(stderr, "hmp: connect %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		usleep(100000);
	}
}

/*
 * Appends what arrives to buf until it ends with the prompt (returns 1),
 * the peer closes (0), an error (-1) or the deadline (-2).
 */
static int read_to_prompt(int fd, char *buf, size_t size, size_t *len,
			  double deadline)
{
	size_t pl = strlen(PROMPT);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = deadline - now();
		ssize_t n;
		int r;

		if (*len >= pl && !memcmp(buf + *len - pl, PROMPT, pl))
			return 1;
		if (left <= 0)
			return -2;
		r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "hmp: poll: %s\n", strerror(errno));
			return -1;
		}
		if (r == 0)
			continue;
		if (*len + 1 >= size) {
			/* keep the tail: the prompt is what we look for */
			memmove(buf, buf + size / 2, *len - size / 2);
			*len -= size / 2;
		}
		n = read(fd, buf + *len, size - 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "hmp: read: %s\n", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		*len += (size_t)n;
		buf[*len] = '\0';
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/*
 * Prints s[0..n) without escape sequences and CRs, minus the echo line
 * (readline redraws the line per typed character: after the escapes are
 * gone it reads "iininf...info status").
 */
static void print_clean(const char *s, size_t n, const char *cmd)
{
	char *out = malloc(n + 1), *line, *eol;
	size_t i, o = 0;
	int first = 1;

	if (!out)
		return;
	for (i = 0; i < n; i++) {
		if (s[i] == '\033') {
			/* ESC [ params final-byte, or ESC + one byte */
			if (i + 1 < n && s[i + 1] == '[') {
				i += 2;
				while (i < n && !((s[i] >= '@' && s[i] <= '~')))
					i++;
			} else {
				i++;
			}
			continue;
		}
		if (s[i] == '\r')
			continue;
		out[o++] = s[i];
	}
	out[o] = '\0';
	for (line = out; line && *line; line = eol ? eol + 1 : NULL) {
		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		if (first && ends_with(line, cmd)) {
			first = 0;
			continue;
		}
		first = 0;
		if (eol || *line)
			printf("%s\n", line);
	}
	free(out);
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	double secs = 30, deadline;
	const char *path, *cmd;
	size_t len = 0, start;
	char *end;
	int fd, r, opt;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			goto usage;
		secs = strtod(optarg, &end);
		if (*end || secs <= 0)
			goto usage;
	}
	if (argc - optind != 2)
		goto usage;
	path = argv[optind];
	cmd = argv[optind + 1];
	deadline = now() + secs;

	fd = connect_sock(path, deadline);
	if (fd < 0)
		return 1;
	r = read_to_prompt(fd, buf, sizeof(buf), &len, deadline);
	if (r != 1) {
		fprintf(stderr, "hmp: %s: no monitor prompt (%s)\n", path,
			r == -2 ? "timeout" : r == 0 ? "closed" : "error");
		return r == -2 ? 3 : 1;
	}
	len = 0;
	if (dprintf(fd, "%s\n", cmd) < 0) {
		fprintf(stderr, "hmp: write: %s\n", strerror(errno));
		return 1;
	}
	start = len;
	r = read_to_prompt(fd, buf, sizeof(buf), &len, deadline);
	if (r == -1)
		return 1;
	if (r == 1)
		len -= strlen(PROMPT);
	print_clean(buf + start, len - start, cmd);
	fflush(stdout);
	if (r == -2) {
		fprintf(stderr, "hmp: %s: no prompt after '%s' within %.0f s\n",
			path, cmd, secs);
		return 3;
	}
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: hmp [-t SECS] SOCKET 'COMMAND'\n");
	return 2;
}
