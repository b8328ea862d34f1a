/**
 * The cost of the audit trail and of authorization on the hot path: Encrypt of 4 KiB through
 * Kms without a sink, with the in-memory sink, and as a role authorized by an IAM policy
 * (key policy delegation + identity policy evaluation), same run.
 */
import { randomBytes } from 'node:crypto';
import { compare, earlierTarget, section, table } from './harness.js';
import { kmsbox } from './lib.js';

const { Kms, MemoryAuditSink } = kmsbox;
const payload = randomBytes(4096);
const context = { tenant: 't1', purpose: 'bench' };
const role = 'arn:aws:iam::111122223333:role/app';

section('Encrypt 4 KiB: audit trail and authorization overhead');
const plain = new Kms();
const sink = new MemoryAuditSink();
const audited = new Kms({ audit: sink });
const iam = new Kms({
  identityPolicies: {
    [role]: [
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kms:Encrypt', 'kms:Decrypt'],
            Resource: '*',
            Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 't1' } },
          },
        ],
      }),
    ],
  },
});
const keyOf = async (k: InstanceType<typeof Kms>) => (await k.createKey({})).KeyMetadata!.KeyId!;
const [k1, k2, k3] = [await keyOf(plain), await keyOf(audited), await keyOf(iam)];
const asRole = iam.withPrincipal(role);
const results = await compare(
  [
    {
      name: 'kms.encrypt (no audit sink, account root)',
      run: () => plain.encrypt({ KeyId: k1, Plaintext: payload, EncryptionContext: context }),
    },
    {
      name: 'kms.encrypt with MemoryAuditSink',
      run: async () => {
        await audited.encrypt({ KeyId: k2, Plaintext: payload, EncryptionContext: context });
        if (sink.events.length >= 1_000) sink.clear(); // a consumer drains the sink; the bench measures emitting, not an ever-growing heap
      },
    },
    {
      name: 'kms.encrypt as a role allowed by an IAM policy with a condition',
      run: () => asRole.encrypt({ KeyId: k3, Plaintext: payload, EncryptionContext: context }),
    },
  ],
  { rounds: 7, roundMs: 400 },
);
table(results, results[0]!.name);
earlierTarget(
  'Encrypt with the memory audit sink vs without (slowdown ≤ 15%)',
  results[1]!.opsPerSecond / results[0]!.opsPerSecond,
  0.85,
  '≥ 90% by CPU time, ceilings.ts',
);
