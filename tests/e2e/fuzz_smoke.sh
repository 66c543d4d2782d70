#!/usr/bin/env bash
# The CI part of the fuzzing (tests/fuzz): replay the kept regression inputs
# and fuzz each target for FUZZ_SECONDS (default 10) — once, in the debug
# pass only.  Without a clang that links libFuzzer it fails (make deps
# installs clang): a silent skip would report a pass that never ran.
cd "$(dirname "$0")/../.." || exit 1
if [ "${VARIANT:-debug}" != debug ]; then echo "0 passed, 0 failed"; exit 0; fi
probe=$(mktemp -d /tmp/kb-fuzz-probe.XXXXXX)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);
int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null; then
    echo "not ok fuzz: clang cannot link libFuzzer (run make deps, which installs clang)"
    echo "0 passed, 1 failed"; exit 1
fi
FUZZ_SECONDS=${FUZZ_SECONDS:-10} exec tests/fuzz/run.sh
