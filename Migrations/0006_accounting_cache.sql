-- Model accountings (the per-layer work behind every plan, about a quarter of a whole-catalog fit) kept between runs,
-- keyed by everything they depend on: the model's definition, the accounting options and a fingerprint of the code
-- that accounted them. A cache: rows are written by the first plan that needs them, rows of older code are dropped
-- when new ones are written, and deleting any row only costs the next plan that accounting again.
CREATE TABLE accounting_cache (
    model TEXT NOT NULL,
    options_key TEXT NOT NULL,
    definition_hash TEXT NOT NULL,
    code_fingerprint TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (model, options_key, definition_hash, code_fingerprint)
) STRICT;
