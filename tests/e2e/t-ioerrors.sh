# I/O errors: every point of the crash-point cycle (t-crashpoints.sh)
# fails in turn with EIO (the test hook in src/io.c,
# ROWPOOL_TEST_IOERR=K:ERR): before the operation, so it is not done, and
# after it, so it is done and fails all the same (a rename that happened,
# an fsync that reported an error); every point before a write, an fsync,
# an fdatasync or a rename fails with ENOSPC too, the disk full.  Each
# time: exit 74 naming the error; the last checkpoint intact, as a power
# cut would keep it; no temp file left; after the failure no fsync of the
# same file again, and nothing but the removal of temp files at all
# (fsyncgate: the data is never called durable after a failed fsync); a
# clean resume; every row exactly once; the output byte-identical to the
# uninterrupted run's (latency_ms aside); the committed rows not done
# again.  crashcheck.py says how.
. "$(dirname "$0")/lib.sh"
gen_csv 8 "$T/in.csv"
"$(python3 -c 'import sys; print(sys.executable)')" "$HERE/crashcheck.py" \
    ioerr "$T" || fail "I/O errors"
