#!/usr/bin/env bash
# The conversion matrix, part two, from: raw vdi-dynamic vdi-static.
# Each into every format ovfkit writes; see matrix.inc.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/matrix.inc"

matrix_source "$T/src.raw"
matrix_from raw vdi-dynamic vdi-static
