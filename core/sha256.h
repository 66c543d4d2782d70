/*
 * SHA-256 (FIPS 180-4), small and self-contained: the core keeps only
 * hashes of the console's sign-in links and session ids, never the
 * secrets themselves, and links nothing but libc and SQLite.
 */
#ifndef KB_CORE_SHA256_H
#define KB_CORE_SHA256_H

#include <stddef.h>

#define SHA256_HEX 64

/* The digest of data[0..len) as 64 lowercase hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX + 1]);

#endif
