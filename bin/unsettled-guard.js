// A command whose work waits on something that can never finish (a promise nothing will
// settle while every timer is unref'd) would otherwise end with Node's bare exit code 13
// ("unsettled top-level await") and no word. This guard says what happened and makes the
// exit code 1, like any other error. Call done() once the command has settled.
export function guardUnsettled(command, proc = process) {
  let settled = false;
  proc.on('exit', () => {
    if (settled) return;
    proc.stderr.write(
      `joinery${command && !command.startsWith('-') ? ` ${command}` : ''}: stopped before finishing: it was waiting on something that can no longer happen ` +
        `(typically a connection that was never answered). This is a bug in joinery; please report it with the command line.\n`,
    );
    proc.exitCode = 1;
  });
  return {
    done() {
      settled = true;
    },
  };
}
