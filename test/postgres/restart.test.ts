// The database restarted (fast shutdown) while many writes and reads are in flight, five times, in
// this very process: no uncaught exception (vitest fails the run on one; postgres.js 3.4.9 throws
// one when it rolls back a client-side transaction on a dead connection, porsager/postgres#1154,
// which is why the provider holds none), every call succeeds or fails typed, and once the server
// is back every process serves in full with every acknowledged write there.
import { DependencyTimeoutException, Kms, KMSInternalException } from 'kmsbox';
import { expect, test } from 'vitest';
import { usePostgres } from './fixtures.js';

const pg = usePostgres('restart');

test('five restarts under load: typed errors only, then full service with every acknowledged write', async () => {
  const schema = pg.schema();
  const kmss = [0, 1].map(() => new Kms({ provider: pg.open(schema, { timeoutMs: 2000 }) }));
  const KeyId = (await kmss[0]!.createKey({})).KeyMetadata!.KeyId!;
  const { CiphertextBlob } = await kmss[1]!.encrypt({ KeyId, Plaintext: new Uint8Array([7]) });
  const acknowledged: string[] = [];
  const failures: unknown[] = [];
  let calls = 0;

  for (let cycle = 0; cycle < 5; cycle++) {
    let running = true;
    let done = 0;
    let progressed: () => void = () => undefined;
    const progress = new Promise<void>((resolve) => {
      progressed = resolve;
    });
    // 16 callers per provider, each writing (a new key) and reading (Encrypt, Decrypt) in a loop.
    const callers = kmss.flatMap((kms) =>
      Array.from({ length: 16 }, async () => {
        for (let i = 0; running && i < 10_000; i++) {
          const ops: [boolean, () => Promise<unknown>][] = [
            [true, () => kms.createKey({ Description: `cycle ${cycle}` })],
            [false, () => kms.encrypt({ KeyId, Plaintext: new Uint8Array(64) })],
            [false, () => kms.decrypt({ CiphertextBlob: CiphertextBlob! })],
          ];
          for (const [write, op] of ops) {
            calls++;
            try {
              const made = await op();
              if (write) acknowledged.push((made as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId);
              if (++done === 50) progressed();
            } catch (error) {
              failures.push(error);
              await new Promise((r) => setTimeout(r, 20)); // a failing caller does not spin
            }
          }
        }
      }),
    );
    await progress; // the load is running: calls are under way when the server goes
    await pg.server.stop();
    await pg.server.start();
    running = false;
    await Promise.all(callers);
  }

  for (const error of failures) {
    expect(error instanceof DependencyTimeoutException || error instanceof KMSInternalException, String(error)).toBe(true);
  }
  expect(failures.length).toBeGreaterThan(0); // the restarts did hit calls in flight
  expect(acknowledged.length).toBeGreaterThan(0);
  // Full service: every call answers, retried only on DependencyTimeoutException ("try again"), as
  // the AWS SDK retries it, a few times: the first call after the last restart reloads every record
  // on a fresh connection within the providers' 2 s deadline, which a loaded CI machine overran once.
  const retried = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof DependencyTimeoutException) || attempt === 5) throw error;
      }
    }
  };
  for (const kms of [...kmss, new Kms({ provider: pg.open(schema) })]) {
    const ids = new Set<string>();
    let Marker: string | undefined;
    do {
      const page = await retried(() => kms.listKeys({ Limit: 1000, Marker }));
      for (const k of page.Keys!) ids.add(k.KeyId!);
      Marker = page.NextMarker;
    } while (Marker !== undefined);
    for (const id of acknowledged) expect(ids.has(id), id).toBe(true);
    expect([...(await retried(() => kms.decrypt({ CiphertextBlob: CiphertextBlob! }))).Plaintext!]).toEqual([7]);
    const after = (await retried(() => kms.createKey({}))).KeyMetadata!.KeyId!;
    await retried(() => kms.encrypt({ KeyId: after, Plaintext: new Uint8Array([1]) }));
  }
  console.log(`restart test: ${calls} calls, ${acknowledged.length} keys acknowledged, ${failures.length} typed failures`);
});
