# Paths that would destroy the input or waste a night (issue 6, items 2,
# 13, 15): an output, log or state dir that is the input, by any name, is
# refused with exit 64 before any work and the input is untouched; -o ''
# is a usage error, -o DIR and a directory as input are refused at once;
# a user's OUTPUT.tmp survives; two runs never write one output; a
# header-only input warns even with -q; bare rowpool prints the usage.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
gen_csv 20 in.csv
printf '{"a":1}\n{"a":2}\n' >in.jsonl
cp in.csv in.csv.orig
cp in.jsonl in.jsonl.orig
ln -s in.csv link.csv
ln in.csv hard.csv
refused() {	# WANT_EXIT ARGS...: rowpool run ARGS exits WANT, input intact
	want=$1
	shift
	"$ROWPOOL" run --processor echo -q "$@" 2>err
	rc=$?
	[ "$rc" -eq "$want" ] || fail "$*: exit $rc, want $want: $(cat err)"
	cmp -s in.csv in.csv.orig || fail "$*: the input changed"
	cmp -s in.jsonl in.jsonl.orig || fail "$*: the input changed"
}
refused 64 -o in.csv in.csv
refused 64 -o in.jsonl in.jsonl
refused 64 -o link.csv in.csv
refused 64 -o hard.csv in.csv
refused 64 -o out.jsonl --log in.csv in.csv
refused 64 -o out.jsonl --log hard.csv in.csv
refused 64 -o out.jsonl --state . in.csv
grep -q "state directory '.' holds the input" err || fail "state: $(cat err)"
cp in.csv data.lock
"$ROWPOOL" run --processor echo -q --format csv -o data data.lock 2>err
[ $? -eq 64 ] || fail "output lock is the input: exit"
grep -q "output lock 'data.lock' is the input" err || fail "lock: $(cat err)"
cmp -s in.csv data.lock || fail "lock: the input changed"
refused 64 -o "" in.csv
grep -q "the file name is empty" err || fail "-o '': $(cat err)"
mkdir adir
refused 73 -o adir in.csv
grep -q "output 'adir': Is a directory" err || fail "-o DIR: $(cat err)"
[ ! -e adir.state ] || fail "-o DIR: state made before the refusal"
refused 66 --format csv -o out.jsonl adir
grep -q "input 'adir': Is a directory" err || fail "dir input: $(cat err)"
refused 66 -o out.jsonl missing.csv

# The user's own out.jsonl.tmp is nobody's temp file.
echo "mine" >out.jsonl.tmp
"$ROWPOOL" run --processor echo -q -o out.jsonl in.csv || fail "run"
[ "$(cat out.jsonl.tmp)" = mine ] || fail "OUTPUT.tmp was touched"
verify in.csv out.jsonl
ls | grep -q 'out.jsonl.rowpool-' && fail "temp file left behind"
[ ! -e out.jsonl.lock ] || fail "output lock left behind"

# Two runs with different --state, one output: the second waits its turn.
# The first is stopped while it holds the output lock, so it cannot end
# before the second has tried.
rm -f out.jsonl
ROWPOOL_TEST_DELAY_MS=100 "$ROWPOOL" run --processor echo -q -j 1 --state s1 \
    -o out.jsonl in.csv &
pid=$!
track "$pid"
wait_for -p "$pid" "out.jsonl.lock to hold pid $pid" holds out.jsonl.lock "$pid"
kill -STOP "$pid"
# timeout(1): a second writer that waited for the lock would wait forever.
timeout 60 "$ROWPOOL" run --processor echo -q --state s2 -o out.jsonl in.csv 2>err
rc=$?
kill -CONT "$pid"
[ "$rc" -eq 75 ] || fail "second writer: exit $rc"
grep -q "output 'out.jsonl' is being written by pid $pid" err || fail "lock: $(cat err)"
[ ! -e out.jsonl ] || fail "the second writer wrote the output"
[ ! -e s2/journal ] || fail "the second writer did rows"
wait $pid || fail "first writer"
verify in.csv out.jsonl

# Zero rows: a warning, even with -q.
printf 'id,name\n' >header.csv
"$ROWPOOL" run --processor echo -q -o h.jsonl header.csv 2>err || fail "header only"
grep -q "input 'header.csv' has 0 rows" err || fail "0 rows: $(cat err)"
[ -f h.jsonl ] && [ ! -s h.jsonl ] || fail "header only: the output is not empty"
: >empty.jsonl
"$ROWPOOL" run --processor echo -q -o e.jsonl empty.jsonl 2>err || fail "empty jsonl"
grep -q "has 0 rows" err || fail "0 rows jsonl: $(cat err)"
[ -f e.jsonl ] && [ ! -s e.jsonl ] || fail "empty jsonl: the output is not empty"

# Bare rowpool: the usage, exit 64.
"$ROWPOOL" >out 2>err
[ $? -eq 64 ] || fail "bare: exit"
grep -q "^usage: rowpool run" err || fail "bare: $(cat err)"
