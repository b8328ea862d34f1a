// Whose key decrypts (issue 18 §3): the header names the recipients' keys and is not authenticated
// until a data key is unwrapped, so a reader must say which keys it trusts (keyIds), or opt into
// discovery explicitly, as in the AWS Encryption SDK. A key outside that never sees a KMS call,
// and so never sees a withheld encryption context.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Kms, MemoryAuditSink, createDecryptStream, decryptEnvelope, decryptRange, encryptEnvelope, type KmsLike } from 'kmsbox';
import { decryptFile } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';
import { build } from './build.js';
import { bytes, counting, expectBytes, expectError, pipe } from './helpers.js';

const VICTIM = '111122223333';
const ATTACKER = '444455556666';
const SECRET_CONTEXT = { patient: 'p-8812-secret' };
const NEITHER =
  'Decrypting needs keyIds (the KMS keys you trust to unwrap the data key: key ARNs or key ids) ' +
  "or discovery: true (any key the envelope names), optionally limited as discovery: { accountIds: ['111122223333'], partition: 'aws' }.";

/** A KmsLike that records every Decrypt input it passes on. */
function spying(kms: KmsLike): KmsLike & { decrypts: Array<Parameters<KmsLike['decrypt']>[0]> } {
  const decrypts: Array<Parameters<KmsLike['decrypt']>[0]> = [];
  return {
    decrypts,
    generateDataKey: (i) => kms.generateDataKey(i),
    encrypt: (i) => kms.encrypt(i),
    decrypt: (i) => {
      decrypts.push(i);
      return kms.decrypt(i);
    },
  };
}

/** Two accounts on one service; the attacker's key lets the victim's account call Decrypt (so only the reader can refuse). */
async function accounts() {
  const audit = new MemoryAuditSink();
  const victim = new Kms({ audit, accountId: VICTIM });
  const attacker = victim.withAccount(ATTACKER);
  const victimKey = (await victim.createKey({})).KeyMetadata!;
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'owner', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ATTACKER}:root` }, Action: 'kms:*', Resource: '*' },
      { Sid: 'lure', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${VICTIM}:root` }, Action: 'kms:Decrypt', Resource: '*' },
    ],
  };
  const attackerKey = (await attacker.createKey({ Policy: JSON.stringify(policy) })).KeyMetadata!;
  return { audit, victim, attacker, victimKey, attackerKey };
}

/** Audit events about the attacker's key, or in the attacker's account. */
const attackerEvents = (audit: MemoryAuditSink, attackerArn: string) =>
  audit.events.filter((e) => e.recipientAccountId === ATTACKER || JSON.stringify(e).includes(attackerArn));

describe('decrypt needs keyIds or an explicit discovery', () => {
  it('with neither, every decrypt entry point is ValidationException before any KMS call', async () => {
    const { victim, victimKey } = await accounts();
    const envelope = await encryptEnvelope(bytes(10), { kms: victim, keyId: victimKey.KeyId! });
    const spy = counting(victim);
    const dir = tempDir();
    writeFileSync(join(dir, 'in.kmsbox'), envelope);
    const runs: Array<() => Promise<unknown>> = [
      () => decryptEnvelope(envelope, { kms: spy }),
      () => pipe(createDecryptStream({ kms: spy }), envelope),
      () => decryptRange(async (o, l) => envelope.subarray(o, o + l), { kms: spy }, { start: 0, end: 1 }),
      () => decryptFile(join(dir, 'in.kmsbox'), join(dir, 'out'), { kms: spy }),
      () => decryptEnvelope(envelope, { kms: spy, discovery: false }),
    ];
    for (const run of runs) expect((await expectError(run, 'ValidationException')).message).toBe(NEITHER);
    expect(spy.calls).toEqual({});
  });

  it('keyIds admits a recipient by ARN or key id and pins KMS Decrypt to that entry', async () => {
    const { victim, victimKey } = await accounts();
    const envelope = await encryptEnvelope(bytes(10), { kms: victim, keyId: victimKey.KeyId! });
    for (const entry of [victimKey.Arn!, victimKey.KeyId!]) {
      const spy = spying(victim);
      const out = await decryptEnvelope(envelope, { kms: spy, keyIds: [entry] });
      expectBytes(out.plaintext, bytes(10));
      expect([out.keyId, spy.decrypts.map((d) => d.KeyId)]).toEqual([victimKey.Arn, [entry]]);
    }
  });
});

describe("an attacker's message under a key in another account", () => {
  it('is refused without the victim context reaching that key (strict mode, a discovery filter, or no choice at all)', async () => {
    const { audit, victim, attacker, victimKey, attackerKey } = await accounts();
    // The attacker withholds the context, so the victim must send its own (secret) context to KMS.
    const forged = await encryptEnvelope(new TextEncoder().encode('pay mallory'), {
      kms: attacker,
      keyId: attackerKey.KeyId!,
      encryptionContext: { patient: 'x' },
      storeContext: false,
    });
    audit.clear();
    const spy = spying(victim);
    await expectError(() => decryptEnvelope(forged, { kms: spy, encryptionContext: SECRET_CONTEXT }), 'ValidationException');
    await expectError(
      () => decryptEnvelope(forged, { kms: spy, keyIds: [victimKey.Arn!], encryptionContext: SECRET_CONTEXT }),
      'IncorrectKeyException',
    );
    expect(spy.decrypts).toEqual([]);
    // A filter on the victim's account: the kmsbox blob names no account, so the key id is sent as
    // KeyId, which KMS resolves in the caller's own account, where no such key exists.
    const filter = { accountIds: [VICTIM], partition: 'aws' };
    await expectError(
      () => decryptEnvelope(forged, { kms: spy, discovery: filter, encryptionContext: SECRET_CONTEXT }),
      'NotFoundException',
    );
    expect(spy.decrypts.map((d) => d.KeyId)).toEqual([attackerKey.KeyId]);
    expect(attackerEvents(audit, attackerKey.Arn!)).toEqual([]);
    expect(JSON.stringify(audit.events.filter((e) => e.recipientAccountId !== VICTIM))).not.toContain('p-8812-secret');
  });

  it('with a stored context the victim no longer decrypts it unless it opted into discovery, which reports the key', async () => {
    const { victim, attacker, victimKey, attackerKey } = await accounts();
    const forged = await encryptEnvelope(new TextEncoder().encode('pay mallory'), {
      kms: attacker,
      keyId: attackerKey.KeyId!,
      encryptionContext: { tenant: 't1' },
    });
    await expectError(
      () => decryptEnvelope(forged, { kms: victim, keyIds: [victimKey.KeyId!], encryptionContext: { tenant: 't1' } }),
      'IncorrectKeyException',
    );
    await expectError(
      () => decryptEnvelope(forged, { kms: victim, discovery: { accountIds: [VICTIM], partition: 'aws' } }),
      'NotFoundException',
    );
    await expectError(
      () => decryptRange(async (o, l) => forged.subarray(o, o + l), { kms: victim, keyIds: [victimKey.Arn!] }, { start: 0, end: 1 }),
      'IncorrectKeyException',
    );
    await expectError(() => pipe(createDecryptStream({ kms: victim, keyIds: [victimKey.Arn!] }), forged), 'IncorrectKeyException');
    // discovery: true is the explicit "any key": it decrypts, and keyId says whose key it was.
    const out = await decryptEnvelope(forged, { kms: victim, discovery: true });
    expect(out.keyId).toBe(attackerKey.Arn);
    // A filter naming the attacker's account admits it (the ARN KMS reports passes the filter).
    expect((await decryptEnvelope(forged, { kms: attacker, discovery: { accountIds: [ATTACKER], partition: 'aws' } })).keyId).toBe(
      attackerKey.Arn,
    );
  });

  it('a recipient that stores its ARN is filtered by account and partition before any KMS call', async () => {
    const { victim, victimKey, attackerKey } = await accounts();
    const dek = bytes(32, 9);
    const blob = (await victim.encrypt({ KeyId: victimKey.KeyId!, Plaintext: dek })).CiphertextBlob!;
    // An ARN keyRef (as AWS's opaque blobs always have): the filter reads account and partition from it.
    const withArn = (arn: string) =>
      build({ dek, messageId: bytes(32, 4), recipients: [{ type: 1, keyRef: arn, wrapped: blob }], segments: [bytes(5)] });
    const spy = spying(victim);
    const inVictim = { accountIds: [VICTIM], partition: 'aws' };
    const victims = await withArn(victimKey.Arn!);
    expectBytes((await decryptEnvelope(victims, { kms: spy, discovery: inVictim })).plaintext, bytes(5));
    expect(spy.decrypts.map((d) => d.KeyId)).toEqual([victimKey.Arn]);
    for (const filter of [
      { accountIds: [ATTACKER], partition: 'aws' },
      { accountIds: [VICTIM], partition: 'aws-cn' },
    ]) {
      const e = await expectError(() => decryptEnvelope(victims, { kms: spy, discovery: filter }), 'IncorrectKeyException');
      expect(e.message).toBe('None of the keys that wrapped this envelope is in the discovery filter.');
    }
    // The attacker's ARN in front of the victim's blob: not in the filter, never tried. Nor is a
    // keyRef that is an alias ARN, a bare key id or junk: the filter needs a key ARN to read.
    for (const keyRef of [attackerKey.Arn!, `arn:aws:kms:us-east-1:${VICTIM}:alias/app`, victimKey.KeyId!, 'not an arn']) {
      const e = await expectError(
        async () => decryptEnvelope(await withArn(keyRef), { kms: spy, discovery: inVictim }),
        'IncorrectKeyException',
      );
      expect([keyRef, e.message]).toEqual([keyRef, 'None of the keys that wrapped this envelope is in the discovery filter.']);
    }
    expect(spy.decrypts.length).toBe(1);
    // Strict mode compares a stored ARN exactly, and a key id with the ARN's key id.
    await expectError(
      () => decryptEnvelope(victims, { kms: spy, keyIds: [victimKey.Arn!.replace(VICTIM, ATTACKER)] }),
      'IncorrectKeyException',
    );
    expect(spy.decrypts.length).toBe(1);
    expectBytes((await decryptEnvelope(victims, { kms: spy, keyIds: [victimKey.KeyId!] })).plaintext, bytes(5));
    expect(spy.decrypts.map((d) => d.KeyId)).toEqual([victimKey.Arn, victimKey.KeyId]);
  });

  it("a kmsbox blob of the caller's own key outside the filter: refused before KMS when the client tells its account, else by the ARN KMS reports", async () => {
    const { victim, victimKey } = await accounts();
    const envelope = await encryptEnvelope(bytes(10), { kms: victim, keyId: victimKey.KeyId! });
    const elsewhere = [
      { accountIds: [ATTACKER], partition: 'aws' },
      { accountIds: [VICTIM], partition: 'aws-cn' },
    ];
    // A kmsbox Kms knows its account and region: no call at all.
    for (const filter of elsewhere) {
      const e = await expectError(() => decryptEnvelope(envelope, { kms: victim, discovery: filter }), 'IncorrectKeyException');
      expect(e.message).toBe('None of the keys that wrapped this envelope is in the discovery filter.');
    }
    // Any other KmsLike (an AWS SDK client on kmsbox serve): the call goes to the caller's own key only, then the reported ARN fails the filter.
    for (const filter of elsewhere) {
      const spy = spying(victim);
      const e = await expectError(() => decryptEnvelope(envelope, { kms: spy, discovery: filter }), 'IncorrectKeyException');
      expect([e.message, spy.decrypts.map((d) => d.KeyId)]).toEqual([
        'KMS unwrapped the data key with a key other than the one the envelope names, or one the reader does not trust.',
        [victimKey.KeyId],
      ]);
    }
    // A KmsLike that does not report KeyId leaves the account unknown: refused too.
    const silent: KmsLike = { ...spying(victim), decrypt: async (i) => ({ Plaintext: (await victim.decrypt(i)).Plaintext }) };
    await expectError(
      () => decryptEnvelope(envelope, { kms: silent, discovery: { accountIds: [VICTIM], partition: 'aws' } }),
      'IncorrectKeyException',
    );
    expect((await decryptEnvelope(envelope, { kms: victim, discovery: { accountIds: [ATTACKER, VICTIM], partition: 'aws' } })).keyId).toBe(
      victimKey.Arn,
    );
  });
});
