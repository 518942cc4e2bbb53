// What the Node.js end-to-end tests (tests/browser, tests/clients) share: free loopback ports,
// bounded polling, and the Plateau processes a test starts, logged to files in its work folder
// and stopped at the end (SIGTERM, then SIGKILL after 5 s).
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

// A free port for programs that cannot report the one they bind; Plateau's daemons start with
// --port=0 instead and report theirs (Processes.reportedPort).
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Polls `condition` every 100 ms until it holds (bounded, never a fixed sleep).
async function eventually(what, condition, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

class Processes {
  constructor(work, binDir) {
    this.work = work;
    this.binDir = binDir;
    this.children = [];
  }

  // Starts build/bin/<argv[0]> with its output in <work>/<name>.log; `exited` resolves with the
  // exit code.
  start(name, argv) {
    const out = fs.openSync(path.join(this.work, `${name}.log`), 'a');
    const child = spawn(path.join(this.binDir, argv[0]), argv.slice(1), { stdio: ['ignore', out, out] });
    child.name = name;
    child.exited = new Promise((resolve) => child.on('exit', resolve));
    this.children.push(child);
    return child;
  }

  // The port a daemon started with --port=0 bound, from its "<event> ... address=IP:PORT" log
  // line (master_started, agent_started).
  async reportedPort(name, event) {
    const pattern = new RegExp(`${event} .*address=\\S*:(\\d+)`);
    let port = 0;
    await eventually(`${name} to report its port`, () => {
      const match = pattern.exec(this.log(name));
      if (match) port = Number(match[1]);
      return port !== 0;
    });
    return port;
  }

  log(name) {
    return fs.readFileSync(path.join(this.work, `${name}.log`), 'utf8');
  }

  async stopAll() {
    for (const child of this.children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await child.exited;
        clearTimeout(timer);
      }
    }
  }

  dumpLogs(names) {
    for (const name of names) {
      const file = path.join(this.work, `${name}.log`);
      if (fs.existsSync(file)) {
        console.log(`----- ${name}.log (last 3000 chars) -----\n${fs.readFileSync(file, 'utf8').slice(-3000)}`);
      }
    }
  }
}

module.exports = { freePort, eventually, check, Processes };
