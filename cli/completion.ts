// Shell completion scripts (bash, zsh, fish) generated from the command registry and each
// command's usage text, so a new command or option completes without editing this file.
import type { Command } from './command.ts';

export interface CompletionOption {
  long: string;
  short?: string;
  takesValue: boolean;
  description: string;
}

export interface CompletionCommand {
  name: string;
  summary: string;
  options: CompletionOption[];
  /** Fixed first words (explain: node, pod). */
  subcommands: string[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const OPTION_LINE = /^\s+(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)(\s+<[^>]+>)?\s*(.*)$/;

/** The options a command's usage text documents (its "Options:" lines). */
export function optionsFromUsage(usage: string): CompletionOption[] {
  const out = new Map<string, CompletionOption>();
  for (const line of usage.split('\n')) {
    const m = OPTION_LINE.exec(line);
    if (!m || out.has(m[2]!)) continue;
    out.set(m[2]!, { long: m[2]!, ...(m[1] ? { short: m[1] } : {}), takesValue: m[3] !== undefined, description: m[4]!.trim() });
  }
  out.set('help', { long: 'help', short: 'h', takesValue: false, description: 'show help' });
  return [...out.values()];
}

export function completionModel(commands: readonly Command[]): CompletionCommand[] {
  return commands.map((c) => ({
    name: c.name,
    summary: c.summary,
    options: optionsFromUsage(c.usage),
    subcommands: c.name === 'explain' ? ['node', 'pod'] : c.name === 'completion' ? [...SHELLS] : [],
  }));
}

function words(options: readonly CompletionOption[]): string {
  return options.flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]).join(' ');
}

function bash(model: readonly CompletionCommand[]): string {
  const cases = model
    .map((c) => `    ${c.name}) subs="${c.subcommands.join(' ')}"; opts="${words(c.options)}"; valued="${c.options.filter((o) => o.takesValue).flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]).join(' ')}" ;;`)
    .join('\n');
  return `# bash completion for joinery. Install: joinery completion bash > /etc/bash_completion.d/joinery
# (or: source <(joinery completion bash) in ~/.bashrc)
_joinery() {
  local cur prev cmd subs opts valued
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${model.map((c) => c.name).join(' ')} --help --version" -- "$cur") )
    return 0
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$cmd" in
${cases}
    *) subs=""; opts=""; valued="" ;;
  esac
  if [[ " $valued " == *" $prev "* ]]; then
    COMPREPLY=( $(compgen -f -- "$cur") )
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    return 0
  fi
  if [ "$COMP_CWORD" -eq 2 ] && [ -n "$subs" ]; then
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
    return 0
  fi
  COMPREPLY=( $(compgen -f -- "$cur") )
}
complete -F _joinery joinery
`;
}

function zshQuote(text: string): string {
  return text.replace(/'/g, `'\\''`).replace(/[[\]:]/g, (c) => `\\${c}`);
}

function zsh(model: readonly CompletionCommand[]): string {
  const commands = model.map((c) => `    '${c.name}:${zshQuote(c.summary)}'`).join('\n');
  const cases = model
    .map((c) => {
      const specs = c.options.map((o) => {
        const names = o.short ? `{-${o.short},--${o.long}}` : `--${o.long}`;
        return `'${names}[${zshQuote(o.description)}]${o.takesValue ? `:${o.long}:_files` : ''}'`;
      });
      const sub = c.subcommands.length > 0 ? [`'1:${c.name === 'explain' ? 'what' : 'shell'}:(${c.subcommands.join(' ')})'`] : [];
      return `    ${c.name})\n      _arguments ${[...specs, ...sub, `'*:file:_files'`].join(' ')} ;;`;
    })
    .join('\n');
  return `#compdef joinery
# zsh completion for joinery. Install: joinery completion zsh > "\${fpath[1]}/_joinery"
_joinery() {
  local -a commands
  commands=(
${commands}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd=\${words[2]}
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases}
  esac
}
compdef _joinery joinery
`;
}

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fish(model: readonly CompletionCommand[]): string {
  const lines = [
    '# fish completion for joinery. Install: joinery completion fish > ~/.config/fish/completions/joinery.fish',
    'complete -c joinery -f',
    ...model.map((c) => `complete -c joinery -n __fish_use_subcommand -a ${c.name} -d ${fishQuote(c.summary)}`),
  ];
  for (const c of model) {
    if (c.subcommands.length > 0) lines.push(`complete -c joinery -n '__fish_seen_subcommand_from ${c.name}' -a ${fishQuote(c.subcommands.join(' '))}`);
    for (const o of c.options) {
      lines.push(`complete -c joinery -n '__fish_seen_subcommand_from ${c.name}' -l ${o.long}${o.short ? ` -s ${o.short}` : ''}${o.takesValue ? ' -r -F' : ''} -d ${fishQuote(o.description || o.long)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: Shell, commands: readonly Command[]): string {
  const model = completionModel(commands);
  return shell === 'bash' ? bash(model) : shell === 'zsh' ? zsh(model) : fish(model);
}
