-- Stock given back by a refund of a sale is a movement of its own kind (alone in this migration: a new enum
-- value cannot be used in the transaction that adds it).
ALTER TYPE "StockMovementKind" ADD VALUE 'return';
