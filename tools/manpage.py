#!/usr/bin/env python3
"""Writes a man page (roff, section 1) for a cmc executable from its own parser's description
(`TOOL --experimental-dump-help`, swift-argument-parser's ToolInfo JSON): options with their defaults,
subcommands, the discussion. Used by tools/install.sh; one page per executable, subcommands included.
    manpage.py BINARY > TOOL.1"""
import datetime
import json
import subprocess
import sys


def esc(text):
    return (text or "").replace("\\", "\\\\").replace("-", "\\-").replace("\n.", "\n\\&.")


def names(arg):
    out = []
    for n in arg.get("names", []):
        out.append(("-" if n["kind"] == "short" else "--") + n["name"])
    return ", ".join(out) or "<%s>" % arg.get("valueName", "value")


def options(command, lines):
    for arg in command.get("arguments", []):
        if not arg.get("shouldDisplay", True):
            continue
        head = names(arg)
        if arg["kind"] == "option":
            head += " <%s>" % arg.get("valueName", "value")
        lines += [".TP", "\\fB%s\\fR" % esc(head)]
        text = arg.get("abstract", "")
        if arg.get("defaultValue") is not None:
            text += " (default: %s)" % arg["defaultValue"]
        if arg.get("allValues"):
            text += " Values: %s." % ", ".join(arg["allValues"])
        lines.append(esc(text))


def page(binary):
    info = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True, text=True).stdout)["command"]
    name = info["commandName"]
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    lines = ['.TH "%s" 1 "%s" "%s" "cmc manual"' % (name.upper(), datetime.date.today().isoformat(), esc(version)),
             ".SH NAME", "%s \\- %s" % (esc(name), esc(info.get("abstract", ""))),
             ".SH SYNOPSIS", "\\fB%s\\fR [options]%s" % (esc(name), " <subcommand>" if info.get("subcommands") else "")]
    if info.get("discussion"):
        lines += [".SH DESCRIPTION", ".nf", esc(info["discussion"]), ".fi"]
    lines.append(".SH OPTIONS")
    options(info, lines)
    for sub in info.get("subcommands", []):
        if not sub.get("shouldDisplay", True):
            continue
        lines += [".SH \"%s %s\"" % (esc(name.upper()), esc(sub["commandName"].upper())), esc(sub.get("abstract", ""))]
        if sub.get("discussion"):
            lines += [".nf", esc(sub["discussion"]), ".fi"]
        options(sub, lines)
    lines += [".SH SEE ALSO", "The cmc documentation: /usr/local/share/doc/cmc (or PREFIX/share/doc/cmc), docs/deployment.md."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(page(sys.argv[1]))
