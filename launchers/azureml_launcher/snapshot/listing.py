"""What a dry run says about the snapshot, whichever SDK: two .tsv lists and a glance on the console.

snapshot_files.tsv: size and path of every shipped file, and "hard link (N names)" for a file
that has other names (they may lie outside the project: its content ships, scanned like any
file). snapshot_left_out.tsv: path and reason of every file or folder that does not ship.
"""

from pathlib import Path

from azureml_launcher.snapshot import contents as _snapshot

PRINTED = 40  # the console gets a glance; the .tsv files hold the whole lists


def _hard_link(names: int) -> str:
    return f"hard link ({names} names)"


def write(snapshot: _snapshot.Snapshot, out: Path) -> None:
    """Write both lists into out."""
    links = dict(snapshot.hard_links)
    (out / "snapshot_files.tsv").write_text(
        "".join(
            f"{size}\t{path}" + (f"\t{_hard_link(links[path])}" if path in links else "") + "\n"
            for path, size in snapshot.files
        ),
        encoding="utf-8",
    )
    (out / "snapshot_left_out.tsv").write_text(
        "".join(f"{path}\t{reason}\n" for path, reason in snapshot.left_out), encoding="utf-8"
    )


def _table(title: str, rows: list[tuple[str, str]]) -> list[str]:
    if not rows:
        return []
    width = max(len(path) for path, _ in rows[:PRINTED])
    lines = [f"[azureml dry run] {title}:"]
    lines += [f"  {path:<{width}}  {note}" for path, note in rows[:PRINTED]]
    if len(rows) > PRINTED:
        lines.append(f"  ... and {len(rows) - PRINTED} more")
    return lines


def print_summary(snapshot: _snapshot.Snapshot, listing: Path) -> None:
    """What stays home and why, and which shipped files are hard links: once per sweep."""
    lines = _table(
        f"left out of the snapshot ({len(snapshot.left_out)}, all in {listing})", list(snapshot.left_out)
    )
    lines += _table(
        "hard links (their other names may be outside the project)",
        [(path, _hard_link(names)) for path, names in snapshot.hard_links],
    )
    if lines:
        print("\n".join(lines), flush=True)
