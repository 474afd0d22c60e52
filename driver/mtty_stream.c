// SPDX-License-Identifier: GPL-2.0-only
/*
 * mtty_stream.c - records of a migration transfer (see mtty_stream.h).
 * Pure model: builds in Kbuild and in userspace tests.
 */
#include "mtty_stream.h"

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void put_le32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_hdr(u8 *p, u32 tag, u32 len)
{
	put_le32(p, tag);
	put_le32(p + 4, len);
}

long mtty_mig_put_hello(const struct mtty_model *m, u8 *buf, size_t len)
{
	if (!mtty_model_migratable(m))
		return -EOPNOTSUPP;
	if (len < MTTY_REC_HDR_SIZE + MTTY_HELLO_SIZE)
		return -ENOSPC;
	put_hdr(buf, MTTY_REC_HELLO, MTTY_HELLO_SIZE);
	buf += MTTY_REC_HDR_SIZE;
	put_le32(buf, MTTY_FILE_VERSION);
	put_le32(buf + 4, m->nports);
	put_le32(buf + 8, m->uart[0].deep ? MTTY_HELLO_DEEP : 0);
	return MTTY_REC_HDR_SIZE + MTTY_HELLO_SIZE;
}

long mtty_mig_put_state(const struct mtty_model *m, u8 *buf, size_t len)
{
	long n;

	if (len < MTTY_REC_HDR_SIZE)
		return -ENOSPC;
	n = mtty_model_save(m, buf + MTTY_REC_HDR_SIZE,
			    len - MTTY_REC_HDR_SIZE);
	if (n < 0)
		return n;
	put_hdr(buf, MTTY_REC_STATE, n);
	return MTTY_REC_HDR_SIZE + n;
}

size_t mtty_mig_stream_size(const struct mtty_model *m)
{
	return 2 * MTTY_REC_HDR_SIZE + MTTY_HELLO_SIZE +
	       mtty_model_save_size(m);
}

static int check_hello(const struct mtty_model *m, const u8 *p)
{
	u32 flags = get_le32(p + 8);

	if (get_le32(p) != MTTY_FILE_VERSION)
		return -EOPNOTSUPP;
	if (flags & ~MTTY_HELLO_DEEP)
		return -EINVAL;
	if (get_le32(p + 4) != m->nports ||
	    !!(flags & MTTY_HELLO_DEEP) != !!m->uart[0].deep)
		return -ENODEV;
	return 0;
}

/*
 * Walk the records in buf[0..len): checks what is complete and, through
 * @state and @state_len, finds the STATE payload.  Returns 0 or -errno;
 * *@whole tells whether both records are complete.
 */
static int walk(const struct mtty_model *m, const u8 *buf, size_t len,
		const u8 **state, size_t *state_len, bool *whole)
{
	static const u32 order[2] = { MTTY_REC_HELLO, MTTY_REC_STATE };
	size_t off = 0;
	unsigned int i;
	int ret;

	*whole = false;
	for (i = 0; i < 2; i++) {
		u32 tag, rlen;

		if (len - off < 4)
			return 0;
		tag = get_le32(buf + off);
		if (tag != order[i])
			return -EBADMSG;
		if (len - off < MTTY_REC_HDR_SIZE)
			return 0;
		rlen = get_le32(buf + off + 4);
		if (tag == MTTY_REC_HELLO ? rlen != MTTY_HELLO_SIZE :
					    rlen > MTTY_MIG_MAX_SIZE)
			return tag == MTTY_REC_HELLO ? -EINVAL : -EMSGSIZE;
		off += MTTY_REC_HDR_SIZE;
		if (len - off < rlen)
			return 0;
		if (tag == MTTY_REC_HELLO) {
			ret = check_hello(m, buf + off);
			if (ret)
				return ret;
		} else {
			*state = buf + off;
			*state_len = rlen;
		}
		off += rlen;
	}
	if (off != len)
		return -EMSGSIZE;
	*whole = true;
	return 0;
}

int mtty_mig_check_prefix(const struct mtty_model *m, const u8 *buf,
			  size_t len)
{
	const u8 *state;
	size_t state_len;
	bool whole;

	if (!mtty_model_migratable(m))
		return -EOPNOTSUPP;
	return walk(m, buf, len, &state, &state_len, &whole);
}

int mtty_mig_restore(struct mtty_model *m, const u8 *buf, size_t len,
		     unsigned int *sig)
{
	const u8 *state = NULL;
	size_t state_len = 0;
	bool whole;
	int ret;

	ret = walk(m, buf, len, &state, &state_len, &whole);
	if (ret)
		return ret;
	if (!whole)
		return -EMSGSIZE;
	return mtty_model_load(m, state, state_len, sig);
}
