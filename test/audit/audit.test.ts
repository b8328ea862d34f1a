// The audit trail: one CloudTrail-shaped event per call (allowed or denied, succeeded or failed),
// never a byte of plaintext, data key, ciphertext or signature; the hash-chained file log detects
// edits, removals, reordering and truncation; `kmsbox audit verify` says so.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileAuditSink, Kms, ManualClock, MemoryAuditSink, verifyAuditLog, type AuditEvent } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';

const A = '111122223333';
const APP = `arn:aws:iam::${A}:role/app`;
const root = new URL('../..', import.meta.url).pathname;
const utf8 = (s: string) => new TextEncoder().encode(s);

const OPERATION_METHODS = Object.getOwnPropertyNames(Kms.prototype).filter(
  (n) =>
    !['constructor', 'send', 'invoke', 'withPrincipal', 'withRegion', 'withAccount', 'setIdentityPolicies', 'getIdentityPolicies'].includes(
      n,
    ) && typeof Object.getOwnPropertyDescriptor(Kms.prototype, n)?.value === 'function',
);

describe('audit events', () => {
  it('every operation in the public API emits exactly one event, even when it fails', async () => {
    const sink = new MemoryAuditSink();
    const kms = new Kms({ audit: sink });
    for (const method of OPERATION_METHODS) {
      const before = sink.events.length;
      await (kms as unknown as Record<string, (i: unknown) => Promise<unknown>>)[method]!({}).catch(() => undefined);
      expect(sink.events.length - before, method).toBe(1);
      const e = sink.events.at(-1)!;
      expect(e.eventName.charAt(0).toLowerCase() + e.eventName.slice(1)).toBe(method);
    }
    // Unknown operations and junk through send/invoke are recorded too.
    await kms.invoke('NoSuchOperation', {}).catch(() => undefined);
    expect(sink.events.at(-1)!).toMatchObject({ eventName: 'NoSuchOperation', errorCode: 'UnsupportedOperationException' });
  });

  it('events have the CloudTrail shape: identity, time, request, response for management calls, errors, resources', async () => {
    const sink = new MemoryAuditSink();
    const clock = new ManualClock(new Date('2026-03-04T05:06:07.890Z'));
    const kms = new Kms({ audit: sink, clock });
    const { KeyMetadata } = await kms.createKey({ Description: 'audited', Tags: [{ TagKey: 'team', TagValue: 'blue' }] });
    await kms.encrypt({ KeyId: KeyMetadata!.KeyId, Plaintext: utf8('x'), EncryptionContext: { Tenant: 't1' } });
    await kms
      .withPrincipal(APP)
      .decrypt({ CiphertextBlob: new Uint8Array(100) })
      .catch(() => undefined);
    await kms
      .withPrincipal(APP)
      .describeKey({ KeyId: KeyMetadata!.KeyId })
      .catch(() => undefined);
    const [create, encrypt, badDecrypt, denied] = sink.events as [AuditEvent, AuditEvent, AuditEvent, AuditEvent];
    expect(create).toMatchObject({
      eventVersion: '1.08',
      userIdentity: { type: 'Root', arn: `arn:aws:iam::${A}:root`, accountId: A },
      eventTime: '2026-03-04T05:06:07Z',
      eventSource: 'kms.amazonaws.com',
      eventName: 'CreateKey',
      awsRegion: 'us-east-1',
      requestParameters: { description: 'audited', tags: [{ tagKey: 'team', tagValue: 'blue' }] },
      responseElements: { keyMetadata: { keyId: KeyMetadata!.KeyId, arn: KeyMetadata!.Arn, keyState: 'Enabled' } },
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: A,
      eventCategory: 'Management',
    });
    expect(create.requestID).toMatch(/^[0-9a-f-]{36}$/);
    expect(encrypt).toMatchObject({
      eventName: 'Encrypt',
      readOnly: true,
      requestParameters: { keyId: KeyMetadata!.KeyId, encryptionContext: { Tenant: 't1' } },
      responseElements: null,
      resources: [{ accountId: A, type: 'AWS::KMS::Key', ARN: KeyMetadata!.Arn }],
    });
    expect(encrypt.requestParameters).not.toHaveProperty('plaintext');
    expect(badDecrypt).toMatchObject({
      eventName: 'Decrypt',
      errorCode: 'InvalidCiphertextException',
      userIdentity: { type: 'AssumedRole', arn: APP },
    });
    expect(denied).toMatchObject({ eventName: 'DescribeKey', errorCode: 'AccessDeniedException', resources: [{ ARN: KeyMetadata!.Arn }] });
    expect(denied.errorMessage).toMatch(/^User: arn:aws:iam::111122223333:role\/app is not authorized to perform: kms:DescribeKey/);
    expect(new Set(sink.events.map((e) => e.eventID)).size).toBe(sink.events.length);
  });

  it("an event's members come in one order, whether it succeeded or failed, and each names the key it touched in that key's account", async () => {
    const sink = new MemoryAuditSink();
    const kms = new Kms({ audit: sink });
    const other = kms.withAccount('444455556666');
    const k1 = (await kms.createKey()).KeyMetadata!;
    const k2 = (await kms.createKey()).KeyMetadata!;
    const k3 = (await other.createKey()).KeyMetadata!;
    sink.clear();
    await kms.encrypt({ KeyId: k1.KeyId, Plaintext: utf8('a') });
    await kms.encrypt({ KeyId: k2.KeyId, Plaintext: utf8('b') });
    await kms.encrypt({ KeyId: k1.KeyId, Plaintext: utf8('c') });
    await other.encrypt({ KeyId: k3.KeyId, Plaintext: utf8('d') });
    await kms.disableKey({ KeyId: k2.KeyId });
    await kms.encrypt({ KeyId: k2.KeyId, Plaintext: utf8('e') }).catch(() => undefined);
    const [a, b, c, d, , failed] = sink.events as AuditEvent[];
    expect(a!.resources).toEqual([{ accountId: A, type: 'AWS::KMS::Key', ARN: k1.Arn }]);
    expect(b!.resources).toEqual([{ accountId: A, type: 'AWS::KMS::Key', ARN: k2.Arn }]);
    expect(c!.resources).toEqual(a!.resources);
    expect(d!.resources).toEqual([{ accountId: '444455556666', type: 'AWS::KMS::Key', ARN: k3.Arn }]);
    expect(failed).toMatchObject({ errorCode: 'DisabledException', resources: [{ ARN: k2.Arn }] });
    // A written log carries the members in this order (JSON keeps it): the same for every event.
    const order = Object.keys(failed!).filter((k) => k !== 'errorCode' && k !== 'errorMessage');
    expect(Object.keys(a!)).toEqual(order);
    expect(order.at(-1)).toBe('resources');
    expect(Object.keys(failed!).slice(-3)).toEqual(['errorCode', 'errorMessage', 'resources']);
    // Events are read-only records: a consumer cannot change what another event says.
    expect(() => (a!.resources as unknown as Array<{ ARN: string }>).push({ ARN: 'x' })).toThrow(TypeError);
    expect(c!.resources).toHaveLength(1);
  });

  it('no event contains any byte of a plaintext, data key, ciphertext, signature, MAC or shared secret', async () => {
    const sink = new MemoryAuditSink();
    const kms = new Kms({ audit: sink });
    const secrets: Uint8Array[] = [];
    const keep = <T extends object>(o: T): T => {
      for (const v of Object.values(o)) if (v instanceof Uint8Array && v.length >= 8) secrets.push(v);
      return o;
    };
    const plaintext = keep({ p: utf8('MySecretPassword123') }).p;
    const sym = (await kms.createKey({})).KeyMetadata!.KeyId!;
    const c1 = keep(await kms.encrypt({ KeyId: sym, Plaintext: plaintext, EncryptionContext: { a: 'b' } }));
    keep(await kms.decrypt({ CiphertextBlob: c1.CiphertextBlob, EncryptionContext: { a: 'b' } }));
    const dk = keep(await kms.generateDataKey({ KeyId: sym, KeySpec: 'AES_256' }));
    keep(await kms.reEncrypt({ CiphertextBlob: dk.CiphertextBlob, DestinationKeyId: sym }));
    keep(await kms.generateDataKeyPair({ KeyId: sym, KeyPairSpec: 'ECC_NIST_P256' }));
    keep(await kms.generateRandom({ NumberOfBytes: 32 }));
    const signer = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.KeyId!;
    const message = keep({ m: utf8('sign this message please') }).m;
    const sig = keep(await kms.sign({ KeyId: signer, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
    await kms.verify({ KeyId: signer, Message: message, Signature: sig.Signature, SigningAlgorithm: 'ECDSA_SHA_256' });
    const mac = (await kms.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyMetadata!.KeyId!;
    const m = keep(await kms.generateMac({ KeyId: mac, Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
    await kms.verifyMac({ KeyId: mac, Message: message, Mac: m.Mac, MacAlgorithm: 'HMAC_SHA_256' });
    const ecdh = (await kms.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' })).KeyMetadata!.KeyId!;
    const peer = keep(await kms.getPublicKey({ KeyId: ecdh }));
    keep(await kms.deriveSharedSecret({ KeyId: ecdh, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer.PublicKey }));
    const { GrantToken } = await kms.createGrant({ KeyId: sym, GranteePrincipal: APP, Operations: ['Decrypt'] });
    const log = JSON.stringify(sink.events);
    expect(secrets.length).toBeGreaterThanOrEqual(15);
    for (const s of secrets) {
      expect(log).not.toContain(Buffer.from(s).toString('base64'));
      expect(log).not.toContain(Buffer.from(s).toString('hex'));
      expect(log).not.toContain(Buffer.from(s.subarray(0, 12)).toString('base64').slice(0, 12));
    }
    expect(log).not.toContain('MySecretPassword123');
    expect(log).not.toContain(GrantToken!);
    expect(log).not.toMatch(/"0":\d+,"1":\d+/); // no typed array serialized as an object
  });

  it('custom key store secrets (the kmsuser password, the XKS proxy secret key) are never logged', async () => {
    const sink = new MemoryAuditSink();
    const kms = new Kms({ audit: sink });
    const secrets = {
      KeyStorePassword: 'kmsuser-password-1',
      XksProxyAuthenticationCredential: {
        AccessKeyId: 'ABCDEFGHIJKLMNOPQRST',
        RawSecretAccessKey: 'proxy-secret-0123456789abcdef0123456789abcdef',
      },
    };
    await kms.invoke('CreateCustomKeyStore', { CustomKeyStoreName: 'store', ...secrets }).catch(() => undefined);
    await kms.invoke('UpdateCustomKeyStore', { CustomKeyStoreId: 'cks-1', ...secrets }).catch(() => undefined);
    expect(sink.events).toHaveLength(2);
    for (const event of sink.events) {
      const json = JSON.stringify(event);
      expect(json).not.toContain('kmsuser-password-1');
      expect(json).not.toContain('proxy-secret-0123456789abcdef0123456789abcdef');
    }
    expect(sink.events[0]?.requestParameters).toEqual({
      customKeyStoreName: 'store',
      xksProxyAuthenticationCredential: { accessKeyId: 'ABCDEFGHIJKLMNOPQRST' },
    });
  });

  it('an encryption context key named "__proto__" is logged like any other', async () => {
    const sink = new MemoryAuditSink();
    const kms = new Kms({ audit: sink });
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    await kms.encrypt({ KeyId: keyId, Plaintext: utf8('x'), EncryptionContext: JSON.parse('{"__proto__":"p","a":"b"}') });
    const context = (sink.events.at(-1)!.requestParameters as Record<string, unknown>).encryptionContext as Record<string, string>;
    expect(Object.keys(context).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(context, '__proto__')?.value).toBe('p');
  });

  it('a sink that fails makes the call fail: no unrecorded result', async () => {
    const kms = new Kms({
      audit: () => {
        throw new Error('disk full');
      },
    });
    await expect(kms.listKeys()).rejects.toMatchObject({
      name: 'KMSInternalException',
      message: 'kmsbox could not record the audit event for this request.',
    });
  });

  it('a write whose event cannot be recorded says that its change stays', async () => {
    let broken = false;
    const kms = new Kms({
      audit: () => {
        if (broken) throw new Error('disk full');
      },
    });
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    broken = true;
    const stays =
      'kmsbox could not record the audit event for this request. The change the request made has been applied and stays in effect.';
    await expect(kms.createAlias({ AliasName: 'alias/app', TargetKeyId: keyId })).rejects.toMatchObject({
      name: 'KMSInternalException',
      message: stays,
    });
    // A write that failed on its own changed nothing, and is not said to have.
    await expect(kms.createAlias({ AliasName: 'alias/app', TargetKeyId: keyId })).rejects.toMatchObject({
      name: 'KMSInternalException',
      message: 'kmsbox could not record the audit event for this request.',
    });
    broken = false;
    expect((await kms.listAliases({})).Aliases!.map((a) => a.AliasName)).toEqual(['alias/app']);
  });
});

describe('the hash-chained audit log', () => {
  async function writeLog(events = 6): Promise<string> {
    const path = join(tempDir(), 'audit.jsonl');
    const kms = new Kms({ audit: new FileAuditSink(path) });
    for (let i = 0; i < events; i++) await kms.listKeys();
    return path;
  }
  const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const rewrite = (path: string, ls: string[]) => writeFileSync(path, ls.map((l) => `${l}\n`).join(''));

  it('an intact log verifies; a new sink on the same file continues the chain', async () => {
    const path = await writeLog(3);
    expect(verifyAuditLog(path)).toEqual({ ok: true, events: 3, problems: [] });
    const more = new Kms({ audit: new FileAuditSink(path, { fsync: 'never' }) });
    await more.listAliases();
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, events: 4 });
    expect(JSON.parse(lines(path)[3]!).event.eventName).toBe('ListAliases');
  });

  it('detects an edited, removed, inserted, reordered or truncated event, and a torn last line', async () => {
    const cases: Array<[string, (ls: string[]) => string[]]> = [
      ['edited', (ls) => ls.map((l, i) => (i === 2 ? l.replace('"ListKeys"', '"ListAliases"') : l))],
      ['removed', (ls) => ls.filter((_, i) => i !== 2)],
      ['inserted', (ls) => [...ls.slice(0, 3), ls[1]!, ...ls.slice(3)]],
      ['reordered', (ls) => [ls[0]!, ls[2]!, ls[1]!, ...ls.slice(3)]],
      ['truncated', (ls) => ls.slice(0, -1)],
      ['first removed', (ls) => ls.slice(1)],
    ];
    for (const [what, change] of cases) {
      const path = await writeLog();
      rewrite(path, change(lines(path)));
      const report = verifyAuditLog(path);
      expect(report.ok, what).toBe(false);
      expect(report.problems.length, what).toBeGreaterThan(0);
    }
    const torn = await writeLog();
    writeFileSync(torn, readFileSync(torn, 'utf8').slice(0, -10));
    expect(verifyAuditLog(torn).problems.join('\n')).toMatch(/incomplete/);
  });

  it('kmsbox audit verify FILE: exit 0 when intact, 1 with the problems when not', async () => {
    const path = await writeLog(2);
    const run = (file: string) => {
      try {
        return {
          code: 0,
          out: execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'audit', 'verify', file], { cwd: root, encoding: 'utf8' }),
        };
      } catch (e) {
        const err = e as { status: number; stdout: string };
        return { code: err.status, out: err.stdout };
      }
    };
    expect(run(path)).toMatchObject({ code: 0, out: expect.stringMatching(/^ok: 2 events/) });
    rewrite(path, lines(path).slice(1));
    const bad = run(path);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/TAMPERED/);
  });
});
