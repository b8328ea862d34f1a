/**
 * Two builds in one process, rounds alternating, for the in-process rows of issue #16: Encrypt +
 * Decrypt 4 KiB, Encrypt with and without a MemoryAuditSink, Sign + Verify. Prints after ÷ before
 * per CPU second (median of round ratios, min–max), and each build's own audit ratio.
 * `npx tsx bench/ab-core.ts <before dist dir> [<after dist dir, default dist/>] [rows…]`.
 */
import { randomBytes } from 'node:crypto';
import { compare, median, type Result } from './harness.js';

type Lib = any;
const before: Lib = await import(`${process.argv[2]}/index.js`);
const after: Lib = await import(`${process.argv[3] ?? new URL('../dist', import.meta.url).pathname}/index.js`);
const wanted = new Set(process.argv.slice(4));
const want = (row: string) => wanted.size === 0 || wanted.has(row);
const ROUNDS = Number(process.env.KMSBOX_BENCH_ROUNDS ?? 15);
const ROUND_MS = Number(process.env.KMSBOX_BENCH_ROUND_MS ?? 200);
const context = { tenant: 't-0042', purpose: 'bench' };
const payload = randomBytes(4096);
const message = randomBytes(100);

const ratios = (a: Result, b: Result) => a.cpuRounds.map((x, i) => x / b.cpuRounds[i]!);
const show = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

const roundTrip = async (lib: Lib) => {
  const kms = new lib.Kms();
  const KeyId = (await kms.createKey()).KeyMetadata.KeyId;
  return async () => {
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
    await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
  };
};
const encryptOnly = async (lib: Lib, audited: boolean) => {
  const sink = new lib.MemoryAuditSink();
  const kms = new lib.Kms(audited ? { audit: sink } : {});
  const KeyId = (await kms.createKey()).KeyMetadata.KeyId;
  return async () => {
    await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
    if (sink.events.length >= 1_000) sink.clear();
  };
};
const signer = async (lib: Lib, KeySpec: string, SigningAlgorithm: string) => {
  const kms = new lib.Kms();
  const KeyId = (await kms.createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata.KeyId;
  return async () => {
    const { Signature } = await kms.sign({ KeyId, Message: message, SigningAlgorithm });
    await kms.verify({ KeyId, Message: message, Signature, SigningAlgorithm });
  };
};

if (want('core')) {
  const [b, a] = await compare(
    [
      { name: 'before', run: await roundTrip(before) },
      { name: 'after', run: await roundTrip(after) },
    ],
    { rounds: ROUNDS, roundMs: ROUND_MS },
  );
  console.log(`encrypt+decrypt 4 KiB: after/before ${show(ratios(a!, b!))}`);
}
if (want('audit')) {
  const [bp, bs, ap, as] = await compare(
    [
      { name: 'before, no sink', run: await encryptOnly(before, false) },
      { name: 'before, sink', run: await encryptOnly(before, true) },
      { name: 'after, no sink', run: await encryptOnly(after, false) },
      { name: 'after, sink', run: await encryptOnly(after, true) },
    ],
    { rounds: ROUNDS, roundMs: ROUND_MS },
  );
  console.log(`encrypt, no sink: after/before ${show(ratios(ap!, bp!))}; with a sink: after/before ${show(ratios(as!, bs!))}`);
  console.log(`sink ÷ no sink: before ${show(ratios(bs!, bp!))}, after ${show(ratios(as!, ap!))}`);
}
if (want('sign')) {
  for (const [name, spec, alg] of [
    ['P-256', 'ECC_NIST_P256', 'ECDSA_SHA_256'],
    ['Ed25519', 'ECC_NIST_EDWARDS25519', 'ED25519_SHA_512'],
  ] as const) {
    const [b, a] = await compare(
      [
        { name: 'before', run: await signer(before, spec, alg) },
        { name: 'after', run: await signer(after, spec, alg) },
      ],
      { rounds: ROUNDS, roundMs: ROUND_MS },
    );
    console.log(`sign+verify ${name}: after/before ${show(ratios(a!, b!))}`);
  }
}
