// FileProvider compacting whenever its journal outgrows the snapshot, so that the compaction path
// passes the contract too (test/providers/file.test.ts runs it with the default threshold).
import { FileProvider } from 'kmsbox/node';
import { newStore } from '../providers/file-fixtures.js';
import { describeSharedStoreConformance } from './shared-store.js';
import { describeProviderConformance } from './suite.js';

describeProviderConformance('FileProvider (compactAfterBytes: 0)', () => {
  const { path, rootKeyFile } = newStore();
  return new FileProvider({ path, rootKeyFile, compactAfterBytes: 0 });
});

// Two FileProviders on one file, as two processes would open it (the lock file serializes their writes).
describeSharedStoreConformance('FileProvider, two on one file', async () => {
  const { path, rootKeyFile } = newStore();
  return [new FileProvider({ path, rootKeyFile }), new FileProvider({ path, rootKeyFile, compactAfterBytes: 0 })] as const;
});
