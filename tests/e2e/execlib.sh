# Shared by the t-exec*.sh tests (sourced after lib.sh): the programs
# of tests/exec, a tag to find their processes by, a fresh run of 300
# rows, and the output's fields.
EXEC=$(cd "$HERE/../exec" && pwd -P)
ECHO="$EXEC/echo.py"
TAG="rowpool-e2e-exec-$$"	# in every CMD's arguments: ps finds them
O="$T/out.jsonl"
S="$O.state"
gen_csv 300 "$T/in.csv"

# run [OPTIONS] -- CMD...: a fresh run of the 300 rows.
run() {
	rm -rf "$O" "$S"
	"$ROWPOOL" run --processor exec -j 4 -q -o "$O" "$T/in.csv" "$@"
}
# cmds: this test's commands still running (zombies have ended).  The
# tag goes through the environment: awk's own arguments must not hold it.
cmds() {
	ps -eo stat=,args= |
	    TAG="$TAG" awk 'index($0, ENVIRON["TAG"]) && $1 !~ /^Z/'
}
no_cmds() {
	[ -z "$(cmds)" ]
}
# row_field N EXPR: EXPR on line N + 1 of the output, as r.
row_field() {
	field "$(sed -n "$(($1 + 1))p" "$O")" "$2"
}

