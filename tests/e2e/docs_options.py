#!/usr/bin/env python3
"""Checks that README.md and man/rowpool.1 document exactly the options
and processors `rowpool --help` lists (--help is made from the option
tables in the code, so it is the reference).

usage: docs_options.py HELP_FILE README MANPAGE [SUBCOMMAND_HELP...]

For each option --help lists (with its short form, if any):
  - README.md has a table row whose first cell names it ("`-j, --workers N`");
  - the man page has an .It line naming it ("Fl j , Fl -workers Ar n").
The other way round:
  - every option a README table row or a man page .It line names is in
    --help;
  - every --option mentioned anywhere in the two files is one of rowpool's,
    but for the few options of other programs the README quotes
    (OTHER_PROGRAMS below).
Each processor --help lists is named in both (`gemini`, .Cm gemini).
The options of the subcommands (`rowpool status --help`, ...) must be
mentioned in both files; they are left out of the run options' tables.
Prints every disagreement; exits 1 if there is one.
"""
import re
import sys

# Options of other programs that the README mentions: scripts/bench/*
# (--rows, --window-s, --big-mib), scripts/soak (--kills, --seed), the
# emulator, scripts/fakegemini (--rpd, --batch-delay-s,
# --implicit-cache-min-tokens), and in "Scaling out" Slurm's sbatch
# (--array, --dependency, --wrap) and GNU parallel (--sshlogin, --workdir,
# --joblog, --resume-failed; its --retries is rowpool's too).
OTHER_PROGRAMS = {"rows", "window-s", "big-mib", "kills", "seed", "rpd",
                  "implicit-cache-min-tokens",
                  "array", "dependency", "wrap", "sshlogin", "workdir",
                  "joblog", "resume-failed", "batch-delay-s"}

OPT_LINE = re.compile(r"^  (?:-(\w), |    )--([a-z][a-z0-9-]*)")
LONG = re.compile(r"--([a-z][a-z0-9-]*)")


def parse_help(text):
    """{name: short or None} of every option, and the processor names."""
    opts, procs, in_procs = {}, [], False
    for line in text.splitlines():
        m = OPT_LINE.match(line)
        if m:
            opts[m.group(2)] = m.group(1)
        if line.startswith("Processors ("):
            in_procs = True
        elif in_procs and line.strip() == "":
            in_procs = False
        elif in_procs:
            procs.append(line.split()[0])
    return opts, procs


def readme_rows(text):
    """{name: short or None} of the options README table rows name first."""
    rows = {}
    for line in text.splitlines():
        if not line.startswith("| `-"):
            continue
        cell = line.split(" | ")[0]
        for m in re.finditer(r"(?:-(\w), )?--([a-z][a-z0-9-]*)", cell):
            rows[m.group(2)] = m.group(1)
    return rows


def man_items(text):
    """{name: short or None} of the options the man page's .It lines name."""
    items = {}
    for line in text.splitlines():
        if not line.startswith(".It Fl"):
            continue
        for m in re.finditer(r"(?:Fl (\w) , )?Fl -([a-z][a-z0-9-]*)", line):
            items[m.group(2)] = m.group(1)
    return items


def compare(where, listed, documented, problems):
    for name, short in sorted(listed.items()):
        if name not in documented:
            problems.append("%s: --%s is not documented (rowpool --help "
                            "lists it)" % (where, name))
        elif documented[name] != short:
            problems.append("%s: --%s: short option %s, --help says %s" % (
                where, name, documented[name] or "none", short or "none"))
    for name in sorted(set(documented) - set(listed)):
        problems.append("%s: documents --%s, which rowpool --help does not "
                        "list" % (where, name))


def mentions(where, text, pattern, listed, allowed, problems):
    for name in sorted(set(re.findall(pattern, text)) - set(listed)):
        if name not in allowed:
            problems.append("%s mentions --%s, which rowpool --help does "
                            "not list (another program's? see "
                            "OTHER_PROGRAMS in %s)" % (where, name,
                                                      sys.argv[0]))


def subcommand_options(paths):
    """The options the subcommands' --help list (not in run's tables)."""
    opts = set()
    for p in paths:
        opts |= set(parse_help(open(p, encoding="utf-8").read())[0])
    return opts - {"help"}


def drop(documented, names):
    return {k: v for k, v in documented.items() if k not in names}


def main():
    help_text, readme, man = (open(p, encoding="utf-8").read()
                              for p in sys.argv[1:4])
    listed, procs = parse_help(help_text)
    subs = subcommand_options(sys.argv[4:]) - set(listed)
    problems = []
    if len(listed) < 10 or not procs:
        problems.append("cannot read the options or processors of --help")
    compare("README.md", listed, drop(readme_rows(readme), subs), problems)
    compare("man/rowpool.1", listed, drop(man_items(man), subs), problems)
    mentions("README.md", readme, LONG, listed, OTHER_PROGRAMS | subs,
             problems)
    mentions("man/rowpool.1", man, r"Fl -([a-z][a-z0-9-]*)", listed, subs,
             problems)
    for name in sorted(subs):
        if "--" + name not in readme:
            problems.append("README.md does not mention --%s (a "
                            "subcommand's option)" % name)
        if "Fl -" + name not in man:
            problems.append("man/rowpool.1 does not mention --%s (a "
                            "subcommand's option)" % name)
    for name in OTHER_PROGRAMS & set(listed):
        problems.append("--%s is rowpool's now: drop it from OTHER_PROGRAMS"
                        % name)
    for p in procs:
        if "`%s`" % p not in readme:
            problems.append("README.md does not name the %s processor" % p)
        if not re.search(r"^\.Cm %s\b" % re.escape(p), man, re.M):
            problems.append("man/rowpool.1 does not name the %s processor"
                            % p)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
