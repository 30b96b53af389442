// Bad input of every kind against an in-process gateway; the same suite runs against the built
// CLI in test/e2e/serve-protocol.test.ts.
import { badInputSuite } from '../support/bad-input.suite.js';
import { startGateway } from '../support/gateway.js';

badInputSuite(startGateway);
