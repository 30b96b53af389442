// Contract §3 rules against two in-process nodes sharing one in-memory bus network, presence and
// store: the clients of every test alternate between the nodes, so the cluster path (bus
// deliveries, cross-node presence, group messages crossing once per node) runs on every run.
import { startTwoNodes } from '../support/gateway.js';
import { protocolRulesSuite } from '../support/protocol-rules.suite.js';

protocolRulesSuite((overrides) => startTwoNodes(overrides));
