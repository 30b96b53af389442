// Every rule of contract §3 and every kind of bad input, against the real `switchboard serve`
// process (SQLite store in a temp dir), with plain ws clients.
import { afterAll, describe } from 'vitest';
import { badInputSuite } from '../support/bad-input.suite.js';
import { killAll } from '../support/cli.js';
import { startCliGateway } from '../support/gateway-under-test.js';
import { protocolRulesSuite } from '../support/protocol-rules.suite.js';

afterAll(() => killAll());

describe('switchboard serve: protocol rules', () => protocolRulesSuite(startCliGateway));
describe('switchboard serve: bad input', () => badInputSuite(startCliGateway));
