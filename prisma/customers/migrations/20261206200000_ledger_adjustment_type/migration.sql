-- Admin adjustments (contract v4) are a ledger type of their own. Alone in its migration: a value added to an enum
-- cannot be used in the transaction that adds it, and the next migration's constraint names it.
ALTER TYPE "LedgerType" ADD VALUE 'adjustment';
