"""Whether this process was forked after pygru was imported.

GNU OpenMP keeps the threads of a parallel region for the next one, and a fork() copies its
bookkeeping but not the threads: a child that enters a parallel region waits for them
forever. The runtime is one per process, shared with whatever else uses it (PyTorch's wheels
load a libgomp of the same name as the one the kernels link), so pygru cannot know whether a
parallel region ran before the fork: a forked child runs the kernels on one thread. The hook
is registered when ``pygru`` is imported, before any kernel is loaded, so that a fork in
between counts too. Results do not depend on the thread count.
"""

import os

forked = False


def after_fork_in_child(function):
    """Call ``function`` in the child of every later fork() (where the platform has fork):
    how a module resets what a fork copies but cannot carry on (a lock another thread held,
    the record of fits running in other threads)."""
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=function)


def _note_the_fork():
    global forked
    forked = True


after_fork_in_child(_note_the_fork)
