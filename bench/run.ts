/**
 * `npm run bench`: kmsbox beside its peers, in one run, on the same inputs. Never part of
 * `npm test`. Results and the machine go to BENCHMARKS.md.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { kmsbox, kmsboxNode } from './lib.js';

const { Kms } = kmsbox;
import { compare, earlierTarget, type IssueRow, machine, section, table } from './harness.js';

console.log(`# kmsbox benchmarks\n\n${machine()}`);

// --- Encrypt + Decrypt of 4 KiB through Kms, beside raw node:crypto AES-256-GCM (the ceiling).
{
  section('Encrypt + Decrypt, 4 KiB, 2-pair encryption context');
  const kms = new Kms();
  const { KeyMetadata } = await kms.createKey({ Description: 'bench' });
  const KeyId = KeyMetadata!.KeyId!;
  const payload = randomBytes(4096);
  const context = { tenant: 't-0042', purpose: 'bench' };
  const aad = Buffer.from(JSON.stringify(context));
  const rawKey = randomBytes(32);

  const raw = (): void => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', rawKey, iv);
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(payload), c.final()]);
    const tag = c.getAuthTag();
    const d = createDecipheriv('aes-256-gcm', rawKey, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    Buffer.concat([d.update(ct), d.final()]);
  };
  const viaKms = async (): Promise<void> => {
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
    await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
  };
  const dataKey = async (): Promise<void> => {
    const { CiphertextBlob } = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: context });
    await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
  };

  const results = await compare([
    { name: 'node:crypto AES-256-GCM encrypt+decrypt (raw)', run: raw },
    { name: 'kms.encrypt + kms.decrypt', run: viaKms },
    { name: 'kms.generateDataKey + kms.decrypt (envelope hot path)', run: dataKey },
  ]);
  table(results, 'node:crypto AES-256-GCM encrypt+decrypt (raw)');
  earlierTarget(
    'kms.encrypt + kms.decrypt vs raw node:crypto',
    results[1]!.opsPerSecond / results[0]!.opsPerSecond,
    0.4,
    '≥ 65% by CPU time, ceilings.ts',
  );
}

// --- Encrypt 4 KiB through the real AWS SDK v3 client: in-process (createRequestHandler) and over loopback HTTP (kmsbox serve).
{
  section('Encrypt 4 KiB through @aws-sdk/client-kms');
  const { KMSClient, EncryptCommand } = await import('@aws-sdk/client-kms');
  const { createRequestHandler } = kmsbox;
  const { startServer } = kmsboxNode;
  const kms = new Kms();
  const { KeyMetadata } = await kms.createKey({ Description: 'bench' });
  const input = { KeyId: KeyMetadata!.KeyId!, Plaintext: randomBytes(4096) };
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  const inProcess = new KMSClient({ region: 'us-east-1', credentials, requestHandler: createRequestHandler(kms) });
  const server = await startServer(kms);
  const overHttp = new KMSClient({ region: 'us-east-1', credentials, endpoint: server.url, maxAttempts: 1 });
  const results = await compare(
    [
      { name: 'kms.encrypt (direct)', run: () => kms.encrypt(input) },
      { name: 'SDK KMSClient + createRequestHandler (in-process)', run: () => inProcess.send(new EncryptCommand(input)) },
      { name: 'SDK KMSClient → kmsbox serve (loopback HTTP, 1 client)', run: () => overHttp.send(new EncryptCommand(input)) },
    ],
    { rounds: 3, roundMs: 500 },
  );
  table(results, 'kms.encrypt (direct)');
  overHttp.destroy();
  await server.close();
}

// --- Providers: Encrypt + Decrypt 4 KiB per provider; FileProvider at 10,000 keys.
{
  section('Encrypt + Decrypt 4 KiB by provider');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { FileProvider } = kmsboxNode;
  const { MemoryProvider, WebCryptoProvider } = kmsbox;
  const dir = mkdtempSync(join(tmpdir(), 'kmsbox-bench-'));
  const rootKeyFile = join(dir, 'root.key');
  writeFileSync(rootKeyFile, randomBytes(32));
  const payload = randomBytes(4096);
  const context = { tenant: 't-0042' };
  const roundTrip = async (provider: import('../src/index.js').KeyMaterialProvider) => {
    const kms = new Kms({ provider });
    const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
    return async () => {
      const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
      await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
    };
  };
  const results = await compare(
    [
      { name: 'MemoryProvider', run: await roundTrip(new MemoryProvider()) },
      { name: 'FileProvider', run: await roundTrip(new FileProvider({ path: join(dir, 'rt.kmsbox'), rootKeyFile })) },
      { name: 'WebCryptoProvider (crypto.subtle)', run: await roundTrip(new WebCryptoProvider()) },
    ],
    { rounds: 3, roundMs: 500 },
  );
  table(results, 'MemoryProvider');

  section('FileProvider with 10,000 keys');
  const path = join(dir, 'big.kmsbox');
  const seed = new Kms({ provider: new FileProvider({ path, rootKeyFile }) });
  await seed.createKey();
  const one = await seed.provider.read((s) => Object.values(s.keys)[0]!);
  // Fill the store in one update (10,000 records sharing one material): the size is what matters here.
  await seed.provider.update((s) => {
    for (let i = 0; i < 9_999; i++) {
      const keyId = crypto.randomUUID();
      const arn = one.arn.replace(one.keyId, keyId);
      s.keys[arn] = { ...structuredClone(one), keyId, arn };
    }
  });
  const { statSync } = await import('node:fs');
  const t0 = performance.now();
  const reopened = new Kms({ provider: new FileProvider({ path, rootKeyFile }) });
  await reopened.listKeys({ Limit: 1 });
  const reopenMs = performance.now() - t0;
  const latencies: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await reopened.createKey();
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  console.log('| measure | value |');
  console.log('|---|---:|');
  console.log(`| store file size | ${(statSync(path).size / 1e6).toFixed(1)} MB |`);
  console.log(`| reopen (first call on a new provider: read, decrypt, parse) | ${reopenMs.toFixed(0)} ms |`);
  console.log(`| CreateKey latency, median of 10 | ${latencies[5]!.toFixed(0)} ms |`);
  rmSync(dir, { recursive: true, force: true });
}

// --- Sign + Verify through Kms beside node:crypto doing the same directly.
{
  section('Sign + Verify (RAW message) through Kms vs node:crypto');
  const { sign: nodeSign, verify: nodeVerify, generateKeyPairSync, constants } = await import('node:crypto');
  const kms = new Kms();
  const message = randomBytes(100);
  const cases: Array<[string, import('../src/index.js').KeySpec, import('../src/index.js').SigningAlgorithmSpec, () => unknown]> = [];
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ed = generateKeyPairSync('ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  cases.push([
    'ECDSA P-256',
    'ECC_NIST_P256',
    'ECDSA_SHA_256',
    () =>
      nodeVerify(
        'sha256',
        message,
        { key: ec.publicKey, dsaEncoding: 'der' },
        nodeSign('sha256', message, { key: ec.privateKey, dsaEncoding: 'der' }),
      ),
  ]);
  cases.push([
    'Ed25519',
    'ECC_NIST_EDWARDS25519',
    'ED25519_SHA_512',
    () => nodeVerify(null, message, ed.publicKey, nodeSign(null, message, ed.privateKey)),
  ]);
  const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  cases.push([
    'RSA-2048 PSS SHA-256',
    'RSA_2048',
    'RSASSA_PSS_SHA_256',
    () => nodeVerify('sha256', message, { key: rsa.publicKey, ...pss }, nodeSign('sha256', message, { key: rsa.privateKey, ...pss })),
  ]);
  const rows: Array<{ name: string; ratio: number; kms: number; raw: number }> = [];
  for (const [name, KeySpec, SigningAlgorithm, raw] of cases) {
    const KeyId = (await kms.createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.KeyId!;
    const viaKms = async () => {
      const { Signature } = await kms.sign({ KeyId, Message: message, SigningAlgorithm });
      await kms.verify({ KeyId, Message: message, Signature, SigningAlgorithm });
    };
    const [r, k] = await compare(
      [
        { name: 'raw', run: raw },
        { name: 'kms', run: viaKms },
      ],
      { rounds: 3, roundMs: 400 },
    );
    rows.push({ name, raw: r!.opsPerSecond, kms: k!.opsPerSecond, ratio: k!.opsPerSecond / r!.opsPerSecond });
  }
  console.log('| algorithm | node:crypto sign+verify/s | kms.sign + kms.verify/s | ratio |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.name} | ${Math.round(r.raw).toLocaleString('en-US')} | ${Math.round(r.kms).toLocaleString('en-US')} | ${(r.ratio * 100).toFixed(0)}% |`,
    );
  for (const r of rows.slice(0, 2)) earlierTarget(`${r.name} through Kms vs node:crypto`, r.ratio, 0.8, '≥ 90% by CPU time, ceilings.ts');
}

// --- ML-DSA-65 through Kms beside @noble/post-quantum directly (no runtime has it natively).
{
  section('ML-DSA-65 Sign + Verify through Kms vs @noble/post-quantum');
  const { ml_dsa65 } = await import('@noble/post-quantum/ml-dsa.js');
  const kms = new Kms();
  const message = randomBytes(100);
  const KeyId = (await kms.createKey({ KeySpec: 'ML_DSA_65', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.KeyId!;
  const { secretKey, publicKey } = ml_dsa65.keygen(randomBytes(32));
  const [raw, viaKms] = await compare(
    [
      {
        name: '@noble/post-quantum ml_dsa65 sign+verify',
        run: () => ml_dsa65.verify(ml_dsa65.sign(message, secretKey), message, publicKey),
      },
      {
        name: 'kms.sign + kms.verify (ML_DSA_65)',
        run: async () => {
          const { Signature } = await kms.sign({ KeyId, Message: message, SigningAlgorithm: 'ML_DSA_SHAKE_256' });
          await kms.verify({ KeyId, Message: message, Signature, SigningAlgorithm: 'ML_DSA_SHAKE_256' });
        },
      },
    ],
    { rounds: 3, roundMs: 600 },
  );
  table([raw!, viaKms!], raw!.name);
}
// These sections run in their own processes: each compares peers inside one process, and a fresh
// heap keeps the earlier sections' garbage (10,000-key stores, SDK clients) out of their numbers.
// ceilings.ts: every in-process target of issue #16 against its ceiling (round ratios, median and
// spread). server.ts ("Server": kmsbox serve vs bare node:http) and browser.ts ("Browser": Chromium
// streams vs crypto.subtle) run when present.
const { execFileSync } = await import('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
// Each section appends its issue #16 rows here (recordIssueRow in harness.ts); listed together below.
const rowsDir = mkdtempSync(join(tmpdir(), 'kmsbox-bench-'));
const rowsFile = join(rowsDir, 'issue-16.jsonl');
try {
  // ceilings.ts twice: the 256 MiB streams in a process of their own. After them, in the same
  // process, the audit row (whose sink keeps its events) read 77% instead of 89%: the collector's
  // work on the heap the streams left, not anything the audit path does. The other rows stay in one
  // process (each alone, Encrypt + Decrypt read 59-62% against 74-75% after the envelope row).
  const runs: Array<[string, ...string[]]> = [
    ['audit.ts'],
    ['envelope.ts'],
    ['ceilings.ts', 'envelope', 'core', 'audit', 'sign'],
    ['ceilings.ts', 'stream'],
    ['server.ts'],
    ['browser.ts'],
  ];
  for (const [file, ...args] of runs) {
    const path = new URL(file, import.meta.url).pathname;
    if (!existsSync(path)) continue;
    execFileSync(process.execPath, ['--import', 'tsx', path, ...args], {
      stdio: 'inherit',
      env: { ...process.env, KMSBOX_BENCH_TARGETS: rowsFile },
    });
  }
  const issueRows = existsSync(rowsFile)
    ? readFileSync(rowsFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as IssueRow)
    : [];
  section('Issue #16 in this run: every row against its ceiling');
  console.log('| case | ceiling | basis | ratio, median (min–max) | target | verdict |');
  console.log('|---|---|---|---:|---:|---|');
  for (const r of issueRows) {
    const verdict = r.measured >= r.target ? 'pass' : `FAIL${r.note === undefined ? '' : `: ${r.note}`}`;
    console.log(
      `| ${r.name} | ${r.ceiling} | ${r.basis} | ${(r.measured * 100).toFixed(0)}% (${r.spread}) | ≥ ${(r.target * 100).toFixed(0)}% | ${verdict} |`,
    );
  }
} finally {
  rmSync(rowsDir, { recursive: true, force: true });
}
