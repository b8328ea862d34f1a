/**
 * Envelope benchmarks beside the AWS Encryption SDK for JavaScript (@aws-crypto/client-node, raw
 * AES keyring, committing unsigned suite, its best frame length) and raw node:crypto AES-256-GCM
 * (the ceiling), same run, same inputs. Run alone: `npx tsx bench/envelope.ts`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { nodeCryptoBackend, webBackend } from '../src/crypto/backend/index.js'; // the backends themselves (internal)
import { portableBackend } from '../src/crypto/backend/portable.js';
import { segmentCipher } from '../src/envelope/segments.js';
import { cryptoFloor } from './floor.js';
import { kmsbox, streamRoundTrip } from './lib.js';
import { compare, earlierTarget, section, table } from './harness.js';

const { Kms, decryptEnvelope, encryptEnvelope } = kmsbox;
const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const suiteId = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
const keyring = new RawAesKeyringNode({
  keyName: 'bench',
  keyNamespace: 'kmsbox-bench',
  unencryptedMasterKey: randomBytes(32),
  wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
});
const kms = new Kms();
const keyId = (await kms.createKey({ Description: 'envelope bench' })).KeyMetadata!.KeyId!;
const context = { tenant: 't1', purpose: 'bench' };

// --- 4 KiB messages, a fresh data key per message.
{
  section('Envelope: encrypt + decrypt 4 KiB messages, a fresh data key each (kmsbox: GenerateDataKey + Decrypt on an in-process Kms)');
  const payload = randomBytes(4096);
  const results = await compare(
    [
      {
        name: 'AWS Encryption SDK (raw AES keyring)',
        run: async () => {
          const { result } = await esdk.encrypt(keyring, payload, { suiteId, encryptionContext: context, frameLength: 4096 });
          await esdk.decrypt(keyring, result);
        },
      },
      {
        name: 'kmsbox envelope',
        run: async () => {
          const envelope = await encryptEnvelope(payload, { kms, keyId, encryptionContext: context });
          await decryptEnvelope(envelope, { kms, keyIds: [keyId] });
        },
      },
      { name: 'the floor: the same node:crypto calls with no JavaScript around them (suite 2)', run: cryptoFloor(payload, 2) },
    ],
    { rounds: 5, roundMs: 500 },
  );
  table(results, results[0]!.name);
  earlierTarget(
    'kmsbox 4 KiB messages/s vs the Encryption SDK (20x)',
    results[1]!.opsPerSecond / results[0]!.opsPerSecond / 20,
    1,
    '≥ 75% of the floor, ceilings.ts',
  );
  console.log(
    `\nthe floor alone is ${(results[2]!.opsPerSecond / results[0]!.opsPerSecond).toFixed(1)}x the Encryption SDK: the most any implementation of this format and blob can reach on node:crypto`,
  );

  section('Envelope: one-recipient overhead (4 KiB message, no context)');
  const ours = (await encryptEnvelope(payload, { kms, keyId })).length - payload.length;
  const theirs = (await esdk.encrypt(keyring, payload, { suiteId, frameLength: 4096 })).result.length - payload.length;
  console.log(
    `| format | overhead bytes |\n|---|---:|\n| AWS Encryption SDK (raw AES keyring) | ${theirs} |\n| kmsbox envelope (kmsbox key) | ${ours} |`,
  );
  console.log(`\ntarget: overhead ≤ 200 B — measured ${ours} B — ${ours <= 200 ? 'PASS' : 'FAIL'}`);
}

// --- 256 MiB streams.
{
  const TOTAL = 256 * 2 ** 20;
  const CHUNK = 64 * 1024;
  const source = randomBytes(2 * 2 ** 20);
  const chunkAt = (o: number) => source.subarray(o % 2 ** 20, (o % 2 ** 20) + CHUNK);
  section(`Envelope: ${TOTAL / 2 ** 20} MiB stream, encrypt piped into decrypt (MiB/s of plaintext)`);

  const raw = async () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const enc = createCipheriv('aes-256-gcm', key, iv);
    const dec = createDecipheriv('aes-256-gcm', key, iv);
    let n = 0;
    for (let o = 0; o < TOTAL; o += CHUNK) n += dec.update(enc.update(chunkAt(o))).length;
    enc.final();
    dec.setAuthTag(enc.getAuthTag());
    dec.final();
    if (n !== TOTAL) throw new Error('raw: lost bytes');
  };
  const nodeSource = () =>
    Readable.from(
      (function* () {
        for (let o = 0; o < TOTAL; o += CHUNK) yield chunkAt(o);
      })(),
      { objectMode: false },
    );
  const counter = () => {
    let n = 0;
    return {
      sink: new Writable({
        write(c, _e, cb) {
          n += c.length;
          cb();
        },
      }),
      count: () => n,
    };
  };
  const esdkStream = (frameLength: number) => async () => {
    const { sink, count } = counter();
    await pipeline(
      nodeSource(),
      esdk.encryptStream(keyring, { suiteId, encryptionContext: context, frameLength }),
      esdk.decryptUnsignedMessageStream(keyring),
      sink,
    );
    if (count() !== TOTAL) throw new Error('esdk: lost bytes');
  };
  const ours = () => streamRoundTrip({ kms, keyId, context, total: TOTAL, chunk: CHUNK, chunkAt });
  const time = async (fn: () => Promise<void>) => {
    const t = performance.now();
    await fn();
    return TOTAL / 2 ** 20 / ((performance.now() - t) / 1000);
  };
  const cases: Array<[string, () => Promise<void>]> = [
    ['raw node:crypto AES-256-GCM', raw],
    ['AWS Encryption SDK, 4 KiB frames', esdkStream(4096)],
    ['AWS Encryption SDK, 64 KiB frames', esdkStream(65536)],
    ['AWS Encryption SDK, 256 KiB frames', esdkStream(262144)],
    ['AWS Encryption SDK, 1 MiB frames', esdkStream(2 ** 20)],
    ['kmsbox envelope streams (256 KiB segments)', ours],
  ];
  const samples: number[][] = cases.map(() => []);
  for (const [, fn] of cases) await time(fn); // warm-up
  for (let r = 0; r < 3; r++) for (const [i, [, fn]] of cases.entries()) samples[i]!.push(await time(fn));
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mibs = samples.map(median);
  console.log('| case | MiB/s | vs raw |\n|---|---:|---:|');
  for (const [i, [name]] of cases.entries())
    console.log(`| ${name} | ${mibs[i]!.toFixed(0)} | ${((mibs[i]! / mibs[0]!) * 100).toFixed(0)}% |`);
  const bestEsdk = Math.max(...mibs.slice(1, 5));
  const kmsbox = mibs[5]!;
  earlierTarget(
    'kmsbox stream vs the best Encryption SDK frame length (3x)',
    kmsbox / bestEsdk / 3,
    1,
    '≥ 85% of raw AES-GCM, ceilings.ts',
  );
  console.log(
    `raw node:crypto AES-GCM (one cipher each way, the ceiling of any AES-GCM stream on one thread) is ${(mibs[0]! / bestEsdk).toFixed(2)}x the best Encryption SDK frame length: 3x would be ${(((3 * bestEsdk) / mibs[0]!) * 100).toFixed(0)}% of the ceiling`,
  );
  earlierTarget('kmsbox stream vs raw node:crypto AES-GCM', kmsbox / mibs[0]!, 0.75, '≥ 85% by CPU time, ceilings.ts');
}

// --- WebCrypto segment path (what a browser gets for the bulk of the work).
{
  section('Envelope segments: 256 KiB seal + open by backend (MiB/s)');
  const key = randomBytes(32);
  const aad = randomBytes(32);
  const segment = randomBytes(262144);
  const run = (backend: import('../src/crypto/backend/index.js').CryptoBackend) => {
    const c = segmentCipher(key, aad, backend);
    return async () => {
      const sealed = await c.seal(1, false, segment);
      await c.open(1, false, sealed);
    };
  };
  const results = await compare(
    [
      { name: 'node:crypto', run: run(nodeCryptoBackend!) },
      { name: 'WebCrypto (crypto.subtle)', run: run(webBackend) },
      { name: '@noble/ciphers', run: run(portableBackend(undefined)) },
    ],
    { rounds: 3, roundMs: 400 },
  );
  console.log('| backend | MiB/s | vs node:crypto |\n|---|---:|---:|');
  for (const r of results)
    console.log(`| ${r.name} | ${(r.opsPerSecond / 4).toFixed(0)} | ${((r.opsPerSecond / results[0]!.opsPerSecond) * 100).toFixed(0)}% |`);
}

// --- 1 GiB stream memory (the same child process the test suite runs).
{
  section('Envelope: 1 GiB stream, encrypt piped into decrypt, peak RSS growth');
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/envelope/memory-child.ts', String(2 ** 30)], {
    encoding: 'utf8',
  });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  console.log(
    `1 GiB in ${r.seconds.toFixed(2)} s; RSS ${r.baselineMiB.toFixed(0)} MiB after a 64 MiB warm-up run, peak ${r.peakMiB.toFixed(0)} MiB during the 1 GiB: growth ${r.growthMiB.toFixed(1)} MiB`,
  );
  console.log(`\ntarget: RSS growth ≤ 64 MiB — measured ${r.growthMiB.toFixed(1)} MiB — ${r.growthMiB <= 64 ? 'PASS' : 'FAIL'}`);
}
