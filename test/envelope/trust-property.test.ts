// Property: whatever key reference and wrapped blob a message's author writes (ARNs of other
// accounts, regions and partitions, case and whitespace variants, look-alike digits, aliases,
// bare ids, junk), strict mode calls KMS Decrypt only with a keyIds entry and a discovery filter
// only with an ARN inside it (or, for a kmsbox blob, the caller's own bare key id); a success
// names a trusted key, and the attacker's key never sees a call.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kms, MemoryAuditSink, decryptEnvelope, type KmsLike } from 'kmsbox';
import { parseKeyRef } from '../../src/keys/arn.js';
import { build } from './build.js';
import { bytes } from './helpers.js';

const VICTIM = '111122223333';
const ATTACKER = '999988887777';
const RUNS = Number(process.env.KMSBOX_FUZZ_RUNS ?? 150);

describe('key trust holds for any recipient the author writes', () => {
  it('strict mode and a discovery filter send Decrypt only to trusted keys', async () => {
    const audit = new MemoryAuditSink();
    const victim = new Kms({ audit, accountId: VICTIM });
    const attacker = victim.withAccount(ATTACKER);
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'owner', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ATTACKER}:root` }, Action: 'kms:*', Resource: '*' },
        { Sid: 'lure', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${VICTIM}:root` }, Action: 'kms:Decrypt', Resource: '*' },
      ],
    };
    const mine = (await victim.createKey({})).KeyMetadata!;
    const theirs = (await attacker.createKey({ Policy: JSON.stringify(policy) })).KeyMetadata!;
    const dek = bytes(32, 3);
    const context = { tenant: 't1' };
    const blobs = {
      mine: (await victim.encrypt({ KeyId: mine.KeyId!, Plaintext: dek, EncryptionContext: context })).CiphertextBlob!,
      theirs: (await attacker.encrypt({ KeyId: theirs.KeyId!, Plaintext: dek, EncryptionContext: context })).CiphertextBlob!,
    };
    const sent: Array<string | undefined> = [];
    const client: KmsLike = {
      generateDataKey: (i) => victim.generateDataKey(i),
      encrypt: (i) => victim.encrypt(i),
      decrypt: (i) => {
        sent.push(i.KeyId);
        return victim.decrypt(i);
      },
    };
    const ids = [mine.KeyId!, theirs.KeyId!];
    const keyRef = fc.oneof(
      fc.constant(null),
      fc.constantFrom(...ids, mine.Arn!, theirs.Arn!, mine.KeyId!.toUpperCase(), ` ${mine.KeyId}`, `${mine.KeyId}\n`, 'alias/app', 'x'),
      fc
        .record({
          partition: fc.constantFrom('aws', 'aws-cn', 'AWS', 'aws '),
          region: fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1', ''),
          account: fc.constantFrom(VICTIM, ATTACKER, '11112222333\uff13', `${VICTIM}\n`),
          kind: fc.constantFrom('key/', 'alias/', 'key/alias/x:key/', 'KEY/'),
          id: fc.constantFrom(...ids, mine.KeyId!.toUpperCase(), `${mine.KeyId} `, `mrk-${mine.KeyId!.replaceAll('-', '')}`),
        })
        .map(({ partition, region, account, kind, id }) => `arn:${partition}:kms:${region}:${account}:${kind}${id}`),
      fc.string({ minLength: 1, maxLength: 80 }),
    );
    const recipient = fc.record({ keyRef, blob: fc.constantFrom<'mine' | 'theirs'>('mine', 'theirs') });
    const inFilter = (k: string) => {
      const ref = parseKeyRef(k);
      return ref?.kind === 'key' && (ref.accountId === undefined ? ref.keyId === k : ref.accountId === VICTIM && ref.partition === 'aws');
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(recipient, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.constantFrom('id', 'arn', 'filter'),
        async (rs, withheld, mode) => {
          // A blob with keyRef null must be a kmsbox blob naming its key: true of both blobs here.
          const envelope = await build({
            dek,
            messageId: bytes(32, 4),
            recipients: rs.map((r) => ({ type: 1, keyRef: r.keyRef, wrapped: blobs[r.blob] })),
            segments: [bytes(7)],
            ...(withheld ? { withheld: context } : { context }),
          });
          const trust =
            mode === 'id'
              ? { keyIds: [mine.KeyId!] }
              : mode === 'arn'
                ? { keyIds: [mine.Arn!] }
                : { discovery: { accountIds: [VICTIM], partition: 'aws' } };
          sent.length = 0;
          audit.clear();
          let keyId: string | undefined;
          try {
            keyId = (await decryptEnvelope(envelope, { kms: client, encryptionContext: context, ...trust })).keyId;
          } catch {
            keyId = undefined;
          }
          for (const k of sent) {
            expect(k).toBeDefined();
            if (mode === 'id') expect(k).toBe(mine.KeyId);
            else if (mode === 'arn') expect(k).toBe(mine.Arn);
            else expect(inFilter(k!), k).toBe(true);
          }
          if (keyId !== undefined) expect(keyId).toBe(mine.Arn);
          expect(audit.events.filter((e) => e.recipientAccountId === ATTACKER || JSON.stringify(e).includes(theirs.Arn!))).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
