import { WebCryptoProvider } from 'kmsbox';
import { describeProviderConformance } from './suite.js';

describeProviderConformance('WebCryptoProvider', () => new WebCryptoProvider());
