"""Summarise py-spy's collapsed stacks (bench/run.py --py-spy DIR): where a server process spent
its samples, by our own functions (inclusive) and by any function (self).

    .venv/bin/python bench/hotspots.py DIR/pg-pubsub-1-product-50-*.txt [--top 25]
"""
import argparse
import collections


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args()
    inclusive, own, total = collections.Counter(), collections.Counter(), 0
    for path in args.files:
        for line in open(path):
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack:
                continue
            n = int(count)
            total += n
            frames = stack.split(";")
            own[frames[-1]] += n
            for frame in set(frames):
                if any(f"({app}/" in frame for app in ("routing", "digital", "campaigns", "cxsms_site", "bench")):
                    inclusive[frame] += n
    print(f"{total} samples")
    print("\n# inclusive, our code")
    for frame, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {frame}")
    print("\n# self, any code")
    for frame, n in own.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
