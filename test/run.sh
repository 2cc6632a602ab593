#!/usr/bin/env bash
# `npm test`: type-check, build or reuse the real test environment (kube-apiserver,
# kube-scheduler, kube-controller-manager, etcd, kwok, moto; cached outside the repo),
# then run the unit tests and the integration tests against that environment.
set -uo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
jest() { node --experimental-vm-modules node_modules/jest/bin/jest.js "$@"; }

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json || { echo "0 passed, 1 failed"; exit 1; }

echo "== test environment"
bash test/env/setup.sh || { echo "test environment setup failed"; echo "0 passed, 1 failed"; exit 1; }

echo "== unit tests"
jest --selectProjects unit --json --outputFile="$out/unit.json"
unit_rc=$?

echo "== integration tests (real kube-apiserver, kube-scheduler, kwok, moto on 127.0.0.1)"
# --forceExit: after the global teardown has stopped the environment, a handle a failed test
# left open (a supervised child's timer) must not keep CI waiting; the results are written.
jest --selectProjects integration --runInBand --forceExit --json --outputFile="$out/integration.json"
integration_rc=$?

node -e '
const fs = require("fs");
let passed = 0, failed = 0;
for (const f of process.argv.slice(1)) {
  if (!fs.existsSync(f)) { failed += 1; continue; }
  const r = JSON.parse(fs.readFileSync(f, "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
}
// Integration tests are retried once (test/env/jest-timeout.ts): name every test that
// needed it, with the first line of its first failure, so a flake is seen.
for (const f of process.argv.slice(1)) {
  if (!fs.existsSync(f)) continue;
  for (const file of JSON.parse(fs.readFileSync(f, "utf8")).testResults) {
    for (const t of file.assertionResults) {
      if (!t.retryReasons || t.retryReasons.length === 0) continue;
      const first = String(t.retryReasons[0]).split("\n").find((l) => l.trim() !== "") ?? "";
      console.log(`retried: ${t.status === "passed" ? "passed on its second attempt" : "failed twice"}: ${t.fullName} (${file.name.replace(process.cwd() + "/", "")}): ${first.trim().slice(0, 200)}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
' "$out/unit.json" "$out/integration.json"

[ "$unit_rc" -eq 0 ] && [ "$integration_rc" -eq 0 ]
