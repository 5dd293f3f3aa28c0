"""A null-modem cable between two real pseudo-terminals, for the serial tests (see ptypair.ts).

    python3 ptypair.py PATH_A PATH_B

Opens two ptys, sets both terminal ends raw with echo off, links PATH_A and PATH_B to them, prints `ready`
on stdout, then copies bytes from each pty to the other until SIGTERM or SIGINT, when it removes the links
and exits (the ptys vanish with it, as a cable pulled out).

Why it holds the terminal ends open itself: a pty whose terminal end nobody holds reads as end-of-file on the
controller side, so the pair would die when a test closes its port. Held here, the pair outlives any port
that opens and closes on it, and only this process ending takes it away.

Why it copies at most one buffer per direction: while the far side does not read, the copy stops reading the
near side, so that pty's buffer fills and the writer's port stops draining. A test of backpressure needs the
line to stall like a real one, not an unbounded buffer in between.
"""
import errno
import os
import select
import signal
import sys
import tty

CHUNK = 4096


def open_end(link):
    controller, terminal = os.openpty()
    tty.setraw(terminal)  # no line discipline, no echo: bytes pass as they are
    try:
        os.unlink(link)  # a link left by an earlier pair on the same path
    except FileNotFoundError:
        pass
    os.symlink(os.ttyname(terminal), link)
    os.set_blocking(controller, False)
    return controller, terminal


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: ptypair.py PATH_A PATH_B\n')
        return 2
    links = argv[1:]
    stopping = []

    def stop(_sig, _frame):
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ends = []
    try:
        for link in links:
            ends.append(open_end(link))
        a, b = ends[0][0], ends[1][0]
        pending = {a: b'', b: b''}  # bytes read from the key, not yet written to its partner
        partner = {a: b, b: a}
        sys.stdout.write('ready\n')
        sys.stdout.flush()
        while not stopping:
            readers = [fd for fd in (a, b) if not pending[fd]]
            writers = [partner[fd] for fd in (a, b) if pending[fd]]
            try:
                r, w, _ = select.select(readers, writers, [], 0.5)
            except InterruptedError:
                continue
            for dst in w:
                src = partner[dst]
                try:
                    n = os.write(dst, pending[src])
                    pending[src] = pending[src][n:]
                except BlockingIOError:
                    pass
            for src in r:
                try:
                    data = os.read(src, CHUNK)
                except BlockingIOError:
                    continue
                except OSError as e:
                    if e.errno == errno.EIO:  # cannot happen while the terminal end is held here
                        continue
                    raise
                pending[src] = data
    finally:
        for link in links:
            try:
                os.unlink(link)
            except FileNotFoundError:
                pass
        for controller, terminal in ends:
            os.close(controller)
            os.close(terminal)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
