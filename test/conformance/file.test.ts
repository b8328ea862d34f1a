// FileProvider compacting whenever its journal outgrows the snapshot, so that the compaction path
// passes the contract too (test/providers/file.test.ts runs it with the default threshold).
import { FileProvider } from 'kmsbox/node';
import { newStore } from '../providers/file-fixtures.js';
import { describeProviderConformance } from './suite.js';

describeProviderConformance('FileProvider (compactAfterBytes: 0)', () => {
  const { path, rootKeyFile } = newStore();
  return new FileProvider({ path, rootKeyFile, compactAfterBytes: 0 });
});
