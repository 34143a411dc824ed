#!/usr/bin/env python3
"""The wire protocol of the cmc Python client (clients/python), for the scripts in tools/ that run
from a checkout without installing it. `cmc_protocol.py --check-golden FILE` decodes golden events."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python", "src"))
from cmc_client.protocol import *  # noqa: E402,F401,F403
from cmc_client.protocol import check_golden  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check-golden":
        print("%d golden events decode" % check_golden(sys.argv[2]))
    else:
        print("usage: cmc_protocol.py --check-golden FILE", file=sys.stderr)
        sys.exit(2)
