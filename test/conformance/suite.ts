/**
 * The KeyMaterialProvider conformance suite (src/providers/types.ts): every provider — memory, file,
 * webcrypto — must pass it. It drives the provider directly through its interface and
 * through `new Kms({ provider })`.
 *
 *   describeProviderConformance('memory', () => new MemoryProvider());
 *
 * `makeProvider` is called once per test and must return a fresh, empty provider.
 */
import { toHex } from '../../src/crypto/bytes.js';
import { toBase64 } from '../../src/protocol/base64.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  AlreadyExistsException,
  DisabledException,
  InvalidCiphertextException,
  KEY_SPECS,
  KeySpec,
  KMSInvalidStateException,
  Kms,
  ManualClock,
  NotFoundException,
  UnsupportedOperationException,
  type KeyMaterialProvider,
  type KeyRecord,
  type KeyUsageType,
  type OpenRequest,
  type SealRequest,
  type StoreState,
} from 'kmsbox';
import { gcm as nobleGcm } from '@noble/ciphers/aes.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import blobGolden from '../vectors/blob/golden.json' with { type: 'json' };
import { decodeBlob } from '../../src/blob/ciphertext-blob.js';
import { canonicalContext } from '../../src/blob/encryption-context.js';

export type ProviderFactory = () => KeyMaterialProvider | Promise<KeyMaterialProvider>;

// ---------------------------------------------------------------------------------------------
// helpers

const TAG_BYTES = 16;

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  out[bit >>> 3]! ^= 1 << (bit & 7);
  return out;
}

// The suite runs in Node and in a browser: no Buffer, and util.inspect only where Node has it.
const hex = toHex;
const fromHex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (byte) => parseInt(byte, 16));
const nodeUtil = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node
  ? ((await import('node:util')) as typeof import('node:util'))
  : undefined;

function sealRequest(seed: number, plaintext: Uint8Array = bytes(37, seed + 7)): SealRequest {
  return { blobVersion: 2, salt: bytes(16, seed), nonce: bytes(12, seed + 1), plaintext, aad: bytes(20, seed + 2) };
}

function openRequest(r: SealRequest, sealed: Uint8Array): OpenRequest {
  return { blobVersion: r.blobVersion, salt: r.salt, nonce: r.nonce, sealed, aad: r.aad };
}

/** `open` must resolve `undefined`: it neither throws nor releases bytes. */
async function expectRefused(result: Promise<Uint8Array | undefined>): Promise<void> {
  await expect(result).resolves.toBeUndefined();
}

/** The OpenRequest the Kms would make for a blob (header || canonical context is the AAD). */
function blobOpenRequest(blob: Uint8Array, context?: Record<string, string>): OpenRequest {
  const d = decodeBlob(blob);
  const ctx = canonicalContext(context);
  const aad = new Uint8Array(d.header.length + ctx.length);
  aad.set(d.header, 0);
  aad.set(ctx, d.header.length);
  return { blobVersion: d.blobVersion, salt: d.salt, nonce: d.nonce, sealed: d.sealed, aad };
}

/** The state as JSON; a collection a store keeps empty or leaves out (importTokens, added later) is the same state. */
function snapshot(state: Readonly<StoreState>): unknown {
  const copy = JSON.parse(JSON.stringify(state)) as Record<string, unknown>;
  if (copy.importTokens !== undefined && Object.keys(copy.importTokens as object).length === 0) delete copy.importTokens;
  return copy;
}

/** A usage the key-spec table allows for `spec`, so CreateKey reaches the provider. */
function usageFor(spec: KeySpec): KeyUsageType {
  return Object.keys(KEY_SPECS[spec].algorithms)[0] as KeyUsageType;
}

interface Found {
  path: string;
  view: ArrayBufferView | ArrayBuffer;
}

/**
 * Every ArrayBuffer / typed array reachable from `root` through own data properties
 * (enumerable or not, string or symbol keys), array items and Map/Set entries. Getters are not
 * invoked.
 */
function binariesIn(root: unknown, maxDepth = 24): Found[] {
  const found: Found[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
    if (seen.has(value) || depth > maxDepth) return;
    seen.add(value);
    if (
      ArrayBuffer.isView(value) ||
      value instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)
    ) {
      found.push({ path, view: value as ArrayBufferView | ArrayBuffer });
      return;
    }
    if (value instanceof Map) {
      for (const [k, v] of value) {
        walk(k, `${path}<key>`, depth + 1);
        walk(v, `${path}.get(${String(k)})`, depth + 1);
      }
    }
    if (value instanceof Set) for (const v of value) walk(v, `${path}<item>`, depth + 1);
    for (const key of Reflect.ownKeys(value as object)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (d !== undefined && 'value' in d) walk(d.value, `${path}.${String(key)}`, depth + 1);
    }
  };
  walk(root, '$', 0);
  return found;
}

function asBytes(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  return !ArrayBuffer.isView(v) ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Text forms a byte string takes when printed: hex, base64(url), Buffer and Uint8Array inspect forms. */
function textForms(b: Uint8Array): string[] {
  const head = b.subarray(0, 16);
  const b64 = toBase64(head);
  return [
    hex(head),
    b64.slice(0, 20),
    b64.replaceAll('+', '-').replaceAll('/', '_').slice(0, 20),
    Array.from(head, (x) => x.toString(16).padStart(2, '0')).join(' '),
    Array.from(head, String).join(','),
  ];
}

/** Asserts that none of `needles` shows up in `text` (whitespace-insensitive for list forms). */
function expectNoTextLeak(label: string, text: string, needles: Record<string, Uint8Array>): void {
  const squeezed = text.replace(/\s+/g, '');
  for (const [name, needle] of Object.entries(needles)) {
    for (const form of textForms(needle)) {
      const hay = form.includes(',') ? squeezed : text;
      expect(hay.includes(form), `${name} appears in ${label} as ${form}`).toBe(false);
    }
  }
}

function expectNoBinaryLeak(label: string, root: unknown, needles: Record<string, Uint8Array>): void {
  for (const { path, view } of binariesIn(root)) {
    const b = asBytes(view);
    for (const [name, needle] of Object.entries(needles)) {
      expect(containsBytes(b, needle), `${name} found in ${label} at ${path}`).toBe(false);
    }
  }
}

/** util.inspect in Node; in a browser, the nearest thing a developer console would print. */
const inspect = (v: unknown): string =>
  nodeUtil
    ? nodeUtil.inspect(v, { showHidden: true, depth: 10, maxArrayLength: Infinity, maxStringLength: Infinity })
    : (JSON.stringify(v, (_, x: unknown) => (x instanceof Uint8Array ? `Uint8Array(${x.length}) [${Array.from(x).join(', ')}]` : x)) ?? '');

// ---------------------------------------------------------------------------------------------
// the suite

export function describeProviderConformance(name: string, makeProvider: ProviderFactory): void {
  describe(`KeyMaterialProvider conformance: ${name}`, () => {
    /** A fresh provider and a Kms over it, with a test clock. */
    async function setup(): Promise<{ provider: KeyMaterialProvider; kms: Kms; clock: ManualClock }> {
      const provider = await makeProvider();
      const clock = new ManualClock(Date.UTC(2025, 0, 1));
      return { provider, kms: new Kms({ provider, clock }), clock };
    }

    async function newKey(kms: Kms, input: Parameters<Kms['createKey']>[0] = {}): Promise<{ id: string; arn: string; materialId: string }> {
      const { KeyMetadata } = await kms.createKey(input);
      return { id: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn!, materialId: KeyMetadata!.CurrentKeyMaterialId! };
    }

    test('has a short name', async () => {
      const p = await makeProvider();
      expect(typeof p.name).toBe('string');
      expect(p.name.length).toBeGreaterThan(0);
    });

    describe('records: read and update', () => {
      test('a new provider has an empty state', async () => {
        const p = await makeProvider();
        const s = await p.read((state) => snapshot(state));
        expect(s).toEqual({ keys: {}, aliases: {}, grants: {} });
      });

      test('read runs fn over the state and returns its value', async () => {
        const { provider, kms } = await setup();
        const { arn } = await newKey(kms, { Description: 'read me' });
        await expect(provider.read(() => 42)).resolves.toBe(42);
        await expect(provider.read(() => undefined)).resolves.toBeUndefined();
        await expect(provider.read((s) => s.keys[arn]?.description)).resolves.toBe('read me');
        await expect(provider.read((s) => Object.keys(s.keys))).resolves.toEqual([arn]);
      });

      test("update returns fn's value and later reads (and other Kms calls) see its changes", async () => {
        const { provider, kms } = await setup();
        const { arn, id } = await newKey(kms);
        const result = await provider.update((s) => {
          s.keys[arn]!.description = 'changed directly';
          return { ok: 'yes' };
        });
        expect(result).toEqual({ ok: 'yes' });
        await expect(provider.read((s) => s.keys[arn]?.description)).resolves.toBe('changed directly');
        const { KeyMetadata } = await kms.describeKey({ KeyId: id });
        expect(KeyMetadata!.Description).toBe('changed directly');
      });

      test('a throwing update keeps no change, even when fn mutated the state before throwing', async () => {
        const { provider, kms } = await setup();
        const a = await newKey(kms, { Description: 'a', Tags: [{ TagKey: 't', TagValue: 'v' }] });
        const b = await newKey(kms, { Description: 'b' });
        await kms.createAlias({ AliasName: 'alias/a', TargetKeyId: a.id });
        await kms.enableKeyRotation({ KeyId: b.id });
        const before = await provider.read(snapshot);

        const boom = new Error('boom');
        const partial = provider.update((s) => {
          const key = s.keys[a.arn]!;
          // Every kind of change a fn can make: assign, replace a nested object, push to an
          // array, add a record, delete a record, then fail.
          key.description = 'partially changed';
          key.state = 'Disabled';
          key.tags.push({ TagKey: 'x', TagValue: 'y' });
          key.materials.push({ id: 'f'.repeat(64), createdAt: 1 });
          s.keys[b.arn]!.rotation = { enabled: false, onDemandCount: 99 };
          s.keys['arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000'] = { ...key, description: 'added' };
          delete s.aliases[Object.keys(s.aliases)[0]!];
          s.aliases['arn:aws:kms:us-east-1:111122223333:alias/added'] = {
            aliasName: 'alias/added',
            arn: 'arn:aws:kms:us-east-1:111122223333:alias/added',
            targetKeyId: b.id,
            createdAt: 1,
            updatedAt: 1,
          };
          throw boom;
        });
        await expect(partial).rejects.toBe(boom);

        expect(await provider.read(snapshot)).toEqual(before);
        // The Kms sees the old state too.
        const { KeyMetadata } = await kms.describeKey({ KeyId: 'alias/a' });
        expect(KeyMetadata).toMatchObject({ KeyId: a.id, Description: 'a', KeyState: 'Enabled' });
        await expect(kms.getKeyRotationStatus({ KeyId: b.id })).resolves.toMatchObject({ KeyRotationEnabled: true });
        await expect(kms.describeKey({ KeyId: 'alias/added' })).rejects.toBeInstanceOf(NotFoundException);

        // And the provider is not wedged: the next update applies.
        await expect(provider.update((s) => (s.keys[a.arn]!.description = 'after'))).resolves.toBe('after');
        await expect(provider.read((s) => s.keys[a.arn]!.description)).resolves.toBe('after');
      });

      test('update is all or nothing for any sequence of changes (model check)', async () => {
        const { provider, kms } = await setup();
        const keys: string[] = [];
        for (let i = 0; i < 3; i++) keys.push((await newKey(kms, { Tags: [{ TagKey: `t${i}`, TagValue: 'v' }] })).arn);
        await kms.createAlias({ AliasName: 'alias/m0', TargetKeyId: keys[0]!.split('/')[1]! });
        const key = fc.nat({ max: 2 });
        const op = fc.oneof(
          fc.record({ kind: fc.constant('desc' as const), key, value: fc.string({ maxLength: 4 }) }),
          fc.record({ kind: fc.constant('pushTag' as const), key, value: fc.string({ maxLength: 3 }) }),
          fc.record({ kind: fc.constant('popTag' as const), key }),
          fc.record({ kind: fc.constant('splice' as const), key, start: fc.nat({ max: 3 }), count: fc.nat({ max: 2 }) }),
          fc.record({ kind: fc.constant('reverse' as const), key }),
          fc.record({ kind: fc.constant('truncate' as const), key, length: fc.nat({ max: 2 }) }),
          fc.record({ kind: fc.constant('rotation' as const), key, n: fc.nat({ max: 9 }) }),
          fc.record({ kind: fc.constant('shareTags' as const), key, to: key }),
          fc.record({ kind: fc.constant('deleteKey' as const), key }),
          fc.record({ kind: fc.constant('copyKey' as const), key, suffix: fc.constantFrom('x', 'y') }),
          fc.record({ kind: fc.constant('addAlias' as const), name: fc.constantFrom('a', 'b', 'm0'), key }),
          fc.record({ kind: fc.constant('deleteAlias' as const), name: fc.constantFrom('a', 'b', 'm0') }),
        );
        const baseline = await provider.read(snapshot);
        type Op = typeof op extends fc.Arbitrary<infer O> ? O : never;
        const aliasArn = (n: string) => `arn:aws:kms:us-east-1:111122223333:alias/${n}`;
        const apply = (s: StoreState, o: Op): void => {
          if (o.kind === 'deleteAlias') {
            delete s.aliases[aliasArn(o.name)];
            return;
          }
          const k = s.keys[keys[o.key]!];
          if (k === undefined) return;
          switch (o.kind) {
            case 'desc':
              k.description = o.value;
              break;
            case 'pushTag':
              k.tags.push({ TagKey: o.value, TagValue: o.value });
              break;
            case 'popTag':
              k.tags.pop();
              break;
            case 'splice':
              k.tags.splice(o.start, o.count, { TagKey: 's', TagValue: 's' });
              break;
            case 'reverse':
              k.tags.reverse();
              break;
            case 'truncate':
              k.materials.length = Math.min(o.length, k.materials.length);
              break;
            case 'rotation':
              k.rotation = { ...k.rotation, onDemandCount: o.n };
              k.rotation.enabled = !k.rotation.enabled;
              break;
            case 'shareTags': {
              const to = s.keys[keys[o.to]!];
              if (to) to.tags = k.tags;
              break;
            }
            case 'deleteKey':
              delete s.keys[k.arn];
              break;
            case 'copyKey':
              s.keys[`${k.arn}${o.suffix}`] = { ...k, tags: [...k.tags], materials: k.materials };
              break;
            case 'addAlias':
              s.aliases[aliasArn(o.name)] = {
                aliasName: `alias/${o.name}`,
                arn: aliasArn(o.name),
                targetKeyId: k.keyId,
                createdAt: 1,
                updatedAt: 1,
              };
              break;
          }
        };
        await fc.assert(
          fc.asyncProperty(fc.array(op, { maxLength: 12 }), fc.boolean(), async (ops, fail) => {
            // Every run starts from the same records (and no shared sub-objects).
            await provider.update((s) => {
              const base = structuredClone(baseline) as StoreState;
              s.keys = base.keys;
              s.aliases = base.aliases;
            });
            const before = await provider.read(snapshot);
            expect(before).toEqual(baseline);
            const model = structuredClone(before) as StoreState;
            for (const o of ops) apply(model, o);
            const boom = new Error('abort');
            const run = provider.update((s) => {
              for (const o of ops) apply(s, o);
              if (fail) throw boom;
              return ops.length;
            });
            if (fail) {
              await expect(run).rejects.toBe(boom);
              expect(await provider.read(snapshot)).toEqual(before);
            } else {
              await expect(run).resolves.toBe(ops.length);
              expect(await provider.read(snapshot)).toEqual(snapshot(model));
            }
          }),
          { numRuns: 150 },
        );
      });

      test('a KMS error thrown by fn comes out of update unchanged', async () => {
        const p = await makeProvider();
        const err = new AlreadyExistsException({ message: 'exists' });
        await expect(
          p.update(() => {
            throw err;
          }),
        ).rejects.toBe(err);
      });

      test('concurrent updates are each applied atomically', async () => {
        const { provider, kms } = await setup();
        const { arn } = await newKey(kms, { Description: '' });
        await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            provider.update((s) => {
              s.keys[arn]!.description += String.fromCharCode(97 + i);
            }),
          ),
        );
        const d = await provider.read((s) => s.keys[arn]!.description);
        expect([...d].sort().join('')).toBe('abcdefghijklmnopqrstuvwxy');
      });

      test('the state holds plain JSON-safe data', async () => {
        const { provider, kms } = await setup();
        const { id } = await newKey(kms, { Tags: [{ TagKey: 'k', TagValue: 'v' }] });
        await kms.createAlias({ AliasName: 'alias/json', TargetKeyId: id });
        await kms.enableKeyRotation({ KeyId: id });
        await kms.rotateKeyOnDemand({ KeyId: id });
        await kms.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 7 });
        const state = await provider.read((s) => s);
        expect(JSON.parse(JSON.stringify(state))).toEqual(state);
      });
    });

    describe('imported material (importMaterial, and BYOK through the Kms)', () => {
      const sealRequest = (): SealRequest => ({ blobVersion: 2, salt: rand(32), nonce: rand(12), plaintext: rand(40), aad: rand(7) });
      function rand(n: number): Uint8Array {
        return globalThis.crypto.getRandomValues(new Uint8Array(n));
      }

      test("importMaterial keeps the given bytes: the same bytes under two ids open each other's seals, other bytes do not", async () => {
        const p = await makeProvider();
        const bytes = rand(32);
        const [a, b, other] = [rand(32), rand(32), rand(32)].map(toHex);
        await p.importMaterial('SYMMETRIC_DEFAULT', bytes, a!);
        await p.importMaterial('SYMMETRIC_DEFAULT', bytes.slice(), b!);
        await p.importMaterial('SYMMETRIC_DEFAULT', rand(32), other!);
        const r = sealRequest();
        const sealed = await p.seal(a!, r);
        const open = { blobVersion: r.blobVersion, salt: r.salt, nonce: r.nonce, sealed, aad: r.aad };
        expect(await p.open(b!, open)).toEqual(r.plaintext);
        expect(await p.open(other!, open)).toBeUndefined();
        // The provider keeps its own copy: wiping the caller's buffer changes nothing.
        bytes.fill(0);
        expect(await p.open(a!, open)).toEqual(r.plaintext);
        await p.destroyMaterial([a!]);
        expect(await p.open(a!, open)).toBeUndefined();
        expect(await p.open(b!, open)).toEqual(r.plaintext);
      });

      test('blob formats: opens the golden v1 and v2 blobs (test/vectors/blob); seals v2 as HKDF-SHA256 of the material computes it', async () => {
        const p = await makeProvider();
        for (const v of blobGolden.vectors) {
          const id = toHex(rand(32));
          await p.importMaterial('SYMMETRIC_DEFAULT', fromHex(v.material), id);
          const d = decodeBlob(fromHex(v.blob));
          const aad = canonicalContext(v.context as Record<string, string>, d.header);
          const request = { blobVersion: d.blobVersion, salt: d.salt, nonce: d.nonce, sealed: d.sealed, aad };
          expect(toHex((await p.open(id, request))!), v.name).toBe(v.plaintext);
          expect(await p.open(id, { ...request, blobVersion: d.blobVersion === 1 ? 2 : 1 }), v.name).toBeUndefined();
        }
        // An independent v2 (noble's HKDF and AES-GCM) of what the provider seals.
        const material = rand(32);
        const id = toHex(rand(32));
        await p.importMaterial('SYMMETRIC_DEFAULT', material, id);
        const r = sealRequest();
        const key = nobleHkdf(nobleSha256, material, new TextEncoder().encode('kmsbox/v2 ciphertext blob key extract'), r.salt, 32);
        expect(toHex(await p.seal(id, r))).toBe(toHex(nobleGcm(key, r.nonce, r.aad).encrypt(r.plaintext)));
      });

      test('Origin EXTERNAL end to end: wrap with the RSA-OAEP public key, import, encrypt, delete, re-import, decrypt', async () => {
        const { kms } = await setup();
        const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL' });
        const keyId = KeyMetadata!.KeyId!;
        expect(KeyMetadata!.KeyState).toBe('PendingImport');
        const material = rand(32);
        const importOnce = async () => {
          const params = await kms.getParametersForImport({
            KeyId: keyId,
            WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
            WrappingKeySpec: 'RSA_2048',
          });
          const pub = await globalThis.crypto.subtle.importKey(
            'spki',
            params.PublicKey as BufferSource,
            { name: 'RSA-OAEP', hash: 'SHA-256' },
            false,
            ['encrypt'],
          );
          const wrapped = new Uint8Array(await globalThis.crypto.subtle.encrypt({ name: 'RSA-OAEP' }, pub, material as BufferSource));
          return kms.importKeyMaterial({
            KeyId: keyId,
            ImportToken: params.ImportToken,
            EncryptedKeyMaterial: wrapped,
            ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          });
        };
        const first = await importOnce();
        const plaintext = rand(20);
        const { CiphertextBlob } = await kms.encrypt({ KeyId: keyId, Plaintext: plaintext });
        await kms.deleteImportedKeyMaterial({ KeyId: keyId });
        await expect(kms.decrypt({ CiphertextBlob })).rejects.toBeInstanceOf(KMSInvalidStateException);
        const again = await importOnce();
        expect(again.KeyMaterialId).toBe(first.KeyMaterialId);
        expect((await kms.decrypt({ CiphertextBlob })).Plaintext).toEqual(plaintext);
      });

      test('Origin EXTERNAL on-demand rotation: NEW_KEY_MATERIAL staged, RotateKeyOnDemand makes it current, old ciphertexts decrypt', async () => {
        const { kms } = await setup();
        const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL' });
        const keyId = KeyMetadata!.KeyId!;
        const importOnce = async (material: Uint8Array, ImportType?: 'NEW_KEY_MATERIAL') => {
          const params = await kms.getParametersForImport({
            KeyId: keyId,
            WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
            WrappingKeySpec: 'RSA_2048',
          });
          const pub = await globalThis.crypto.subtle.importKey(
            'spki',
            params.PublicKey as BufferSource,
            { name: 'RSA-OAEP', hash: 'SHA-256' },
            false,
            ['encrypt'],
          );
          const wrapped = new Uint8Array(await globalThis.crypto.subtle.encrypt({ name: 'RSA-OAEP' }, pub, material as BufferSource));
          return kms.importKeyMaterial({
            KeyId: keyId,
            ImportToken: params.ImportToken,
            EncryptedKeyMaterial: wrapped,
            ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
            ...(ImportType ? { ImportType } : {}),
          });
        };
        const first = await importOnce(rand(32));
        const before = await kms.encrypt({ KeyId: keyId, Plaintext: rand(20) });
        const second = await importOnce(rand(32), 'NEW_KEY_MATERIAL');
        expect(second.KeyMaterialId).not.toBe(first.KeyMaterialId);
        expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.CurrentKeyMaterialId).toBe(first.KeyMaterialId);
        await kms.rotateKeyOnDemand({ KeyId: keyId });
        expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.CurrentKeyMaterialId).toBe(second.KeyMaterialId);
        const after = await kms.encrypt({ KeyId: keyId, Plaintext: rand(20) });
        expect((await kms.decrypt({ CiphertextBlob: before.CiphertextBlob! })).KeyMaterialId).toBe(first.KeyMaterialId);
        expect((await kms.decrypt({ CiphertextBlob: after.CiphertextBlob! })).KeyMaterialId).toBe(second.KeyMaterialId);
      });
    });

    describe('material: create, seal, open, destroy', () => {
      test('createMaterial returns a fresh KeyMaterialId (64 lowercase hex) each time', async () => {
        const p = await makeProvider();
        const ids = await Promise.all(Array.from({ length: 8 }, () => p.createMaterial('SYMMETRIC_DEFAULT')));
        for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
        expect(new Set(ids).size).toBe(ids.length);
      });

      test.each([0, 1, 15, 16, 17, 32, 1000, 4096, 70_000])('seal/open round trip, %i-byte plaintext', async (n) => {
        const p = await makeProvider();
        const m = await p.createMaterial('SYMMETRIC_DEFAULT');
        const r = sealRequest(n, bytes(n, n + 3));
        const sealed = await p.seal(m, r);
        expect(sealed).toBeInstanceOf(Uint8Array);
        expect(sealed.length).toBe(n + TAG_BYTES);
        // (from 4 bytes on: a 1-byte ciphertext equals its plaintext 1 time in 256)
        if (n >= 4) expect(hex(sealed.subarray(0, n))).not.toBe(hex(r.plaintext));
        const opened = await p.open(m, openRequest(r, sealed));
        expect(opened).toBeInstanceOf(Uint8Array);
        expect(hex(opened!)).toBe(hex(r.plaintext));
      });

      test('seal is AES-GCM under a per-salt key: deterministic for equal inputs, different for another salt', async () => {
        const p = await makeProvider();
        const m = await p.createMaterial('SYMMETRIC_DEFAULT');
        const r = sealRequest(5);
        const once = await p.seal(m, r);
        const twice = await p.seal(m, r);
        expect(hex(twice)).toBe(hex(once));
        const otherSalt = await p.seal(m, { ...r, salt: bytes(16, 99) });
        expect(hex(otherSalt)).not.toBe(hex(once));
        // CTR mode: with the same key and nonce, c1 ^ c2 = p1 ^ p2.
        const p2 = bytes(r.plaintext.length, 1234);
        const c2 = await p.seal(m, { ...r, plaintext: p2 });
        for (let i = 0; i < p2.length; i++) expect(once[i]! ^ c2[i]!).toBe(r.plaintext[i]! ^ p2[i]!);
      });

      test('seal and open leave their inputs untouched', async () => {
        const p = await makeProvider();
        const m = await p.createMaterial('SYMMETRIC_DEFAULT');
        const r = sealRequest(8);
        const copy = { salt: hex(r.salt), nonce: hex(r.nonce), plaintext: hex(r.plaintext), aad: hex(r.aad) };
        const sealed = await p.seal(m, r);
        const sealedHex = hex(sealed);
        await p.open(m, openRequest(r, sealed));
        await p.open(m, { ...openRequest(r, sealed), aad: bytes(3) });
        expect({ salt: hex(r.salt), nonce: hex(r.nonce), plaintext: hex(r.plaintext), aad: hex(r.aad) }).toEqual(copy);
        expect(hex(sealed)).toBe(sealedHex);
      });

      test('open with a wrong aad, salt or nonce resolves undefined', async () => {
        const p = await makeProvider();
        const m = await p.createMaterial('SYMMETRIC_DEFAULT');
        const r = sealRequest(11);
        const sealed = await p.seal(m, r);
        const good = openRequest(r, sealed);
        await expect(p.open(m, good)).resolves.toBeDefined();

        const wrongAads = [
          new Uint8Array(0),
          r.aad.subarray(0, r.aad.length - 1),
          new Uint8Array([...r.aad, 0]),
          bytes(r.aad.length, 555),
          ...[0, 7, 8 * r.aad.length - 1].map((bit) => flipBit(r.aad, bit)),
        ];
        for (const aad of wrongAads) await expectRefused(p.open(m, { ...good, aad }));
        for (const bit of [0, 1, 63, 127]) await expectRefused(p.open(m, { ...good, salt: flipBit(r.salt, bit) }));
        await expectRefused(p.open(m, { ...good, salt: new Uint8Array(16) }));
        for (const bit of [0, 50, 95]) await expectRefused(p.open(m, { ...good, nonce: flipBit(r.nonce, bit) }));
        await expectRefused(p.open(m, { ...good, nonce: new Uint8Array(12) }));
      });

      test('open of a sealed value with any flipped bit resolves undefined', async () => {
        const p = await makeProvider();
        const m = await p.createMaterial('SYMMETRIC_DEFAULT');
        const r = sealRequest(12, bytes(5, 1));
        const sealed = await p.seal(m, r);
        for (let bit = 0; bit < sealed.length * 8; bit++) {
          await expectRefused(p.open(m, openRequest(r, flipBit(sealed, bit))));
        }
      });

      test('open of a truncated, extended or too short sealed value resolves undefined', async () => {
        const p = await makeProvider();
        const m = await p.createMaterial('SYMMETRIC_DEFAULT');
        const r = sealRequest(13);
        const sealed = await p.seal(m, r);
        const variants = [
          new Uint8Array(0),
          sealed.subarray(0, 1),
          sealed.subarray(0, TAG_BYTES - 1),
          sealed.subarray(0, TAG_BYTES),
          sealed.subarray(sealed.length - TAG_BYTES),
          sealed.subarray(0, sealed.length - 1),
          sealed.subarray(1),
          new Uint8Array([...sealed, 0]),
          new Uint8Array([0, ...sealed]),
          new Uint8Array(sealed.length),
        ];
        for (const v of variants) await expectRefused(p.open(m, openRequest(r, v)));
      });

      test('open under an unknown material id resolves undefined', async () => {
        const p = await makeProvider();
        const m = await p.createMaterial('SYMMETRIC_DEFAULT');
        const r = sealRequest(14);
        const sealed = await p.seal(m, r);
        await expectRefused(p.open('0'.repeat(64), openRequest(r, sealed)));
        await expectRefused(p.open('not-a-material-id', openRequest(r, sealed)));
      });

      test("two materials never open each other's output", async () => {
        const p = await makeProvider();
        const a = await p.createMaterial('SYMMETRIC_DEFAULT');
        const b = await p.createMaterial('SYMMETRIC_DEFAULT');
        for (let i = 0; i < 8; i++) {
          const r = sealRequest(100 + i, bytes(i * 9 + 1, i));
          const byA = await p.seal(a, r);
          const byB = await p.seal(b, r);
          expect(hex(byA)).not.toBe(hex(byB));
          await expectRefused(p.open(b, openRequest(r, byA)));
          await expectRefused(p.open(a, openRequest(r, byB)));
          await expect(p.open(a, openRequest(r, byA))).resolves.toEqual(r.plaintext);
        }
      });

      test('destroyMaterial makes open resolve undefined and leaves other material alone', async () => {
        const p = await makeProvider();
        const a = await p.createMaterial('SYMMETRIC_DEFAULT');
        const b = await p.createMaterial('SYMMETRIC_DEFAULT');
        const r = sealRequest(21);
        const byA = await p.seal(a, r);
        const byB = await p.seal(b, r);
        await p.destroyMaterial([a]);
        await expectRefused(p.open(a, openRequest(r, byA)));
        await expect(p.open(b, openRequest(r, byB))).resolves.toEqual(r.plaintext);
        await expect(p.seal(a, r)).rejects.toBeDefined();
        // Unknown, repeated and empty lists are ignored.
        await expect(p.destroyMaterial([a, a, '0'.repeat(64)])).resolves.toBeUndefined();
        await expect(p.destroyMaterial([])).resolves.toBeUndefined();
        await expect(p.open(b, openRequest(r, byB))).resolves.toEqual(r.plaintext);
      });

      test('supportsKeySpec: SYMMETRIC_DEFAULT yes; unsupported or unknown specs are refused by createMaterial', async () => {
        const p = await makeProvider();
        expect(p.supportsKeySpec('SYMMETRIC_DEFAULT')).toBe(true);
        const unsupported = Object.values(KeySpec).filter((spec) => !p.supportsKeySpec(spec));
        const unknown = [
          'NOT_A_SPEC',
          '',
          'symmetric_default',
          'toString',
          '__proto__',
          'constructor',
          'hasOwnProperty',
        ] as unknown as KeySpec[];
        for (const spec of unknown) expect(p.supportsKeySpec(spec), spec).toBe(false);
        for (const spec of [...unsupported, ...unknown]) {
          await expect(p.createMaterial(spec), spec).rejects.toBeInstanceOf(UnsupportedOperationException);
        }
        for (const spec of Object.values(KeySpec)) expect(typeof p.supportsKeySpec(spec)).toBe('boolean');
      });

      test('CreateKey of a spec the provider does not support is UnsupportedOperationException and stores nothing', async () => {
        const { provider, kms } = await setup();
        const unsupported = Object.values(KeySpec).filter((spec) => !provider.supportsKeySpec(spec));
        for (const spec of unsupported) {
          await expect(kms.createKey({ KeySpec: spec, KeyUsage: usageFor(spec) }), spec).rejects.toBeInstanceOf(
            UnsupportedOperationException,
          );
        }
        await expect(provider.read((s) => Object.keys(s.keys).length)).resolves.toBe(0);
      });
    });

    describe('through Kms', () => {
      test('create, encrypt, decrypt, generate data keys, re-encrypt', async () => {
        const { kms } = await setup();
        const a = await newKey(kms);
        const b = await newKey(kms, { MultiRegion: true });
        const plaintext = new TextEncoder().encode('the secret');
        const context = { tenant: 't1', purpose: 'conformance' };
        const e = await kms.encrypt({ KeyId: a.id, Plaintext: plaintext, EncryptionContext: context });
        expect(e.KeyId).toBe(a.arn);
        expect(e.CiphertextBlob!.length).toBe(64 + plaintext.length);
        const d = await kms.decrypt({ CiphertextBlob: e.CiphertextBlob!, EncryptionContext: { purpose: 'conformance', tenant: 't1' } });
        expect(d.Plaintext).toEqual(plaintext);
        expect(d.KeyId).toBe(a.arn);
        expect(d.KeyMaterialId).toBe(a.materialId);
        await expect(kms.decrypt({ CiphertextBlob: e.CiphertextBlob! })).rejects.toBeInstanceOf(InvalidCiphertextException);

        const dk = await kms.generateDataKey({ KeyId: b.id, KeySpec: 'AES_256', EncryptionContext: context });
        expect(dk.Plaintext!.length).toBe(32);
        expect(dk.CiphertextBlob!.length).toBe(96);
        const dd = await kms.decrypt({ CiphertextBlob: dk.CiphertextBlob!, EncryptionContext: context });
        expect(dd.Plaintext).toEqual(dk.Plaintext);
        expect(dd.KeyId).toBe(b.arn);

        const re = await kms.reEncrypt({
          CiphertextBlob: e.CiphertextBlob!,
          SourceEncryptionContext: context,
          DestinationKeyId: b.id,
          DestinationEncryptionContext: { other: 'ctx' },
        });
        expect(re.SourceKeyId).toBe(a.arn);
        expect(re.KeyId).toBe(b.arn);
        const rd = await kms.decrypt({ CiphertextBlob: re.CiphertextBlob!, EncryptionContext: { other: 'ctx' } });
        expect(rd.Plaintext).toEqual(plaintext);
      });

      test("a Kms never opens a blob under another key's material, even with a forged key id", async () => {
        const { kms } = await setup();
        const a = await newKey(kms);
        const b = await newKey(kms);
        const { CiphertextBlob } = await kms.encrypt({ KeyId: a.id, Plaintext: bytes(40) });
        // Rewrite the key id in the header to b's: the header is authenticated, and b's material differs.
        const forged = CiphertextBlob!.slice();
        forged.set(
          Uint8Array.from(b.id.replaceAll('-', '').match(/../g)!, (h) => parseInt(h, 16)),
          2,
        );
        await expect(kms.decrypt({ CiphertextBlob: forged })).rejects.toBeInstanceOf(InvalidCiphertextException);
      });

      test('rotation (on demand and automatic) keeps every older ciphertext readable', async () => {
        const { kms, clock } = await setup();
        const k = await newKey(kms);
        const plaintexts = [bytes(10, 1), bytes(20, 2), bytes(30, 3)];
        const blobs: Uint8Array[] = [];
        const materialIds: string[] = [];

        const e0 = await kms.encrypt({ KeyId: k.id, Plaintext: plaintexts[0]!, EncryptionContext: { v: '0' } });
        blobs.push(e0.CiphertextBlob!);
        await kms.rotateKeyOnDemand({ KeyId: k.id });
        const e1 = await kms.encrypt({ KeyId: k.id, Plaintext: plaintexts[1]!, EncryptionContext: { v: '1' } });
        blobs.push(e1.CiphertextBlob!);
        await kms.enableKeyRotation({ KeyId: k.id, RotationPeriodInDays: 90 });
        clock.advance({ days: 91 });
        const e2 = await kms.encrypt({ KeyId: k.id, Plaintext: plaintexts[2]!, EncryptionContext: { v: '2' } });
        blobs.push(e2.CiphertextBlob!);

        // Each blob names the material version it used (big-endian u16 at offset 18).
        expect(blobs.map((b) => (b[18]! << 8) | b[19]!)).toEqual([0, 1, 2]);
        for (let i = 0; i < blobs.length; i++) {
          const d = await kms.decrypt({ CiphertextBlob: blobs[i]!, EncryptionContext: { v: String(i) } });
          expect(d.Plaintext).toEqual(plaintexts[i]);
          materialIds.push(d.KeyMaterialId!);
        }
        expect(new Set(materialIds).size).toBe(3);
        expect(materialIds[0]).toBe(k.materialId);
        const { KeyMetadata } = await kms.describeKey({ KeyId: k.id });
        expect(KeyMetadata!.CurrentKeyMaterialId).toBe(materialIds[2]);
      });

      test('scheduled deletion keeps material through the waiting period, then destroys it', async () => {
        const { provider, kms, clock } = await setup();
        const k = await newKey(kms);
        await kms.createAlias({ AliasName: 'alias/doomed', TargetKeyId: k.id });
        await kms.rotateKeyOnDemand({ KeyId: k.id });
        const context = { c: 'd' };
        const e0 = await kms.encrypt({ KeyId: k.id, Plaintext: bytes(33), EncryptionContext: context });
        const materialIds = await provider.read((s) => s.keys[k.arn]!.materials.map((m) => m.id));
        expect(materialIds).toHaveLength(2);
        const request = blobOpenRequest(e0.CiphertextBlob!, context);
        const current = materialIds[1]!;
        await expect(provider.open(current, request)).resolves.toEqual(bytes(33));

        await kms.scheduleKeyDeletion({ KeyId: k.id, PendingWindowInDays: 7 });
        await expect(kms.encrypt({ KeyId: k.id, Plaintext: bytes(3) })).rejects.toBeInstanceOf(KMSInvalidStateException);
        clock.advance({ days: 6, hours: 23 });
        await expect(kms.listKeys()).resolves.toMatchObject({ Keys: [{ KeyId: k.id }] });
        await expect(provider.open(current, request)).resolves.toEqual(bytes(33));

        clock.advance({ hours: 1 });
        await expect(kms.decrypt({ CiphertextBlob: e0.CiphertextBlob!, EncryptionContext: context })).rejects.toBeInstanceOf(
          InvalidCiphertextException,
        );
        await expect(kms.describeKey({ KeyId: k.id })).rejects.toBeInstanceOf(NotFoundException);
        await expect(kms.describeKey({ KeyId: 'alias/doomed' })).rejects.toBeInstanceOf(NotFoundException);
        await expectRefused(provider.open(current, request));
        for (const id of materialIds) await expectRefused(provider.open(id, request));
        await expect(provider.read((s) => snapshot(s))).resolves.toEqual({ keys: {}, aliases: {}, grants: {} });
      });

      test('a cancelled deletion keeps the key and its material', async () => {
        const { kms, clock } = await setup();
        const k = await newKey(kms);
        const { CiphertextBlob } = await kms.encrypt({ KeyId: k.id, Plaintext: bytes(8) });
        await kms.scheduleKeyDeletion({ KeyId: k.id, PendingWindowInDays: 7 });
        await kms.cancelKeyDeletion({ KeyId: k.id });
        clock.advance({ days: 30 });
        await expect(kms.decrypt({ CiphertextBlob: CiphertextBlob! })).rejects.toBeInstanceOf(DisabledException);
        await kms.enableKey({ KeyId: k.id });
        await expect(kms.decrypt({ CiphertextBlob: CiphertextBlob! })).resolves.toMatchObject({ Plaintext: bytes(8) });
      });

      test('a second Kms over the same provider instance sees the same keys, aliases and changes', async () => {
        const { provider, kms } = await setup();
        const other = new Kms({ provider });
        const k = await newKey(kms, { Description: 'shared' });
        await kms.createAlias({ AliasName: 'alias/shared', TargetKeyId: k.id });
        const { CiphertextBlob } = await kms.encrypt({ KeyId: 'alias/shared', Plaintext: bytes(16), EncryptionContext: { x: 'y' } });

        await expect(other.describeKey({ KeyId: 'alias/shared' })).resolves.toMatchObject({
          KeyMetadata: { KeyId: k.id, Description: 'shared' },
        });
        await expect(other.listKeys()).resolves.toMatchObject({ Keys: [{ KeyId: k.id, KeyArn: k.arn }] });
        await expect(other.listAliases()).resolves.toMatchObject({ Aliases: [{ AliasName: 'alias/shared', TargetKeyId: k.id }] });
        await expect(other.decrypt({ CiphertextBlob: CiphertextBlob!, EncryptionContext: { x: 'y' } })).resolves.toMatchObject({
          Plaintext: bytes(16),
        });

        // Changes made through one are seen through the other, both ways.
        await other.disableKey({ KeyId: k.id });
        await expect(kms.encrypt({ KeyId: k.id, Plaintext: bytes(1) })).rejects.toBeInstanceOf(DisabledException);
        await kms.enableKey({ KeyId: k.id });
        const k2 = await newKey(other);
        await other.updateAlias({ AliasName: 'alias/shared', TargetKeyId: k2.id });
        await expect(kms.describeKey({ KeyId: 'alias/shared' })).resolves.toMatchObject({ KeyMetadata: { KeyId: k2.id } });
      });

      test('a Kms for another account over the same provider cannot use the keys', async () => {
        const { provider, kms } = await setup();
        const k = await newKey(kms);
        const { CiphertextBlob } = await kms.encrypt({ KeyId: k.id, Plaintext: bytes(16) });
        const stranger = new Kms({ provider, accountId: '444455556666' });
        // The blob names the key; the other account's caller is not allowed to use it.
        await expect(stranger.decrypt({ CiphertextBlob: CiphertextBlob! })).rejects.toMatchObject({ name: 'AccessDeniedException' });
        await expect(stranger.listKeys()).resolves.toMatchObject({ Keys: [] });
      });
    });

    describe('material never leaks', () => {
      test('not in JSON.stringify, util.inspect or the records, and no 32-byte array in the state', async () => {
        const { provider, kms } = await setup();
        const k = await newKey(kms, { Description: 'leak check', Tags: [{ TagKey: 'a', TagValue: 'b' }] });
        await kms.createAlias({ AliasName: 'alias/leak', TargetKeyId: k.id });
        await kms.enableKeyRotation({ KeyId: k.id });
        await kms.rotateKeyOnDemand({ KeyId: k.id });
        const dataKey = await kms.generateDataKey({ KeyId: k.id, KeySpec: 'AES_256', EncryptionContext: { p: 'q' } });
        const secret = bytes(48, 4242);
        const enc = await kms.encrypt({ KeyId: k.id, Plaintext: secret });
        const direct = await provider.createMaterial('SYMMETRIC_DEFAULT');
        const r = sealRequest(77, bytes(32, 31337));
        const sealed = await provider.seal(direct, r);
        await provider.open(direct, openRequest(r, sealed));
        await kms.decrypt({ CiphertextBlob: dataKey.CiphertextBlob!, EncryptionContext: { p: 'q' } });

        const needles: Record<string, Uint8Array> = {
          'data key plaintext': dataKey.Plaintext!,
          'data key sealed body': dataKey.CiphertextBlob!.subarray(48),
          'encrypt plaintext': secret,
          'encrypt sealed body': enc.CiphertextBlob!.subarray(48),
          'direct seal plaintext': r.plaintext,
          'direct sealed output': sealed,
        };

        const state = await provider.read((s) => s);
        const records: KeyRecord[] = await provider.read((s) => Object.values(s.keys));
        const haystacks: Record<string, unknown> = { provider, state, records, kms };

        for (const [label, value] of Object.entries(haystacks)) {
          let json = '';
          try {
            json = JSON.stringify(value) ?? '';
          } catch (error) {
            throw new Error(`JSON.stringify(${label}) threw: ${String(error)}`);
          }
          expectNoTextLeak(`JSON.stringify(${label})`, json, needles);
          expectNoTextLeak(`util.inspect(${label})`, inspect(value), needles);
          expectNoBinaryLeak(label, value, needles);
        }

        // Records are plain data: no bytes at all, so certainly no 32-byte material.
        for (const { path, view } of binariesIn(state)) {
          expect.fail(`the state holds binary data at ${path} (${view.byteLength} bytes)`);
        }
        expect(inspect(state)).not.toMatch(/Uint8Array|Buffer|ArrayBuffer/);
        expect(inspect(provider)).not.toMatch(/Uint8Array\(32\)|ArrayBuffer \{ \[Uint8Contents\]|<Buffer( [0-9a-f]{2}){16}/);
        // Nothing 32 bytes long hangs off the provider object either.
        for (const { path, view } of binariesIn(provider)) {
          expect(view.byteLength, `32-byte array on the provider at ${path}`).not.toBe(32);
        }
      });
    });
  });
}
