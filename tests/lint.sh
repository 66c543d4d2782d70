#!/usr/bin/env bash
# House rules a grep can check: room boundaries and banned functions.
set -u
cd "$(dirname "$0")/.."
bad=0
fail() { echo "lint: $*"; bad=1; }
hits=$(grep -rlE '#include[[:space:]]*[<"](uv\.h|curl/|cjson/|cJSON\.h)' core || true)
[ -z "$hits" ] || fail "core/ must not include libuv, libcurl or cJSON: $hits"
hits=$(grep -rlE '#include[[:space:]]*[<"](sqlite3\.h|uv\.h|curl/)|#include[[:space:]]*"\.\./bot/' adapters || true)
[ -z "$hits" ] || fail "adapters/ must not include SQLite, libuv, libcurl or bot/: $hits"
hits=$(grep -rlE '#include[[:space:]]*[<"]sqlite3\.h' bot config adapters || true)
[ -z "$hits" ] || fail "only core/ talks to SQLite: $hits"
hits=$(grep -rlE '#include[[:space:]]*[<"]sqlite3\.h' core | grep -vE '^core/(store|wal_buffer)\.c$' || true)
[ -z "$hits" ] || fail "in core/ only store.c (and its VFS, wal_buffer.c) include sqlite3.h (feature modules use store.h): $hits"
hits=$(grep -rnE '\b(time)[[:space:]]*\([[:space:]]*(NULL|0)?[[:space:]]*\)' core || true)
[ -z "$hits" ] || fail "core/ never reads the clock: $hits"
hits=$(grep -rnE '(^|[^a-z_n])(sprintf|strcpy|strcat|strtok|gets|atoi)[[:space:]]*\(' \
       --include='*.c' --include='*.h' --exclude-dir=node_modules core adapters bot config tests bench || true)
[ -z "$hits" ] || fail "banned function: $hits"
[ $bad -eq 0 ] && echo "lint: ok"
exit $bad
