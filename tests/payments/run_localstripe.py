"""Starts localstripe for the suite, with nothing kept on disk.

localstripe pickles its whole store to the fixed path /tmp/localstripe.pickle after every write
and loads it at start. Shared by every localstripe on the machine, and cut short when a process is
stopped mid-write, that file made a restarted emulator fail to start ("pickle data was
truncated"). The suite's emulator starts empty and keeps its state in memory only.
"""

import sys

from localstripe import resources, server


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None
    sys.argv = [sys.argv[0], "--from-scratch", *sys.argv[1:]]
    server.start()


if __name__ == "__main__":
    main()
