#!/usr/bin/env python3
"""Checks that README.md and man/rowpool.1 document exactly the options
and processors `rowpool --help` lists (--help is made from the option
tables in the code, so it is the reference).

usage: docs_options.py HELP_FILE README MANPAGE [--sub NAME SUB_HELP_FILE]

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
A subcommand with options of its own (SUBCOMMANDS below) is documented
in a README section and a man page section of its own: those are left
out of the above, and with --sub checked the same way against the
subcommand's --help (`rowpool export --help`); they may also mention
rowpool's own options.
Prints every disagreement; exits 1 if there is one.
"""
import re
import sys

# Options of other programs that the README mentions: scripts/bench/*
# (--rows, --window-s) and the emulator, scripts/fakegemini (--rpd).
OTHER_PROGRAMS = {"rows", "window-s", "rpd"}

# Subcommand: (its README heading, its man page section).
SUBCOMMANDS = {
    "export": ("## Getting results out: rowpool export", ".Sh EXPORT"),
}

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


def compare(where, listed, documented, problems, helpname="rowpool --help"):
    for name, short in sorted(listed.items()):
        if name not in documented:
            problems.append("%s: --%s is not documented (%s lists it)" % (
                where, name, helpname))
        elif documented[name] != short:
            problems.append("%s: --%s: short option %s, --help says %s" % (
                where, name, documented[name] or "none", short or "none"))
    for name in sorted(set(documented) - set(listed)):
        problems.append("%s: documents --%s, which %s does not list" % (
            where, name, helpname))


def mentions(where, text, pattern, listed, allowed, problems):
    for name in sorted(set(re.findall(pattern, text)) - set(listed)):
        if name not in allowed:
            problems.append("%s mentions --%s, which rowpool --help does "
                            "not list (another program's? see "
                            "OTHER_PROGRAMS in %s)" % (where, name,
                                                      sys.argv[0]))


def cut_section(text, heading):
    """(the section that starts at the line heading, the text without it);
    the section ends at the next heading of its level ("## ", ".Sh ")."""
    level, inside, rest, on = heading.split()[0], [], [], False
    for line in text.splitlines(keepends=True):
        if line.rstrip("\n") == heading:
            on = True
        elif on and line.split(" ", 1)[0] == level:
            on = False
        (inside if on else rest).append(line)
    return "".join(inside), "".join(rest)


def check_sub(name, help_path, readme, man, listed, problems):
    sub, _ = parse_help(open(help_path, encoding="utf-8").read())
    where = ("README.md (%s)" % name, "man/rowpool.1 (%s)" % name)
    if not sub or not readme or not man:
        problems.append("cannot read %s --help, or its sections" % name)
    helpname = "rowpool %s --help" % name
    compare(where[0], sub, readme_rows(readme), problems, helpname)
    compare(where[1], sub, man_items(man), problems, helpname)
    mentions(where[0], readme, LONG, {**listed, **sub}, OTHER_PROGRAMS,
             problems)
    mentions(where[1], man, r"Fl -([a-z][a-z0-9-]*)", {**listed, **sub},
             set(), problems)


def main():
    help_text, readme, man = (open(p, encoding="utf-8").read()
                              for p in sys.argv[1:4])
    listed, procs = parse_help(help_text)
    problems = []
    subs = {}
    for name, (rhead, mhead) in SUBCOMMANDS.items():
        rsec, readme = cut_section(readme, rhead)
        msec, man = cut_section(man, mhead)
        subs[name] = (rsec, msec)
    if len(sys.argv) == 7 and sys.argv[4] == "--sub":
        check_sub(sys.argv[5], sys.argv[6], *subs[sys.argv[5]], listed,
                  problems)
    if len(listed) < 10 or not procs:
        problems.append("cannot read the options or processors of --help")
    compare("README.md", listed, readme_rows(readme), problems)
    compare("man/rowpool.1", listed, man_items(man), problems)
    mentions("README.md", readme, LONG, listed, OTHER_PROGRAMS, problems)
    mentions("man/rowpool.1", man, r"Fl -([a-z][a-z0-9-]*)", listed, set(),
             problems)
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
