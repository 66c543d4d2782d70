#!/usr/bin/env node
// Starts the telegram-test-api emulator (pinned in package.json) on
// 127.0.0.1 and a free port, writes the port to PORT_FILE once it listens,
// and stops on SIGTERM/SIGINT or after --max-seconds (default 120).
//
//   node emulator.js PORT_FILE [--max-seconds N]
//
// The emulator's config treats port 0 as "use 9000" (`config.port || 9000`),
// so the server is built with a placeholder and its port is set to 0 before
// start(); the kernel picks a free port and we report the real one.
'use strict';

const fs = require('fs');
const TelegramServer = require('telegram-test-api');

const args = process.argv.slice(2);
const portFile = args[0];
let maxSeconds = 120;
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--max-seconds' && i + 1 < args.length) maxSeconds = Number(args[++i]);
}
if (!portFile || !(maxSeconds > 0)) {
  process.stderr.write('usage: emulator.js PORT_FILE [--max-seconds N]\n');
  process.exit(2);
}

// Quirk: a client message without `botToken` makes addUserUpdate() reject
// inside an un-awaited promise, which kills Node.  Our client always passes
// botToken; should that ever break, say so clearly instead of a bare trace.
process.on('unhandledRejection', (err) => {
  process.stderr.write(`emulator: unhandled rejection (a client message without botToken?): ${err && err.message}\n`);
  process.exit(3);
});

async function main() {
  const server = new TelegramServer({ host: '127.0.0.1', port: 1, storeTimeout: 300 });
  server.config.port = 0;
  await server.start();
  const port = server.server.address().port;
  server.config.port = port;
  server.config.apiURL = `http://127.0.0.1:${port}`;
  const tmp = `${portFile}.tmp`;
  fs.writeFileSync(tmp, `${port}\n`);
  fs.renameSync(tmp, portFile);
  process.stderr.write(`emulator: listening on 127.0.0.1:${port}\n`);

  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`emulator: stopping (${why})\n`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    try { await server.stop(); } catch (e) { /* exiting anyway */ }
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  setTimeout(() => stop(`max ${maxSeconds} s`), maxSeconds * 1000).unref();
  // keep the process alive even if the server were to close by itself
  setInterval(() => {}, 1 << 30);
}

main().catch((e) => {
  process.stderr.write(`emulator: failed to start: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
