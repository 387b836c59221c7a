// The error codes of the public contract (its "Conventions"), with the one status each belongs to. Written from the
// contract, not from the kit, so a code the kit invents or a code answered with the wrong status is caught.
export const CONTRACT_CODES: Record<string, number> = {
  validation_failed: 400,
  weak_password: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  insufficient_stock: 409,
  insufficient_funds: 402,
  idempotency_key_in_use: 409,
  idempotency_key_reused: 422,
  deposit_limit: 422,
  total_too_large: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  service_unavailable: 503,
  internal: 500,
};

export const SERVICE_NAMES = ['customers', 'inventory', 'sales', 'reviews'] as const;
export type Service = (typeof SERVICE_NAMES)[number];

/** Problems in an error answer, as readable strings ([] when it is a proper contract problem). */
export function problemViolations(status: number, contentType: string | undefined, body: any): string[] {
  const out: string[] = [];
  if (!/^application\/problem\+json/.test(contentType ?? '')) out.push(`content-type ${contentType} is not application/problem+json`);
  if (!body || typeof body !== 'object') return [...out, 'no problem body'];
  if (!(body.code in CONTRACT_CODES)) out.push(`code ${JSON.stringify(body.code)} is not in the contract`);
  else if (CONTRACT_CODES[body.code] !== status) out.push(`code ${body.code} belongs to ${CONTRACT_CODES[body.code]}, answered with ${status}`);
  if (body.status !== status) out.push(`body.status ${body.status} differs from HTTP ${status}`);
  for (const field of ['type', 'title', 'detail']) if (typeof body[field] !== 'string') out.push(`problem.${field} missing`);
  return out;
}

/** The services this run started (SHOP_TEST_SERVICES=customers,inventory starts only some). */
export const runningServices = (): Service[] => {
  const wanted = process.env.SHOP_TEST_SERVICES?.split(',');
  return SERVICE_NAMES.filter((name) => !wanted || wanted.includes(name));
};
