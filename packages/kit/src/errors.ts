// The one error hierarchy. Each class carries the contract's status and stable `code`;
// handlers throw, and the problem handler (problem.ts) writes them as problem+json.

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  /** Response headers that belong to this answer (e.g. Retry-After). */
  headers?: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title);
  }
}

/** Each code's title (as its class answers it), for the documented examples. */
export const problemTitles: Record<string, string> = {};

const define = (status: number, code: string, title: string) => {
  problemTitles[code] = title;
  return class extends AppError {
    constructor(detail?: string, errors?: FieldError[]) {
      super(status, code, title, detail, errors);
    }
  };
};

export const ValidationFailed = define(400, 'validation_failed', 'Validation failed');
/** A password a strength library finds too easy to guess (contract v4). */
export const WeakPassword = define(400, 'weak_password', 'Weak password');
export const Unauthorized = define(401, 'unauthorized', 'Unauthorized');
export const InvalidCredentials = define(401, 'invalid_credentials', 'Invalid credentials');
export const InsufficientFunds = define(402, 'insufficient_funds', 'Insufficient funds');
export const Forbidden = define(403, 'forbidden', 'Forbidden');
export const NotFound = define(404, 'not_found', 'Not found');
export const Conflict = define(409, 'conflict', 'Conflict');
export const InsufficientStock = define(409, 'insufficient_stock', 'Insufficient stock');
export const IdempotencyKeyInUse = define(409, 'idempotency_key_in_use', 'Idempotency key in use');
export const PayloadTooLarge = define(413, 'payload_too_large', 'Payload too large');
export const UnsupportedMediaType = define(415, 'unsupported_media_type', 'Unsupported media type');
export const IdempotencyKeyReused = define(422, 'idempotency_key_reused', 'Idempotency key reused');
export const DepositLimit = define(422, 'deposit_limit', 'Deposit limit reached');
export const TotalTooLarge = define(422, 'total_too_large', 'Total too large');
export const RateLimited = define(429, 'rate_limited', 'Too many requests');
export const Internal = define(500, 'internal', 'Internal server error');
/** Always with Retry-After (2 s unless the thrower knows better): clients and load balancers back off by it. */
export class ServiceUnavailable extends AppError {
  constructor(detail?: string, retryAfterSeconds = 2) {
    super(503, 'service_unavailable', 'Service unavailable', detail);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

/** Every code the contract defines, with its status: documents and tests read this table. */
export const problemCodes = {
  validation_failed: 400,
  weak_password: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  insufficient_funds: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  insufficient_stock: 409,
  idempotency_key_in_use: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  deposit_limit: 422,
  total_too_large: 422,
  rate_limited: 429,
  internal: 500,
  service_unavailable: 503,
} as const;
export type ProblemCode = keyof typeof problemCodes;
