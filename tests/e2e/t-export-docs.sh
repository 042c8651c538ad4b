# The README's and the man page's export sections document exactly the
# options of `rowpool export --help` (docs_options.py --sub), as t-docs.sh
# checks the rest against `rowpool --help`.
. "$(dirname "$0")/lib.sh"
"$ROWPOOL" --help >"$T/help" || fail "--help exit $?"
"$ROWPOOL" export --help >"$T/export-help" || fail "export --help exit $?"
python3 "$HERE/docs_options.py" "$T/help" "$HERE/../../README.md" \
    "$HERE/../../man/rowpool.1" --sub export "$T/export-help" >&2 ||
    fail "the docs disagree with export --help"
