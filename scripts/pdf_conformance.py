#!/usr/bin/env python3
"""Checks PDFs against PDF/UA-1 and PDF/A-2 with PyPI `page-validation` (rule sets that mirror
veraPDF's profiles) and PyPI `pdfua`. Prints one JSON object per PDF:
{"file": ..., "profiles": {"ua1": [failed rule ids], "2a": [...], ...}, "pdfua_errors": [...]}.
Exit status 3 when a checker is not installed (the caller decides whether that is a skip).
Usage: pdf_conformance.py PROFILES FILE.pdf...   (PROFILES: comma-separated, e.g. ua1,2a,2b,2u)
"""
import json
import subprocess
import sys

try:
    import page
except ImportError:
    print("page-validation is not installed (pip install page-validation)", file=sys.stderr)
    sys.exit(3)

profiles = sys.argv[1].split(",")
for path in sys.argv[2:]:
    result = {"file": path, "profiles": {}, "pdfua_errors": None}
    for profile in profiles:
        report = page.validate_pdf(path, profile=profile)
        result["profiles"][profile] = [
            {"rule": f.rule_id, "message": f.message[:300]} for f in report.failures
        ]
    try:
        out = subprocess.run(
            [sys.executable, "-m", "pdfua", "check", "-f", "json", path],
            capture_output=True, text=True, check=False,
        ).stdout
        data = json.loads(out)
        if isinstance(data, list):
            data = data[0]
        result["pdfua_errors"] = [
            f"{x['rule_id']}: {x['message'][:200]}"
            for x in data["findings"] if x["severity"] == "error"
        ]
    except (json.JSONDecodeError, KeyError, FileNotFoundError):
        result["pdfua_errors"] = None
    print(json.dumps(result, ensure_ascii=False))
