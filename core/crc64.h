/*
 * crc64.h — CRC-64/ECMA-182 as Alibaba Cloud uses it (OSS's
 * x-oss-hash-crc64ecma, Function Compute's codeChecksum): polynomial
 * 0x42F0E1EBA9EA3693 reflected, initial value and final XOR all ones (the
 * parameters catalogued as CRC-64/XZ; check value for "123456789" is
 * 0x995DC9BBDF1939FA).  Streaming: feed any number of chunks.
 */
#ifndef HOIST_CRC64_H
#define HOIST_CRC64_H

#include <stddef.h>
#include <stdint.h>

struct herr;

/* Start with crc = 0; returns the CRC of everything fed so far. */
uint64_t crc64_update(uint64_t crc, const void *data, size_t len);

/* The CRC of a whole file, read in 64 KiB chunks (constant memory). */
int crc64_file(const char *path, uint64_t *crc, struct herr *e);

#endif
