// ReplicatedRecords (src/providers/replica.ts) under the whole provider contract: records through a
// replica of an in-memory log backend (test/providers/log-backend.ts), material in one
// MemoryProvider that every replica shares, as processes share a store's material.
import { type KeyMaterialProvider, MemoryProvider } from 'kmsbox';
import { ReplicatedRecords } from '../../src/providers/replica.js';
import { LogBackend } from '../providers/log-backend.js';
import { describeSharedStoreConformance } from './shared-store.js';
import { describeProviderConformance } from './suite.js';

function replicaProvider(backend: LogBackend, material: MemoryProvider): KeyMaterialProvider {
  const records = new ReplicatedRecords(backend);
  return new Proxy(material, {
    get(target, key) {
      if (key === 'read' || key === 'update') return records[key].bind(records);
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describeProviderConformance('ReplicatedRecords over a log backend', () => replicaProvider(new LogBackend(), new MemoryProvider()));

describeSharedStoreConformance('ReplicatedRecords over a log backend', async () => {
  const backend = new LogBackend();
  const material = new MemoryProvider();
  return [replicaProvider(backend, material), replicaProvider(backend, material)] as const;
});

describeSharedStoreConformance('one MemoryProvider (the baseline)', async () => {
  const one = new MemoryProvider();
  return [one, one] as const;
});

describeSharedStoreConformance('ReplicatedRecords over an optimistic log backend', async () => {
  const backend = new LogBackend('optimistic');
  const material = new MemoryProvider();
  return [replicaProvider(backend, material), replicaProvider(backend, material)] as const;
});
