// A real PostgreSQL server for the tests, started from Debian's `postgresql` package in a temporary
// directory (scripts/run-tests.mjs installs the package when it is missing). PostgreSQL refuses to
// run as root, so as root the server runs as the unprivileged `postgres` user (or `nobody`).
// Nothing is mocked: the tests talk to this server over TCP on 127.0.0.1.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The newest installed server's bin directory, or undefined when PostgreSQL is not installed. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

export interface PostgresServer {
  /** postgres://kmsbox@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  readonly port: number;
  /** Creates a database (a fresh one per test keeps tests apart). */
  createDatabase(name: string): Promise<void>;
  /** Stops the server (fast shutdown: clients are disconnected, committed data is kept). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** uid/gid to run the server as: ourselves, or an unprivileged user when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error('running as root, and neither the postgres nor the nobody user exists to run PostgreSQL as');
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  if (bin === undefined) throw new Error('PostgreSQL is not installed: apt-get install postgresql (scripts/run-tests.mjs does it as root)');
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'kmsbox-pg-'));
  chmodSync(dir, 0o700);
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const asUser = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'kmsbox', '--auth=trust', '--no-sync', '-E', 'UTF8'], {
    ...asUser,
    env,
    stdio: 'ignore',
  });
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    // fsync off: these servers never outlive a crash of the machine; a clean stop keeps every commit.
    const proc = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'],
      { ...asUser, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    proc.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    for (let i = 0; ; i++) {
      if (proc.exitCode !== null) throw new Error(`PostgreSQL did not start:\n${log}`);
      try {
        execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'kmsbox', '-d', 'postgres'], {
          stdio: 'ignore',
        });
        return;
      } catch {
        if (i > 600) throw new Error(`PostgreSQL did not become ready:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = async (): Promise<void> => {
    if (child === undefined || child.exitCode !== null) return;
    child.kill('SIGINT'); // fast shutdown
    await exited;
    child = undefined;
  };
  await start();
  return {
    port,
    url: (database = 'postgres') => `postgres://kmsbox@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      execFileSync(
        join(bin, 'psql'),
        ['-h', '127.0.0.1', '-p', String(port), '-U', 'kmsbox', '-d', 'postgres', '-c', `CREATE DATABASE "${name}"`],
        {
          stdio: 'ignore',
        },
      );
    },
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
