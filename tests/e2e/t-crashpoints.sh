# Crash points: the supervisor is killed (SIGKILL, by the test hook in
# src/io.c, ROWPOOL_TEST_CRASH=K) at every point of a full cycle, just
# before and just after each write, fsync, fdatasync, rename, unlink and
# ftruncate of its state and its output: the state directory made, the
# journal opened, settings.json, the first checkpoint (before any row),
# one at row 5, one at the end, the output, and the checkpoint after it;
# then, from standard input with --restart over a finished state, the
# spooled input and --restart's unlinks.  After each kill: what is on
# disk is what a power cut would keep, the resume finishes, every row is
# there exactly once, the output is byte-identical to the uninterrupted
# run's (latency_ms aside) and the rows committed before the kill were
# not done again.  crashcheck.py says how.
. "$(dirname "$0")/lib.sh"
gen_csv 8 "$T/in.csv"
"$(python3 -c 'import sys; print(sys.executable)')" "$HERE/crashcheck.py" \
    crash "$T" || fail "crash points"
