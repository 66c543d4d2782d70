#!/usr/bin/env bash
# Telegram webhook mode (see tg_webhook.py): secret, commit-before-200,
# de-duplication, concurrency, role lookups, kill -9, back to polling.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
run_py tests/e2e/tg_webhook.py
