#!/usr/bin/env python3
"""AmiRotator's moto launcher: runs the package amirotator_moto/ next to this file.

scripts/with-moto and test/AmiRotator.Tests/Emulator/MotoServer.cs start it by this path. The patches, the
extra endpoints and the knobs are documented in amirotator_moto/__init__.py.

Usage:
    python3 test/moto/amirotator_moto.py --host 127.0.0.1 --port 5000
    python3 test/moto/amirotator_moto.py --port 0 --port-file /tmp/p   # free port
    (also --exit-on-stdin-eof, --verbose; --help lists them)

Once it is listening it prints one line ``AMIROTATOR_MOTO_URL=http://HOST:PORT``
to stdout (and writes the port to --port-file when given).
"""

from __future__ import annotations

import os
import sys

# The package (a directory here, found before this file) is imported from beside this file, also where the script's
# directory is not on sys.path (python -P, PYTHONSAFEPATH). Importing it sets MOTO_EC2_LOAD_DEFAULT_AMIS=false
# before moto is imported.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from amirotator_moto.server import main  # noqa: E402

if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: collecting moto's module state takes seconds.
    os._exit(code)
