# Helpers for the tests that run rowpool under a real Slurm: those of
# tests/e2e/lib.sh (fail, wait_for, start_emulator, the EXIT trap), and
# Slurm's queue read through squeue and scontrol.  scripts/check-slurm
# starts the cluster and runs each tests/slurm/t-*.sh with SLURM_CONF
# naming it; a test may also run by hand against any cluster that runs
# jobs on this machine (the emulator listens on 127.0.0.1 only).
# ROWPOOL (the binary under test) runs the shards and merges them.
. "$(dirname "$0")/../e2e/lib.sh"
: "${SLURM_CONF:?set SLURM_CONF to the slurm.conf of a cluster (scripts/check-slurm does)}"
export SLURM_CONF

# Slurm's state changes over seconds, not milliseconds: its queue is
# polled twice a second, for up to SLURM_WAIT seconds (180).
spoll() {
	_sp_end=$(($(date +%s) + ${SLURM_WAIT:-180}))
	until "$@"; do
		[ "$(date +%s)" -lt "$_sp_end" ] || { "$@"; return; }
		sleep 0.5
	done
}

# queued JOB: JOB (an array, or one task of it: 12_2) is pending or running.
queued() {
	[ -n "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]
}

# ended JOBID: no task of JOBID is pending or running.
job_ended() {
	! queued "$1"
}

# task_states JOB: "TASK STATE EXITCODE" for each task of JOB, sorted by
# task, from the controller's record of it (kept MinJobAge after the end).
task_states() {
	scontrol show job -o "$1" |
	    sed -n 's/.* ArrayTaskId=\([0-9]*\) .* JobState=\([A-Z_]*\) .* ExitCode=\([0-9:]*\) .*/\1 \2 \3/p' |
	    sort -n
}

# slurm_diag DIR: what Slurm and the shards said, for a failing test.
slurm_diag() {
	squeue 2>&1
	for _f in "$1"/slurm-*.out "$1"/*.state/log; do
		[ -s "$_f" ] && { echo "--- $_f"; tail -n 20 "$_f"; }
	done
	:
}

# wait_job JOB DIR: waits until JOB has ended; fails with the queue and
# the shards' logs in DIR when it does not within SLURM_WAIT.
wait_job() {
	spoll job_ended "$1" || {
		slurm_diag "$2" >&2
		fail "job $1 still queued after ${SLURM_WAIT:-180} s"
	}
}

# expect_tasks JOB DIR WANT: the task states of JOB match the shell
# pattern WANT (lines of "TASK STATE EXITCODE": "2 CANCELLED *").
expect_tasks() {
	_et=$(task_states "$1")
	# shellcheck disable=SC2254 # WANT is a pattern
	case $_et in
	$3) ;;
	*)
		slurm_diag "$2" >&2
		fail "job $1: tasks
$_et
wanted
$3" ;;
	esac
}
