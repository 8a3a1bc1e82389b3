"""The serialize() entry point for line protocol given as str/bytes (see also
test_serialization_mapping.py for the dispatcher's other rules)."""

from __future__ import annotations

import pytest

from aioinflux import LineProtocolError, LineProtocolTypeError, serialize

# every test runs on the compiled encoders and on the pure ones (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("encoders")


@pytest.mark.parametrize(
    ("data", "body"),
    [
        ("m v=1", b"m v=1"),
        (b"m v=1", b"m v=1"),
        ('m s="ü"', 'm s="ü"'.encode()),
        (["m v=1", b"m v=2"], b"m v=1\nm v=2"),
        (("m v=1", "m v=2 5"), b"m v=1\nm v=2 5"),
        (iter, b"a v=1\nb v=2"),  # a generator, made for each run (below)
        ([], b""),
        (bytearray(b"m v=1"), b"m v=1"),
    ],
)
def test_line_protocol_is_sent_as_given(data, body):
    if data is iter:
        data = (line for line in ["a v=1", "b v=2"])
    assert serialize(data) == body


def test_unsupported_type_is_named():
    with pytest.raises(TypeError, match="cannot write an object of type int"):
        serialize(42)


def test_unsupported_point_in_a_batch_is_named_with_its_position():
    with pytest.raises(TypeError, match="point 1: cannot write an object of type float"):
        serialize(["m v=1", 1.5])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (print, "point 0: cannot write an object of type builtin_function_or_method"),
        (["m v=1", lambda: 1], "point 1: cannot write an object of type function"),
        ({"fields": {"v": 1}}, "point 0: the point has no measurement"),
    ],
)
def test_what_09_refused_with_value_error_is_still_a_value_error(data, message):
    # aioinflux 0.9 raised ValueError for these: code catching it keeps catching them
    with pytest.raises(ValueError, match=message) as info:
        serialize(data)
    assert isinstance(info.value, LineProtocolError)
    assert isinstance(info.value, LineProtocolTypeError) == ("object of type" in message)
    assert isinstance(info.value, TypeError) == ("object of type" in message)


def test_mapping_is_one_point_not_an_iterable_of_lines():
    assert serialize({"measurement": "m", "fields": {"v": 1}}) == b"m v=1i"
