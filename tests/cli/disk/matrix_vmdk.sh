#!/usr/bin/env bash
# The conversion matrix, part two, from: vmdk-sparse vmdk-stream vmdk-flat vmdk-2g-sparse vmdk-2g-flat.
# Each into every format ovfkit writes; see matrix.inc.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/matrix.inc"

matrix_source "$T/src.raw"
matrix_from vmdk-sparse vmdk-stream vmdk-flat vmdk-2g-sparse vmdk-2g-flat
