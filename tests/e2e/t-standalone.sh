# The repo stands alone: no file in it may point outside it.  The fixtures
# and the demo data once lived beside the repo, and a clean clone failed.
. "$(dirname "$0")/lib.sh"
cd "$HERE/../.." || fail "no repo root"
# A sibling directory or the machine this was written on.  Written so that
# this file does not match its own pattern.
pat='\.\./shared|/wor[k]/|shared/fixture[s]'
if command -v git >/dev/null 2>&1 &&
    [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
	# Tracked files, as they are in the working tree.
	git grep -nE -e "$pat" >"$T/hits"
else
	# Not a checkout (a tarball): every file but what the build makes.
	grep -rnE --exclude-dir=.git --exclude-dir=build \
	    --exclude-dir=__pycache__ --exclude-dir='*.state' \
	    -e "$pat" . >"$T/hits"
fi
rc=$?
[ "$rc" -le 1 ] || fail "grep failed with status $rc"
if [ -s "$T/hits" ]; then
	cat "$T/hits" >&2
	fail "files above refer to paths outside the repo"
fi
