"""pygru's version, in a module of its own so that the package's modules can read it without
importing the package (whose ``__init__`` imports them)."""

__version__ = "0.1.0"
