/**
 * Two builds of kmsbox in one process, rounds alternating, on issue #16's audit and sign rows
 * (bench/ceilings.ts `audit`, `sign`): `kms.encrypt` 4 KiB with a MemoryAuditSink, the same without
 * one (the audit row's ceiling: a change that moves it moves the row too), and Sign + Verify on
 * P-256 and Ed25519 keys. Prints after/before per CPU second, median (min–max) of the round ratios,
 * and µs of CPU per operation.
 * `npx tsx bench/ab-sign-audit.ts <before dist dir> [<after dist dir, default dist/>] [rounds]`.
 */
import { randomBytes } from 'node:crypto';
import { compare, loadBuilds, median, type Result } from './harness.js';

type Lib = any;
const { before, after, rounds } = await loadBuilds();
const context = { tenant: 't-0042', purpose: 'bench' };
const payload = randomBytes(4096);
const message = randomBytes(100);

const encrypt = (audited: boolean) => async (lib: Lib) => {
  const sink = new lib.MemoryAuditSink();
  const kms = audited ? new lib.Kms({ audit: sink }) : new lib.Kms();
  const KeyId = (await kms.createKey()).KeyMetadata.KeyId;
  return async () => {
    await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
    if (sink.events.length >= 1_000) sink.clear(); // as bench/ceilings.ts: a consumer drains the sink
  };
};
const signVerify = (KeySpec: string, SigningAlgorithm: string) => async (lib: Lib) => {
  const kms = new lib.Kms();
  const KeyId = (await kms.createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata.KeyId;
  return async () => {
    const { Signature } = await kms.sign({ KeyId, Message: message, SigningAlgorithm });
    await kms.verify({ KeyId, Message: message, Signature, SigningAlgorithm });
  };
};

const report = (name: string, r: Result[]) => {
  const ratios = r[1]!.cpuRounds.map((x, i) => x / r[0]!.cpuRounds[i]!);
  const us = (x: Result) => (1e6 / median(x.cpuRounds)).toFixed(2);
  console.log(
    `${name}: after/before per CPU second ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}); µs CPU/op before ${us(r[0]!)} after ${us(r[1]!)}`,
  );
};
const only = new Set(process.argv.slice(5));
for (const [name, make] of [
  ['kms.encrypt 4 KiB, MemoryAuditSink', encrypt(true)],
  ['kms.encrypt 4 KiB, no sink', encrypt(false)],
  ['Sign + Verify P-256', signVerify('ECC_NIST_P256', 'ECDSA_SHA_256')],
  ['Sign + Verify Ed25519', signVerify('ECC_NIST_EDWARDS25519', 'ED25519_SHA_512')],
] as const) {
  if (only.size > 0 && ![...only].some((o) => name.includes(o))) continue;
  const cases = [
    { name: 'before', run: await make(before) },
    { name: 'after', run: await make(after) },
  ];
  // Warm both alike before timing (the JIT compiles the whole path first).
  for (let w = 0; w < 10; w++) for (const c of cases) for (let i = 0; i < 200; i++) await c.run();
  report(name, await compare(cases, { rounds, roundMs: 250 }));
}
