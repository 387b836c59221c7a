/**
 * The most one wallet movement may be, in cents (1,000,000,000.00): customers' internal debits and credits accept
 * up to this, and sales refuses a basket whose total is above it (422 total_too_large) before anything is reserved.
 * One constant, so the two services cannot disagree.
 */
export const MAX_AMOUNT_CENTS = 100_000_000_000;
