#!/usr/bin/env bash
# Turn livret's JSON diagnostics (`--diagnostics json`, one object a line) into GitHub
# workflow commands, one per diagnostic:  ::error file=…,line=…,col=…::message (hint: …)
#
#   annotate.sh DIAGNOSTICS.jsonl
#
# With jq when the runner has it, else python3; with neither, the lines are printed as they
# are (no annotations, nothing lost).
set -euo pipefail

file="$1"
[ -s "$file" ] || exit 0

if command -v jq > /dev/null; then
  jq -r '
    def esc: gsub("%"; "%25") | gsub("\r"; "%0D") | gsub("\n"; "%0A");
    def prop: esc | gsub(":"; "%3A") | gsub(","; "%2C");
    "::\(.severity) file=\(.path | prop)"
    + (if .line > 0 then ",line=\(.line),col=\(.col)" else "" end)
    + "::" + ((.message + (if .hint then " (hint: \(.hint))" else "" end)) | esc)
  ' "$file"
elif command -v python3 > /dev/null; then
  python3 - "$file" << 'EOF'
import json, sys

def esc(s):
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

def prop(s):
    return esc(s).replace(":", "%3A").replace(",", "%2C")

with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        if not line.strip():
            continue
        d = json.loads(line)
        where = f"file={prop(d['path'])}"
        if d.get("line", 0) > 0:
            where += f",line={d['line']},col={d['col']}"
        message = d["message"] + (f" (hint: {d['hint']})" if d.get("hint") else "")
        print(f"::{d['severity']} {where}::{esc(message)}")
EOF
else
  echo "livret: neither jq nor python3 on this runner: diagnostics without annotations"
  cat "$file"
fi
