# The job array a user submits (examples/slurm/rowpool-array.sbatch), 4
# shards against the local emulator, merged: every row once, with the
# answer a single run of the same input gets; their export is the same.
# Then again with shard 2 cancelled midway (scancel, as a user or a node
# loss would), the merge refused meanwhile (the export shows the rows it
# had not done pending), and the shard resubmitted alone: it resumes
# (the rows it had done are not asked again) and the merge is the same.
. "$(dirname "$0")/lib.sh"
N=4
ROWS=240	# 60 a shard
J=2		# workers a shard
# The project's quota, split by the script: 600 a minute a shard, 10 rows
# a second, so a shard takes about 6 s and is caught midway.
PROJECT_RPM=2400
SBATCH_SCRIPT=$HERE/../../examples/slurm/rowpool-array.sbatch
start_emulator
export GEMINI_API_KEY=test-key
cat >"$T/prompt.txt" <<'P'
Classify this person.
name: {{name}}
note: {{note}}
P
cat >"$T/schema.json" <<'S'
{"type": "object",
 "properties": {"label": {"type": "string"}, "score": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}}},
 "required": ["label", "score"]}
S
gen_csv_notes() {
	python3 - "$1" "$2" <<'PY'
import csv, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["name", "note"])
    for i in range(n):
        w.writerow(["person %d" % i,
                    'a "quoted", multi\nline %d' % i if i % 7 == 0 else "plain %d" % i])
PY
}
gen_csv_notes "$ROWS" "$T/in.csv"
# lap WHAT: prints WHAT and the seconds since the last lap.
LAP=$(date +%s)
lap() {
	_now=$(date +%s)
	echo "$1: $((_now - LAP)) s"
	LAP=$_now
}

# The reference: one plain run of the whole input, no Slurm.
"$ROWPOOL" run -q --endpoint "$EMU" --prompt "$T/prompt.txt" \
    --schema "$T/schema.json" -j 4 -o "$T/ref.jsonl" "$T/in.csv" ||
    fail "reference run: exit $?"
lap "reference run, $ROWS rows"

# submit DIR SBATCH_ARGS...: submits the example script with its
# settings for this test, the shards' files in DIR; prints the job id.
submit() {
	_dir=$1
	shift
	mkdir -p "$_dir"
	INPUT=$T/in.csv OUTDIR=$_dir PROMPT=$T/prompt.txt \
	    SCHEMA=$T/schema.json PROJECT_RPM=$PROJECT_RPM ROWPOOL=$ROWPOOL \
	    ROWPOOL_ARGS="--endpoint $EMU -j $J --grace 2" \
	    sbatch --parsable --chdir "$T" --output "$_dir/slurm-%A_%a.out" \
	    "$@" "$SBATCH_SCRIPT" | cut -d';' -f1
}

# same_as_reference MERGED: one line per row, in order, each ok with the
# data the reference run got for that row.
same_as_reference() {
	python3 - "$T/ref.jsonl" "$1" "$ROWS" <<'PY' || fail "merged '$1' differs from the single run"
import json, sys
ref = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
n = int(sys.argv[3])
if len(ref) != n or len(got) != n:
    sys.exit("rows: reference %d, merged %d, input %d" % (len(ref), len(got), n))
for i, (r, g) in enumerate(zip(ref, got)):
    if g["row"] != i or r["row"] != i:
        sys.exit("line %d holds row %d (reference: %d)" % (i, g["row"], r["row"]))
    if g["status"] != "ok" or r["status"] != "ok":
        sys.exit("row %d: status %s (reference: %s)" % (i, g["status"], r["status"]))
    if g["data"] != r["data"]:
        sys.exit("row %d: data %s, reference %s" % (i, g["data"], r["data"]))
PY
}

all_completed="0 COMPLETED 0:0
1 COMPLETED 0:0
2 COMPLETED 0:0
3 COMPLETED 0:0"

# 1. The whole array, merged.
A=$T/a1
job=$(submit "$A" --array=0-$((N - 1))) || fail "sbatch: exit $?"
[ -n "$job" ] || fail "sbatch printed no job id"
wait_job "$job" "$A"
lap "array of $N shards"
expect_tasks "$job" "$A" "$all_completed"
"$ROWPOOL" merge --output "$A/merged.jsonl" "$A"/part-*.jsonl ||
    fail "merge: exit $?"
same_as_reference "$A/merged.jsonl"
"$ROWPOOL" export "$A"/part-*.jsonl | cmp -s - "$A/merged.jsonl" ||
    fail "export of the shards differs from their merge"
lap "merged and compared"

# 2. Shard 2 cancelled once it has committed some rows, resubmitted alone.
A=$T/a2
S2=$A/part-2.jsonl.state
emu_reset
job=$(submit "$A" --array=0-$((N - 1))) || fail "sbatch: exit $?"
SLURM_WAIT=120 spoll rows_done_ge "$S2" 20 || {
	slurm_diag "$A" >&2
	fail "shard 2 never had 20 rows done"
}
lap "shard 2 with 20 rows done"
scancel "${job}_2" || fail "scancel ${job}_2: exit $?"
wait_job "${job}_2" "$A"
lap "shard 2 cancelled"
wait_job "$job" "$A"
lap "the other shards"
expect_tasks "$job" "$A" "0 COMPLETED 0:0
1 COMPLETED 0:0
2 CANCELLED *
3 COMPLETED 0:0"
done2=$(manifest_field "$S2" rows_done)
[ "$done2" -lt $((ROWS / N)) ] ||
    fail "shard 2 finished ($done2 rows) before it was cancelled: make it slower"
[ -e "$A/part-2.jsonl" ] && fail "a cancelled shard has an output"
# refused SHARD...: merge refuses these shards, naming shard 2, and
# writes nothing.
refused() {
	"$ROWPOOL" merge --output "$A/merged.jsonl" "$@" >"$T/merge.out" \
	    2>"$T/merge.err" && fail "merge of $* succeeded"
	[ -e "$A/merged.jsonl" ] && fail "a refused merge left an output"
	grep -Eq 'part-2|shard 2|2/4' "$T/merge.err" ||
	    fail "merge refused without naming shard 2: $(cat "$T/merge.err")"
}
refused "$A"/part-*.jsonl	# shard 2 missing
refused "$A/part-0.jsonl" "$A/part-1.jsonl" "$S2" "$A/part-3.jsonl"
# export takes the cancelled shard as it stands: its rows not done pending.
"$ROWPOOL" export "$A/part-0.jsonl" "$A/part-1.jsonl" "$S2" \
    "$A/part-3.jsonl" >"$T/so-far.jsonl" || fail "export of the shards: exit $?"
pending=$(grep -c '"status":"pending"' "$T/so-far.jsonl")
[ "$pending" -eq $((ROWS / N - done2)) ] ||
    fail "export: $pending rows pending, shard 2 had $done2 of $((ROWS / N)) done"

job2=$(SHARDS=$N submit "$A" --array=2) || fail "sbatch: exit $?"
wait_job "$job2" "$A"
lap "shard 2 resubmitted"
expect_tasks "$job2" "$A" "2 COMPLETED 0:0"
"$ROWPOOL" merge --output "$A/merged.jsonl" "$A"/part-*.jsonl ||
    fail "merge after the resubmission: exit $?"
same_as_reference "$A/merged.jsonl"

# Resumed, not redone: every row asked, and none again but those in flight
# when the cancel came (at most one a worker).
distinct=$(emu_stat 's["distinct_prompts"]')
again=$(emu_stat 's["repeated_requests"]')
[ "$distinct" -eq "$ROWS" ] || fail "$distinct distinct prompts for $ROWS rows"
[ "$again" -le "$J" ] ||
    fail "$again rows asked again after the resubmission (shard 2 had $done2 done)"
echo "shard 2 cancelled at $done2 of $((ROWS / N)) rows done; $again asked again"
