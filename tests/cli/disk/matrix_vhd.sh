#!/usr/bin/env bash
# The conversion matrix, part two, from: vpc-dynamic vpc-fixed vhdx-dynamic vhdx-fixed.
# Each into every format ovfkit writes; see matrix.inc.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/matrix.inc"

matrix_source "$T/src.raw"
matrix_from vpc-dynamic vpc-fixed vhdx-dynamic vhdx-fixed
