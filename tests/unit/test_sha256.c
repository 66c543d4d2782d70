/* SHA-256 against FIPS 180-4's examples, across the one- and two-block paddings. */
#include "../test.h"

#include "../../core/sha256.h"

static void digest_is(const char *msg, size_t len, const char *want)
{
    char got[SHA256_HEX + 1];
    sha256_hex(msg, len, got);
    CHECK_STR(got, want);
}

TEST(fips_examples)
{
    digest_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes */
    digest_is(two, strlen(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char a1000[1000];
    memset(a1000, 'a', sizeof a1000);
    digest_is(a1000, sizeof a1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST_MAIN(T(fips_examples))
