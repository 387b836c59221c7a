import express, { type RequestHandler } from 'express';
import { UnsupportedMediaType, ValidationFailed } from './errors';

/** Deeper JSON is refused before it is parsed: no body of the contract comes near it. */
export const MAX_JSON_DEPTH = 32;
/** The largest body any route accepts, after decoding. */
export const MAX_BODY_BYTES = 64 * 1024;
/** `Content-Encoding`s a body may arrive in (identity when absent). zstd is left out: Node 20 cannot decode it. */
export const ACCEPTED_ENCODINGS = ['identity', 'gzip', 'deflate', 'br'] as const;

/**
 * Does this JSON text open more than `max` arrays or objects inside each other? One pass over the bytes with a
 * counter: no recursion, no copy. Brackets inside strings do not count; UTF-8 never puts an ASCII byte inside a
 * multi-byte character, so reading bytes is exact. The text need not be valid JSON (the parser decides that).
 */
export function nestedDeeperThan(json: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // backslash: the next byte is escaped
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > max) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return false;
}

const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return next();
  if (!req.is('application/json')) throw new UnsupportedMediaType('Send the body as application/json');
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!(ACCEPTED_ENCODINGS as readonly string[]).includes(encoding)) {
    throw new UnsupportedMediaType(`Content-Encoding ${encoding} is not accepted; send ${ACCEPTED_ENCODINGS.join(', ')}`);
  }
  next();
};

/**
 * The JSON body parser of every service: UTF-8 JSON only, at most MAX_BODY_BYTES once decoded (so a compressed
 * bomb stops there), nesting checked on the raw bytes before JSON.parse sees them.
 */
export const jsonBody: RequestHandler[] = [
  requireJson,
  express.json({
    limit: MAX_BODY_BYTES,
    strict: false,
    verify: (_req, _res, raw, charset) => {
      // The depth scan reads bytes as UTF-8; JSON is UTF-8 (RFC 8259), so other charsets are refused.
      if (charset !== 'utf-8' && charset !== 'utf8') throw new UnsupportedMediaType('Only UTF-8 JSON bodies are accepted');
      if (nestedDeeperThan(raw, MAX_JSON_DEPTH)) {
        throw new ValidationFailed(`The body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`, [
          { path: 'body', message: `must not nest deeper than ${MAX_JSON_DEPTH} levels` },
        ]);
      }
    },
  }),
];
