// ArnLike/ArnEquals component by component, IpAddress on both families, CIDR validation.
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { Kms } from 'kmsbox';
import { arnMatches, conditionHolds, likeMatches } from '../../src/policy/conditions.js';

/**
 * The reference model, written from the IAM text ("Each of the six colon-delimited components of
 * the ARN is checked separately"): split both at their first five colons, and glob each pair.
 */
function globRef(pattern: string, value: string): boolean {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's').test(value);
}
function split6(s: string): string[] | undefined {
  const parts = s.split(':');
  return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
}
function arnRef(pattern: string, value: string): boolean {
  const p = split6(pattern);
  const v = split6(value);
  return p !== undefined && v !== undefined && p.every((part, i) => globRef(part, v[i]!));
}

const unit = fc.constantFrom('a', 'b', ':', '/', '*', '?', '1', 'aws', 'iam', 'role', '.', 'é');
const text = fc.array(unit, { maxLength: 14 }).map((a) => a.join(''));
const arnish = fc
  .tuple(fc.array(fc.constantFrom('arn', 'aws', 'iam', '', '*', '?', 'a*', '1?', '111122223333'), { minLength: 5, maxLength: 7 }), text)
  .map(([parts, rest]) => [...parts, rest].join(':'));

describe('ArnLike/ArnEquals', () => {
  test('agree with the component-by-component model (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(arnish, text),
        fc.oneof(
          arnish.map((s) => s.replace(/[*?]/g, 'x')),
          text,
        ),
        (pattern, value) => {
          expect(arnMatches(pattern, value)).toBe(arnRef(pattern, value));
        },
      ),
      { numRuns: 3000, seed: 18 },
    );
  });

  it('a wildcard does not cross a colon in the first five components (the issue’s example), but does in the resource', () => {
    expect(arnMatches('arn:aws:iam:*:role/app', 'arn:aws:iam::111122223333:role/app')).toBe(false);
    expect(arnMatches('arn:aws:iam::*:role/app', 'arn:aws:iam::111122223333:role/app')).toBe(true);
    expect(arnMatches('arn:aws:iam::1111?2223333:role/app', 'arn:aws:iam::111122223333:role/app')).toBe(true);
    expect(arnMatches('arn:aws:iam::?:role/app', 'arn:aws:iam:::role/app')).toBe(false);
    expect(arnMatches('arn:*:*:*:*:*', 'arn:aws:kms:us-east-1:111122223333:key/a:b')).toBe(true);
    expect(arnMatches('arn:aws:kms:us-east-1:111122223333:key/*', 'arn:aws:kms:us-east-1:111122223333:key/a:b:c')).toBe(true);
    expect(arnMatches('arn:aws:kms:us-east-1:111122223333:key/?', 'arn:aws:kms:us-east-1:111122223333:key/:')).toBe(true);
    expect(arnMatches('*', 'arn:aws:kms:us-east-1:111122223333:key/x')).toBe(false); // not an ARN
    expect(arnMatches('arn:aws:kms:*', 'arn:aws:kms:us-east-1:111122223333:key/x')).toBe(false);
    expect(arnMatches('arn:aws:iam::111122223333:role/App', 'arn:aws:iam::111122223333:role/app')).toBe(false); // case-sensitive
  });

  it('substituted pieces: their colons separate components, their wildcards are characters', () => {
    const acct = (literal: string) => [{ glob: 'arn:aws:iam::' }, { literal }, { glob: ':user/*' }];
    expect(arnMatches(acct('111122223333'), 'arn:aws:iam::111122223333:user/a')).toBe(true);
    expect(arnMatches(acct('*'), 'arn:aws:iam::111122223333:user/a')).toBe(false);
    expect(arnMatches(acct('*'), 'arn:aws:iam::*:user/a')).toBe(true);
    // A colon from a variable separates components like any other: `1` is the account, `2:user/*` the resource.
    expect(arnMatches(acct('1:2'), 'arn:aws:iam::1:2:user/a')).toBe(true);
    expect(arnMatches([{ glob: 'arn:aws:iam::*' }, { literal: ':x' }, { glob: ':*' }], 'arn:aws:iam::1:2:x:y')).toBe(false); // `*` cannot take `1:2`
    expect(arnMatches([{ literal: 'arn:aws:iam::111122223333:user/a' }], 'arn:aws:iam::111122223333:user/a')).toBe(true);
    expect(arnMatches([{ literal: 'arn:aws:iam::111122223333:user/a' }], 'arn:aws:iam::111122223333:user/ab')).toBe(false);
    expect(arnMatches([{ literal: 'arn:aws:iam::111122223333' }], 'arn:aws:iam::111122223333:')).toBe(false); // four colons: no ARN
    expect(arnMatches([{ glob: 'arn:aws:iam::111122223333:user/' }, { literal: 'a.b' }], 'arn:aws:iam::111122223333:user/aXb')).toBe(false);
  });

  it('through a policy: the issue’s ArnLike no longer admits the role', async () => {
    const A = '111122223333';
    const APP = `arn:aws:iam::${A}:role/app`;
    const kms = new Kms({
      identityPolicies: {
        [APP]: [
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'kms:Encrypt',
                Resource: '*',
                Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam:*:role/app' } },
              },
            ],
          }),
        ],
      },
    });
    const key = (await kms.createKey({})).KeyMetadata!;
    const e = (await kms
      .withPrincipal(APP)
      .encrypt({ KeyId: key.KeyId, Plaintext: new Uint8Array(1) })
      .catch((x: Error) => x)) as Error;
    expect(e.name).toBe('AccessDeniedException');
  });

  it('Resource ARNs are matched by component; a short ARN with a wildcard covers the rest', async () => {
    const A = '111122223333';
    const U = `arn:aws:iam::${A}:user/u`;
    const kms = new Kms();
    const key = (await kms.createKey({})).KeyMetadata!;
    const run = async (Resource: string) => {
      kms.setIdentityPolicies(U, [
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:DescribeKey', Resource }] }),
      ]);
      return kms
        .withPrincipal(U)
        .describeKey({ KeyId: key.KeyId })
        .then(
          () => true,
          () => false,
        );
    };
    expect(await run(`arn:aws:kms:*:${A}:key/*`)).toBe(true);
    expect(await run('arn:aws:kms:*')).toBe(true);
    expect(await run('arn:aws:kms:us-east-1:*')).toBe(true);
    expect(await run(`arn:aws:kms:us-east-1:${A}`)).toBe(false); // short, no wildcard
    expect(await run(`arn:aws:kms:*:key/${key.KeyId}`)).toBe(false); // `*` would have to span region and account
    expect(await run(`arn:aws:kms:us-east-1:${A}:key/${key.KeyId}`)).toBe(true);
    // NotResource: a short ARN that does not match cannot put the request outside it — the
    // statement does not apply (it used to allow everything but `arn:aws:kms:*:key/*:*`).
    const notResource = async (NotResource: string) => {
      kms.setIdentityPolicies(U, [
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:DescribeKey', NotResource }] }),
      ]);
      return kms
        .withPrincipal(U)
        .describeKey({ KeyId: key.KeyId })
        .then(
          () => true,
          () => false,
        );
    };
    expect(await notResource('arn:aws:kms:*:key/*')).toBe(false);
    expect(await notResource(`arn:aws:kms:us-east-1:${A}`)).toBe(false);
    expect(await notResource('arn:aws:kms:*')).toBe(false); // matches: inside NotResource
    expect(await notResource(`arn:aws:kms:*:${A}:alias/*`)).toBe(true); // a full ARN that does not match: outside
  });
});

describe('IpAddress / NotIpAddress', () => {
  const holds = (operator: 'IpAddress' | 'NotIpAddress', values: string[], ip: string | undefined) =>
    conditionHolds({ operator, ifExists: false, values }, ip === undefined ? undefined : [ip]);

  it('IPv4 and IPv6 CIDRs and single addresses', () => {
    expect(holds('IpAddress', ['203.0.113.0/24'], '203.0.113.9')).toBe(true);
    expect(holds('IpAddress', ['203.0.113.0/24'], '203.0.114.9')).toBe(false);
    expect(holds('IpAddress', ['203.0.113.9'], '203.0.113.9')).toBe(true);
    expect(holds('IpAddress', ['203.0.113.9'], '203.0.113.8')).toBe(false);
    expect(holds('IpAddress', ['0.0.0.0/0'], '198.51.100.1')).toBe(true);
    expect(holds('IpAddress', ['2001:db8::/32'], '2001:db8:1234::1')).toBe(true);
    expect(holds('IpAddress', ['2001:DB8:1234:5678::/64'], '2001:db8:1234:5678:abcd::1')).toBe(true);
    expect(holds('IpAddress', ['2001:db8::/32'], '2001:db9::1')).toBe(false);
    expect(holds('IpAddress', ['::1'], '::1')).toBe(true);
    expect(holds('IpAddress', ['::/0'], '2001:db8::1')).toBe(true);
    // The families do not mix.
    expect(holds('IpAddress', ['0.0.0.0/0'], '2001:db8::1')).toBe(false);
    expect(holds('IpAddress', ['::/0'], '198.51.100.1')).toBe(false);
    expect(holds('NotIpAddress', ['10.0.0.0/8'], '2001:db8::1')).toBe(true);
    expect(holds('NotIpAddress', ['2001:db8::/32'], '2001:db8::1')).toBe(false);
  });

  it('an IPv4-mapped IPv6 address (Node on a dual-stack listener) matches IPv4 ranges', () => {
    expect(holds('IpAddress', ['127.0.0.0/8'], '::ffff:127.0.0.1')).toBe(true);
    expect(holds('IpAddress', ['127.0.0.1'], '::ffff:127.0.0.1')).toBe(true);
    expect(holds('NotIpAddress', ['127.0.0.0/8'], '::ffff:127.0.0.1')).toBe(false);
    expect(holds('IpAddress', ['10.0.0.0/8'], '::ffff:127.0.0.1')).toBe(false);
    expect(holds('IpAddress', ['::ffff:10.0.0.0/104'], '10.1.2.3')).toBe(true); // a mapped range is its IPv4 range
    expect(holds('IpAddress', ['::ffff:10.0.0.0/104'], '11.1.2.3')).toBe(false);
    expect(holds('IpAddress', ['::ffff:0.0.0.0/96'], '11.1.2.3')).toBe(true); // /96: every IPv4 address
    expect(holds('IpAddress', ['::ffff:0.0.0.0/95'], '11.1.2.3')).toBe(false); // wider than the mapped block: an IPv6 range
    expect(holds('IpAddress', ['::ffff:0.0.0.0/95'], '::1:ffff:0:0')).toBe(false);
    expect(holds('IpAddress', ['::fffe:0:0/95'], '::ffff:0:1')).toBe(false); // a mapped request is IPv4 now
  });

  it('an absent or unparsable address: IpAddress false, NotIpAddress true when absent, false when garbage', () => {
    expect(holds('IpAddress', ['0.0.0.0/0'], undefined)).toBe(false);
    expect(holds('NotIpAddress', ['10.0.0.0/8'], undefined)).toBe(true);
    expect(holds('IpAddress', ['0.0.0.0/0'], 'not-an-ip')).toBe(false);
    expect(holds('NotIpAddress', ['10.0.0.0/8'], 'not-an-ip')).toBe(true);
  });

  it('a malformed address or CIDR in a policy is MalformedPolicyDocumentException at CreateKey and PutKeyPolicy', async () => {
    const kms = new Kms();
    const key = (await kms.createKey({})).KeyMetadata!;
    const root = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' };
    const policy = (value: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [root, { ...root, Effect: 'Deny', Condition: { IpAddress: { 'aws:SourceIp': value } } }],
      });
    for (const bad of [
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0',
      '127.1',
      '10.0.0.0/8/8',
      'fe80::1%eth0',
      '10.0.0.0/-1',
      'example.com',
      '',
      '10.0.0.0/',
      '2001:db8::/a',
    ]) {
      for (const call of [
        kms.createKey({ Policy: policy(bad), BypassPolicyLockoutSafetyCheck: true }),
        kms.putKeyPolicy({ KeyId: key.KeyId, Policy: policy(bad), BypassPolicyLockoutSafetyCheck: true }),
      ]) {
        const e = (await call.catch((x: Error) => x)) as Error;
        expect([bad, e.name]).toEqual([bad, 'MalformedPolicyDocumentException']);
        expect(e.message).toMatch(/^The IpAddress condition needs IPv4 or IPv6 addresses or CIDR blocks: ".*" is neither\.$/);
      }
    }
    for (const good of ['10.0.0.0/8', '10.0.0.1', '2001:db8::/32', '::1', '::ffff:10.0.0.0/104', '0.0.0.0/0']) {
      await kms.putKeyPolicy({ KeyId: key.KeyId, Policy: policy(good), BypassPolicyLockoutSafetyCheck: true });
    }
  });

  it('aws:SourceIp from the wire request, both families', async () => {
    const { handleWireRequest } = await import('../../src/protocol/wire-handler.js');
    const kms = new Kms();
    const key = (await kms.createKey({})).KeyMetadata!;
    kms.setIdentityPolicies('arn:aws:iam::111122223333:root', [
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Action: 'kms:*',
            Resource: '*',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1', '2001:db8::/32'] } },
          },
        ],
      }),
    ]);
    const call = (sourceIp: string) =>
      handleWireRequest(kms, {
        headers: { 'x-amz-target': 'TrentService.DescribeKey' },
        body: JSON.stringify({ KeyId: key.KeyId }),
        sourceIp,
      }).then((r) => r.statusCode);
    expect(await call('::ffff:127.0.0.1')).toBe(200);
    expect(await call('127.0.0.1')).toBe(200);
    expect(await call('::1')).toBe(200);
    expect(await call('2001:db8::5')).toBe(200);
    expect(await call('::ffff:10.0.0.1')).toBe(400);
    expect(await call('2001:db9::5')).toBe(400);
  });
});

describe('StringLike with substituted pieces', () => {
  it('only the author’s wildcards are wildcards', () => {
    expect(likeMatches([{ glob: 'a*' }, { literal: '*' }], 'abc*')).toBe(true);
    expect(likeMatches([{ glob: 'a*' }, { literal: '*' }], 'abc')).toBe(false);
    expect(likeMatches([{ literal: 'a.b' }], 'aXb')).toBe(false);
    expect(likeMatches([{ glob: 'a?' }, { literal: '?' }], 'ab?')).toBe(true);
    expect(likeMatches([{ glob: 'a?' }, { literal: '?' }], 'abc')).toBe(false);
  });
});
