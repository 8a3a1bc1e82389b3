"""The batch writer's spool on its own: records on real files, a real lock, real crashes
(processes killed with SIGKILL), a real file-size limit for a full disk."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aioinflux._spool import (
    MAGIC,
    Record,
    Spool,
    SpoolInUse,
    decode_records,
    encode_record,
)
from aioinflux.serialization.lines import Lines

DEST = ("mydb", None, "s", None)
OTHER = ("other", "autogen", None, "all")


def lines_of(*lines: bytes) -> Lines:
    return Lines.of(list(lines))


def spooled(spool: Spool, destination, lines: Lines, *, loaded: bool = False) -> None:
    spool.append(destination, [lines], loaded=loaded)


def contents(records: list[Record]) -> list[tuple]:
    return [(r.first, r.destination, r.lines.lines()) for r in records]


def test_a_record_round_trips_with_its_destination_and_line_ends():
    with_newline = Lines.of([b'm s="a\nb" 1', b"m v=2 2"])
    assert with_newline.ends is not None
    data = encode_record(7, OTHER, with_newline) + encode_record(9, DEST, lines_of(b"m v=3 3"))
    records, end = decode_records(data)
    assert end == len(data)
    assert contents(records) == [
        (7, OTHER, [b'm s="a\nb" 1', b"m v=2 2"]),
        (9, DEST, [b"m v=3 3"]),
    ]
    # cut anywhere, or damaged anywhere: the whole records before stay, nothing after
    first = len(encode_record(7, OTHER, with_newline))
    for cut in range(len(data)):
        got, end = decode_records(data[:cut])
        assert end == (first if cut >= first else 0)
        assert len(got) == (1 if cut >= first else 0)
    for at in range(first, len(data)):
        damaged = bytearray(data)
        damaged[at] ^= 0x40
        got, end = decode_records(bytes(damaged))
        assert (len(got), end) == (1, first)


def test_what_is_appended_is_there_after_a_reopen(tmp_path):
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spooled(spool, DEST, lines_of(b"a v=1 1", b"a v=2 2"))
    spooled(spool, OTHER, Lines.of([b'b s="x\ny" 3']))
    assert (spool.lines, spool.unloaded) == (3, 2)
    spool.close()
    again = Spool(tmp_path, max_bytes=1 << 20)
    assert again.recovered == 3
    assert contents(again.load(100)) == [
        (0, DEST, [b"a v=1 1", b"a v=2 2"]),
        (2, OTHER, [b'b s="x\ny" 3']),
    ]
    again.close()


def test_acknowledged_lines_are_not_sent_again(tmp_path):
    spool = Spool(tmp_path, max_bytes=1 << 20)
    for i in range(3):
        spooled(spool, DEST, lines_of(*(b"m v=%d %d" % (i * 3 + k, k) for k in range(3))))
    assert len(spool.load(100)) == 3
    spool.acknowledge(4)  # the first record and one line of the second
    assert spool.lines == 5
    spool.close()
    again = Spool(tmp_path, max_bytes=1 << 20)
    assert again.recovered == 5
    assert contents(again.load(100)) == [
        (4, DEST, [b"m v=4 1", b"m v=5 2"]),
        (6, DEST, [b"m v=6 0", b"m v=7 1", b"m v=8 2"]),
    ]
    again.acknowledge(5)
    assert again.lines == 0
    spooled(again, DEST, lines_of(b"m v=9 9"))  # numbering goes on
    assert contents(again.load(10)) == [(9, DEST, [b"m v=9 9"])]
    again.close()


def test_load_reads_oldest_first_as_much_as_asked(tmp_path):
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spooled(spool, DEST, lines_of(b"m v=1 1"), loaded=True)
    for i in range(2, 6):
        spooled(spool, DEST, lines_of(b"m v=%d %d" % (i, i), b"m v=0 %d" % (i + 10)))
    with pytest.raises(RuntimeError, match="in order"):
        spooled(spool, DEST, lines_of(b"m v=1 1"), loaded=True)
    assert [r.first for r in spool.load(4)] == [1, 3]
    assert [r.first for r in spool.load(1)] == [5]  # one, even larger than asked
    assert [r.first for r in spool.load(100)] == [7]
    assert spool.load(100) == []
    spool.close()


def test_segments_roll_and_go_once_acknowledged(tmp_path):
    spool = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=200)
    for i in range(20):
        spooled(spool, DEST, lines_of(b"m v=%d %d" % (i, i)))
    segments = sorted(tmp_path.glob("*.seg"))
    assert len(segments) > 3
    assert spool.size == sum(p.stat().st_size for p in segments)
    spool.load(100)
    spool.acknowledge(10)
    left = sorted(tmp_path.glob("*.seg"))
    assert len(left) < len(segments)
    assert spool.size == sum(p.stat().st_size for p in left)
    spool.close()
    again = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=200)
    assert [r.lines.lines() for r in again.load(100)] == [
        [b"m v=%d %d" % (i, i)] for i in range(10, 20)
    ]
    again.acknowledge(10)
    again.close()
    assert sorted(tmp_path.glob("*.seg")) == []  # a spool holding nothing is left empty


def test_room_bounds_the_bytes(tmp_path):
    spool = Spool(tmp_path, max_bytes=300)
    record = encode_record(0, DEST, lines_of(b"m v=1 1"))
    assert spool.room(10_000)  # an empty spool takes one record, however large
    taken = 0
    while spool.room(len(record)):
        spooled(spool, DEST, lines_of(b"m v=1 1"))
        taken += 1
    assert spool.size <= 300 < spool.size + len(record)
    spool.load(100)
    spool.acknowledge(taken)
    spool.close()


def three_records(directory: Path) -> Path:
    """A closed spool in ``directory`` holding three records of a line each; its file."""
    spool = Spool(directory, max_bytes=1 << 20)
    for i in range(3):
        spooled(spool, DEST, lines_of(b"m v=%d %d" % (i, i)))
    spool.close()
    (segment,) = directory.glob("*.seg")
    return segment


def test_a_record_cut_short_is_skipped_with_a_warning_and_the_rest_kept(tmp_path, caplog):
    segment = three_records(tmp_path)
    whole = segment.stat().st_size
    with open(segment, "ab") as file:
        file.write(encode_record(3, DEST, lines_of(b"m v=3 3"))[:-5])  # a crash mid-append
    caplog.set_level(logging.WARNING, logger="aioinflux")
    again = Spool(tmp_path, max_bytes=1 << 20)
    cut = [r.getMessage() for r in caplog.records if "not a whole record" in r.getMessage()]
    assert len(cut) == 1
    assert f"at offset {whole}" in cut[0]
    assert str(segment) in cut[0]
    assert again.recovered == 3
    assert segment.stat().st_size == whole  # cut off: appends go on after the last record
    spooled(again, DEST, lines_of(b"m v=9 9"))
    again.close()
    third = Spool(tmp_path, max_bytes=1 << 20)
    assert [r.lines.lines() for r in third.load(100)] == [
        [b"m v=0 0"],
        [b"m v=1 1"],
        [b"m v=2 2"],
        [b"m v=9 9"],
    ]
    third.close()


def test_a_damaged_record_is_skipped_with_what_follows_in_its_file(tmp_path, caplog):
    segment = three_records(tmp_path)
    data = bytearray(segment.read_bytes())
    second = data.index(MAGIC, 1)
    data[second + 20] ^= 1
    segment.write_bytes(bytes(data))
    caplog.set_level(logging.WARNING, logger="aioinflux")
    again = Spool(tmp_path, max_bytes=1 << 20)
    assert [r.lines.lines() for r in again.load(100)] == [[b"m v=0 0"]]
    assert any(
        f"{len(data) - second} byte(s) at offset {second}" in r.getMessage() for r in caplog.records
    )
    again.close()


def test_one_writer_per_spool_in_this_process(tmp_path):
    spool = Spool(tmp_path, max_bytes=1 << 20)
    with pytest.raises(SpoolInUse, match=r"in use by another batch writer of this process"):
        Spool(tmp_path, max_bytes=1 << 20)
    spool.close()
    Spool(tmp_path, max_bytes=1 << 20).close()  # free again


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        text=True,
    )


HOLD = """
    import sys, time
    from aioinflux._spool import Spool
    spool = Spool(sys.argv[1], max_bytes=1 << 20)
    print("held", flush=True)
    time.sleep(3600)
"""


def test_a_spool_held_by_another_process_is_refused_then_taken_over_after_its_death(
    tmp_path, caplog
):
    with _child(HOLD, str(tmp_path)) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == "held\n"
            with pytest.raises(
                SpoolInUse, match=rf"in use by another batch writer \(process {child.pid}\)"
            ):
                Spool(tmp_path, max_bytes=1 << 20)
        finally:
            os.kill(child.pid, signal.SIGKILL)
    caplog.set_level(logging.INFO, logger="aioinflux")
    spool = Spool(tmp_path, max_bytes=1 << 20)
    assert any(f"taken over from process {child.pid}" in r.getMessage() for r in caplog.records)
    spool.close()


APPEND = """
    import sys
    from aioinflux._spool import Spool
    from aioinflux.serialization.lines import Lines
    spool = Spool(sys.argv[1], max_bytes=1 << 30, segment_bytes=1 << 16)
    i = 0
    while True:
        lines = Lines.of([b"m,t=x v=%d %d" % (i * 10 + k, i * 10 + k) for k in range(10)])
        spool.append(("db", None, None, None), [lines])
        i += 1
        print(i * 10, flush=True)  # only once append() returned
"""


def test_every_append_that_returned_survives_sigkill(tmp_path):
    with _child(APPEND, str(tmp_path)) as child:
        assert child.stdout is not None
        returned = 0
        while returned < 20_000:
            returned = int(child.stdout.readline())
        os.kill(child.pid, signal.SIGKILL)
    spool = Spool(tmp_path, max_bytes=1 << 30, segment_bytes=1 << 16)
    assert spool.recovered >= returned
    got = [line for r in spool.load(10**9) for line in r.lines.lines()]
    assert got == [b"m,t=x v=%d %d" % (n, n) for n in range(len(got))]
    spool.close()


FULL = """
    import resource, signal, sys
    from aioinflux._spool import Spool
    from aioinflux.serialization.lines import Lines
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    spool = Spool(sys.argv[1], max_bytes=1 << 30)
    i = 0
    try:
        while True:
            lines = Lines.of([b"m v=%d %d" % (i, i)] * 20)
            spool.append(("db", None, None, None), [lines])
            i += 1
    except OSError as exc:
        print(i, exc.errno, flush=True)
    spool.close()
"""


def test_a_full_disk_raises_and_keeps_every_record_before(tmp_path):
    import errno

    with _child(FULL, str(tmp_path)) as child:
        out, _ = child.communicate(timeout=60)
    appended, code = map(int, out.split())
    assert code == errno.EFBIG
    assert appended > 0
    (segment,) = tmp_path.glob("*.seg")
    data = segment.read_bytes()
    assert len(data) <= 4096
    assert decode_records(data)[1] == len(data)  # the cut record was taken back off the file
    spool = Spool(tmp_path, max_bytes=1 << 30)
    assert spool.recovered == appended * 20
    records = spool.load(10**9)
    assert [r.lines.lines()[0] for r in records] == [b"m v=%d %d" % (i, i) for i in range(appended)]
    spool.close()


def test_the_spool_directory_is_made(tmp_path):
    where = Path(tmp_path, "a", "b")
    Spool(where, max_bytes=1 << 20).close()
    assert (where / "lock").exists()
