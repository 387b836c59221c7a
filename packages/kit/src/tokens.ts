// Access-token constants, in a module of their own with no dependencies, so that tests and the benchmark,
// which sign tokens themselves, can import them without loading the verifier's JWKS client.

/** Who issues access tokens (customers) and who they are for (this shop's services): verifiers check both. */
export const TOKEN_ISSUER = 'e-commerce-shop/customers';
export const TOKEN_AUDIENCE = 'e-commerce-shop';
/** Clock difference tolerated between the signer and a verifier, on `exp`, `nbf` and `iat`. */
export const TOKEN_CLOCK_SKEW_SECONDS = 30;
