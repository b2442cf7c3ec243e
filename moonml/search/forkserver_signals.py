"""Imported first by the search's forkserver (workers.PRELOAD), and nowhere else.

Ctrl-C reaches the forkserver too: a terminal signals its whole process group. multiprocessing's
forkserver ignores SIGINT only once its imports are done, so a Ctrl-C during them printed a
KeyboardInterrupt traceback from inside scikit-learn under moonml's one line. The workers it
forks ignore SIGINT as well (moonml.search.lifeline): moonml's process ends them.
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
