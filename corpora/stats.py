#!/usr/bin/env python3
"""Summarise and validate a folder of labelled JSON Lines corpora for kindly.

Usage: python3 corpora/stats.py corpora/dev

Every *.jsonl file in the folder is read. Each line must be a JSON object
{"id": str, "text": str, "labels": [category ids]}. The script prints, per
file and in total: counts per category (any position and as first label),
the number of negatives (labels == []) and their share, and the number of
multi-sentence texts. It exits with status 1 if any check fails:
  * every line is valid JSON and an object with exactly id/text/labels
  * ids are non-empty strings, unique across the whole folder
  * text is a non-empty string
  * labels is a list of distinct strings drawn from the 13 category ids
  * no text appears twice (after whitespace/case normalisation)
Standard library only.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

CATEGORIES = [
    "labeling", "comparison", "overgeneralization", "all_or_nothing",
    "should_statement", "catastrophizing", "mind_reading", "fortune_telling",
    "personalization", "discounting_positive", "emotional_reasoning",
    "self_attack", "crisis",
]
CATEGORY_SET = set(CATEGORIES)

# A sentence ends at . ! ? or an ellipsis followed by whitespace, or at a newline.
# Exception: a terminator inside a closing quote followed by a lowercase word
# ('"You idiot!" she laughed') does not end the sentence.
_BOUNDARY = re.compile(r"[.!?\u2026]+([\"'\u201d\u2019)]*)\s+|\n+")


def split_sentences(text: str) -> list:
    """Heuristic sentence split; good enough for counting, not for NLP."""
    text = text.strip()
    parts, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if m.group(1) and m.end() < len(text) and text[m.end()].islower():
            continue
        parts.append(text[start:m.end()])
        start = m.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if re.search(r"\w", p)]


def count_sentences(text: str) -> int:
    """Number of sentence-like segments that contain a letter or digit."""
    return len(split_sentences(text))


class Tally:
    def __init__(self):
        self.total = 0
        self.negatives = 0
        self.multi = 0
        self.any_pos = Counter()
        self.first = Counter()
        self.n_labels = Counter()

    def add(self, text, labels):
        self.total += 1
        self.n_labels[len(labels)] += 1
        if not labels:
            self.negatives += 1
        else:
            self.first[labels[0]] += 1
            for lab in labels:
                self.any_pos[lab] += 1
        if count_sentences(text) >= 2:
            self.multi += 1


def share(n, d):
    return f"{(100.0 * n / d):.1f}%" if d else "n/a"


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[1])
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        print(f"error: no *.jsonl files in {folder}", file=sys.stderr)
        return 1

    errors = []
    seen_ids = {}
    seen_texts = {}
    per_file = {}
    total = Tally()

    for path in files:
        tally = Tally()
        per_file[path.name] = tally
        with path.open(encoding="utf-8") as fh:
            for lineno, raw in enumerate(fh, 1):
                where = f"{path.name}:{lineno}"
                if not raw.strip():
                    errors.append(f"{where}: blank line")
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as exc:
                    errors.append(f"{where}: invalid JSON ({exc.msg})")
                    continue
                if not isinstance(obj, dict):
                    errors.append(f"{where}: not a JSON object")
                    continue
                keys = set(obj)
                if keys != {"id", "text", "labels"}:
                    errors.append(f"{where}: keys must be id, text, labels (got {sorted(keys)})")
                oid, text, labels = obj.get("id"), obj.get("text"), obj.get("labels")
                if not isinstance(oid, str) or not oid:
                    errors.append(f"{where}: id must be a non-empty string")
                elif oid in seen_ids:
                    errors.append(f"{where}: duplicate id {oid!r} (first at {seen_ids[oid]})")
                else:
                    seen_ids[oid] = where
                if not isinstance(text, str) or not text.strip():
                    errors.append(f"{where}: text must be a non-empty string")
                    continue
                norm = " ".join(text.lower().split())
                if norm in seen_texts:
                    errors.append(f"{where}: duplicate text (first at {seen_texts[norm]})")
                else:
                    seen_texts[norm] = where
                if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                    errors.append(f"{where}: labels must be a list of strings")
                    continue
                bad = [x for x in labels if x not in CATEGORY_SET]
                if bad:
                    errors.append(f"{where}: unknown label(s) {bad}")
                    continue
                if len(set(labels)) != len(labels):
                    errors.append(f"{where}: repeated label in {labels}")
                tally.add(text, labels)
                total.add(text, labels)

    print(f"Folder: {folder}")
    print()
    print(f"{'file':<20}{'texts':>7}{'neg':>7}{'neg %':>8}{'multi':>7}")
    for name, t in per_file.items():
        print(f"{name:<20}{t.total:>7}{t.negatives:>7}{share(t.negatives, t.total):>8}{t.multi:>7}")
    print(f"{'TOTAL':<20}{total.total:>7}{total.negatives:>7}{share(total.negatives, total.total):>8}{total.multi:>7}")
    print()
    print(f"{'category':<22}{'any':>6}{'first':>7}")
    for cat in CATEGORIES:
        print(f"{cat:<22}{total.any_pos[cat]:>6}{total.first[cat]:>7}")
    print()
    print(f"texts:                 {total.total}")
    print(f"positives (>=1 label): {total.total - total.negatives}")
    print(f"negatives (labels []): {total.negatives} ({share(total.negatives, total.total)})")
    print(f"multi-label texts:     {sum(v for k, v in total.n_labels.items() if k >= 2)}")
    print(f"multi-sentence texts:  {total.multi}")
    print()
    if errors:
        print(f"VALIDATION FAILED: {len(errors)} problem(s)")
        for e in errors[:200]:
            print(f"  {e}")
        return 1
    print("validation: OK (valid JSON, unique ids, known labels only, no duplicate texts)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
