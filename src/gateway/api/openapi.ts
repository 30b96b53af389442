/** The server API (contract §7, §8) as an OpenAPI 3.1 document, served at GET /api/openapi.json. */

const error = (description: string): object => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const common = {
  '400': error('The body is not JSON, or a field is missing or wrong (code BAD_REQUEST)'),
  '401': error('No API key, or a wrong one (code UNAUTHORIZED)'),
};
const json = (schema: object, description: string): object => ({ description, content: { 'application/json': { schema } } });
const body = (schema: object): object => ({ required: true, content: { 'application/json': { schema } } });

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Switchboard server API',
    version: '1.0.0',
    description: 'Calls a client app\'s own backend makes to the gateway: publish to topics, send messages, disconnect users, ask for presence. Every request carries `Authorization: Bearer <apiKey>` of one app (its `clientApps` entry); the key selects the app.',
  },
  security: [{ apiKey: [] }],
  paths: {
    '/api/publish': {
      post: {
        operationId: 'publish',
        summary: 'Publish data on a topic: every connection of the app subscribed to it, on any node, gets PUBLICATION {topic, data}',
        requestBody: body({ type: 'object', required: ['topic', 'data'], properties: { topic: { type: 'string', minLength: 1 }, data: { description: 'Any JSON value' } } }),
        responses: { '200': json({ type: 'object', required: ['ok'], properties: { ok: { const: true } } }, 'Published'), ...common, '413': error('The body, or the data, is larger than --max-payload (code TOO_LARGE)'), '503': error('The bus to other nodes refused it (code UNAVAILABLE)') },
      },
    },
    '/api/send': {
      post: {
        operationId: 'send',
        summary: "Send a MESSAGE to a user of the app, from the app's masterUserId",
        description: 'RELIABLE (default) answers once the message is durable; a user with no connection gets it with the next fetch. FAST answers once it was handed to routing and is dropped for a user with no connection.',
        requestBody: body({ type: 'object', required: ['to', 'content'], properties: { to: { type: 'string', description: 'userId, <appName>-<digits>' }, content: { description: 'Any JSON value' }, feature: { type: 'string', enum: ['RELIABLE', 'FAST'], default: 'RELIABLE' } } }),
        responses: { '200': json({ type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, 'Accepted, with the message id'), ...common, '403': error('`to` is a user of another app (code FORBIDDEN)'), '413': error('The body is larger than --max-payload (code TOO_LARGE)'), '503': error('The store or the bus could not take it; nothing was sent (code UNAVAILABLE)') },
      },
    },
    '/api/disconnect': {
      post: {
        operationId: 'disconnect',
        summary: "Close every connection of a user, on every node, with close code 4000",
        requestBody: body({ type: 'object', required: ['userId'], properties: { userId: { type: 'string' } } }),
        responses: { '200': json({ type: 'object', required: ['closed'], properties: { closed: { type: 'integer', minimum: 0, description: 'Connections the user held cluster-wide when the request came (presence)' } } }, 'Closing'), ...common, '403': error('A user of another app (code FORBIDDEN)'), '413': error('The body is larger than --max-payload (code TOO_LARGE)'), '503': error('The bus could not take it (code UNAVAILABLE)') },
      },
    },
    '/api/users/{userId}': {
      get: {
        operationId: 'user',
        summary: 'Whether a user of the app is connected anywhere in the cluster, and with how many connections',
        parameters: [{ name: 'userId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json({ type: 'object', required: ['userId', 'online', 'connections'], properties: { userId: { type: 'string' }, online: { type: 'boolean' }, connections: { type: 'integer', minimum: 0 } } }, 'Presence of the user'), ...common, '403': error('A user of another app (code FORBIDDEN)'), '503': error('Presence could not be read (code UNAVAILABLE)') },
      },
    },
    '/api/nodes': {
      get: {
        operationId: 'nodes',
        summary: 'The live nodes of the cluster and their connection counts',
        responses: {
          '200': json({ type: 'object', required: ['nodes'], properties: { nodes: { type: 'array', items: { type: 'object', required: ['nodeId', 'connections', 'expiresAt'], properties: { nodeId: { type: 'string' }, connections: { type: 'integer', minimum: 0 }, expiresAt: { type: 'integer', description: 'ms since the epoch when the node lease runs out unless refreshed' } } } } } }, 'Live nodes'),
          '401': common['401'],
          '503': error('Presence could not be read (code UNAVAILABLE)'),
        },
      },
    },
    '/api/openapi.json': {
      get: { operationId: 'openapi', summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } } },
    },
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'The `apiKey` of a client app' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: ['BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'TOO_LARGE', 'UNAVAILABLE'] }, message: { type: 'string' } } } },
      },
    },
  },
} as const;
