import { pageOf, pageQuery, z } from '@shop/kit';

export const username = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{3,32}$/, '3–32 letters, digits, _ . or -')
  .openapi({ example: 'alice' });
/** bcrypt reads at most 72 bytes: a longer password would be cut silently, so it is refused instead. */
const MAX_PASSWORD_BYTES = 72;
const withinBcrypt = (schema: z.ZodString) =>
  schema.refine((value) => Buffer.byteLength(value, 'utf8') <= MAX_PASSWORD_BYTES, `at most ${MAX_PASSWORD_BYTES} bytes in UTF-8`);
const password = withinBcrypt(z.string().min(8).max(72)).openapi({
  example: 'correct-horse-battery',
  description: `8–72 characters and at most ${MAX_PASSWORD_BYTES} bytes in UTF-8, not too easy to guess (zxcvbn score 3 or more, else 400 \`weak_password\`)`,
});
const name = z.string().min(1).max(50);
const gender = z.enum(['male', 'female', 'other', 'unspecified']);
const maritalStatus = z.enum(['single', 'married', 'divorced', 'widowed', 'other']);

const profile = {
  firstName: name.openapi({ example: 'Alice' }),
  lastName: name.openapi({ example: 'Liddell' }),
  age: z.number().int().min(0).max(150).openapi({ example: 30 }),
  address: z.string().max(200).openapi({ example: '1 Rabbit Hole, Wonderland' }),
  gender: gender.openapi({ example: 'female' }),
  maritalStatus: maritalStatus.openapi({ example: 'single' }),
};

export const registration = z.strictObject({ username, password, ...profile }).openapi('Registration');

export const profileChanges = z
  .strictObject({
    ...profile,
    password,
    currentPassword: z
      .string()
      .min(1)
      .max(72)
      .openapi({ description: 'Required with `password` when customers change their own (admins may set one without it)' }),
  })
  .partial()
  .openapi('ProfileChanges', { example: { address: '2 Looking-Glass Lane', maritalStatus: 'married' } });

export const customer = z
  .object({
    id: z.uuid(),
    username: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    age: z.number().int(),
    address: z.string(),
    gender,
    maritalStatus,
    balanceCents: z.number().int().min(0),
    role: z.enum(['customer', 'admin']),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Customer');

export const customerPage = pageOf(customer, 'CustomerPage');
export const customerListQuery = pageQuery.extend({
  q: z.string().min(1).max(100).optional().openapi({ description: 'Matches username, first or last name (case-insensitive)' }),
});
export const usernameParams = z.object({ username });

export const login = z
  .strictObject({ username: z.string().min(1).max(32), password: withinBcrypt(z.string().min(1).max(72)) })
  .openapi('Login', { example: { username: 'alice', password: 'correct-horse-battery' } });

export const tokens = z
  .object({
    accessToken: z.string().openapi({ description: 'RS256 JWT; claims sub, username, role, sid, iss, aud, iat, exp' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Seconds the access token lives (ACCESS_TOKEN_TTL_SECONDS)' }),
    refreshToken: z.string().openapi({ description: 'Opaque; exchange it at POST /auth/refresh (once: each refresh answers a new one)' }),
    refreshExpiresIn: z.number().int().openapi({ description: 'Seconds the refresh token lives (REFRESH_TOKEN_TTL_DAYS)' }),
  })
  .openapi('Tokens');

export const refreshRequest = z
  .strictObject({ refreshToken: z.string().min(1).max(200) })
  .openapi('RefreshRequest', { example: { refreshToken: 'q3Vx0yJ9m5w2kL8Zr1tB6nC4dF7gH0jK2lM5pQ8sT1u' } });

export const session = z
  .object({
    id: z.uuid(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    userAgent: z.string().nullable(),
  })
  .openapi('Session');
export const sessionPage = pageOf(session, 'SessionPage');
export const sessionParams = usernameParams.extend({ id: z.uuid() });

export const endedSessionsQuery = z.object({
  after: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: 'The `nextCursor` of the previous answer; omitted, the feed starts from the oldest end it keeps' }),
});
export const endedSessions = z
  .object({
    sessions: z.array(
      z.object({
        id: z.uuid(),
        until: z.iso.datetime().openapi({ description: 'When every access token of this session has expired: the reader may forget it then' }),
      }),
    ),
    nextCursor: z.string().openapi({ description: 'Where to read on from (opaque); an end may be sent again, readers keep a set' }),
    more: z.boolean().openapi({ description: 'True when more ends follow at once (read on without waiting)' }),
  })
  .openapi('EndedSessions');
