"""What the seed writers share: write each (name, bytes) a generator yields
into the directory given as the first argument, or a default one."""
import os
import sys


def write_seeds(seeds, default_dir):
    out = sys.argv[1] if len(sys.argv) > 1 else default_dir
    os.makedirs(out, exist_ok=True)
    for name, data in seeds:
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
