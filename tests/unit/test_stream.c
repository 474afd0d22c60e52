// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_stream.c - the records of a VFIO migration transfer (mtty_stream.c):
 * HELLO and STATE as documented in docs/migration.md, checked byte by byte
 * with expectations written from that table; every prefix of a good
 * transfer is acceptable, every damaged header is refused with its errno
 * and leaves the destination untouched; the golden NAME.mig files are the
 * NAME.bin states wrapped in these records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mtty_stream.h"
#include "card.h"
#include "unit.h"

UNIT_COUNTERS;
static const char *golden_dir = "tests/golden";

static u32 le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static void put32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* a transfer of a 2-port card with data in port 1 */
static long make_transfer(struct card *c, u8 *buf, size_t len)
{
	long h, n;
	int i;

	card_init(c, 2, false);
	mtty_model_bar_write(&c->m, 1, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	for (i = 0; i < 6; i++)
		mtty_model_bar_write(&c->m, 1, MTTY_UART_THR, 'k' + i);
	mtty_model_bar_write(&c->m, 1, MTTY_UART_SCR, 0x3c);
	h = mtty_mig_put_hello(&c->m, buf, len);
	if (h < 0)
		return h;
	n = mtty_mig_put_state(&c->m, buf + h, len - h);
	return n < 0 ? n : h + n;
}

TEST(stream_layout)
{
	static u8 buf[MTTY_MIG_FILE_MAX];
	struct card c;
	long n = make_transfer(&c, buf, sizeof(buf));

	CHECK(n > 28, "transfer written (%ld)", n);
	/* HELLO: "MTHL", 12, version 1, 2 ports, no flags */
	CHECK(!memcmp(buf, "MTHL", 4), "HELLO tag");
	CHECK_EQ(le32(buf + 4), 12, "HELLO length");
	CHECK_EQ(le32(buf + 8), 1, "file format version");
	CHECK_EQ(le32(buf + 12), 2, "port count");
	CHECK_EQ(le32(buf + 16), 0, "flags");
	/* STATE: "MTST", the rest of the file, the model's own stream */
	CHECK(!memcmp(buf + 20, "MTST", 4), "STATE tag");
	CHECK_EQ(le32(buf + 24), n - 28, "STATE length is the rest");
	CHECK(!memcmp(buf + 28, "MTTY", 4), "STATE payload is a model stream");
	CHECK_EQ(mtty_mig_stream_size(&c.m), n, "stream size estimate");
	CHECK_EQ(mtty_mig_put_hello(&c.m, buf, 19), -ENOSPC, "HELLO: no room");
	CHECK(mtty_mig_put_state(&c.m, buf, 7) < 0, "STATE: no room");

	card_init(&c, 1, true);
	mtty_mig_put_hello(&c.m, buf, sizeof(buf));
	CHECK_EQ(le32(buf + 12), 1, "deep card: 1 port");
	CHECK_EQ(le32(buf + 16), 1, "deep card: flag bit 0");
}

TEST(stream_prefixes_and_restore)
{
	static u8 buf[MTTY_MIG_FILE_MAX];
	struct card src, dst;
	unsigned int sig = 0;
	long n = make_transfer(&src, buf, sizeof(buf));
	long i;
	int bad = 0, ret;

	card_init(&dst, 2, false);
	for (i = 0; i <= n; i++)
		if (mtty_mig_check_prefix(&dst.m, buf, i))
			bad++;
	CHECK_EQ(bad, 0, "every prefix of a good transfer is acceptable");
	for (i = 0; i < n; i++)
		if (mtty_mig_restore(&dst.m, buf, i, &sig) != -EMSGSIZE)
			bad++;
	CHECK_EQ(bad, 0, "every truncated transfer: -EMSGSIZE");
	CHECK_EQ(mtty_model_bar_read(&dst.m, 1, MTTY_UART_SCR, &(u8){ 0 }), 0,
		 "no signal reading SCR");
	ret = mtty_mig_restore(&dst.m, buf, n, &sig);
	CHECK_EQ(ret, 0, "whole transfer restores");
	{
		u8 v = 0;

		mtty_model_bar_read(&dst.m, 1, MTTY_UART_SCR, &v);
		CHECK_EQ(v, 0x3c, "port 1 SCR moved");
		for (i = 0; i < 6; i++) {
			mtty_model_bar_read(&dst.m, 1, MTTY_UART_RBR, &v);
			CHECK_EQ(v, 'k' + i, "port 1 RX bytes in order");
		}
	}
	CHECK_EQ(mtty_mig_check_prefix(&dst.m, buf, n + 1), -EMSGSIZE,
		 "a byte after STATE");
	CHECK_EQ(mtty_mig_restore(&dst.m, buf, n + 1, &sig), -EMSGSIZE,
		 "restore with a byte after STATE");
}

TEST(stream_bad_headers)
{
	static u8 good[MTTY_MIG_FILE_MAX], bad[MTTY_MIG_FILE_MAX];
	static const struct {
		unsigned int off;
		u32 val;
		int err;
		const char *what;
	} cases[] = {
		{ 0, 0x4c48544e, -EBADMSG, "HELLO tag" },
		{ 4, 11, -EINVAL, "HELLO length 11" },
		{ 4, 13, -EINVAL, "HELLO length 13" },
		{ 8, 0, -EOPNOTSUPP, "file version 0" },
		{ 8, 2, -EOPNOTSUPP, "file version 2" },
		{ 12, 1, -ENODEV, "1 port for a 2-port card" },
		{ 12, 3, -ENODEV, "3 ports" },
		{ 16, 1, -ENODEV, "deep flag for a plain card" },
		{ 16, 2, -EINVAL, "unknown flag" },
		{ 20, 0x4c48544d, -EBADMSG, "HELLO twice" },
		{ 24, MTTY_MIG_MAX_SIZE + 1, -EMSGSIZE, "STATE too long" },
	};
	struct card src, dst, before;
	unsigned int i, sig;
	long n = make_transfer(&src, good, sizeof(good));

	card_init(&dst, 2, false);
	mtty_model_bar_write(&dst.m, 0, MTTY_UART_SCR, 0x77);
	before = dst;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, good, n);
		put32(bad + cases[i].off, cases[i].val);
		CHECK_EQ(mtty_mig_check_prefix(&dst.m, bad, n), cases[i].err,
			 cases[i].what);
		sig = 0;
		CHECK_EQ(mtty_mig_restore(&dst.m, bad, n, &sig), cases[i].err,
			 cases[i].what);
		CHECK(!memcmp(dst.uart, before.uart, sizeof(dst.uart)) &&
		      !memcmp(&dst.m.pci, &before.m.pci, sizeof(dst.m.pci)),
		      "%s: destination untouched", cases[i].what);
	}
	/* damage inside STATE is the model's business: refused at restore */
	memcpy(bad, good, n);
	bad[28] ^= 0xff;
	CHECK_EQ(mtty_mig_check_prefix(&dst.m, bad, n), 0,
		 "STATE payload is not checked before restore");
	CHECK(mtty_mig_restore(&dst.m, bad, n, &sig) < 0,
	      "broken STATE magic refused at restore");
}

static long slurp(const char *name, u8 *buf, size_t len)
{
	char path[512];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	n = fread(buf, 1, len, f);
	fclose(f);
	return n;
}

TEST(golden_transfers)
{
	static const char *const names[] = { "mtty1-idle", "mtty2-busy",
					     "mtty1-deep" };
	static u8 bin[MTTY_MIG_FILE_MAX], mig[MTTY_MIG_FILE_MAX];
	unsigned int i, sig;

	for (i = 0; i < 3; i++) {
		char bname[64], mname[64];
		long nb, nm;
		struct card c;

		snprintf(bname, sizeof(bname), "%s.bin", names[i]);
		snprintf(mname, sizeof(mname), "%s.mig", names[i]);
		nb = slurp(bname, bin, sizeof(bin));
		nm = slurp(mname, mig, sizeof(mig));
		CHECK(nb > 0 && nm == nb + 28, "%s: .mig is .bin + 28 bytes",
		      names[i]);
		if (nb <= 0 || nm != nb + 28)
			continue;
		CHECK(!memcmp(mig + 28, bin, nb), "%s: STATE is the .bin",
		      names[i]);
		card_init(&c, le32(mig + 12), le32(mig + 16) & 1);
		CHECK_EQ(mtty_mig_restore(&c.m, mig, nm, &sig), 0, names[i]);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1)
		golden_dir = argv[1];
	RUN(stream_layout);
	RUN(stream_prefixes_and_restore);
	RUN(stream_bad_headers);
	RUN(golden_transfers);
	return UNIT_DONE("unit-stream");
}
