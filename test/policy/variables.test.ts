// Policy variables ("IAM policy elements: Variables and tags") through the Kms: substituted in
// Resource and in String/Arn condition values of 2012-10-17 documents, literal elsewhere.
import { describe, expect, it } from 'vitest';
import { Kms, ManualClock, type KMSServiceException } from 'kmsbox';

const A = '111122223333';
const ALICE = `arn:aws:iam::${A}:user/alice`;
const BOB = `arn:aws:iam::${A}:user/team/bob`;
const APP = `arn:aws:iam::${A}:role/app`;
const SESSION = `arn:aws:sts::${A}:assumed-role/app/build-42`;
const ROOT = `arn:aws:iam::${A}:root`;

const doc = (Statement: object[], Version: string | null = '2012-10-17') => JSON.stringify({ ...(Version ? { Version } : {}), Statement });
const allow = (Action: string | string[], Resource: string | string[] = '*', Condition?: object) => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});
const utf8 = (s: string) => new TextEncoder().encode(s);

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'allow';
  } catch (e) {
    const err = e as KMSServiceException;
    return err.name === 'AccessDeniedException' ? (err.message.includes('explicit deny') ? 'deny' : 'denied') : err.name;
  }
}

/** A key with the default policy; `who` gets `policies` as identity policies. */
async function world(policies: string[], who: string[] = [ALICE, BOB, APP, SESSION], clock?: ManualClock) {
  const root = new Kms({ identityPolicies: Object.fromEntries(who.map((p) => [p, policies])), ...(clock ? { clock } : {}) });
  const key = (await root.createKey({})).KeyMetadata!;
  const enc = (p: string, EncryptionContext?: Record<string, string>) =>
    root.withPrincipal(p).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), ...(EncryptionContext ? { EncryptionContext } : {}) });
  return { root, key, enc };
}

describe('policy variables in condition values', () => {
  it('${aws:username} is the caller’s user name, not the literal text (the issue’s example)', async () => {
    const { enc } = await world([doc([allow('kms:Encrypt', '*', { StringEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } })])]);
    expect(await outcome(enc(ALICE, { owner: 'alice' }))).toBe('allow');
    expect(await outcome(enc(ALICE, { owner: '${aws:username}' }))).toBe('denied');
    expect(await outcome(enc(ALICE, { owner: 'bob' }))).toBe('denied');
    expect(await outcome(enc(BOB, { owner: 'bob' }))).toBe('allow'); // the name after the path
    // A role session has no aws:username: the condition matches nothing, whatever the context says.
    expect(await outcome(enc(SESSION, { owner: '${aws:username}' }))).toBe('denied');
    expect(await outcome(enc(SESSION, { owner: '' }))).toBe('denied');
  });

  it('2008-10-17 documents and documents without a Version keep variables as literal text', async () => {
    for (const version of ['2008-10-17', null]) {
      const { enc } = await world([
        doc([allow('kms:Encrypt', '*', { StringEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } })], version),
      ]);
      expect(await outcome(enc(ALICE, { owner: '${aws:username}' })), String(version)).toBe('allow');
      expect(await outcome(enc(ALICE, { owner: 'alice' })), String(version)).toBe('denied');
    }
  });

  it('aws:userid of a role session is role:session; aws:PrincipalAccount, aws:PrincipalType and the request keys resolve too', async () => {
    const { enc } = await world([
      doc([
        allow('kms:Encrypt', '*', {
          StringEquals: {
            'kms:EncryptionContext:who': '${aws:userid}',
            'kms:EncryptionContext:acct': 'acct-${aws:PrincipalAccount}-${aws:PrincipalType}',
          },
          StringLike: { 'kms:EncryptionContext:echo': '${kms:EncryptionContext:who}/*' },
        }),
      ]),
    ]);
    expect(await outcome(enc(SESSION, { who: 'app:build-42', acct: `acct-${A}-AssumedRole`, echo: 'app:build-42/x' }))).toBe('allow');
    expect(await outcome(enc(SESSION, { who: 'app:build-42', acct: `acct-${A}-AssumedRole`, echo: 'other/x' }))).toBe('denied');
    expect(await outcome(enc(SESSION, { who: 'app:other', acct: `acct-${A}-AssumedRole`, echo: 'app:other/x' }))).toBe('denied');
    expect(await outcome(enc(ALICE, { who: 'alice', acct: `acct-${A}-User`, echo: 'alice/1' }))).toBe('allow');
  });

  it('a wildcard that comes out of a variable is a literal character, not a wildcard', async () => {
    // The requester controls the context: its `*` must not widen the author's pattern.
    const { enc } = await world([
      doc([allow('kms:Encrypt', '*', { StringLike: { 'kms:EncryptionContext:path': '${kms:EncryptionContext:home}/*' } })]),
    ]);
    expect(await outcome(enc(ALICE, { home: '*', path: 'anything/x' }))).toBe('denied');
    expect(await outcome(enc(ALICE, { home: '*', path: '*/x' }))).toBe('allow');
    expect(await outcome(enc(ALICE, { home: 'h?', path: 'hx/x' }))).toBe('denied');
    expect(await outcome(enc(ALICE, { home: 'h', path: 'h/deep/er' }))).toBe('allow');
  });

  it('${*}, ${?} and ${$} are literal characters; defaults stand in for a missing key', async () => {
    const { enc } = await world([
      doc([
        allow('kms:Encrypt', '*', {
          StringLike: { 'kms:EncryptionContext:a': 'x${*}y${?}z${$}' },
          StringEquals: { 'kms:EncryptionContext:b': "${aws:username, 'nobody'}" },
        }),
      ]),
    ]);
    expect(await outcome(enc(ALICE, { a: 'x*y?z$', b: 'alice' }))).toBe('allow');
    expect(await outcome(enc(ALICE, { a: 'xQyQz$', b: 'alice' }))).toBe('denied');
    expect(await outcome(enc(SESSION, { a: 'x*y?z$', b: 'nobody' }))).toBe('allow'); // no aws:username: the default
    expect(await outcome(enc(SESSION, { a: 'x*y?z$', b: "${aws:username, 'nobody'}" }))).toBe('denied');
  });

  it('an unresolvable variable makes a negated condition fail too, so its Deny does not fire (as in AWS) — and its Allow never grants', async () => {
    const { enc } = await world([
      doc([
        allow('kms:Encrypt'),
        {
          Effect: 'Deny',
          Action: 'kms:Encrypt',
          Resource: '*',
          Condition: { StringNotEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } },
        },
      ]),
    ]);
    expect(await outcome(enc(ALICE, { owner: 'bob' }))).toBe('deny');
    expect(await outcome(enc(ALICE, { owner: 'alice' }))).toBe('allow');
    expect(await outcome(enc(SESSION, { owner: 'anyone' }))).toBe('allow');
    const allowOnly = await world([
      doc([allow('kms:Encrypt', '*', { StringNotEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } })]),
    ]);
    expect(await outcome(allowOnly.enc(SESSION, { owner: 'anyone' }))).toBe('denied');
    expect(await outcome(allowOnly.enc(ALICE, { owner: 'bob' }))).toBe('allow');
  });

  it('an absent request key under a negated operator or IfExists holds before any variable is resolved', async () => {
    // No value is compared, so aws:username missing for a session does not matter (as the
    // differential test's simulator reads it).
    const { enc } = await world([
      doc([allow('kms:Encrypt', '*', { StringNotEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } })]),
    ]);
    expect(await outcome(enc(SESSION))).toBe('allow');
    expect(await outcome(enc(SESSION, { other: 'x' }))).toBe('allow');
    expect(await outcome(enc(SESSION, { owner: 'x' }))).toBe('denied');
    const ifExists = await world([
      doc([allow('kms:Encrypt', '*', { StringEqualsIfExists: { 'kms:EncryptionContext:owner': '${aws:username}' } })]),
    ]);
    expect(await outcome(ifExists.enc(SESSION))).toBe('allow');
    expect(await outcome(ifExists.enc(SESSION, { owner: '' }))).toBe('denied');
  });

  it('multivalued keys are never variables', async () => {
    const { enc } = await world([
      doc([allow('kms:Encrypt', '*', { StringEquals: { 'kms:EncryptionContext:k': '${kms:EncryptionContextKeys}' } })]),
    ]);
    expect(await outcome(enc(ALICE, { k: 'k' }))).toBe('denied');
    expect(await outcome(enc(ALICE, { k: '${kms:EncryptionContextKeys}' }))).toBe('denied');
  });

  it('variables stay literal in Numeric, Date, Bool and IpAddress conditions (IAM: string and ARN operators only)', async () => {
    const clock = new ManualClock(new Date('2026-06-01T00:00:00Z'));
    // An unparsable Date value would be refused, so a variable there is refused as not a date.
    const root = new Kms({ clock });
    const e = (await root
      .createKey({
        Policy: doc([
          {
            Effect: 'Allow',
            Principal: { AWS: ROOT },
            Action: 'kms:*',
            Resource: '*',
            Condition: { DateLessThan: { 'aws:CurrentTime': '${aws:CurrentTime}' } },
          },
        ]),
      })
      .catch((x: Error) => x)) as Error;
    expect(e.name).toBe('MalformedPolicyDocumentException');
    const { enc } = await world(
      [doc([allow('kms:Encrypt', '*', { StringEquals: { 'kms:EncryptionContext:t': '${aws:CurrentTime}' } })])],
      [ALICE],
      clock,
    );
    expect(await outcome(enc(ALICE, { t: '2026-06-01T00:00:00.000Z' }))).toBe('allow');
  });
});

describe('policy variables in Resource', () => {
  it('in the resource part of an ARN; a variable before the fifth colon matches nothing', async () => {
    const root = new Kms();
    const key = (await root.createKey({})).KeyMetadata!;
    await root.tagResource({ KeyId: key.KeyId, Tags: [{ TagKey: 'team', TagValue: 'blue' }] });
    const byId = `arn:aws:kms:us-east-1:${A}:key/\${kms:EncryptionContext:key}`;
    root.setIdentityPolicies(ALICE, [doc([allow('kms:Encrypt', byId)])]);
    const alice = root.withPrincipal(ALICE);
    expect(await outcome(alice.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: { key: key.KeyId! } }))).toBe('allow');
    expect(await outcome(alice.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: { key: 'other' } }))).toBe('denied');
    expect(await outcome(alice.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('denied');
    // The account part may not be a variable.
    root.setIdentityPolicies(ALICE, [doc([allow('kms:Encrypt', 'arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*')])]);
    expect(await outcome(alice.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('denied');
    // NotResource with an unresolvable variable: the statement does not apply (no "outside NotResource").
    root.setIdentityPolicies(ALICE, [
      doc([{ Effect: 'Allow', Action: 'kms:Encrypt', NotResource: `arn:aws:kms:us-east-1:${A}:key/\${aws:userid}` }]),
    ]);
    expect(await outcome(alice.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('allow');
    root.setIdentityPolicies(SESSION, [
      doc([{ Effect: 'Allow', Action: 'kms:Encrypt', NotResource: `arn:aws:kms:us-east-1:${A}:key/\${aws:username}` }]),
    ]);
    expect(await outcome(root.withPrincipal(SESSION).encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }))).toBe('denied');
  });

  it('in key policies too; not in Principal or Action', async () => {
    const root = new Kms({ identityPolicies: { [ALICE]: [doc([allow('kms:*')])] } });
    const policy = doc([
      { Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 'kms:Encrypt',
        Resource: '*',
        Condition: { StringNotEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } },
      },
    ]);
    const key = (await root.createKey({ Policy: policy })).KeyMetadata!;
    const alice = root.withPrincipal(ALICE);
    expect(await outcome(alice.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: { owner: 'alice' } }))).toBe('allow');
    expect(await outcome(alice.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x'), EncryptionContext: { owner: '${aws:username}' } }))).toBe(
      'deny',
    );
    // Action with a variable is its literal text: it matches no action.
    root.setIdentityPolicies(BOB, [doc([allow('kms:${aws:username}')])]);
    expect(await outcome(root.withPrincipal(BOB).describeKey({ KeyId: key.KeyId }))).toBe('denied');
  });
});

describe('global condition keys of a direct call', () => {
  const keyed = (Condition: object, Effect = 'Allow') => doc([{ Effect, Action: 'kms:Encrypt', Resource: '*', Condition }]);

  it('aws:PrincipalType, aws:userid, aws:username by kind of caller', async () => {
    const cases: Array<[string, string, string | undefined, string | undefined]> = [
      [ROOT, 'Account', A, undefined],
      [ALICE, 'User', 'alice', 'alice'],
      [BOB, 'User', 'bob', 'bob'],
      [SESSION, 'AssumedRole', 'app:build-42', undefined],
      [APP, 'AssumedRole', undefined, undefined],
      [`arn:aws:sts::${A}:federated-user/fed`, 'FederatedUser', `${A}:fed`, undefined],
    ];
    for (const [who, type, userid, username] of cases) {
      const { enc } = await world(
        [
          keyed({
            StringEquals: {
              'kms:EncryptionContext:t': '${aws:PrincipalType}',
              'kms:EncryptionContext:i': "${aws:userid, '-'}",
              'kms:EncryptionContext:n': "${aws:username, '-'}",
            },
          }),
        ],
        [who],
      );
      const root = who === ROOT;
      expect(await outcome(enc(who, { t: type, i: userid ?? '-', n: username ?? '-' })), who).toBe('allow');
      if (!root) expect(await outcome(enc(who, { t: 'X', i: userid ?? '-', n: username ?? '-' })), who).toBe('denied');
    }
  });

  it('aws:UserAgent, aws:RequestedRegion, aws:SecureTransport, aws:ViaAWSService, aws:PrincipalIsAWSService, aws:ResourceAccount', async () => {
    const { root, key } = await world([]);
    const set = (Condition: object) => root.setIdentityPolicies(ALICE, [keyed(Condition)]);
    const enc = (k: Kms) => k.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') });
    set({ StringLike: { 'aws:UserAgent': 'my-app/*' } });
    expect(await outcome(enc(root.withPrincipal(ALICE, { userAgent: 'my-app/1.0' })))).toBe('allow');
    expect(await outcome(enc(root.withPrincipal(ALICE, { userAgent: 'curl/8' })))).toBe('denied');
    expect(await outcome(enc(root.withPrincipal(ALICE)))).toBe('denied');
    set({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } });
    expect(await outcome(enc(root.withPrincipal(ALICE)))).toBe('allow');
    set({ StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } });
    expect(await outcome(enc(root.withPrincipal(ALICE)))).toBe('denied');
    set({ Bool: { 'aws:SecureTransport': 'true', 'aws:ViaAWSService': 'false', 'aws:PrincipalIsAWSService': 'false' } });
    expect(await outcome(enc(root.withPrincipal(ALICE)))).toBe('allow'); // in-process: no network to cross
    expect(await outcome(enc(root.withPrincipal(ALICE, { secureTransport: false })))).toBe('denied');
    set({ StringEquals: { 'aws:ResourceAccount': A } });
    expect(await outcome(enc(root.withPrincipal(ALICE)))).toBe('allow');
    set({ StringEquals: { 'aws:ResourceAccount': '444455556666' } });
    expect(await outcome(enc(root.withPrincipal(ALICE)))).toBe('denied');
  });

  it('a Deny on aws:SecureTransport false fires for requests that came over plain HTTP', async () => {
    const { handleWireRequest } = await import('../../src/protocol/wire-handler.js');
    const { root, key } = await world([]);
    root.setIdentityPolicies(ROOT, [
      doc([{ Effect: 'Deny', Action: 'kms:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }]),
    ]);
    const request = (extra: object) => ({
      headers: { 'x-amz-target': 'TrentService.DescribeKey', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ KeyId: key.KeyId }),
      ...extra,
    });
    expect((await handleWireRequest(root, request({}))).statusCode).toBe(200); // in-process SDK
    const plain = await handleWireRequest(root, request({ sourceIp: '127.0.0.1' }));
    expect([plain.statusCode, plain.headers['x-amzn-errortype']]).toEqual([400, 'AccessDeniedException']);
    expect((await handleWireRequest(root, request({ sourceIp: '127.0.0.1', secureTransport: true }))).statusCode).toBe(200);
  });

  it('keys kmsbox cannot know are absent: a plain condition on them fails, IfExists and negated ones hold', async () => {
    const { root, key } = await world([]);
    const alice = root.withPrincipal(ALICE);
    const enc = () => alice.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') });
    root.setIdentityPolicies(ALICE, [keyed({ StringEquals: { 'aws:SourceVpc': 'vpc-1' } })]);
    expect(await outcome(enc())).toBe('denied');
    root.setIdentityPolicies(ALICE, [
      keyed({
        StringEqualsIfExists: { 'aws:SourceVpc': 'vpc-1' },
        StringNotEquals: { 'aws:PrincipalOrgID': 'o-1' },
        Null: { 'aws:MultiFactorAuthPresent': 'true' },
      }),
    ]);
    expect(await outcome(enc())).toBe('allow');
  });
});

describe('multivalued keys without ForAnyValue/ForAllValues', () => {
  it('the condition does not match, for any operator (AWS requires a set operator): an Allow never grants, a Deny never fires', async () => {
    const allowNot = doc([allow('kms:Encrypt', '*', { StringNotEquals: { 'kms:EncryptionContextKeys': 'secret' } })]);
    const { enc, root } = await world([allowNot], [ALICE]);
    // It used to be read as ForAnyValue: {a, secret} has a key ≠ "secret", so it was allowed.
    expect(await outcome(enc(ALICE, { a: '1', secret: '2' }))).toBe('denied');
    expect(await outcome(enc(ALICE, { a: '1' }))).toBe('denied');
    expect(await outcome(enc(ALICE))).toBe('allow'); // absent: a negated operator holds
    root.setIdentityPolicies(ALICE, [doc([allow('kms:Encrypt', '*', { StringEquals: { 'kms:EncryptionContextKeys': 'a' } })])]);
    expect(await outcome(enc(ALICE, { a: '1' }))).toBe('denied');
    root.setIdentityPolicies(ALICE, [
      doc([allow('kms:Encrypt', '*', { 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'a' } })]),
    ]);
    expect(await outcome(enc(ALICE, { a: '1' }))).toBe('allow');
    root.setIdentityPolicies(ALICE, [
      doc([
        allow('kms:Encrypt'),
        { Effect: 'Deny', Action: 'kms:Encrypt', Resource: '*', Condition: { StringEquals: { 'kms:EncryptionContextKeys': 'a' } } },
      ]),
    ]);
    expect(await outcome(enc(ALICE, { a: '1' }))).toBe('allow');
  });

  it('applies to aws:TagKeys and kms:GrantOperations too', async () => {
    const { root, key } = await world([], [ALICE]);
    root.setIdentityPolicies(ALICE, [
      doc([
        allow(['kms:TagResource', 'kms:CreateGrant'], '*', {
          StringNotLike: { 'aws:TagKeys': 'secret*', 'kms:GrantOperations': 'Decrypt' },
        }),
      ]),
    ]);
    const alice = root.withPrincipal(ALICE);
    expect(
      await outcome(
        alice.tagResource({
          KeyId: key.KeyId,
          Tags: [
            { TagKey: 'team', TagValue: 'x' },
            { TagKey: 'secretive', TagValue: 'y' },
          ],
        }),
      ),
    ).toBe('denied');
    expect(await outcome(alice.createGrant({ KeyId: key.KeyId, GranteePrincipal: BOB, Operations: ['Encrypt', 'Decrypt'] }))).toBe(
      'denied',
    );
  });
});

describe('over a real socket (kmsbox serve on 127.0.0.1)', () => {
  it('aws:SourceIp is the client’s address, aws:SecureTransport false, aws:UserAgent the SDK’s', async () => {
    const { startServer } = await import('kmsbox/node');
    const { KMSClient, DescribeKeyCommand } = await import('@aws-sdk/client-kms');
    const root = new Kms();
    const key = (await root.createKey({})).KeyMetadata!;
    const server = await startServer(root);
    try {
      const client = new KMSClient({
        region: 'us-east-1',
        endpoint: server.url,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      const describe = () =>
        client.send(new DescribeKeyCommand({ KeyId: key.KeyId })).then(
          () => 'allow',
          (e: Error) => e.name,
        );
      const deny = (Condition: object) =>
        root.setIdentityPolicies(ROOT, [doc([{ Effect: 'Deny', Action: 'kms:DescribeKey', Resource: '*', Condition }])]);
      deny({ NotIpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1'] } });
      expect(await describe()).toBe('allow');
      deny({ IpAddress: { 'aws:SourceIp': '127.0.0.1' } });
      expect(await describe()).toBe('AccessDeniedException');
      deny({ Bool: { 'aws:SecureTransport': 'false' } });
      expect(await describe()).toBe('AccessDeniedException');
      deny({ StringLike: { 'aws:UserAgent': '*aws-sdk-js*' } });
      expect(await describe()).toBe('AccessDeniedException');
      deny({ StringNotLike: { 'aws:UserAgent': '*aws-sdk-js*' } });
      expect(await describe()).toBe('allow');
      client.destroy();
    } finally {
      await server.close();
    }
  });
});
