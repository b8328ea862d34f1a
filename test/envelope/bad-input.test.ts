// Bad input to every public envelope entry point: typed errors in AWS's style, never a raw
// TypeError/RangeError, and no plaintext or key bytes in any message.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataKeyCache,
  KMSServiceException,
  Kms,
  createDecryptNodeStream,
  createDecryptStream,
  createEncryptNodeStream,
  createEncryptStream,
  decryptEnvelope,
  decryptFile,
  decryptRange,
  encryptEnvelope,
  encryptFile,
  inspectEnvelope,
  type KmsLike,
} from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';
import { bytes, expectBytes, expectError, pipe, setup } from './helpers.js';

const SECRET = new TextEncoder().encode('the-plaintext-that-must-not-leak');

/** Writes one chunk and closes; returns what the readable side errors with (the stream must error). */
async function feed(stream: TransformStream<Uint8Array, Uint8Array>, chunk: unknown): Promise<void> {
  const writer = stream.writable.getWriter();
  const reading = new Response(stream.readable).arrayBuffer();
  writer.write(chunk as Uint8Array).catch(() => undefined);
  writer.close().catch(() => undefined);
  await reading;
}

async function typedName(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(KMSServiceException);
    expect((e as Error).message).not.toContain('the-plaintext-that-must-not-leak');
    return (e as Error).name;
  }
  return 'no error';
}

describe('bad input to the envelope API', () => {
  it('encryptEnvelope and createEncryptStream: options, plaintext and chunks', async () => {
    const { kms, keyIds } = await setup();
    const keyId = keyIds[0]!;
    const cases: Array<[string, () => unknown]> = [
      ['no options', () => encryptEnvelope(SECRET, undefined as never)],
      ['no kms', () => encryptEnvelope(SECRET, { keyId } as never)],
      ['kms without methods', () => encryptEnvelope(SECRET, { kms: {} as KmsLike, keyId })],
      ['empty key list', () => encryptEnvelope(SECRET, { kms, keyId: [] })],
      ['256 keys', () => encryptEnvelope(SECRET, { kms, keyId: Array(256).fill(keyId) })],
      ['key id not a string', () => encryptEnvelope(SECRET, { kms, keyId: 5 as never })],
      ['segment size not a power of two', () => encryptEnvelope(SECRET, { kms, keyId, segmentSize: 5000 })],
      ['segment size too small', () => encryptEnvelope(SECRET, { kms, keyId, segmentSize: 2048 })],
      ['segment size too large', () => encryptEnvelope(SECRET, { kms, keyId, segmentSize: 2 ** 25 })],
      ['unknown suite', () => encryptEnvelope(SECRET, { kms, keyId, suite: 3 as never })],
      ['suite 0', () => encryptEnvelope(SECRET, { kms, keyId, suite: 0 as never })],
      ['suite as a string', () => encryptEnvelope(SECRET, { kms, keyId, suite: '2' as never })],
      ['suite null', () => encryptEnvelope(SECRET, { kms, keyId, suite: null as never })],
      ['suite of the prototype', () => encryptEnvelope(SECRET, { kms, keyId, suite: 'constructor' as never })],
      ['unknown suite on a stream', () => feed(createEncryptStream({ kms, keyId, suite: 7 as never }), SECRET)],
      ['context value not a string', () => encryptEnvelope(SECRET, { kms, keyId, encryptionContext: { a: 1 as never } })],
      ['reserved context key', () => encryptEnvelope(SECRET, { kms, keyId, encryptionContext: { 'kmsbox:x': 'y' } })],
      ['lone surrogate in context', () => encryptEnvelope(SECRET, { kms, keyId, encryptionContext: { a: '\uD800' } })],
      ['context too large', () => encryptEnvelope(SECRET, { kms, keyId, encryptionContext: { a: 'x'.repeat(9000) } })],
      ['plaintext not bytes', () => encryptEnvelope('text' as never, { kms, keyId })],
      ['signing key of the wrong spec', () => encryptEnvelope(SECRET, { kms, keyId, signingKeyId: keyId })],
      ['unknown key', () => encryptEnvelope(SECRET, { kms, keyId: 'alias/nope' })],
      ['a stream chunk that is not bytes', () => feed(createEncryptStream({ kms, keyId }), 'abc')],
    ];
    for (const [what, run] of cases) expect([what, await typedName(run)]).toEqual([what, expect.stringMatching(/Exception$/)]);
    expect(await typedName(() => encryptEnvelope(SECRET, { kms, keyId: 'alias/nope' }))).toBe('NotFoundException');
    expect(await typedName(() => encryptEnvelope(SECRET, { kms, keyId, segmentSize: 5000 }))).toBe('ValidationException');
    // Near misses Math.log2 would round to a power of two; a cache that is not one; a storeContext that is not a boolean.
    for (const opts of [
      { segmentSize: 4096.000000000001 },
      { segmentSize: 2 ** 24 + 2 ** -28 },
      { cache: {} as never },
      { storeContext: 'false' as never },
    ]) {
      expect([opts, await typedName(() => encryptEnvelope(SECRET, { kms, keyId, ...opts }))]).toEqual([opts, 'ValidationException']);
      expect([opts, await typedName(() => feed(createEncryptStream({ kms, keyId, ...opts }), SECRET))]).toEqual([
        opts,
        'ValidationException',
      ]);
    }
  });

  it('decryptEnvelope, createDecryptStream, decryptRange and inspectEnvelope: options and ranges', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(100), { kms, keyId: keyIds[0]! });
    const read = async (o: number, l: number) => envelope.subarray(o, o + l);
    const cases: Array<[string, () => unknown, string]> = [
      ['no options', () => decryptEnvelope(envelope, undefined as never), 'ValidationException'],
      ['envelope not bytes', () => decryptEnvelope('x' as never, { kms, discovery: true }), 'ValidationException'],
      ['maxRecipients 0', () => decryptEnvelope(envelope, { kms, discovery: true, maxRecipients: 0 }), 'ValidationException'],
      ['maxRecipients 256', () => decryptEnvelope(envelope, { kms, discovery: true, maxRecipients: 256 }), 'ValidationException'],
      ['maxHeaderBytes 2 MiB', () => decryptEnvelope(envelope, { kms, discovery: true, maxHeaderBytes: 2 ** 21 }), 'ValidationException'],
      ['keyIds not a list', () => decryptEnvelope(envelope, { kms, keyIds: 'k' as never }), 'ValidationException'],
      ['cache not a DataKeyCache', () => decryptEnvelope(envelope, { kms, discovery: true, cache: {} as never }), 'ValidationException'],
      [
        'context not an object',
        () => decryptEnvelope(envelope, { kms, discovery: true, encryptionContext: 'x' as never }),
        'ValidationException',
      ],
      ['stream options', () => createDecryptStream({ kms, discovery: true, maxRecipients: -1 }), 'ValidationException'],
      ['stream chunk not bytes', () => feed(createDecryptStream({ kms, discovery: true }), 'abc'), 'InvalidCiphertextException'],
      ['range end before start', () => decryptRange(read, { kms, discovery: true }, { start: 10, end: 5 }), 'ValidationException'],
      ['range not integers', () => decryptRange(read, { kms, discovery: true }, { start: 0.5, end: 5 }), 'ValidationException'],
      [
        'range start past the end',
        () => decryptRange(read, { kms, discovery: true }, { start: 1000, end: 1001, size: envelope.length }),
        'ValidationException',
      ],
      ['negative size', () => decryptRange(read, { kms, discovery: true }, { start: 0, end: 1, size: -1 }), 'ValidationException'],
      ['read not a function', () => decryptRange(5 as never, { kms, discovery: true }, { start: 0, end: 1 }), 'ValidationException'],
      [
        'read returns junk',
        () => decryptRange(async () => 'x' as never, { kms, discovery: true }, { start: 0, end: 1 }),
        'ValidationException',
      ],
      [
        'read throws',
        () =>
          decryptRange(
            async () => {
              throw new TypeError('disk on fire');
            },
            { kms, discovery: true },
            { start: 0, end: 1 },
          ),
        'KMSInternalException',
      ],
      ['inspect junk', () => inspectEnvelope('x' as never), 'ValidationException'],
      ['inspect a cut header', () => inspectEnvelope(envelope.subarray(0, 20)), 'InvalidCiphertextException'],
    ];
    for (const [what, run, name] of cases) expect([what, await typedName(run)]).toEqual([what, name]);
  });

  it('keyIds, discovery and unverifiedSignature: each bad value is ValidationException with a message that says what to pass', async () => {
    const { kms, keyIds, arns } = await setup();
    const envelope = await encryptEnvelope(bytes(100), { kms, keyId: keyIds[0]! });
    const read = async (o: number, l: number) => envelope.subarray(o, o + l);
    const filterMessage = "discovery must be true or { accountIds: ['111122223333'], partition: 'aws' }.";
    const accountsMessage = 'discovery.accountIds must be a non-empty list of 12-digit account ids.';
    const partitionMessage = "discovery.partition must be an ARN partition such as 'aws'.";
    const keyIdsMessage = 'keyIds must list key ARNs or key ids (not aliases).';
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['both', { keyIds, discovery: true }, 'Pass keyIds or discovery, not both.'],
      [
        'both, with a filter',
        { keyIds, discovery: { accountIds: ['111122223333'], partition: 'aws' } },
        'Pass keyIds or discovery, not both.',
      ],
      ["discovery 'yes'", { discovery: 'yes' }, filterMessage],
      ['discovery 1', { discovery: 1 }, filterMessage],
      ['discovery null', { discovery: null }, filterMessage],
      ['discovery a list', { discovery: ['111122223333'] }, filterMessage],
      ['empty filter', { discovery: {} }, accountsMessage],
      [
        'accountIDs (the ESDK for JavaScript spelling)',
        { discovery: { accountIDs: ['111122223333'], partition: 'aws' } },
        'discovery takes accountIds and partition only, not accountIDs.',
      ],
      ['accountIds not a list', { discovery: { accountIds: '111122223333', partition: 'aws' } }, accountsMessage],
      ['no accountIds', { discovery: { accountIds: [], partition: 'aws' } }, accountsMessage],
      ['11 digits', { discovery: { accountIds: ['11112222333'], partition: 'aws' } }, accountsMessage],
      ['13 digits', { discovery: { accountIds: ['1111222233334'], partition: 'aws' } }, accountsMessage],
      ['a number', { discovery: { accountIds: [111122223333], partition: 'aws' } }, accountsMessage],
      ['digits with a newline', { discovery: { accountIds: ['111122223333\n'], partition: 'aws' } }, accountsMessage],
      ['no partition', { discovery: { accountIds: ['111122223333'] } }, partitionMessage],
      ['AWS', { discovery: { accountIds: ['111122223333'], partition: 'AWS' } }, partitionMessage],
      ['partition with a space', { discovery: { accountIds: ['111122223333'], partition: 'aws ' } }, partitionMessage],
      ['empty keyIds', { keyIds: [] }, 'keyIds must be a non-empty list of key ARNs or key ids.'],
      ['keyIds a string', { keyIds: arns[0] }, 'keyIds must be a non-empty list of key ARNs or key ids.'],
      ['an alias', { keyIds: ['alias/app'] }, keyIdsMessage],
      ['an alias ARN', { keyIds: ['arn:aws:kms:us-east-1:111122223333:alias/app'] }, keyIdsMessage],
      ['an empty key id', { keyIds: [''] }, keyIdsMessage],
      ['not a key id', { keyIds: ['k'] }, keyIdsMessage],
      ['a number', { keyIds: [5] }, keyIdsMessage],
    ];
    for (const [what, opts, message] of cases) {
      for (const run of [
        () => decryptEnvelope(envelope, { kms, ...opts }),
        () => pipe(createDecryptStream({ kms, ...opts } as never), envelope),
        () => decryptRange(read, { kms, ...opts }, { start: 0, end: 1 }),
      ]) {
        const e = await expectError(run, 'ValidationException');
        expect([what, e.message]).toEqual([what, message]);
      }
    }
    for (const [opts, message] of [
      [{ unverifiedSignature: 'yes' }, "unverifiedSignature must be 'allow' when given."],
      [{ unverifiedSignature: true }, "unverifiedSignature must be 'allow' when given."],
      [
        { unverifiedSignature: 'allow', signerKeyIds: arns },
        "unverifiedSignature: 'allow' contradicts signerKeyIds, which requires a verified signature.",
      ],
    ] as const) {
      const e = await expectError(
        () => decryptRange(read, { kms, keyIds, ...(opts as object) }, { start: 0, end: 1 }),
        'ValidationException',
      );
      expect(e.message).toBe(message);
    }
    // The good forms, for contrast.
    for (const trust of [
      { keyIds: arns },
      { keyIds },
      { discovery: true },
      { discovery: { accountIds: ['111122223333'], partition: 'aws' } },
      { keyIds, discovery: false },
    ]) {
      expectBytes((await decryptEnvelope(envelope, { kms, ...trust })).plaintext, bytes(100));
    }
    expect((await decryptRange(read, { kms, keyIds, unverifiedSignature: 'allow' }, { start: 0, end: 1 })).signature).toBe('none');
  });

  it('a KmsLike that fails with a raw error gives KMSInternalException (the cause kept), not a raw error', async () => {
    const broken: KmsLike = {
      generateDataKey: async () => {
        throw new TypeError('fetch failed');
      },
      encrypt: async () => ({}),
      decrypt: async () => {
        throw new RangeError('socket hang up');
      },
    };
    const e = await encryptEnvelope(SECRET, { kms: broken, keyId: 'k' }).catch((x: Error) => x);
    expect([(e as KMSServiceException).name, ((e as Error).cause as Error).message]).toEqual(['KMSInternalException', 'fetch failed']);
    expect(await typedName(() => pipe(createEncryptStream({ kms: broken, keyId: 'k' }), SECRET, [8]))).toBe('KMSInternalException');
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(SECRET, { kms, keyId: keyIds[0]! });
    expect(await typedName(() => decryptEnvelope(envelope, { kms: broken, discovery: true }))).toBe('KMSInternalException');
  });

  it('DataKeyCache, encryptFile and decryptFile', async () => {
    const kms = new Kms();
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    expect(await typedName(() => new DataKeyCache(undefined as never))).toBe('ValidationException');
    const dir = tempDir();
    expect(await typedName(() => encryptFile(join(dir, 'missing'), join(dir, 'out'), { kms, keyId }))).toBe('ValidationException');
    expect(await typedName(() => decryptFile(join(dir, 'missing'), join(dir, 'out'), { kms, discovery: true }))).toBe(
      'ValidationException',
    );
    await expectError(() => encryptFile(join(dir, 'missing'), join(dir, 'out'), { kms, keyId: [] }), 'ValidationException');
  });

  it('the Node streams and files: bad options, an unknown suite, an envelope of a suite this reader does not know', async () => {
    const { writeFileSync, existsSync } = await import('node:fs');
    const { pipeline } = await import('node:stream/promises');
    const { Readable, Writable } = await import('node:stream');
    const kms = new Kms();
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    const drain = () => new Writable({ write: (_c, _e, done) => done() });
    const through = (t: import('node:stream').Transform, chunks: unknown[]) =>
      pipeline(Readable.from(chunks, { objectMode: true }), t, drain());
    expect(await typedName(() => createDecryptNodeStream(undefined as never))).toBe('ValidationException');
    expect(await typedName(() => through(createEncryptNodeStream(undefined as never), [SECRET]))).toBe('ValidationException');
    expect(await typedName(() => through(createEncryptNodeStream({ kms, keyId, suite: 9 as never }), [SECRET]))).toBe(
      'ValidationException',
    );
    expect(await typedName(() => through(createEncryptNodeStream({ kms, keyId, segmentSize: 3 }), [SECRET]))).toBe('ValidationException');
    // A suite no reader knows (what a reader older than suite 2 meets): refused, and no file appears.
    const envelope = await encryptEnvelope(SECRET, { kms, keyId });
    envelope[4] = 3;
    const dir = tempDir();
    writeFileSync(join(dir, 'future.kmsbox'), envelope);
    expect(await typedName(() => through(createDecryptNodeStream({ kms, discovery: true }), [envelope]))).toBe(
      'UnsupportedOperationException',
    );
    expect(await typedName(() => decryptFile(join(dir, 'future.kmsbox'), join(dir, 'out'), { kms, discovery: true }))).toBe(
      'UnsupportedOperationException',
    );
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
