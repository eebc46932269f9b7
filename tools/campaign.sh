#!/usr/bin/env bash
# Measurement campaign for batchplan (issue 7): run from the repository root on a GPU machine.
#   tools/campaign.sh OUT_DIR [--budget-s 420] [--only resnet50,gpt2] [--device cpu --tiny]
# Writes OUT_DIR/measured.jsonl, OUT_DIR/campaign.log, OUT_DIR/summary.json. Progress goes to stderr.
set -u
if [ $# -lt 1 ]; then
  echo "usage: tools/campaign.sh OUT_DIR [--budget-s SECONDS] [--only NAMES] [--device cuda|cpu] [--tiny]" >&2
  exit 64
fi
out_dir=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
mkdir -p "$out_dir"
exec "$python" "$here/campaign.py" --out "$out_dir" --repo-root "$(dirname "$here")" "$@"
