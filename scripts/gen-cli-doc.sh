#!/bin/sh
# gen-cli-doc.sh TRUCE: write docs/cli.md's text (from `truce help`) to
# standard output. cli-test.sh checks docs/cli.md is up to date.
set -eu
T=${1:-build/truce}
echo "# The truce command"
echo
echo 'Every command reads and writes files only; none uses the network. `truce help COMMAND` prints the same text as below.'
echo
echo '```'
"$T" help
echo '```'
for c in init keygen source submit sign checkpoint show prove verify witness terms assess fuse reindex incidents geo import simulate; do
  echo
  echo "## truce $c"
  echo
  echo '```'
  "$T" help "$c"
  echo '```'
done
echo
echo "## Exit codes"
echo
echo '```'
"$T" help exit-codes
echo '```'
echo
echo 'Errors are printed as `truce: <what failed>` on standard error and name the file, line and field at fault. A command whose output cannot be written (a full disk) fails with exit code 3.'
