// Rotation: automatic (driven by the clock), on demand, and every old ciphertext still decrypting.
import { describe, expect, it } from 'vitest';
import { Kms, ManualClock } from 'kmsbox';
import { rejects, utf8 } from './helpers.js';

const DAY = 86_400_000;
const T0 = new Date('2026-01-01T00:00:00Z');

async function setup() {
  const clock = new ManualClock(T0);
  const kms = new Kms({ clock });
  const key = (await kms.createKey()).KeyMetadata!;
  return { clock, kms, key, KeyId: key.KeyId! };
}

describe('rotation settings', () => {
  it('Enable/Disable/GetKeyRotationStatus in AWS shapes', async () => {
    const { kms, key, KeyId } = await setup();
    const strip = ({ $metadata: _, ...rest }: { $metadata: unknown }) => rest;
    expect(strip(await kms.getKeyRotationStatus({ KeyId }))).toEqual({ KeyId: key.Arn, KeyRotationEnabled: false });
    await kms.enableKeyRotation({ KeyId });
    expect(strip(await kms.getKeyRotationStatus({ KeyId }))).toEqual({
      KeyId: key.Arn,
      KeyRotationEnabled: true,
      RotationPeriodInDays: 365,
      NextRotationDate: new Date(T0.getTime() + 365 * DAY),
    });
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    expect((await kms.getKeyRotationStatus({ KeyId })).NextRotationDate).toEqual(new Date(T0.getTime() + 90 * DAY));
    await kms.disableKeyRotation({ KeyId });
    expect(strip(await kms.getKeyRotationStatus({ KeyId }))).toEqual({ KeyId: key.Arn, KeyRotationEnabled: false });
  });

  it('RotationPeriodInDays is 90–2560', async () => {
    const { kms, KeyId } = await setup();
    await rejects(
      () => kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 89 }),
      'ValidationException',
      /Value '89' at 'rotationPeriodInDays'.*greater than or equal to 90/,
    );
    await rejects(() => kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 2561 }), 'ValidationException', /less than or equal to 2560/);
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 2560 });
  });

  it('state rules: disabled → DisabledException, pending deletion → KMSInvalidStateException', async () => {
    const { kms, key, KeyId } = await setup();
    await kms.disableKey({ KeyId });
    await rejects(() => kms.enableKeyRotation({ KeyId }), 'DisabledException', `${key.Arn} is disabled.`);
    await rejects(() => kms.rotateKeyOnDemand({ KeyId }), 'DisabledException', `${key.Arn} is disabled.`);
    await kms.scheduleKeyDeletion({ KeyId });
    await rejects(() => kms.rotateKeyOnDemand({ KeyId }), 'KMSInvalidStateException', `${key.Arn} is pending deletion.`);
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }),
      'NotFoundException',
      "Key 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist",
    );
  });
});

describe('automatic rotation', () => {
  it('happens when the clock passes NextRotationDate, and moves the date on by the period', async () => {
    const { clock, kms, key, KeyId } = await setup();
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    const before = await kms.encrypt({ KeyId, Plaintext: utf8('before') });
    clock.advance(90 * DAY - 1);
    expect((await kms.describeKey({ KeyId })).KeyMetadata!.CurrentKeyMaterialId).toBe(key.CurrentKeyMaterialId);
    clock.advance(1);
    const now = (await kms.describeKey({ KeyId })).KeyMetadata!.CurrentKeyMaterialId;
    expect(now).not.toBe(key.CurrentKeyMaterialId);
    expect((await kms.getKeyRotationStatus({ KeyId })).NextRotationDate).toEqual(new Date(T0.getTime() + 180 * DAY));
    const rotations = (await kms.listKeyRotations({ KeyId })).Rotations!;
    expect(rotations).toEqual([
      {
        KeyId,
        KeyMaterialId: now,
        KeyMaterialState: 'CURRENT',
        RotationDate: new Date(T0.getTime() + 90 * DAY),
        RotationType: 'AUTOMATIC',
      },
    ]);
    const after = await kms.encrypt({ KeyId, Plaintext: utf8('after') });
    expect((await kms.decrypt({ CiphertextBlob: before.CiphertextBlob })).KeyMaterialId).toBe(key.CurrentKeyMaterialId);
    expect((await kms.decrypt({ CiphertextBlob: after.CiphertextBlob })).KeyMaterialId).toBe(now);
  });

  it('catches up on every period that passed while the key was enabled', async () => {
    const { clock, kms, KeyId } = await setup();
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 100 });
    clock.advance(350 * DAY);
    const dates = (await kms.listKeyRotations({ KeyId })).Rotations!.map((r) => r.RotationDate!.getTime() - T0.getTime());
    expect(dates).toEqual([100 * DAY, 200 * DAY, 300 * DAY]);
  });

  it('a disabled key does not rotate; re-enabled after its date it rotates at once', async () => {
    const { clock, kms, key, KeyId } = await setup();
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    await kms.disableKey({ KeyId });
    clock.advance(200 * DAY);
    expect((await kms.describeKey({ KeyId })).KeyMetadata!.CurrentKeyMaterialId).toBe(key.CurrentKeyMaterialId);
    await kms.enableKey({ KeyId });
    const rotations = (await kms.listKeyRotations({ KeyId })).Rotations!;
    expect(rotations.map((r) => r.RotationDate)).toEqual([clock.now()]);
    expect((await kms.getKeyRotationStatus({ KeyId })).NextRotationDate).toEqual(new Date(clock.now().getTime() + 90 * DAY));
  });
});

describe('RotateKeyOnDemand and ListKeyRotations', () => {
  it('allows 25 on-demand rotations, then LimitExceededException; leaves the automatic schedule alone', async () => {
    const { clock, kms, key, KeyId } = await setup();
    await kms.enableKeyRotation({ KeyId });
    const next = (await kms.getKeyRotationStatus({ KeyId })).NextRotationDate;
    const blobs = [await kms.encrypt({ KeyId, Plaintext: utf8('v0') })];
    for (let i = 1; i <= 25; i++) {
      clock.advance(DAY);
      expect((await kms.rotateKeyOnDemand({ KeyId: key.Arn })).KeyId).toBe(key.Arn);
      blobs.push(await kms.encrypt({ KeyId, Plaintext: utf8(`v${i}`) }));
    }
    await rejects(
      () => kms.rotateKeyOnDemand({ KeyId }),
      'LimitExceededException',
      `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${key.Arn}`,
    );
    expect((await kms.getKeyRotationStatus({ KeyId })).NextRotationDate).toEqual(next);
    // Every ciphertext from every one of the 26 material versions still decrypts, to its own text.
    const materialIds = new Set<string>();
    for (const [i, b] of blobs.entries()) {
      const d = await kms.decrypt({ CiphertextBlob: b.CiphertextBlob });
      expect(new TextDecoder().decode(d.Plaintext)).toBe(`v${i}`);
      materialIds.add(d.KeyMaterialId!);
    }
    expect(materialIds.size).toBe(26);
  });

  it('lists rotations only by default, every material with ALL_KEY_MATERIAL, and pages', async () => {
    const { kms, key, KeyId } = await setup();
    for (let i = 0; i < 3; i++) await kms.rotateKeyOnDemand({ KeyId });
    const only = (await kms.listKeyRotations({ KeyId })).Rotations!;
    expect(only.map((r) => [r.RotationType, r.KeyMaterialState])).toEqual([
      ['ON_DEMAND', 'NON_CURRENT'],
      ['ON_DEMAND', 'NON_CURRENT'],
      ['ON_DEMAND', 'CURRENT'],
    ]);
    const all = (await kms.listKeyRotations({ KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })).Rotations!;
    expect(all.length).toBe(4);
    expect(all[0]).toEqual({ KeyId, KeyMaterialId: key.CurrentKeyMaterialId, KeyMaterialState: 'NON_CURRENT' });
    const p1 = await kms.listKeyRotations({ KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL', Limit: 3 });
    const p2 = await kms.listKeyRotations({ KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL', Limit: 3, Marker: p1.NextMarker! });
    expect([...p1.Rotations!, ...p2.Rotations!]).toEqual(all);
    expect([p1.Truncated, p2.Truncated]).toEqual([true, false]);
    expect((await kms.describeKey({ KeyId })).KeyMetadata!.CurrentKeyMaterialId).toBe(all[3]!.KeyMaterialId);
  });
});
