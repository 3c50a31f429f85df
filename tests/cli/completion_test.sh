#!/bin/bash
# The bash completion (scripts/ihd-completion.bash) against the built tools: flags from each
# tool's own table, switches' --no- forms, the words of a flag with choices (after a space and
# after '='), file names after any other flag. Usage: completion_test.sh TOOL_DIR COMPLETION_FILE
set -u
tool_dir=$1
source "$2"
PATH=$tool_dir:$PATH
failures=0

# expect "WORDS..." "EXPECTED" [absent]: completing the last of WORDS ("" for a new word) offers
# EXPECTED (or, with "absent", does not).
expect() {
  local line=$1 expected=$2 mode=${3:-present}
  read -r -a COMP_WORDS <<<"$line"
  [[ $line == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _ihd_complete
  local offered=" ${COMPREPLY[*]-} "
  if [[ $mode == present && $offered != *" $expected "* ]] ||
     [[ $mode == absent && $offered == *" $expected "* ]]; then
    echo "FAIL: '$line' -> [${COMPREPLY[*]-}], expected $mode '$expected'"
    failures=$((failures + 1))
  fi
}

expect "ihd_train --epo" --epochs
expect "ihd_train --no-bal" --no-balance
expect "ihd_train --" --no-augment
expect "ihd_train --" --complete-flags absent
expect "ihd_train --arch res" resnet152
expect "ihd_train --arch " resnet18
expect "ihd_train --labels = " all
expect "ihd_train --epochs " --epochs absent
expect "ihd_synth --pat" --patients
expect "ihd_prepare --split " random
expect "ihd_predict --grad" --gradcam
expect "ihd_eval --boot" --bootstrap
expect "ihd_embed --mod" --model
if ((failures > 0)); then exit 1; fi
echo "completion: all cases passed"
