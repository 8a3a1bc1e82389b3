"""Pure tests of query answers to DataFrames (aioinflux._frames)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from aioinflux._frames import (
    ChunkColumns,
    SeriesColumns,
    answer_frames,
    rows_to_table,
    to_dataframe,
)

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: the dtype of a string field: pandas' default string dtype from pandas 3 on
PANDAS3 = int(pd.__version__.split(".")[0]) >= 3
STR = "str" if PANDAS3 else "object"


def answer(*series_lists):
    return {
        "results": [
            {"statement_id": i, **({"series": s} if s else {})} for i, s in enumerate(series_lists)
        ]
    }


def one(columns, values, **extra):
    return {"name": "m", "columns": columns, "values": values, **extra}


M2 = {"name": "m2", "columns": ["time", "w"], "values": [[1, 2]]}


def test_dtypes_follow_the_values():
    resp = answer(
        [
            one(
                ["time", "f", "i", "b", "s", "gap_i", "gap_b", "gap_f", "none", "mixed"],
                [
                    [1, 1.5, INT_MIN, True, 'q"ü', 1, True, None, None, 1],
                    [2, 2.0, INT_MAX, False, None, None, None, 2.5, None, "x"],
                ],
            )
        ]
    )
    df = to_dataframe(resp)
    assert dict(df.dtypes.astype(str)) == {
        "f": "float64",
        "i": "int64",
        "b": "bool",
        "s": STR,
        "gap_i": "Int64",
        "gap_b": "boolean",
        "gap_f": "float64",
        "none": "object",
        "mixed": "object",
    }
    assert df["i"].tolist() == [INT_MIN, INT_MAX]
    assert df["s"].tolist()[0] == 'q"ü'
    assert pd.isna(df["s"].tolist()[1])
    assert df["gap_i"].tolist() == [1, pd.NA]
    assert np.isnan(df["gap_f"].iloc[0])
    assert df["mixed"].tolist() == [1, "x"]
    assert df.index.equals(pd.DatetimeIndex([1, 2], tz="UTC"))


def test_declared_kinds_win_over_json_ints():
    # JSON writes the float 1.0 as 1: the field's declared type makes it float64 again
    resp = answer([one(["time", "f", "t"], [[1, 1, "a"], [2, 3, None]])])
    df = to_dataframe(resp, kinds={"m": {"f": "float", "t": "tag"}})
    assert df["f"].dtype == np.float64
    assert df["f"].tolist() == [1.0, 3.0]
    assert isinstance(df["t"].dtype, pd.CategoricalDtype)
    assert df["t"].tolist()[0] == "a"
    assert pd.isna(df["t"].tolist()[1])
    without = to_dataframe(resp)
    assert without["f"].dtype == np.int64  # what JSON alone can tell


@pytest.mark.parametrize(
    ("epoch", "times"),
    [
        ("ns", [1_500_000_000_123_456_789]),
        ("u", [1_500_000_000_123_456]),
        ("ms", [1_500_000_000_123]),
        ("s", [1_500_000_000]),
        ("m", [25_000_000]),
        ("h", [416_666]),
        (None, ["2017-07-14T02:40:00.123456789Z"]),
    ],
)
def test_index_for_every_epoch(epoch, times):
    df = to_dataframe(answer([one(["time", "v"], [[times[0], 1.0]])]), epoch=epoch)
    expected = {
        "ns": "2017-07-14 02:40:00.123456789",
        "u": "2017-07-14 02:40:00.123456",
        "ms": "2017-07-14 02:40:00.123",
        "s": "2017-07-14 02:40:00",
        "m": "2017-07-14 02:40:00",
        "h": "2017-07-14 02:00:00",
        None: "2017-07-14 02:40:00.123456789",
    }[epoch]
    assert df.index[0] == pd.Timestamp(expected, tz="UTC")
    assert str(df.index.tz) == "UTC"


def test_rfc3339_times_of_varying_precision():
    resp = answer(
        [one(["time", "v"], [["2017-07-14T02:40:00Z", 1.0], ["2017-07-14T02:40:00.5Z", 2.0]])]
    )
    df = to_dataframe(resp, epoch=None)
    assert list(df.index) == [
        pd.Timestamp("2017-07-14 02:40:00", tz="UTC"),
        pd.Timestamp("2017-07-14 02:40:00.5", tz="UTC"),
    ]


@pytest.mark.parametrize(("epoch", "zero"), [("ns", 0), (None, "1970-01-01T00:00:00Z")])
def test_aggregates_without_time_get_a_range_index(epoch, zero):
    df = to_dataframe(answer([one(["time", "mean", "sum"], [[zero, 2.5, 7]])]), epoch=epoch)
    assert isinstance(df.index, pd.RangeIndex)
    assert df.to_dict("list") == {"mean": [2.5], "sum": [7]}


def test_series_without_time_column():
    resp = answer([{"name": "measurements", "columns": ["name"], "values": [["a"], ["b"]]}])
    df = to_dataframe(resp)
    assert isinstance(df.index, pd.RangeIndex)
    assert df["name"].tolist() == ["a", "b"]


def test_grouped_series_give_a_dict_with_the_tags_as_columns():
    resp = answer(
        [
            one(["time", "v"], [[1, 1.0], [3, 3.0]], tags={"t": "a", "u": "x"}),
            one(["time", "v"], [[2, 2.0]], tags={"t": "b", "u": ""}),
        ]
    )
    frames = to_dataframe(resp)
    assert list(frames) == ["m,t=a,u=x", "m,t=b,u="]
    a = frames["m,t=a,u=x"]
    assert a["v"].tolist() == [1.0, 3.0]
    assert a["t"].tolist() == ["a", "a"]
    assert isinstance(a["t"].dtype, pd.CategoricalDtype)
    assert frames["m,t=b,u="]["u"].tolist() == [""]


def test_one_group_gives_its_dataframe_as_in_09():
    df = to_dataframe(answer([one(["time", "v"], [[1, 1.0]], tags={"t": "a"})]))
    assert isinstance(df, pd.DataFrame)
    assert df["v"].tolist() == [1.0]
    assert df["t"].tolist() == ["a"]


# aioinflux 0.9's parse(): a dict {series name: frame} per statement; one statement gives its
# only frame when it has exactly one series, else its dict; several give the list of dicts
F = "frame"
SHAPES = {
    "one statement, one series": ([[one(["time", "v"], [[1, 1.0]])]], F),
    "one statement, no series": ([None], {}),
    "one statement, two series": ([[one(["time", "v"], [[1, 1.0]]), M2]], {"m": F, "m2": F}),
    "no statement": ([], []),
    "two statements": ([[one(["time", "v"], [[1, 1.0]])], None], [{"m": F}, {}]),
    "two statements, one series each": ([[M2], [M2]], [{"m2": F}, {"m2": F}]),
}


def shape_of(result):
    if isinstance(result, pd.DataFrame):
        return F
    if isinstance(result, dict):
        return {key: shape_of(value) for key, value in result.items()}
    return [shape_of(item) for item in result]


@pytest.mark.parametrize("case", SHAPES)
def test_result_shapes_are_09s(case):
    statements, shape = SHAPES[case]
    assert shape_of(to_dataframe(answer(*statements))) == shape


def test_several_statements_give_a_list_of_dicts():
    resp = answer(
        [one(["time", "v"], [[1, 1.0]])],
        None,
        [one(["time", "v"], [[1, 1.0]], tags={"t": "a"})],
    )
    first, empty, grouped = to_dataframe(resp)
    assert first["m"]["v"].tolist() == [1.0]  # as df_list[0]['m1'] in 0.9
    assert empty == {}
    assert list(grouped) == ["m,t=a"]


def test_series_without_a_name_are_keyed_none_as_in_09():
    users = {"columns": ["user", "admin"], "values": [["u", True]]}
    first, second = to_dataframe(answer([users], [users, {**users, "name": "n"}]))
    assert list(first) == [None]
    assert first[None]["user"].tolist() == ["u"]
    assert list(second) == [None, "n"]


def test_empty_answers():
    assert to_dataframe(answer(None)) == {}
    assert to_dataframe({"results": []}) == []
    df = to_dataframe(answer([one(["time", "v"], [])]))
    assert df.empty
    assert list(df.columns) == ["v"]


def test_group_keys_and_tag_columns_are_sorted_by_tag_key():
    other = one(["time", "v"], [[1, 1.0]], tags={"z": "0", "a": "0"})
    frames = to_dataframe(
        answer([one(["time", "v"], [[1, 1.0]], tags={"z": "1", "a": "2"}), other])
    )
    assert list(frames) == ["m,a=2,z=1", "m,a=0,z=0"]
    assert list(frames["m,a=2,z=1"].columns) == ["v", "a", "z"]


def test_rows_to_table():
    table = rows_to_table([[1, "a"], [2, None]])
    assert table.shape == (2, 2)
    assert table.dtype == object
    assert table[:, 1].tolist() == ["a", None]
    assert rows_to_table([]).shape == (0, 0)
    with pytest.raises(ValueError, match="different lengths"):
        rows_to_table([[1, "a"], [2]])


def test_answer_frames_label_statements_and_take_only_tags_from_kinds_of_msgpack():
    resp = answer([one(["time", "v"], [[1, 1]])], [one(["time", "v"], [[1, 2]])])
    kinds = {"m": {"v": "float"}}
    frames = answer_frames(resp, kinds, "ns", msgpack=False)
    assert [df.attrs["statement_id"] for part in frames for df in part.values()] == [0, 1]
    assert frames[0]["m"]["v"].dtype == np.float64  # the declared type decides
    frames = answer_frames(resp, kinds, "ns", msgpack=True)
    assert frames[0]["m"]["v"].dtype == np.int64  # MessagePack's own type decides


def test_the_09_paths_still_give_the_frames_functions():
    from aioinflux import _frames
    from aioinflux.serialization import dataframe

    assert dataframe.to_dataframe is _frames.to_dataframe
    assert dataframe.parse is _frames.parse
    with pytest.raises(AttributeError, match="no attribute 'unknown'"):
        dataframe.unknown  # noqa: B018


# Columns the server can send, each cut into chunks at every point below: typed chunk by
# chunk (as the client does while the answer arrives), they must give the frame that the
# whole column's values give at once.
NAN = float("nan")
COLUMNS = {
    "floats": [1.5, -0.0, 2.25, 1e308],
    "floats with gaps": [None, 1.5, None, 2.5],
    "ints": [INT_MIN, 0, INT_MAX, 7],
    "ints with gaps": [1, None, None, INT_MAX],
    "ints then floats": [1, 2, 3.5, 4.5],
    "json whole floats": [0, 1.5, 2, None],
    "bools": [True, False, False, True],
    "bools with gaps": [None, True, None, False],
    "strings": ["b", "a", 'q"ü', "b"],
    "strings with gaps": ["b", None, None, "a"],
    "no value": [None, None, None, None],
    "gaps then ints": [None, None, 1, 2],
    "mixed": [1, "x", 2.5, True],
    "bools then ints": [True, False, 1, 0],
    "strings then ints": ["a", "b", 1, 2],
    "nan among ints": [1, NAN, 2, None],
    "nan among strings": ["a", NAN, "b", None],
    "nan among bools": [True, NAN, False, None],
    "beyond int64": [1, 2, 3, 2**64],
}
KINDS = [None, "float", "integer", "tag", "string"]
SPLITS = [(), (1,), (2,), (3,), (1, 2), (1, 2, 3)]


def in_chunks(values, splits):
    bounds = [0, *splits, len(values)]
    rows = [[i + 1, value] for i, value in enumerate(values)]
    return [rows[a:b] for a, b in itertools.pairwise(bounds)]


def same_values(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        if isinstance(b, float) and b != b:
            assert isinstance(a, float)
            assert a != a
        else:
            assert a is b or (a == b and type(a) is type(b)), (a, b)


@pytest.mark.parametrize("splits", SPLITS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", COLUMNS)
def test_columns_typed_chunk_by_chunk_give_the_frame_of_the_whole(case, kind, splits):
    values = COLUMNS[case]
    rows = [[i + 1, value] for i, value in enumerate(values)]
    whole = one(["time", "v"], rows)
    kinds = {"m": {"v": kind}}
    chunks = [ChunkColumns(rows) for rows in in_chunks(values, splits)]
    try:
        expected = to_dataframe(answer([whole]), kinds=kinds)
    except OverflowError:  # beyond int64: refused the same way
        with pytest.raises(OverflowError):
            to_dataframe(answer([one(["time", "v"], SeriesColumns(chunks))]), kinds=kinds)
        return
    got = to_dataframe(answer([one(["time", "v"], SeriesColumns(chunks))]), kinds=kinds)
    assert got["v"].dtype == expected["v"].dtype
    if isinstance(expected["v"].dtype, pd.CategoricalDtype):
        assert got["v"].cat.categories.equals(expected["v"].cat.categories)
        assert got["v"].cat.categories.dtype == expected["v"].cat.categories.dtype
    same_values(got["v"].tolist(), expected["v"].tolist())
    assert got.index.equals(expected.index)


def test_the_objects_of_each_piece_are_the_values_as_read():
    for values in COLUMNS.values():
        chunk = ChunkColumns([[value] for value in values])
        (piece,) = chunk.pieces
        same_values(piece.objects().tolist(), values)


def test_rows_that_do_not_match_the_columns_are_refused():
    with pytest.raises(ValueError, match="2 columns but rows of 3 values"):
        to_dataframe(answer([one(["time", "v"], [[1, 2, 3]])]))
    with pytest.raises(ValueError, match="different lengths"):
        SeriesColumns([ChunkColumns([[1, 2]]), ChunkColumns([[1, 2, 3]])])


# -- as_dataframeclient: DataFrameClient's shapes (influxdb-python 5.3's _to_dataframe) ----


def test_as_dataframeclient_keys_groups_by_name_and_sorted_tags():
    from aioinflux import as_dataframeclient

    resp = answer(
        [
            one(["time", "v", "e"], [[1, 1.0, None], [3, 3.0, None]], tags={"t": "a", "u": "x"}),
            one(["time", "v", "e"], [[2, 2.0, None]], tags={"u": "y", "t": "b"}),
        ]
    )
    frames = to_dataframe(resp)
    assert list(frames) == ["m,t=a,u=x", "m,t=b,u=y"]
    old = as_dataframeclient(frames)
    assert list(old) == [("m", (("t", "a"), ("u", "x"))), ("m", (("t", "b"), ("u", "y")))]
    a = old[("m", (("t", "a"), ("u", "x")))]
    assert list(a.columns) == ["v"]  # no group tags, no column without any value
    assert a["v"].tolist() == [1.0, 3.0]
    assert list(as_dataframeclient(frames, dropna=False)[("m", (("t", "b"), ("u", "y")))]) == [
        "v",
        "e",
    ]
    assert list(frames["m,t=a,u=x"].columns) == ["v", "e", "t", "u"]  # left as they were


def test_as_dataframeclient_of_one_series_and_of_several_statements():
    from aioinflux import as_dataframeclient

    one_series = to_dataframe(answer([one(["time", "v"], [[1, 1.0]])]))
    assert isinstance(one_series, pd.DataFrame)
    old = as_dataframeclient(one_series)
    assert list(old) == ["m"]
    pd.testing.assert_frame_equal(old["m"], one_series)
    listed = as_dataframeclient(to_dataframe(answer([M2], None, [M2])))
    assert [list(part) for part in listed] == [["m2"], [], ["m2"]]
    # a name and tags holding ',' and '=' (which the 0.9 keys cannot say apart)
    tricky = to_dataframe(answer([one(["time", "v"], [[1, 1.0]], name="a,b=c", tags={"x=": ","})]))
    assert list(as_dataframeclient(tricky)) == [("a,b=c", (("x=", ","),))]


def test_as_dataframeclient_indexes_aggregates_by_their_time():
    from aioinflux import as_dataframeclient

    mean = to_dataframe(answer([one(["time", "mean"], [[0, 2.5]])]))
    assert isinstance(mean.index, pd.RangeIndex)
    old = as_dataframeclient(mean)["m"]
    assert old.index.equals(pd.DatetimeIndex([0], tz="UTC"))
    assert old["mean"].tolist() == [2.5]


@pytest.mark.parametrize("given", [pd.DataFrame({"v": [1]}), "cpu", {"k": 1}, [3]])
def test_as_dataframeclient_refuses_what_query_did_not_give(given):
    from aioinflux import as_dataframeclient

    with pytest.raises(TypeError, match=r"as_dataframeclient\(\) takes"):
        as_dataframeclient(given)
