// kmsbox encrypt-file / decrypt-file / inspect, spawned as a user runs them: files, pipes, directory
// trees, tampered and truncated envelopes, outputs that cannot be written, and the three key sources
// (a key-store file, kmsbox serve, AWS through the real SDK pointed at kmsbox serve). Each test runs
// its steps in one bash process: each spawn of the CLI costs a second or two on a loaded machine.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';
import { cliBundle } from './cli-bundle.js';

// Each CLI spawn takes seconds on a loaded machine: a bound for a hang, never a measure of speed.
const CLI_TEST_TIMEOUT = 600_000;

const run = promisify(execFile);
const KMSBOX = `node ${cliBundle}`;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs each step (a shell line using $K for kmsbox) in one bash process, in `dir`; each step's outcome by name. */
async function runSteps(
  dir: string,
  steps: Array<[string, string]>,
  extraEnv: Record<string, string> = {},
): Promise<Record<string, Outcome>> {
  const script = [
    'set -o pipefail',
    ...steps.map(([, line], i) => `( ${line} ) >out.${i} 2>err.${i} </dev/null; echo "$?" >code.${i}`),
  ].join('\n');
  const env: Record<string, string | undefined> = { ...process.env, K: KMSBOX, NODE_OPTIONS: '', ...extraEnv };
  for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'KMSBOX_ENDPOINT_URL', 'KMSBOX_STORE', 'KMSBOX_PASSPHRASE']) {
    if (!(k in extraEnv)) delete env[k];
  }
  await run('bash', ['-c', script], { cwd: dir, env, timeout: CLI_TEST_TIMEOUT });
  const out: Record<string, Outcome> = {};
  steps.forEach(([name], i) => {
    out[name] = {
      code: Number(readFileSync(join(dir, `code.${i}`), 'utf8')),
      stdout: readFileSync(join(dir, `out.${i}`), 'utf8'),
      stderr: readFileSync(join(dir, `err.${i}`), 'utf8'),
    };
  });
  return out;
}

/** The files in `dir` whose names say they are a run's temporary output. */
const partials = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.partial'));

/** The AWS SDK warns on stderr about Node versions it will drop; anything else there is ours. */
const ours = (stderr: string): string =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('kmsbox'))
    .join('\n');

describe('kmsbox encrypt-file / decrypt-file on a key-store file', () => {
  let dir: string;
  let r: Record<string, Outcome>;
  const plain = randomBytes(700_000);

  beforeAll(async () => {
    dir = tempDir();
    writeFileSync(join(dir, 'root.key'), randomBytes(32));
    writeFileSync(join(dir, 'plain.bin'), plain);
    writeFileSync(join(dir, 'notadir'), 'a file');
    writeFileSync(join(dir, 'existing.out'), 'old');
    mkdirSync(join(dir, 'tree/a/b'), { recursive: true });
    writeFileSync(join(dir, 'tree/a/b/c.txt'), 'deep file');
    writeFileSync(join(dir, 'tree/d.txt'), 'top file');
    writeFileSync(join(dir, 'tree/a/empty.txt'), '');
    const S = '--store s.kmsbox --root-key-file root.key';
    const keyText = `--query KeyMetadata.KeyId --output text`;
    r = await runSteps(dir, [
      [
        'keys',
        `K1=$($K create-key ${S} ${keyText}) && K2=$($K create-key ${S} ${keyText}) && K3=$($K create-key ${S} ${keyText}) && SIG=$($K create-key ${S} --key-usage SIGN_VERIFY --key-spec ECC_NIST_P256 ${keyText}) && $K create-alias ${S} --alias-name alias/backups --target-key-id $K1 && printf 'K1=%s\\nK2=%s\\nK3=%s\\nSIG=%s\\n' $K1 $K2 $K3 $SIG > keys.env`,
      ],
      ['encrypt', `. ./keys.env; $K encrypt-file plain.bin --key-id alias/backups ${S} -c app=test -c team=x`],
      ['decrypt', `. ./keys.env; $K decrypt-file plain.bin.kmsbox -o dec.bin --key-ids $K1 ${S} -c app=test`],
      ['wrongContext', `. ./keys.env; $K decrypt-file plain.bin.kmsbox -o dec-ctx.bin --key-ids $K1 ${S} -c app=other`],
      ['notTrusted', `. ./keys.env; $K decrypt-file plain.bin.kmsbox -o dec-trust.bin --key-ids $K2 ${S}`],
      ['alias', `$K decrypt-file plain.bin.kmsbox -o dec-alias.bin --key-ids alias/backups ${S}`],
      ['noTrust', `$K decrypt-file plain.bin.kmsbox -o dec-none.bin ${S}`],
      ['discovery', `$K decrypt-file plain.bin.kmsbox -o dec-disc.bin --discovery ${S} --metadata-output disc.jsonl`],
      ['twoKeys', `. ./keys.env; $K encrypt-file --input plain.bin --output two.kmsbox --key-id $K2 --wrapping-keys key=$K3 ${S}`],
      ['secondKey', `. ./keys.env; $K decrypt-file two.kmsbox two.bin --key-ids $K3 ${S}`],
      // 256 KiB segments (three): a cut envelope's pipe has passed on the segments before the cut.
      ['pipeIn', `. ./keys.env; cat plain.bin | $K encrypt-file --key-id alias/backups --segment-size 262144 ${S} - > pipe.kmsbox`],
      ['pipeOut', `. ./keys.env; $K decrypt-file --key-ids $K1 ${S} - < pipe.kmsbox > pipe.bin`],
      ['truncate', `head -c 400000 pipe.kmsbox > cut.kmsbox; . ./keys.env; $K decrypt-file cut.kmsbox --key-ids $K1 ${S}`],
      ['truncatePipe', `. ./keys.env; $K decrypt-file --key-ids $K1 ${S} - < cut.kmsbox > cut-pipe.bin`],
      [
        'tamper',
        `cp pipe.kmsbox bad.kmsbox && printf '\\x00' | dd of=bad.kmsbox bs=1 seek=500000 conv=notrunc status=none; . ./keys.env; $K decrypt-file bad.kmsbox --key-ids $K1 ${S}`,
      ],
      ['overInput', `. ./keys.env; $K decrypt-file pipe.kmsbox -o pipe.kmsbox --key-ids $K1 ${S}`],
      ['exists', `. ./keys.env; $K encrypt-file plain.bin -o existing.out --key-id $K1 ${S}`],
      ['overwrite', `. ./keys.env; $K encrypt-file plain.bin -o existing.out --key-id $K1 ${S} --overwrite`],
      ['notDir', `. ./keys.env; $K encrypt-file plain.bin -o notadir/x.kmsbox --key-id $K1 ${S}`],
      ['noDir', `. ./keys.env; $K encrypt-file plain.bin -o missing/x.kmsbox --key-id $K1 ${S}`],
      ['fullDisk', `. ./keys.env; $K encrypt-file plain.bin -o - --key-id $K1 ${S} > /dev/full`],
      ['signed', `. ./keys.env; $K encrypt-file plain.bin -o signed.kmsbox --key-id $K1 --signing-key-id $SIG --segment-size 4096 ${S}`],
      ['inspect', '$K inspect signed.kmsbox'],
      ['suite1', `. ./keys.env; $K encrypt-file plain.bin -o suite1.kmsbox --key-id $K1 --suite 1 ${S}`],
      ['inspectSuite1', '$K inspect suite1.kmsbox'],
      ['decryptSuite1', `. ./keys.env; $K decrypt-file suite1.kmsbox -o suite1.bin --key-ids $K1 ${S}`],
      ['badSuite', `. ./keys.env; $K encrypt-file plain.bin -o suite9.kmsbox --key-id $K1 --suite 9 ${S}`],
      [
        'signedDecrypt',
        `. ./keys.env; $K decrypt-file signed.kmsbox -o signed.bin --key-ids $K1 --signer-key-ids $SIG ${S} --metadata-output signed.jsonl`,
      ],
      ['unsignedRequired', `. ./keys.env; $K decrypt-file plain.bin.kmsbox -o unsigned.bin --key-ids $K1 --signer-key-ids $SIG ${S}`],
      ['badSegment', `. ./keys.env; $K encrypt-file plain.bin -o seg.kmsbox --key-id $K1 --segment-size 1000 ${S}`],
      ['reservedContext', `. ./keys.env; $K encrypt-file plain.bin -o r.kmsbox --key-id $K1 -c kmsbox:x=1 ${S}`],
      ['strayPair', `. ./keys.env; $K encrypt-file plain.bin -o r.kmsbox --key-id $K1 -c a=1 b=2 ${S}`],
      ['noKey', `$K encrypt-file plain.bin -o r.kmsbox ${S}`],
      ['noSource', `. ./keys.env; $K encrypt-file plain.bin -o r.kmsbox --key-id $K1`],
      ['dirNoR', `. ./keys.env; $K encrypt-file tree --key-id $K1 ${S}`],
      ['signerAlias', `. ./keys.env; $K decrypt-file signed.kmsbox -o sa.bin --key-ids $K1 --signer-key-ids alias/signer ${S}`],
      ['treeEnc', `. ./keys.env; $K encrypt-file -r tree -o enc --key-id $K1 ${S} --cache-max-age 60 --metadata-output tree.jsonl`],
      ['treeDec', `. ./keys.env; $K decrypt-file -r enc -o dec --key-ids $K1 ${S} --cache-max-age 60 --metadata-output tree.jsonl`],
      ['help', '$K encrypt-file --help'],
      ['inspectMissing', '$K inspect nope.kmsbox'],
      ['inspectNotEnvelope', '$K inspect plain.bin'],
    ]);
  }, CLI_TEST_TIMEOUT);

  it('encrypts a file next to itself (suffix .kmsbox, mode 0600) and decrypts it with the required pairs', () => {
    expect(r.keys!.code).toBe(0);
    expect(r.encrypt).toEqual({ code: 0, stdout: '', stderr: '' }); // not a TTY: silent
    expect(statSync(join(dir, 'plain.bin.kmsbox')).mode & 0o777).toBe(0o600);
    expect(r.decrypt).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(join(dir, 'dec.bin')).equals(plain)).toBe(true);
    expect(statSync(join(dir, 'dec.bin')).mode & 0o777).toBe(0o600);
  });

  it('a pair the envelope was not made with, or a key not on the allow-list: exit 254 and no output', () => {
    expect(r.wrongContext!.code).toBe(254);
    expect(r.wrongContext!.stderr).toMatch(/^kmsbox: decrypt-file plain.bin.kmsbox: InvalidCiphertextException: /);
    expect(existsSync(join(dir, 'dec-ctx.bin'))).toBe(false);
    expect(r.notTrusted!.code).toBe(254);
    expect(existsSync(join(dir, 'dec-trust.bin'))).toBe(false);
  });

  it('decrypting needs --key-ids (key ids, not aliases) or --discovery', () => {
    expect(r.noTrust!.code).toBe(252);
    expect(r.noTrust!.stderr).toMatch(/^kmsbox: decrypt-file needs --key-ids K\[,K\.\.\.\] .* or --discovery/);
    expect(r.alias!.code).toBe(252);
    expect(r.alias!.stderr).toContain('--key-ids: keyIds must list key ARNs or key ids (not aliases).');
    expect(r.discovery!.code).toBe(0);
    const record = JSON.parse(readFileSync(join(dir, 'disc.jsonl'), 'utf8'));
    const k1 = readFileSync(join(dir, 'keys.env'), 'utf8').match(/K1=(.*)/)![1]!;
    expect(record).toMatchObject({
      mode: 'decrypt',
      status: 'ok',
      input: 'plain.bin.kmsbox',
      output: 'dec-disc.bin',
      bytesIn: statSync(join(dir, 'plain.bin.kmsbox')).size,
      bytesOut: plain.length,
      encryptionContext: { app: 'test', team: 'x' },
      signature: 'none',
    });
    expect(record.keyId).toMatch(new RegExp(`^arn:aws:kms:us-east-1:\\d{12}:key/${k1}$`));
  });

  it('several wrapping keys: any one decrypts', () => {
    expect(r.twoKeys!.code).toBe(0);
    expect(r.secondKey!.code).toBe(0);
    expect(readFileSync(join(dir, 'two.bin')).equals(plain)).toBe(true);
  });

  it('stdin to stdout, both ways (tar c dir | kmsbox encrypt-file … - > backup.kmsbox)', () => {
    expect([r.pipeIn!.code, r.pipeIn!.stderr]).toEqual([0, '']);
    expect([r.pipeOut!.code, r.pipeOut!.stderr]).toEqual([0, '']);
    expect(readFileSync(join(dir, 'pipe.bin')).equals(plain)).toBe(true);
  });

  it('truncated and tampered envelopes: non-zero exit, no plaintext file, no temporary file', () => {
    for (const name of ['truncate', 'tamper'] as const) {
      expect(r[name]!.code, name).toBe(254);
      expect(r[name]!.stderr, name).toContain('InvalidCiphertextException: The envelope is malformed, was modified');
    }
    expect(existsSync(join(dir, 'cut'))).toBe(false);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    expect(partials(dir)).toEqual([]);
    // A pipe cannot take back what it passed on: the exit status says the stream was cut short.
    expect(r.truncatePipe!.code).toBe(254);
    expect(readFileSync(join(dir, 'cut-pipe.bin')).length).toBeLessThan(plain.length);
    expect(readFileSync(join(dir, 'cut-pipe.bin')).length).toBeGreaterThan(0); // the verified segment before the cut
  });

  it('never writes over its input, nor over an existing file without --overwrite', () => {
    expect(r.overInput!.code).toBe(252);
    expect(r.overInput!.stderr).toBe('kmsbox: pipe.kmsbox is the input pipe.kmsbox: kmsbox never writes over its input\n');
    expect(r.exists!.code).toBe(1);
    expect(r.exists!.stderr).toBe('kmsbox: encrypt-file plain.bin: cannot write existing.out: File exists (--overwrite replaces it)\n');
    expect(r.overwrite!.code).toBe(0);
    expect(statSync(join(dir, 'existing.out')).size).toBeGreaterThan(plain.length);
    expect(partials(dir)).toEqual([]);
  });

  it('an output that cannot be written: a clear error, exit 1, nothing partial', () => {
    expect(r.notDir!.code).toBe(1);
    expect(r.notDir!.stderr).toBe('kmsbox: encrypt-file plain.bin: cannot write notadir/x.kmsbox: Not a directory\n');
    expect(r.noDir!.code).toBe(1);
    expect(r.noDir!.stderr).toBe('kmsbox: encrypt-file plain.bin: cannot write missing/x.kmsbox: No such file or directory\n');
    expect(r.fullDisk!.code).toBe(1);
    expect(r.fullDisk!.stderr).toBe('kmsbox: encrypt-file plain.bin: cannot write stdout: No space left on device\n');
  });

  it('signing, the segment size, and inspect without any key', () => {
    expect(r.signed!.code).toBe(0);
    expect(r.inspect!.code).toBe(0);
    const info = JSON.parse(r.inspect!.stdout);
    const sig = readFileSync(join(dir, 'keys.env'), 'utf8').match(/SIG=(.*)/)![1]!;
    expect(info).toMatchObject({
      suite: 'AES_256_GCM_SP800_108_HMAC_SHA512',
      segmentSize: 4096,
      encryptionContext: {},
      contextStored: true,
      signed: true,
      signer: { signingAlgorithm: 'ECDSA_SHA_256' },
      verified: false,
    });
    expect(info.signer.keyId).toContain(sig);
    expect(info.recipients).toHaveLength(1);
    expect(info.messageId).toMatch(/^[0-9a-f]{64}$/);
    expect(r.signedDecrypt!.code).toBe(0);
    expect(readFileSync(join(dir, 'signed.bin')).equals(plain)).toBe(true);
    const record = JSON.parse(readFileSync(join(dir, 'signed.jsonl'), 'utf8'));
    expect(record).toMatchObject({ signature: 'verified', segmentSize: 4096 });
    expect(record.signerKeyId).toContain(sig);
    expect(r.unsignedRequired!.code).toBe(254);
    expect(existsSync(join(dir, 'unsigned.bin'))).toBe(false);
    expect(r.inspectMissing!.code).toBe(252);
    expect(r.inspectMissing!.stderr).toBe('kmsbox: cannot read nope.kmsbox: No such file or directory\n');
    expect(r.inspectNotEnvelope!.code).toBe(254);
  });

  it('--suite 1 writes suite 1 (for older readers), read back as any envelope', () => {
    expect(r.suite1!.code).toBe(0);
    expect(JSON.parse(r.inspectSuite1!.stdout).suite).toBe('AES_256_GCM_HKDF_SHA512_HMAC_SHA256');
    expect(r.decryptSuite1!.code).toBe(0);
    expect(readFileSync(join(dir, 'suite1.bin')).equals(plain)).toBe(true);
  });

  it('usage mistakes exit 252 before any file is written', () => {
    const cases: Array<[string, string]> = [
      ['badSegment', 'kmsbox: --segment-size: segmentSize must be a power of two from 4096 to 16777216.\n'],
      ['badSuite', 'kmsbox: --suite: suite must be one of 1, 2.\n'],
      ['reservedContext', 'kmsbox: --encryption-context: encryptionContext keys starting with "kmsbox:" are reserved.\n'],
      ['strayPair', "kmsbox: unexpected argument 'b=2' (repeat -c for each pair: -c a=1 -c b=2)\n"],
      ['noKey', 'kmsbox: encrypt-file needs --key-id K (or --wrapping-keys key=K): the KMS key that wraps the data key\n'],
      [
        'noSource',
        'kmsbox: give the keys: --store FILE (or KMSBOX_STORE) for a key-store file, --endpoint-url URL (or KMSBOX_ENDPOINT_URL) for a server such as kmsbox serve, or --aws for AWS KMS\n',
      ],
      ['dirNoR', 'kmsbox: tree is a directory: give -r (--recursive) to encrypt the files under it\n'],
      ['signerAlias', 'kmsbox: --signer-key-ids: signerKeyIds must list key ARNs or key ids (not aliases).\n'],
    ];
    for (const [name, message] of cases) expect({ name, ...r[name]! }).toEqual({ name, code: 252, stdout: '', stderr: message });
    expect(existsSync(join(dir, 'seg.kmsbox'))).toBe(false);
    expect(existsSync(join(dir, 'suite9.kmsbox'))).toBe(false);
    expect(existsSync(join(dir, 'r.kmsbox'))).toBe(false);
    expect(r.help!.code).toBe(0);
    expect(r.help!.stdout).toMatch(/^usage: kmsbox encrypt-file /);
    for (const line of r.help!.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('a directory tree: the same tree out, suffix added and taken off, one metadata line per file', () => {
    expect([r.treeEnc!.code, r.treeEnc!.stderr]).toEqual([0, '']);
    expect(readdirSync(join(dir, 'enc'), { recursive: true, encoding: 'utf8' }).sort()).toEqual([
      'a',
      'a/b',
      'a/b/c.txt.kmsbox',
      'a/empty.txt.kmsbox',
      'd.txt.kmsbox',
    ]);
    expect([r.treeDec!.code, r.treeDec!.stderr]).toEqual([0, '']);
    expect(readFileSync(join(dir, 'dec/a/b/c.txt'), 'utf8')).toBe('deep file');
    expect(readFileSync(join(dir, 'dec/d.txt'), 'utf8')).toBe('top file');
    expect(readFileSync(join(dir, 'dec/a/empty.txt'), 'utf8')).toBe('');
    const records = readFileSync(join(dir, 'tree.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((x) => [x.mode, x.status, x.input, x.output])).toEqual([
      ['encrypt', 'ok', 'tree/a/b/c.txt', 'enc/a/b/c.txt.kmsbox'],
      ['encrypt', 'ok', 'tree/a/empty.txt', 'enc/a/empty.txt.kmsbox'],
      ['encrypt', 'ok', 'tree/d.txt', 'enc/d.txt.kmsbox'],
      ['decrypt', 'ok', 'enc/a/b/c.txt.kmsbox', 'dec/a/b/c.txt'],
      ['decrypt', 'ok', 'enc/a/empty.txt.kmsbox', 'dec/a/empty.txt'],
      ['decrypt', 'ok', 'enc/d.txt.kmsbox', 'dec/d.txt'],
    ]);
    expect(records[0]).toMatchObject({ bytesIn: 9, keyIds: expect.any(Array), segmentSize: 2 ** 20 }); // the default segment size, 1 MiB
    expect(statSync(join(dir, 'tree.jsonl')).mode & 0o777).toBe(0o600);
  });
});

describe('kmsbox encrypt-file / decrypt-file against kmsbox serve and through the AWS SDK', () => {
  let dir: string;
  let server: RunningServer;
  let kms: Kms;
  let deadUrl: string;
  let r: Record<string, Outcome>;
  const plain = randomBytes(300_000);

  beforeAll(async () => {
    dir = tempDir();
    writeFileSync(join(dir, 'plain.bin'), plain);
    kms = new Kms();
    server = await startServer(kms);
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    // A port nothing listens on: bound, then closed.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as { port: number }).port;
    await new Promise((done) => probe.close(done));
    deadUrl = `http://127.0.0.1:${port}`;
    const E = `--endpoint-url ${server.url}`;
    const AWS = `AWS_ENDPOINT_URL_KMS=${server.url} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_MAX_ATTEMPTS=1`;
    r = await runSteps(dir, [
      ['encrypt', `$K encrypt-file plain.bin -o e.kmsbox --key-id ${keyId} ${E} -c app=serve`],
      ['decrypt', `$K decrypt-file e.kmsbox -o e.bin --key-ids ${keyId} ${E} -c app=serve --metadata-output -`],
      ['awsEncrypt', `${AWS} $K encrypt-file plain.bin -o a.kmsbox --key-id ${keyId} --aws`],
      ['awsDecrypt', `${AWS} $K decrypt-file a.kmsbox -o a.bin --key-ids ${keyId} --aws`],
      ['crossDecrypt', `${AWS} $K decrypt-file e.kmsbox -o x.bin --key-ids ${keyId} --aws -c app=serve`],
      ['unreachable', `$K decrypt-file e.kmsbox -o u.bin --key-ids ${keyId} --endpoint-url ${deadUrl}`],
      [
        'awsUnreachable',
        `AWS_ENDPOINT_URL_KMS=${deadUrl} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=A AWS_SECRET_ACCESS_KEY=s AWS_MAX_ATTEMPTS=1 $K decrypt-file e.kmsbox -o u2.bin --key-ids ${keyId} --aws`,
      ],
      ['noSuchKey', `$K encrypt-file plain.bin -o n.kmsbox --key-id alias/none ${E}`],
      ['twoSources', `$K encrypt-file plain.bin -o n.kmsbox --key-id alias/none ${E} --aws`],
    ]);
  }, CLI_TEST_TIMEOUT);
  afterAll(() => server?.close());

  it('against kmsbox serve (--endpoint-url)', () => {
    expect([r.encrypt!.code, r.encrypt!.stderr]).toEqual([0, '']);
    expect(r.decrypt!.code).toBe(0);
    expect(readFileSync(join(dir, 'e.bin')).equals(plain)).toBe(true);
    expect(JSON.parse(r.decrypt!.stdout)).toMatchObject({ status: 'ok', encryptionContext: { app: 'serve' }, bytesOut: plain.length });
  });

  it('--aws: the real @aws-sdk/client-kms with its default credential chain and region, here routed to kmsbox serve', () => {
    expect([r.awsEncrypt!.code, ours(r.awsEncrypt!.stderr)]).toEqual([0, '']);
    expect([r.awsDecrypt!.code, ours(r.awsDecrypt!.stderr)]).toEqual([0, '']);
    expect(readFileSync(join(dir, 'a.bin')).equals(plain)).toBe(true);
    expect(r.crossDecrypt!.code).toBe(0);
    expect(readFileSync(join(dir, 'x.bin')).equals(plain)).toBe(true);
  });

  it('exit 255 when the keys cannot be reached, 254 for a service error, 252 for two key sources', () => {
    expect(r.unreachable!.code).toBe(255);
    expect(r.unreachable!.stderr).toMatch(
      /^kmsbox: decrypt-file e.kmsbox: Could not connect to the endpoint URL: "http:\/\/127.0.0.1:\d+" \(ECONNREFUSED\)/,
    );
    expect(r.awsUnreachable!.code).toBe(255);
    expect(ours(r.awsUnreachable!.stderr)).toMatch(/ECONNREFUSED/);
    expect(existsSync(join(dir, 'u.bin')) || existsSync(join(dir, 'u2.bin'))).toBe(false);
    expect(r.noSuchKey!.code).toBe(254);
    expect(r.noSuchKey!.stderr).toMatch(/^kmsbox: encrypt-file plain.bin: NotFoundException: /);
    expect(r.twoSources!.code).toBe(252);
    expect(partials(dir)).toEqual([]);
  });
});

describe('--aws without the AWS SDK installed', () => {
  it('is a usage mistake that says how to install it', async () => {
    const { loadAwsKms } = await import('../../src/cli/key-source.js');
    const { UsageError } = await import('../../src/cli/verbs.js');
    const attempt = loadAwsKms('@aws-sdk/client-kms-not-installed', undefined);
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(loadAwsKms('@aws-sdk/client-kms-not-installed', undefined)).rejects.toThrow(
      '--aws needs the AWS SDK for JavaScript v3: npm install @aws-sdk/client-kms-not-installed (an optional peer dependency of kmsbox; it brings the default credential chain and region)',
    );
  });
});
