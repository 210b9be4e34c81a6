/**
 * Problem details (RFC 9457): every error of the HTTP API is an `application/problem+json` body
 * with a `type` URI from PROBLEMS, the HTTP status, a human `detail` and, for bad input, `errors`
 * naming each field (a JSON pointer, RFC 6901) and what was expected there.
 */

/** One problem type: its URI suffix, status and title (docs/http-api.md lists them). */
export const PROBLEMS = {
  'malformed-request': { status: 400, title: 'The request body is not valid JSON' },
  'invalid-idempotency-key': { status: 400, title: 'The Idempotency-Key header is not valid' },
  unauthorized: { status: 401, title: 'A valid bearer token is required' },
  forbidden: { status: 403, title: 'The token may not do this' },
  'not-found': { status: 404, title: 'No such resource' },
  'method-not-allowed': { status: 405, title: 'Method not allowed on this resource' },
  'idempotency-conflict': { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  'request-too-large': { status: 413, title: 'The request body is larger than http.max_request_size' },
  'message-too-large': { status: 413, title: 'A composed message is larger than listener.max_message_size' },
  'unsupported-media-type': { status: 415, title: 'The request body must be application/json' },
  'validation-failed': { status: 422, title: 'The request has invalid fields' },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used with a different request' },
  'message-refused': { status: 422, title: 'A message was refused at reception (e.g. it cannot be signed)' },
  'rate-limited': { status: 429, title: 'Too many requests for this token (http.rate_limit)' },
  'internal-error': { status: 500, title: 'The request failed inside Petrel' },
  'spool-unavailable': { status: 503, title: 'The spool cannot take mail now (disk full or stopping)' },
  'message-deferred': { status: 503, title: 'A message was refused for now at reception (e.g. DKIM signing failed)' },
} as const;

export type ProblemName = keyof typeof PROBLEMS;

/** The base of every problem `type` URI. */
export const PROBLEM_BASE = 'https://petrel.dev/problems/';

/** One invalid field: where (JSON pointer into the request body) and what was expected. */
export interface FieldError {
  readonly field: string;
  readonly expected: string;
}

/** The JSON body of a problem response. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

/** Thrown inside a request handler; the server turns it into the response. */
export class HttpProblem extends Error {
  readonly status: number;

  constructor(
    readonly problem: ProblemName,
    readonly detail: string,
    readonly errors: readonly FieldError[] = [],
    /** Extra response headers (WWW-Authenticate, Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
    /** Extension members of the body (RFC 9457 §3.2), e.g. the messages stored before a failure. */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = PROBLEMS[problem].status;
  }

  body(): ProblemBody {
    return {
      ...this.extensions,
      type: PROBLEM_BASE + this.problem,
      title: PROBLEMS[this.problem].title,
      status: this.status,
      detail: this.detail,
      ...(this.errors.length > 0 ? { errors: this.errors } : {}),
    };
  }
}

/** A 422 for one field. */
export function invalid(field: string, expected: string): HttpProblem {
  return new HttpProblem('validation-failed', `${field}: expected ${expected}`, [{ field, expected }]);
}
