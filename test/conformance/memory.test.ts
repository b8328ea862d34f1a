import { MemoryProvider } from 'kmsbox';
import { describeProviderConformance } from './suite.js';

describeProviderConformance('MemoryProvider', () => new MemoryProvider());
