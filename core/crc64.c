/*
 * crc64.c — CRC-64/ECMA-182 (reflected, all-ones init and xorout), table
 * driven, slicing by eight bytes; see crc64.h.
 */
#include "crc64.h"

#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define POLY_REFLECTED 0xC96C5795D7870F42ULL

static uint64_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
	for (unsigned n = 0; n < 256; n++) {
		uint64_t c = n;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? POLY_REFLECTED ^ (c >> 1) : c >> 1;
		table[0][n] = c;
	}
	for (unsigned n = 0; n < 256; n++)
		for (int k = 1; k < 8; k++)
			table[k][n] = table[0][table[k - 1][n] & 0xff] ^ (table[k - 1][n] >> 8);
}

uint64_t crc64_update(uint64_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	pthread_once(&table_once, table_init);
	crc = ~crc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		crc ^= v;
		crc = table[7][crc & 0xff] ^ table[6][(crc >> 8) & 0xff] ^
		      table[5][(crc >> 16) & 0xff] ^ table[4][(crc >> 24) & 0xff] ^
		      table[3][(crc >> 32) & 0xff] ^ table[2][(crc >> 40) & 0xff] ^
		      table[1][(crc >> 48) & 0xff] ^ table[0][crc >> 56];
		p += 8;
		len -= 8;
	}
#endif
	while (len--)
		crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

int crc64_file(const char *path, uint64_t *crc, struct herr *e)
{
	unsigned char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*crc = 0;
	if (fd < 0)
		return herr_set(e, HOIST_FAIL, "cannot read %s: %s", path, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*crc = crc64_update(*crc, buf, (size_t)n);
	close(fd);
	if (n < 0)
		return herr_set(e, HOIST_FAIL, "cannot read %s: %s", path, strerror(errno));
	return HOIST_OK;
}
