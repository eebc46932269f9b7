#!/usr/bin/env bash
# Checks that two batchplan binaries answer the same `fit` questions with the same JSON, byte for byte.
#
#   Benchmarks/compare-fit.sh OLD_BINARY NEW_BINARY
#
# Each binary gets its own copy of one prepared catalog (so each fits its calibration itself) and answers every case
# below with --format json --all (every candidate, ranked, with its components). The one normalisation: the text of
# the calibration assumption ("activations ×1.001319393612875, …") is rounded to three decimals, as text output now
# rounds it; every number of the JSON contract is compared as printed.
set -euo pipefail
OLD=$(realpath "$1")
NEW=$(realpath "$2")
WORK=$(mktemp -d /tmp/batchplan-compare.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

"$OLD" gpus list --db "$WORK/seed.sqlite" >/dev/null
cases=(
  "--memory 12GB"
  "--memory 24GB --optimizer adamw --optimizer sgd-momentum --optimizer adamw-8bit --mode full --mode frozen"
  "--gpu RTX 3060 --model llama-3.2-1b --seq 1024"
  "--gpu A100-80GB-SXM --model llama-2-7b --seq 4096 --gpus 8 --zero 3"
  "--gpu 4090 --gpu T4 --gpu H100-SXM --model resnet50 --model vit_b_16 --target-batch 256 --multiple-of 8"
  "--memory 8GB --no-calibration --prefer memory --headroom 1.5GiB"
  "--gpu H100-SXM --model mixtral-8x7b --seq 2048 --mode qlora --lora-rank 16"
)
normalise() {  # rounds the calibration assumption's factors to three decimals
  python3 -c '
import re, sys
text = sys.stdin.read()
def rounded(m): return m.group(1) + "%.3f" % float(m.group(2))
print(re.sub(r"((?:activations ×|model states ×|log spread )-?)([0-9.e+-]+)", rounded, text), end="")'
}
status=0
for binary in OLD NEW; do cp "$WORK/seed.sqlite" "$WORK/$binary.sqlite"; done
for index in "${!cases[@]}"; do
  read -r -a args <<<"${cases[$index]//RTX 3060/RTX_3060}"
  args=("${args[@]//RTX_3060/RTX 3060}")
  for binary in OLD NEW; do
    code=0
    "${!binary}" fit "${args[@]}" --format json --all --db "$WORK/$binary.sqlite" 2>/dev/null | normalise >"$WORK/$binary.$index.json" || code=$?
    echo "$code" >>"$WORK/$binary.$index.json"
  done
  if cmp -s "$WORK/OLD.$index.json" "$WORK/NEW.$index.json"; then
    echo "same   fit ${cases[$index]} ($(wc -c <"$WORK/NEW.$index.json") bytes)"
  else
    echo "DIFFER fit ${cases[$index]}"; diff "$WORK/OLD.$index.json" "$WORK/NEW.$index.json" | head -20; status=1
  fi
done
exit $status
