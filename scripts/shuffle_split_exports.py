#!/usr/bin/env python3
"""Test input for shards: every CSV export shuffled and split into parts, with copies of rows.

    shuffle_split_exports.py --in exports --out split --parts 3 --seed 7 --copies 50

Each CSV becomes NAME.partK.csv (header repeated, rows in a seeded random order, K = 1..parts);
`--copies` rows of the first part are repeated in the last, with `Quantity` (where there is
one) raised by one: the same source key in two exports, which normalise must decide the same way
whichever shard holds which copy. Other exports (XML) are copied whole. Deterministic: the same
arguments give the same bytes.
"""

import argparse
import csv
import os
import random
import shutil


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--in", dest="source", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--parts", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--copies", type=int, default=50)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    generator = random.Random(args.seed)
    for name in sorted(os.listdir(args.source)):
        source = os.path.join(args.source, name)
        stem, extension = os.path.splitext(name)
        if extension.lower() != ".csv":
            shutil.copyfile(source, os.path.join(args.out, name))
            continue
        with open(source, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
        if header is None:
            continue
        generator.shuffle(rows)
        parts = [rows[index::args.parts] for index in range(args.parts)]
        if args.parts > 1 and parts[0]:
            quantity = header.index("Quantity") if "Quantity" in header else None
            for row in parts[0][:args.copies]:
                copy = list(row)
                if quantity is not None and copy[quantity].isdigit():
                    copy[quantity] = str(int(copy[quantity]) + 1)
                parts[-1].append(copy)
        for index, part in enumerate(parts, start=1):
            with open(os.path.join(args.out, f"{stem}.part{index}.csv"), "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(part)


if __name__ == "__main__":
    main()
