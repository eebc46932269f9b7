-- Each run's calibration facts (RunEvidence.RunFacts as compact bytes: its observations, its step-time observation
-- and what it asks), kept between refits so that a refit predicts only the runs it has not seen. A cache: its rows
-- count only while catalog_meta.evidence_stamp is what the code works out (the code's fingerprints, the models, the
-- GPUs and their aliases, the seed), and a stamp that differs drops them all; a run's row goes with the run (ON DELETE
-- CASCADE). An empty payload is a run that gives calibration nothing (unusable, or a configuration the planner
-- rejects). Deleting any row only costs the next refit that run's prediction again.
CREATE TABLE run_evidence (
    run_id INTEGER PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,
    builtin INTEGER NOT NULL CHECK (builtin IN (0, 1)),
    payload BLOB NOT NULL
) STRICT;

-- A run's row goes with it even where foreign keys are off (the sqlite3 shell's default): a refit then knows every
-- kept row is a run's, and finds the runs it has not seen by their count and ids alone. A run removed or edited in
-- place (batchplan does neither to a run it keeps; a shell may) counts up catalog_meta.runs_changed, which the
-- calibration stamp includes (a run removed and another recorded can leave the count and largest id as they were),
-- and an edited run's facts are dropped.
CREATE TRIGGER run_evidence_follows_run AFTER DELETE ON run
BEGIN
    DELETE FROM run_evidence WHERE run_id = old.id;
    INSERT INTO catalog_meta (key, value) VALUES ('runs_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER run_evidence_follows_run_edit AFTER UPDATE ON run
BEGIN
    DELETE FROM run_evidence WHERE run_id = old.id OR run_id = new.id;
    INSERT INTO catalog_meta (key, value) VALUES ('runs_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
    INSERT INTO catalog_meta (key, value) VALUES ('calibration_stale', '1')
    ON CONFLICT(key) DO UPDATE SET value = '1';
END;

-- Every change to the models, GPUs and their aliases counts up catalog_meta.definitions_changed, which the evidence
-- and calibration stamps include: a row count and largest id alone miss the newest row replaced (a new row takes the
-- id of the one removed) and a row edited in place.
CREATE TRIGGER model_inserted AFTER INSERT ON model BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER model_updated AFTER UPDATE ON model BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER model_deleted AFTER DELETE ON model BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER gpu_inserted AFTER INSERT ON gpu BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER gpu_updated AFTER UPDATE ON gpu BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER gpu_deleted AFTER DELETE ON gpu BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER model_alias_inserted AFTER INSERT ON model_alias BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER model_alias_updated AFTER UPDATE ON model_alias BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER model_alias_deleted AFTER DELETE ON model_alias BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER gpu_alias_inserted AFTER INSERT ON gpu_alias BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER gpu_alias_updated AFTER UPDATE ON gpu_alias BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER gpu_alias_deleted AFTER DELETE ON gpu_alias BEGIN
    INSERT INTO catalog_meta (key, value) VALUES ('definitions_changed', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
