#!/bin/sh
# run.sh - the main job on embedded defaults (make run).
# Until the daemon exists this lints the example policy.
set -eu
BUILD=${1:-build}
exec "$BUILD/mtasts" lint-policy examples/mta-sts.txt
