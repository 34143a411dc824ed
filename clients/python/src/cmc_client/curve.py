"""CURVE client settings for the cmc Python tools (see docs/security.md).

Key files are the ones `cmcd keygen NAME` writes: Z85 text, `#` comment lines allowed; NAME.key is the
public key, NAME.key_secret the secret key (mode 0600). A secret key file that group or others may
access is refused, as cmcd refuses it. The secret key is only ever passed to libzmq, never printed.
"""
import os
import stat
import sys

import zmq
import zmq.utils.z85


def add_arguments(parser):
    parser.add_argument("--curve-server-key", metavar="KEY_OR_FILE",
                        help="CURVE: the server's public key (Z85 text, or its .key file)")
    parser.add_argument("--curve-secret-key", metavar="FILE",
                        help="CURVE: this client's secret key file (mode 0600); its public key is derived")


def _key_line(text):
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line
    return ""


def _valid_z85_key(text):
    if len(text) != 40:
        return False
    try:
        return len(zmq.utils.z85.decode(text.encode("ascii"))) == 32
    except (ValueError, KeyError, UnicodeEncodeError):
        return False


def read_public(key_or_path):
    # An existing file wins: a 40-character path of Z85 characters is also a valid Z85 string.
    if not os.path.exists(key_or_path) and _valid_z85_key(key_or_path):
        return key_or_path.encode("ascii")
    with open(key_or_path, encoding="utf-8") as f:
        key = _key_line(f.read())
    if not _valid_z85_key(key):
        raise ValueError("%s: does not hold a Z85 CURVE public key (40 characters)" % key_or_path)
    return key.encode("ascii")


def read_secret(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        info = os.fstat(fd)  # the mode of what is read, not of a path that could be swapped meanwhile
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("%s: not a regular file" % path)
        if info.st_mode & 0o077:
            raise ValueError("%s: secret key file is accessible by group or others (mode %o); refusing to use it: chmod 600 it"
                             % (path, info.st_mode & 0o777))
        key = _key_line(os.read(fd, 65536).decode("utf-8", "replace"))
    finally:
        os.close(fd)
    if not _valid_z85_key(key):
        raise ValueError("%s: does not hold a Z85 CURVE secret key (40 characters)" % path)
    return key.encode("ascii")


def _usage_error(message):
    """Exit status 64 (EX_USAGE), as cmcd uses for bad configuration: distinct from a tool's own codes."""
    print(message, file=sys.stderr)
    raise SystemExit(64)


def configure_client(socket, args):
    """Makes `socket` a CURVE client if the options ask for it (before connect). Returns whether it did."""
    if args.curve_server_key is None and args.curve_secret_key is None:
        return False
    if args.curve_server_key is None or args.curve_secret_key is None:
        _usage_error("CURVE needs both --curve-server-key and --curve-secret-key")
    if not zmq.has("curve"):
        _usage_error("this libzmq was built without CURVE")
    try:
        secret = read_secret(args.curve_secret_key)
        server = read_public(args.curve_server_key)
    except (OSError, ValueError) as e:
        _usage_error(str(e))
    socket.setsockopt(zmq.CURVE_SERVERKEY, server)
    socket.setsockopt(zmq.CURVE_PUBLICKEY, zmq.curve_public(secret))
    socket.setsockopt(zmq.CURVE_SECRETKEY, secret)
    return True


def configure(socket, server_key, secret_key_file):
    """Makes `socket` a CURVE client of the server whose public key is `server_key` (Z85 text or a .key
    file), authenticating with the secret key in `secret_key_file` (mode 0600). Call before connect."""
    if not zmq.has("curve"):
        raise RuntimeError("this libzmq was built without CURVE")
    secret = read_secret(secret_key_file)
    socket.setsockopt(zmq.CURVE_SERVERKEY, read_public(server_key))
    socket.setsockopt(zmq.CURVE_PUBLICKEY, zmq.curve_public(secret))
    socket.setsockopt(zmq.CURVE_SECRETKEY, secret)
