# The README's option tables and the man page document exactly the options
# and processors of `rowpool --help`, which is made from the option tables
# in the code (see docs_options.py for the rules).
. "$(dirname "$0")/lib.sh"
"$ROWPOOL" --help >"$T/help" || fail "--help exit $?"
subs=
for cmd in status export check merge cancel; do
	"$ROWPOOL" $cmd --help >"$T/help-$cmd" 2>/dev/null && subs="$subs $T/help-$cmd"
done
[ -n "$subs" ] || fail "no subcommand has a --help"
python3 "$HERE/docs_options.py" "$T/help" "$HERE/../../README.md" \
    "$HERE/../../man/rowpool.1" $subs >&2 || fail "the docs disagree with --help"
