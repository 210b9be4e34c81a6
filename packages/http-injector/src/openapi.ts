/**
 * The OpenAPI 3.1 document served at /v1/openapi.json. It is data beside the code it describes:
 * ROUTES (server.ts) and the field lists (inject-request.ts) are checked against it by a test, and
 * every problem type's status appears under its route.
 */
import { ATTACHMENT_FIELDS, CONTENT_FIELDS, RECIPIENT_FIELDS, REQUEST_FIELDS } from './inject-request.js';
import { PROBLEM_BASE, PROBLEMS } from './problem.js';

const problemRef = { $ref: '#/components/schemas/Problem' };

function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: problemRef } } };
}

const substitutions = {
  type: 'object',
  description: 'Values for {{name}} in the content (docs/http-api.md "Substitutions").',
  propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,64}$' },
  additionalProperties: { type: ['string', 'number', 'boolean'] },
};

const props = (names: readonly string[], schemas: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(names.map((n) => [n, schemas[n]]));

/** The document; `info.version` follows the API path version. */
export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Petrel HTTP injection API',
    version: '1',
    description:
      'Inject mail into Petrel over HTTP. 201 only after the messages are durable in the spool. Errors are ' +
      `RFC 9457 problem details whose type starts with ${PROBLEM_BASE}.`,
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: '"client.secret" from http.tokens_file' },
    },
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { type: 'string', enum: Object.keys(PROBLEMS).map((p) => PROBLEM_BASE + p) },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              required: ['field', 'expected'],
              properties: {
                field: { type: 'string', description: 'JSON pointer (RFC 6901) into the request body' },
                expected: { type: 'string' },
              },
            },
          },
          stored: { type: 'array', items: { $ref: '#/components/schemas/InjectedMessage' } },
        },
      },
      InjectedMessage: {
        type: 'object',
        required: ['recipient', 'id'],
        properties: { recipient: { type: 'string' }, id: { type: 'string', description: 'Spool message id' } },
      },
      Attachment: {
        type: 'object',
        required: ['filename', 'content'],
        additionalProperties: false,
        properties: props(ATTACHMENT_FIELDS, {
          filename: { type: 'string' },
          content: { type: 'string', contentEncoding: 'base64' },
          content_type: { type: 'string', examples: ['application/pdf'] },
        }),
      },
      Content: {
        type: 'object',
        description:
          'Either raw (a complete RFC 5322 message) or parts composed by nodemailer (from, subject, text/html).',
        additionalProperties: false,
        properties: props(CONTENT_FIELDS, {
          raw: { type: 'string', description: 'A complete RFC 5322 message; LF line ends become CRLF' },
          from: { type: 'string', description: 'From: header' },
          to: { type: 'string', description: 'To: header; default the recipient' },
          reply_to: { type: 'string' },
          subject: { type: 'string' },
          text: { type: 'string' },
          html: { type: 'string' },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
          attachments: { type: 'array', items: { $ref: '#/components/schemas/Attachment' } },
        }),
      },
      Recipient: {
        oneOf: [
          { type: 'string', format: 'email' },
          {
            type: 'object',
            required: ['address'],
            additionalProperties: false,
            properties: props(RECIPIENT_FIELDS, { address: { type: 'string', format: 'email' }, substitutions }),
          },
        ],
      },
      InjectRequest: {
        type: 'object',
        required: ['sender', 'recipients', 'content'],
        additionalProperties: false,
        properties: props(REQUEST_FIELDS, {
          sender: { type: 'string', format: 'email', description: 'Envelope sender (MAIL FROM)' },
          recipients: {
            type: 'array',
            minItems: 1,
            description: 'At most http.max_recipients; with parts each recipient gets its own message',
            items: { $ref: '#/components/schemas/Recipient' },
          },
          substitutions,
          content: { $ref: '#/components/schemas/Content' },
          binding_group: { type: 'string', description: "Must equal the token's pinned group, if it has one" },
        }),
      },
      InjectResponse: {
        type: 'object',
        required: ['messages'],
        properties: { messages: { type: 'array', items: { $ref: '#/components/schemas/InjectedMessage' } } },
      },
    },
  },
  paths: {
    '/v1/inject': {
      post: {
        operationId: 'inject',
        security: [{ bearer: [] }],
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description:
              '1–255 printable ASCII characters; the same key within http.idempotency_ttl replays the first response',
            schema: { type: 'string', maxLength: 255 },
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/InjectRequest' } } },
        },
        responses: {
          '201': {
            description: 'Every message is durable in the spool',
            headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/InjectResponse' } } },
          },
          '400': problem('Malformed JSON or Idempotency-Key'),
          '401': problem('Missing or wrong bearer token'),
          '403': problem("binding_group other than the token's pinned group"),
          '405': problem('Method not allowed'),
          '409': problem('The same Idempotency-Key is in flight'),
          '413': problem(
            'Request larger than http.max_request_size, or a message larger than listener.max_message_size',
          ),
          '415': problem('Content-Type is not application/json'),
          '422': problem(
            'Invalid fields (each named with what was expected), or an Idempotency-Key reused with another body',
          ),
          '429': problem('http.rate_limit exceeded; see Retry-After'),
          '500': problem('Unexpected failure'),
          '503': problem('The spool cannot take mail now; see Retry-After'),
        },
      },
    },
    '/v1/openapi.json': {
      get: {
        operationId: 'openapi',
        responses: {
          '200': { description: 'This document', content: { 'application/json': { schema: { type: 'object' } } } },
          '405': problem('Method not allowed'),
        },
      },
    },
  },
} as const;
