#!/usr/bin/env bash
# The Matrix adapter against the fake homeserver (tests/fake/fake_matrix.py)
# with faults injected; the checks are listed in tests/e2e/mx_fake.py.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
command -v python3 >/dev/null || { not_ok "python3 is missing (make deps installs it)"; finish; exit 1; }
WORK=$WORK BUILD=$BUILD timeout 400 python3 tests/e2e/mx_fake.py
