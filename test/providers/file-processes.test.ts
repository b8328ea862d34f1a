// FileProvider across processes: SIGKILL at random moments (each after the worker acknowledged a
// write) loses nothing that was reported, and
// concurrent writers lose no update. KMSBOX_CRASH_CYCLES sets the kill count (default 200).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { bundleWorker, newStore, type Store } from './file-fixtures.js';

let worker: string;
beforeAll(async () => {
  worker = await bundleWorker(new URL('./file-worker.ts', import.meta.url));
});

const CYCLES = Number(process.env.KMSBOX_CRASH_CYCLES ?? 200);

/** Whether `out` holds a complete line acknowledging a finished write (`created …` or `rotated …`). */
const hasAck = (out: string): boolean =>
  out
    .split('\n')
    .slice(0, -1)
    .some((l) => l.startsWith('created ') || l.startsWith('rotated '));

/**
 * Runs the crash worker until it has acknowledged its first finished write (a complete line on
 * stdout), then SIGKILLs it at a random moment after that: up to `maxDelayMs` later, so the kill
 * may land in the middle of the next write. Waiting for the ack (not for a time after spawn) makes
 * every round have at least one acknowledged write however loaded the machine is. Returns the
 * worker's complete lines.
 */
function runAndKill(store: Store, maxDelayMs: number, extra: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, 'crash', store.path, store.rootKeyFile, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let scheduled = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!scheduled && hasAck(out)) {
        scheduled = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * maxDelayMs));
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`worker ended by itself: ${err}`));
      const lines = out.split('\n');
      lines.pop(); // the last piece is incomplete (or empty): never trusted
      resolve(lines);
    });
  });
}

/** The default threshold (kills land in appends), and compaction whenever the journal outgrows the snapshot (kills land in compactions too). */
const COMPACTION = [
  ['appending to the journal', []],
  ['compacting every few writes', ['0']],
] as const;

describe('FileProvider under SIGKILL', () => {
  it.each(COMPACTION)(
    `every key the worker reported survives ${CYCLES} kills at random moments after its first write, and its ciphertexts decrypt (%s)`,
    async (_, extra) => {
      let store = newStore();
      let reported = new Map<string, string[]>();
      let kills = 0;
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        if (cycle % 25 === 0 && cycle > 0) {
          store = newStore(); // keep each store small so a cycle stays fast
          reported = new Map();
        }
        const lines = await runAndKill(store, 40, [...extra]);
        kills++;
        let acked = 0;
        for (const line of lines) {
          const [what, id, blob] = line.split(' ');
          if (what === 'created' || what === 'rotated') {
            reported.set(id!, [...(reported.get(id!) ?? []), blob!]);
            acked++;
          }
        }
        // Guaranteed by waiting for the first ack, not by how fast the worker ran: every round wrote.
        expect(acked).toBeGreaterThanOrEqual(1);
        // A fresh process view of the store after every kill: it opens, and holds everything reported.
        const kms = new Kms({ provider: store.open() });
        for (const [id, blobs] of reported) {
          expect((await kms.describeKey({ KeyId: id })).KeyMetadata!.KeyState).toBe('Enabled');
          for (const b of blobs) {
            const { Plaintext } = await kms.decrypt({ CiphertextBlob: Buffer.from(b, 'base64') });
            expect(new TextDecoder().decode(Plaintext)).toBe(`secret ${id}`);
          }
        }
      }
      expect(kills).toBe(CYCLES);
      // Writers killed mid-write leave no temp files behind once the store is used again.
      await new Kms({ provider: store.open() }).createKey();
      expect(readdirSync(join(store.dir, 'store')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    },
    1_200_000,
  ); // a bound for a hang: 200 spawns take minutes on a loaded machine
});

describe('FileProvider with concurrent processes', () => {
  it.each(COMPACTION)(
    '4 processes × 100 CreateKey + CreateAlias on one store: 400 keys, 400 aliases, nothing lost (%s)',
    async (_, extra) => {
      const store = newStore();
      const runs = ['p0', 'p1', 'p2', 'p3'].map(
        (tag) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(process.execPath, [worker, 'burst', store.path, store.rootKeyFile, '100', tag, ...extra], {
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            let err = '';
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${tag} exited ${code}: ${err}`))));
          }),
      );
      await Promise.all(runs);
      const kms = new Kms({ provider: store.open() });
      expect((await kms.listKeys({ Limit: 1000 })).Keys!.length).toBe(400);
      // ListAliases pages by at most 100: follow NextMarker to the end.
      const aliases: string[] = [];
      let marker: string | undefined;
      do {
        const page = await kms.listAliases({ Limit: 100, ...(marker ? { Marker: marker } : {}) });
        aliases.push(...page.Aliases!.map((a) => a.AliasName!));
        marker = page.Truncated ? page.NextMarker : undefined;
      } while (marker !== undefined);
      expect(aliases.length).toBe(400);
      expect(new Set(aliases).size).toBe(400);
      for (const tag of ['p0', 'p1', 'p2', 'p3']) {
        for (const i of [0, 57, 99]) {
          const md = (await kms.describeKey({ KeyId: `alias/${tag}-${i}` })).KeyMetadata!;
          expect(md.Description).toBe(`${tag} ${i}`);
        }
      }
    },
    300_000,
  );
});
