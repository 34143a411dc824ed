#!/usr/bin/env python3
"""Prints cmcd's window labels and action events as they come: live_labels.py [ENDPOINT] [SUBJECT ...]"""
import sys

from cmc_client import ActionEvent, Subscriber

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5557"
subjects = [int(s) for s in sys.argv[2:]] or None
with Subscriber(endpoint, subjects=subjects) as sub:
    for e in sub.events():
        if isinstance(e, ActionEvent):
            print("subject %-5d ACTION %-18s p %.2f  %.1f s" % (e.subject, e.label, e.confidence, e.seconds))
        else:
            print("subject %-5d %-25s p %.2f" % (e.subject, e.label, e.confidence))
