#!/usr/bin/env bash
# Bad input on the HTTP listener during a check-in burst (see http_abuse.py).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
run_py tests/e2e/http_abuse.py
