#!/usr/bin/env bash
# Process-level speed of the main job against the start-up floor, as a user's script pays it.
#
#   Benchmarks/cli-speed.sh [BINARY] [RUNS]          # default .build/release/batchplan, 21 runs each
#
# Measures, with hyperfine in rounds that interleave the commands (5 rounds of RUNS/5 runs each, medians over all
# of them, so a load that comes and goes slows both alike), on prepared catalogs:
#   1. the built-in catalog: `fit --memory 12GB` against `gpus show "RTX 3060"` (process start + catalog open);
#   2. 10× models: the built-in catalog plus 9 copies of every built-in model (raw-count copies of the vision
#      builders, config copies of the Hugging Face models);
#   3. 10× runs: the built-in catalog plus 9 re-keyed copies of every built-in run (5,120 runs);
# and the first `fit` after the runs changed (the refit), by recording and removing one run before each timed fit,
# the first `fit` after the accounting cache was emptied (as after an upgrade: every model accounted again), and the
# main job on a fresh catalog (create, seed, calibrate, account, plan). Medians and the ratio to the floor are
# printed. Needs hyperfine, jq and python3 (to empty the cache table).
set -euo pipefail
BIN=$(realpath "${1:-.build/release/batchplan}")
RUNS=${2:-21}
WORK=$(mktemp -d /tmp/batchplan-speed.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
REPO=$(cd "$(dirname "$0")/.." && pwd)

prepare_base() {  # $1 catalog: created, seeded and calibrated once, so every timed run finds it ready
    "$BIN" fit --memory 12GB --db "$1" >/dev/null
}

prepare_models() {  # $1 catalog: 9 more copies of every built-in model
    prepare_base "$1"
    for copy in 1 2 3 4 5 6 7 8 9; do
        for config in "$REPO"/data/models/hf/*.json; do
            "$BIN" models import --hf "$config" --name "$(basename "$config" .json)-copy$copy" --db "$1" >/dev/null 2>&1
        done
        # Vision builders have no importable definition: copy them as raw counts (same parameters, activations).
        "$BIN" models list --format json --db "$1" | jq -r '.models[] | select(.kind == "builder" and .origin == "builtin") | .name' |
            while read -r name; do
                json=$("$BIN" models show "$name" --format json --db "$1")
                params=$(jq -r .parameters <<<"$json")
                acts=$(jq -r '(.activation_bytes_per_sample / 4 | floor)' <<<"$json")
                shape=$(jq -r '.input.shape | map(tostring) | join("x")' <<<"$json")
                "$BIN" models add "$name-copy$copy" --params "$params" --activations "$acts" --input "$shape" --db "$1" >/dev/null 2>&1
            done
    done
    "$BIN" fit --memory 12GB --db "$1" >/dev/null
}

prepare_runs() {  # $1 catalog: 9 re-keyed copies of every built-in run
    prepare_base "$1"
    "$BIN" runs export --format jsonl --db "$1" >"$WORK/runs.jsonl"
    for copy in 1 2 3 4 5 6 7 8 9; do
        jq -c --arg c "$copy" '.id = ((.id // "row") + "-copy" + $c) | .source = ((.source // "copy") + "-copy" + $c)' \
            "$WORK/runs.jsonl"
    done >"$WORK/copies.jsonl"
    # Built-in runs the catalog cannot use (unknown models, no GPU) are refused on import: keep the rest.
    "$BIN" runs import "$WORK/copies.jsonl" --skip-invalid --db "$1" >/dev/null 2>&1
    "$BIN" fit --memory 12GB --db "$1" >/dev/null
}

median_ms() { jq -r ".results[$2].median * 1000 | . * 10 | round / 10" "$1"; }

compare() {  # $1 label, $2 catalog
    local round per=$(( (RUNS + 4) / 5 ))
    for round in 1 2 3 4 5; do
        hyperfine -N --style none --warmup 2 --runs "$per" --export-json "$WORK/$1.$round.json" \
            "$BIN gpus show 'RTX 3060' --db $2" "$BIN fit --memory 12GB --db $2" >/dev/null
    done
    # One result per command with every round's times, for median_ms.
    jq -s '{results: [range(0; 2) as $i | {times: [.[].results[$i].times[]] | sort}
        | .median = (.times | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end)]}' \
        "$WORK/$1".?.json >"$WORK/$1.json"
    local floor fit
    floor=$(median_ms "$WORK/$1.json" 0)
    fit=$(median_ms "$WORK/$1.json" 1)
    printf '%-12s gpus show %7.1f ms   fit --memory 12GB %7.1f ms   ratio %5.2f×\n' "$1" "$floor" "$fit" \
        "$(jq -n "$fit / $floor")"
}

refit() {  # $1 label, $2 catalog: the first fit after a run changed
    local id
    hyperfine -N --style none --runs "$(( RUNS < 7 ? RUNS : 7 ))" --export-json "$WORK/$1-refit.json" \
        --prepare "sh -c '$BIN runs record --model resnet50 --gpu \"RTX 3090\" --batch 64 --peak-allocated 9GiB --db $2 >/dev/null; \
            $BIN runs list --format json --db $2 | jq -r \"[.runs[] | select(.origin == \\\"user\\\") | .catalog_id] | last\" | xargs -I{} $BIN runs remove {} --db $2 >/dev/null'" \
        "$BIN fit --memory 12GB --db $2" >/dev/null
    printf '%-12s first fit after a run changed %7.1f ms\n' "$1" "$(median_ms "$WORK/$1-refit.json" 0)"
}

uncached() {  # $1 label, $2 catalog: the first fit after the accounting cache was emptied
    hyperfine -N --style none --runs "$(( RUNS < 7 ? RUNS : 7 ))" --export-json "$WORK/$1-uncached.json" \
        --prepare "python3 -c \"import sqlite3; c = sqlite3.connect('$2'); c.execute('DELETE FROM accounting_cache'); c.commit()\"" \
        "$BIN fit --memory 12GB --db $2" >/dev/null
    printf '%-12s first fit after the accounting cache was emptied %7.1f ms\n' "$1" "$(median_ms "$WORK/$1-uncached.json" 0)"
}

fresh() {  # the README's main job on a fresh catalog
    hyperfine -N --style none --runs "$(( RUNS < 7 ? RUNS : 7 ))" --export-json "$WORK/fresh.json" \
        --prepare "rm -f $WORK/fresh.sqlite $WORK/fresh.sqlite-wal $WORK/fresh.sqlite-shm" \
        "$BIN fit --memory 12GB --db $WORK/fresh.sqlite" >/dev/null
    printf '%-12s main job on a fresh catalog %7.1f ms\n' fresh "$(median_ms "$WORK/fresh.json" 0)"
}

echo "binary: $BIN ($RUNS runs each, medians)"
prepare_base "$WORK/base.sqlite"
compare built-in "$WORK/base.sqlite"
refit built-in "$WORK/base.sqlite"
has_cache() { python3 -c "import sqlite3, sys; sys.exit(0 if sqlite3.connect('$1').execute(\"SELECT count(*) FROM sqlite_master WHERE name = 'accounting_cache'\").fetchone()[0] else 1)"; }
if has_cache "$WORK/base.sqlite"; then uncached built-in "$WORK/base.sqlite"; fi
fresh
prepare_models "$WORK/models.sqlite"
compare 10x-models "$WORK/models.sqlite"
prepare_runs "$WORK/runs.sqlite"
compare 10x-runs "$WORK/runs.sqlite"
refit 10x-runs "$WORK/runs.sqlite"
