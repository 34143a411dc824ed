"""CURVE settings of the cmc Python client (clients/python), for the scripts in tools/ that run from a
checkout without installing it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python", "src"))
from cmc_client.curve import *  # noqa: E402,F401,F403
from cmc_client.curve import add_arguments, configure_client, read_public, read_secret  # noqa: E402,F401
