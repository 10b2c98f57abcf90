"""``.venv/bin/python scripts/bench <benchmark> [options]``: one entry point for the benchmarks.

    .venv/bin/python scripts/bench import --n 10000      # bench_import.py
    .venv/bin/python scripts/bench serve --n 1000        # bench_serve.py
    .venv/bin/python scripts/bench load --seconds 60     # bench_load.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

COMMANDS = {"import": "bench_import", "serve": "bench_serve", "load": "bench_load"}  # name -> module of this folder with a main(argv)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(f"usage: scripts/bench {{{','.join(COMMANDS)}}} [options]  (--help after the name)", file=sys.stderr)
        return 2
    module = __import__(COMMANDS[sys.argv[1]])
    return module.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
