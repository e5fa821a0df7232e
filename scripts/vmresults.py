#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the test VM's output into per-test results.

Reads the results channel (KTAP documents between SNPKVM-KTAP-BEGIN/END
markers) and the kernel console, prints one line per leaf test and appends
"<pass|fail|skip>\\t<name>\\t<detail>" lines to the results file.

A kernel oops, BUG, WARN, KASAN/UBSAN report or lockdep splat on the console
is a failure of its own, even if every test said ok.  So is a VM that did not
reach SNPKVM-DONE (panic, hang, timeout) or a run with no results at all.
"""

import re
import sys

RESULT_RE = re.compile(r'^(?P<indent>\s*)(?P<ok>ok|not ok)\s+\d+\s*(?:-\s*)?'
                       r'(?P<name>[^#]*?)\s*(?:#\s*(?P<directive>.*))?$')
PLAN_RE = re.compile(r'^1\.\.(\d+)')
SUBTEST_RE = re.compile(r'^(?P<indent>\s*)#\s*Subtest:\s*(?P<name>.*?)\s*$')

# What the kernel prints when something went wrong.
CONSOLE_BAD = [
    (re.compile(r'------------\[ cut here \]------------'), None),
    (re.compile(r'\bWARNING: .* at '), 'WARN'),
    (re.compile(r'\bBUG: '), 'BUG'),
    (re.compile(r'\bOops: '), 'Oops'),
    (re.compile(r'general protection fault'), 'GPF'),
    (re.compile(r'Kernel panic - not syncing'), 'panic'),
    (re.compile(r'\bKASAN: '), 'KASAN'),
    (re.compile(r'\bUBSAN: '), 'UBSAN'),
    (re.compile(r'WARNING: possible circular locking dependency'), 'lockdep'),
    (re.compile(r'WARNING: (inconsistent lock state|possible recursive locking'
                r'|suspicious RCU usage|bad unlock balance|lock held when returning'
                r'|held lock freed|possible irq lock inversion)'), 'lockdep'),
    (re.compile(r'INFO: task .* blocked for more than'), 'hung task'),
    (re.compile(r'\bsoft lockup\b|\bhard LOCKUP\b'), 'lockup'),
    (re.compile(r'kmemleak: .* new suspected memory leaks'), 'kmemleak'),
]

CONSOLE_PREFIX = re.compile(r'^\[\s*\d+\.\d+\]\s*')


def parse_ktap(lines, group):
    """Yield (status, name, detail) for every leaf test of one KTAP document."""
    subtest = {}   # indent -> name announced by "# Subtest:"
    seen = []      # (indent, failed) of every result so far
    plan = None    # N of the top-level "1..N"
    first_subtest = None
    for line in lines:
        line = line.rstrip('\r\n').expandtabs(8)
        m = PLAN_RE.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = SUBTEST_RE.match(line)
        if m:
            subtest[len(m.group('indent'))] = m.group('name')
            if first_subtest is None:
                first_subtest = m.group('name')
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        indent = len(m.group('indent'))
        ok = m.group('ok') == 'ok'
        directive = (m.group('directive') or '').strip()
        skipped = directive.upper().startswith('SKIP')
        path = [subtest[i] for i in sorted(subtest) if i <= indent]
        name = m.group('name') or '?'
        if path and path[-1] == name:
            path = path[:-1]
        full = '/'.join([group] + path + [name])
        for k in [k for k in subtest if k > indent]:
            del subtest[k]

        # Results indented deeper, back to the previous one at this level or
        # above, are this test's subtests.
        below = []
        for prev_indent, prev_failed in reversed(seen):
            if prev_indent <= indent:
                break
            below.append(prev_failed)
        failed = not ok and not skipped
        if below:
            seen.append((indent, failed or any(below)))
            # A parent counts only when it failed although no leaf below did
            # (a crash after the last result, a non-zero exit status).
            if failed and not any(below):
                yield ('fail', full, directive or 'failed after its subtests')
            continue
        seen.append((indent, failed))
        if skipped:
            yield ('skip', full, directive[4:].strip(' :-'))
        elif ok:
            yield ('pass', full, '')
        else:
            yield ('fail', full, directive)

    # A document that promised results and lost some (a crash, a cut-off
    # line) fails instead of silently shrinking the run.
    top = sum(1 for indent, _ in seen if indent == 0)
    if plan is not None and top < plan:
        name = '/'.join([group, first_subtest or 'document'])
        yield ('fail', name, 'missing result: %d of %d reported' % (top, plan))


def split_sections(text):
    sections, done, cur, name = [], False, None, None
    for line in text.splitlines():
        s = line.strip('\r')
        if s.startswith('SNPKVM-KTAP-BEGIN'):
            name, cur = s.split(None, 1)[1] if ' ' in s else 'ktap', []
        elif s.startswith('SNPKVM-KTAP-END'):
            if cur is not None:
                sections.append((name, cur))
            cur = None
        elif s.startswith('SNPKVM-DONE'):
            done = True
        elif cur is not None:
            cur.append(s)
    if cur is not None:
        sections.append((name, cur))   # cut off: results so far still count
    return sections, done


def console_problems(text):
    seen = []
    for line in text.splitlines():
        line = CONSOLE_PREFIX.sub('', line.strip('\r'))
        for rx, kind in CONSOLE_BAD:
            if kind and rx.search(line):
                seen.append((kind, line.strip()[:160]))
                break
    return seen


def main():
    if len(sys.argv) != 5:
        sys.exit('usage: vmresults.py RESULTS_LOG CONSOLE_LOG OUT_TSV LABEL')
    res_log, con_log, out_tsv, label = sys.argv[1:]
    try:
        res_text = open(res_log, errors='replace').read()
    except FileNotFoundError:
        res_text = ''
    try:
        con_text = open(con_log, errors='replace').read()
    except FileNotFoundError:
        con_text = ''

    rows = []
    sections, done = split_sections(res_text)
    for name, lines in sections:
        rows.extend(parse_ktap(lines, name))
    if not rows:
        rows.append(('fail', label + '/results', 'the VM reported no test results'))
    if not done:
        rows.append(('fail', label + '/vm', 'the VM did not finish (panic, hang or timeout)'))
    for kind, line in console_problems(con_text):
        rows.append(('fail', label + '/console/' + kind, line))

    with open(out_tsv, 'a') as f:
        for status, name, detail in rows:
            detail = detail.replace('\t', ' ')
            f.write('%s\t%s\t%s\n' % (status, name, detail))
            tag = {'pass': 'ok     ', 'skip': 'skip   ', 'fail': 'FAIL   '}[status]
            print('    %s %s%s' % (tag, name, (' (%s)' % detail) if detail else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
