/**
 * Two builds of kmsbox in one process, their rounds alternating (bench/harness.ts): on a shared,
 * loaded machine the fairest before/after comparison, since load swings hit both alike. Prints
 * after/before per case. `npx tsx bench/ab.ts <before dist dir> [<after dist dir, default dist/>]`.
 */
import { randomBytes } from 'node:crypto';
import { compare, median, type Result } from './harness.js';

/** after/before per CPU second, the median of the round ratios (bench/harness.ts). */
const cpu = (r: Result[]) => `(CPU ${median(r[1]!.cpuRounds.map((x, i) => x / r[0]!.cpuRounds[i]!)).toFixed(2)})`;

type Lib = any;
const before: Lib = await import(`${process.argv[2]}/index.js`);
const after: Lib = await import(`${process.argv[3] ?? new URL('../dist', import.meta.url).pathname}/index.js`);
const context = { tenant: 't-0042', purpose: 'bench' };
const payload = randomBytes(4096);
const mk = async (lib: Lib) => {
  const kms = new lib.Kms();
  const KeyId = (await kms.createKey()).KeyMetadata.KeyId;
  return async () => {
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
    await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
  };
};
const stream = async (lib: Lib) => {
  const kms = new lib.Kms();
  const keyId = (await kms.createKey()).KeyMetadata.KeyId;
  const TOTAL = 8 * 2 ** 20,
    CHUNK = 65536;
  const src = randomBytes(CHUNK);
  return async () => {
    let produced = 0;
    await new ReadableStream<Uint8Array>({
      pull(c) {
        if (produced >= TOTAL) return c.close();
        c.enqueue(src);
        produced += CHUNK;
      },
    })
      .pipeThrough(lib.createEncryptStream({ kms, keyId }))
      .pipeThrough(lib.createDecryptStream({ kms, keyIds: [keyId] }))
      .pipeTo(new WritableStream({ write: () => {} }));
  };
};
const r = await compare(
  [
    { name: 'before', run: await mk(before) },
    { name: 'after', run: await mk(after) },
  ],
  { rounds: 7, roundMs: 300 },
);
console.log(
  'encrypt+decrypt',
  r.map((x) => `${x.name} ${Math.round(x.opsPerSecond)}`).join(' '),
  (r[1]!.opsPerSecond / r[0]!.opsPerSecond).toFixed(2),
  cpu(r),
);
const s = await compare(
  [
    { name: 'before', run: await stream(before) },
    { name: 'after', run: await stream(after) },
  ],
  { rounds: 5, roundMs: 300 },
);
console.log(
  'stream 8MiB',
  s.map((x) => `${x.name} ${(x.opsPerSecond * 8).toFixed(0)} MiB/s`).join(' '),
  (s[1]!.opsPerSecond / s[0]!.opsPerSecond).toFixed(2),
  cpu(s),
);

const signer = async (lib: any, KeySpec: string, SigningAlgorithm: string) => {
  const kms = new lib.Kms();
  const KeyId = (await kms.createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata.KeyId;
  const Message = randomBytes(100);
  return async () => {
    const { Signature } = await kms.sign({ KeyId, Message, SigningAlgorithm });
    await kms.verify({ KeyId, Message, Signature, SigningAlgorithm });
  };
};
for (const [spec, alg] of [
  ['ECC_NIST_P256', 'ECDSA_SHA_256'],
  ['ECC_NIST_EDWARDS25519', 'ED25519_SHA_512'],
]) {
  const x = await compare(
    [
      { name: 'before', run: await signer(before, spec!, alg!) },
      { name: 'after', run: await signer(after, spec!, alg!) },
    ],
    { rounds: 7, roundMs: 300 },
  );
  console.log(
    spec,
    x.map((v) => `${v.name} ${Math.round(v.opsPerSecond)}`).join(' '),
    (x[1]!.opsPerSecond / x[0]!.opsPerSecond).toFixed(2),
    cpu(x),
  );
}
const env = async (lib: Lib) => {
  const kms = new lib.Kms();
  const keyId = (await kms.createKey()).KeyMetadata.KeyId;
  return async () => {
    const e = await lib.encryptEnvelope(payload, { kms, keyId, encryptionContext: context });
    await lib.decryptEnvelope(e, { kms, keyIds: [keyId] });
  };
};
const e = await compare(
  [
    { name: 'before', run: await env(before) },
    { name: 'after', run: await env(after) },
  ],
  { rounds: 7, roundMs: 300 },
);
console.log(
  'envelope 4KiB',
  e.map((v) => `${v.name} ${Math.round(v.opsPerSecond)}`).join(' '),
  (e[1]!.opsPerSecond / e[0]!.opsPerSecond).toFixed(2),
  cpu(e),
);
const audited = async (lib: Lib) => {
  const sink = new lib.MemoryAuditSink();
  const kms = new lib.Kms({ audit: sink });
  const KeyId = (await kms.createKey()).KeyMetadata.KeyId;
  return async () => {
    await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
    if (sink.events.length >= 1_000) sink.clear();
  };
};
const a = await compare(
  [
    { name: 'before', run: await audited(before) },
    { name: 'after', run: await audited(after) },
  ],
  { rounds: 7, roundMs: 300 },
);
console.log(
  'encrypt with MemoryAuditSink',
  a.map((v) => `${v.name} ${Math.round(v.opsPerSecond)}`).join(' '),
  (a[1]!.opsPerSecond / a[0]!.opsPerSecond).toFixed(2),
  cpu(a),
);
