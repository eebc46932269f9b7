-- Saved plans: the query, the results and the calibration used, so a report can be re-exported later and compared
-- with the answer after recalibration.
CREATE TABLE saved_plan (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    query_json TEXT NOT NULL CHECK (json_valid(query_json)),
    result_json TEXT NOT NULL CHECK (json_valid(result_json)),
    calibration_json TEXT NOT NULL CHECK (json_valid(calibration_json)),
    batchplan_version TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
