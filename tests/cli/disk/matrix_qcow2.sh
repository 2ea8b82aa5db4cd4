#!/usr/bin/env bash
# The conversion matrix, part two, from: qcow2-v2 qcow2-v3 qcow2-v2-c qcow2-v3-c.
# Each into every format ovfkit writes; see matrix.inc.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/matrix.inc"

matrix_source "$T/src.raw"
matrix_from qcow2-v2 qcow2-v3 qcow2-v2-c qcow2-v3-c
