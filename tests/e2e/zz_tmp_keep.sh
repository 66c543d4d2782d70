#!/usr/bin/env bash
# Conformance: the Matrix adapter against a real Synapse homeserver.
# Debian ships matrix-synapse only in sid, so tests/synapse/build_root.sh
# builds a minimal sid root once (debootstrap --variant=minbase, then
# matrix-synapse --no-install-recommends) and caches it outside the work
# tree (/var/cache/kocbot/synapse-root).  Synapse runs in that root on
# 127.0.0.1 with SQLite, a registration_shared_secret, presence off and no
# federation listener; tests/e2e/mx_synapse.py holds the conversation.
# When the archive cannot be reached the output says "skipped: <why>".
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
command -v python3 >/dev/null || { not_ok "python3 is missing (make deps installs it)"; finish; exit 1; }
ROOT=$(tests/synapse/build_root.sh)
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "$ROOT" | grep '^skipped:' || echo "skipped: building the Synapse root failed ($rc)"
    finish
    exit 0
fi
# Synapse's files live inside the root (it runs chrooted); removed at exit.
RUN=$(mktemp -d "$ROOT/tmp/kocbot-synapse.XXXXXX")
IN=${RUN#"$ROOT"}
cleanup_hooks+=("rm -rf '$RUN'")
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
chroot "$ROOT" synapse_generate_signing_key -o "$IN/signing.key" >/dev/null 2>&1
cat >"$RUN/log.yaml" <<YAML
version: 1
formatters:
  precise: {format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'}
filters:
  context: {(): synapse.logging.context.LoggingContextFilter, request: ""}
handlers:
  file: {class: logging.FileHandler, formatter: precise, filename: $IN/synapse.log, filters: [context]}
root: {level: INFO, handlers: [file]}
disable_existing_loggers: false
YAML
cat >"$RUN/homeserver.yaml" <<YAML
server_name: "kocbot.test"
public_baseurl: "http://127.0.0.1:$PORT/"
pid_file: $IN/homeserver.pid
signing_key_path: $IN/signing.key
media_store_path: $IN/media
log_config: $IN/log.yaml
report_stats: false
listeners:
  - {port: $PORT, bind_addresses: ['127.0.0.1'], type: http, tls: false, x_forwarded: false,
     resources: [{names: [client], compress: false}]}
database: {name: sqlite3, args: {database: $IN/homeserver.db}}
registration_shared_secret: "$SECRET"
bcrypt_rounds: 4
presence: {enabled: false}
federation_domain_whitelist: []
trusted_key_servers: []
suppress_key_server_warning: true
enable_metrics: false
url_preview_enabled: false
rc_registration: {per_second: 100, burst_count: 100}
rc_login: {address: {per_second: 100, burst_count: 100}, account: {per_second: 100, burst_count: 100}}
rc_joins: {local: {per_second: 100, burst_count: 100}}
YAML
chmod 600 "$RUN/homeserver.yaml"
chroot "$ROOT" python3 -m synapse.app.homeserver -c "$IN/homeserver.yaml" >"$RUN/stdout.log" 2>&1 &
SYN_PID=$!
cleanup_hooks+=("kill $SYN_PID 2>/dev/null; wait $SYN_PID 2>/dev/null")
HS=http://127.0.0.1:$PORT
up() { curl -sf -m 2 "$HS/_matrix/client/versions" >/dev/null; }
for _ in $(seq 1 120); do up && break; kill -0 $SYN_PID 2>/dev/null || break; sleep 0.25; done
if ! up; then
    not_ok "Synapse did not start"; tail -20 "$RUN/stdout.log" "$RUN/synapse.log" 2>/dev/null
    finish; exit 1
fi
HS=$HS SECRET=$SECRET SYNAPSE_LOG=$RUN/synapse.log WORK=$WORK BUILD=$BUILD \
    timeout 500 python3 tests/e2e/mx_synapse.py; FAIL=1
