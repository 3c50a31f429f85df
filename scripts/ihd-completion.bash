# Bash completion for the ihd tools (ihd_train, ihd_predict, ihd_eval, ihd_embed, ihd_prepare,
# ihd_synth, ihd_serve). Nothing here lists a flag: each tool prints its own flag table with the hidden
# `--complete-flags` (apps/pipeline/flags.h: one line per flag, tab-separated: the flag, its
# placeholder, its choices), so completion always matches the binary being completed.
#   - after a flag that takes one of a few words (--arch, --labels...), those words;
#   - after any other flag that takes a value, file names (paths, or nothing useful to offer);
#   - otherwise, while the word starts with '-', the flags (switches also as --no-...);
#   - else file names (the INPUT arguments of ihd_predict, ihd_eval and ihd_prepare).
# `cmake --install` puts it in <datadir>/bash-completion/completions/<tool> for each tool
# (apps/CMakeLists.txt); or `source scripts/ihd-completion.bash`, e.g. from ~/.bashrc.

_ihd_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  if ((COMP_CWORD > 0)); then prev=${COMP_WORDS[COMP_CWORD - 1]}; fi
  # "--flag=value": bash splits at '=' (COMP_WORDBREAKS), so the flag is two words back.
  if [[ $cur == "=" ]]; then
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    cur=""
  elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi
  local table
  table=$("${COMP_WORDS[0]}" --complete-flags 2>/dev/null) || return 0

  local flag placeholder choices
  if [[ $prev == --* ]]; then
    while IFS=$'\t' read -r flag placeholder choices; do
      [[ $flag == "$prev" ]] || continue
      if [[ -z $placeholder ]]; then break; fi  # a switch: the word is a new argument
      if [[ -n $choices ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
      else
        compopt -o default 2>/dev/null
        COMPREPLY=()
      fi
      return 0
    done <<<"$table"
  fi
  if [[ $cur == -* ]]; then
    local flags=""
    while IFS=$'\t' read -r flag placeholder choices; do flags+="$flag "; done <<<"$table"
    mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
    return 0
  fi
  compopt -o default 2>/dev/null
  COMPREPLY=()
}

complete -F _ihd_complete ihd_train ihd_predict ihd_eval ihd_embed ihd_prepare ihd_synth ihd_serve
