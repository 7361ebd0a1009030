"""`make bench`: run every benchmark module's `main()` in bench/, one after the other.

A module takes part when it defines `main() -> int` (0 = its target met).
Exit status: the number of benchmarks that failed or missed their target.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).parent
SKIP = {"run", "__init__", "__main__"}


def bench_modules() -> list[str]:
    names = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in SKIP and not p.stem.startswith("_"))
    found = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if callable(getattr(module, "main", None)):
            found.append(name)
    return found


def main(argv: list[str] | None = None) -> int:
    failed = []
    for name in bench_modules():
        print(f"\n=== bench.{name} ===", flush=True)
        start = time.perf_counter()
        try:
            code = importlib.import_module(f"bench.{name}").main() or 0
        except SystemExit as exc:  # a main() that parses sys.argv may exit
            code = exc.code or 0
        except Exception:
            traceback.print_exc()
            code = 1
        print(
            f"=== bench.{name}: {'ok' if code == 0 else f'FAILED ({code})'} in {time.perf_counter() - start:.0f} s ===",
            flush=True,
        )
        if code:
            failed.append(name)
    if failed:
        print(f"\nbenchmarks that failed or missed their target: {', '.join(failed)}")
    return len(failed)


if __name__ == "__main__":
    sys.exit(main())
