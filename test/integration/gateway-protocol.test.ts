// Contract §3 rules against an in-process gateway (memory backends); the same suite runs against
// the built CLI in test/e2e/serve-protocol.test.ts.
import { startGateway } from '../support/gateway.js';
import { protocolRulesSuite } from '../support/protocol-rules.suite.js';

protocolRulesSuite(startGateway);
