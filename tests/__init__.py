"""moonml's tests (a package, so that `tests` is this folder even with launchers/ on sys.path,
whose tests/ folder is the launcher's)."""
