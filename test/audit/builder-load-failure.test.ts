// The audit event builder is loaded on first use (src/kms.ts, loadEventBuilder): a page without an
// audit sink never downloads it. A load that fails (a chunk the network lost) must fail the call
// as any call whose event cannot be recorded fails: a typed KMSInternalException, no result.
import { vi, expect, test } from 'vitest';
import { KMSInternalException, Kms, MemoryAuditSink } from '../../src/index.js';

vi.mock('../../src/audit/record-event.js', () => {
  throw new Error('the chunk was lost');
});

test('an audit builder that cannot be loaded fails the call with KMSInternalException, and the next call tries again', async () => {
  const sink = new MemoryAuditSink();
  const kms = new Kms({ audit: sink });
  for (let attempt = 0; attempt < 2; attempt++) {
    const error = await kms.createKey({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KMSInternalException);
    expect((error as Error).message).toMatch(/could not record the audit event/);
    expect((error as Error).message).toMatch(/has been applied and stays in effect/); // CreateKey is a write
  }
  expect(sink.events).toEqual([]);
  // A call with no sink needs no builder.
  await new Kms().createKey({});
});
