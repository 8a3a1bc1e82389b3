"""aioinflux.queries without a server: quoting, templates, argument binding, rendering."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from aioinflux import InfluxDBClient
from aioinflux.queries import (
    PATTERNS,
    Pattern,
    PatternMethod,
    quote_ident,
    quote_literal,
)

# (value, quoted body): what goes between the quotes, for both '…' and "…" (measured on
# influxd 1.6.7: the scanner reads back \\ \" \' \n; tabs and unicode are written as they are).
QUOTED_CASES = [
    ("plain", "plain"),
    ('x"; DROP DATABASE "keep', 'x\\"; DROP DATABASE \\"keep'),
    ("it's", "it\\'s"),
    ("back\\slash", "back\\\\slash"),
    ("trailing\\", "trailing\\\\"),
    ("line\nbreak", "line\\nbreak"),
    ("tab\there", "tab\there"),
    ("温度 🎉", "温度 🎉"),
    ("", ""),
]


@pytest.mark.parametrize(("value", "body"), QUOTED_CASES)
def test_quote_ident_and_literal_escape_what_ends_the_quotes(value, body):
    assert quote_ident(value) == f'"{body}"'
    assert quote_literal(value) == f"'{body}'"


@pytest.mark.parametrize(("char", "what"), [("\r", "carriage return"), ("\x00", "NUL")])
def test_what_influxql_cannot_quote_is_refused(char, what):
    with pytest.raises(ValueError, match=f"{what}.*params="):
        quote_literal(f"a{char}b")
    with pytest.raises(ValueError, match=what):
        quote_ident(f"a{char}b")


def test_quote_functions_take_only_str():
    with pytest.raises(TypeError, match="must be a str, got int"):
        quote_ident(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a str, got bytes"):
        quote_literal(b"x")  # type: ignore[arg-type]


# -- rendering values -------------------------------------------------------------------

BARE = Pattern("bare", "SELECT * FROM m WHERE v > {x}")
QUOTED = Pattern("quoted", "SELECT * FROM \"{m}\" WHERE s = '{s}'")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("abc", "abc"),
        ("a.b_c-d", "a.b_c-d"),
        ("7d", "7d"),
        ("-5", "-5"),
        (42, "42"),
        (-3, "-3"),
        (2**70, str(2**70)),
        (1.5, "1.5"),
        (-0.25, "-0.25"),
        (3.0, "3.0"),
        (1e22, "10000000000000000000000.0"),
        (1e-7, "0.0000001"),
        (True, "true"),
        (False, "false"),
    ],
)
def test_unquoted_placeholder_takes_plain_identifiers_and_numbers(value, text):
    assert BARE.render({"x": value}) == f"SELECT * FROM m WHERE v > {text}"


@pytest.mark.parametrize(
    "value", ["a b", "", "1;", "a'", 'a"', "a\\b", "a\nb", "a/b", "a*b", "é", "1 OR 1=1"]
)
def test_unquoted_placeholder_refuses_anything_else(value):
    with pytest.raises(ValueError, match=r"bare\(\): placeholder \{x\} is not quoted"):
        BARE.render({"x": value})


@pytest.mark.parametrize("value", ["victim..secret", "victim.autogen.secret", ".m", "m.", "1.2.3"])
def test_unquoted_value_cannot_name_another_database(value):
    with pytest.raises(ValueError, match=r"placeholder \{x\} is not quoted.*one '\.'"):
        BARE.render({"x": value})


@pytest.mark.parametrize("value", ["autogen.cpu", "1.5", "-0.25"])
def test_unquoted_value_may_name_a_retention_policy_or_a_decimal(value):
    assert BARE.render({"x": value}) == f"SELECT * FROM m WHERE v > {value}"


def test_unquoted_value_cannot_start_a_comment():
    with pytest.raises(ValueError, match=r"\{x\}.*would start a comment"):
        BARE.render({"x": "1--"})
    minus = Pattern("minus", "SELECT v -{x} FROM m")
    with pytest.raises(ValueError, match="would start a comment"):
        minus.render({"x": "-1"})
    assert minus.render({"x": "1"}) == "SELECT v -1 FROM m"
    pair = Pattern("pair", "SELECT {a}{b} FROM m")
    with pytest.raises(ValueError, match="would start a comment"):
        pair.render({"a": "x-", "b": "-y"})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_floats_are_refused(value):
    with pytest.raises(ValueError, match=r"placeholder \{x\}.*cannot be written"):
        BARE.render({"x": value})
    with pytest.raises(ValueError, match=r"placeholder \{s\}.*cannot be written"):
        QUOTED.render({"m": "m", "s": value})


@pytest.mark.parametrize("value", [None, b"x", [1], {"a": 1}, 1j])
def test_other_types_are_refused(value):
    with pytest.raises(TypeError, match=r"bare\(\): placeholder \{x\} takes a str"):
        BARE.render({"x": value})
    with pytest.raises(TypeError, match=r"placeholder \{s\} \(inside '…'.*got"):
        QUOTED.render({"m": "m", "s": value})


def test_quoted_placeholders_escape_strings_and_write_numbers():
    assert QUOTED.render({"m": 'a"b', "s": "it's\n"}) == (
        "SELECT * FROM \"a\\\"b\" WHERE s = 'it\\'s\\n'"
    )
    assert QUOTED.render({"m": 5, "s": 1.5}) == "SELECT * FROM \"5\" WHERE s = '1.5'"
    with pytest.raises(TypeError, match=r"\{s\}.*got bool"):
        QUOTED.render({"m": "m", "s": True})
    with pytest.raises(ValueError, match=r"quoted\(\): placeholder \{m\}.*carriage return"):
        QUOTED.render({"m": "a\rb", "s": ""})


def test_placeholder_inside_a_longer_quoted_text_is_escaped_too():
    pattern = Pattern("p", "SELECT * FROM \"pre_{m}\" WHERE s = 'a {s} b'")
    assert (
        pattern.render({"m": 'x"', "s": "'"}) == "SELECT * FROM \"pre_x\\\"\" WHERE s = 'a \\' b'"
    )


def test_a_placeholder_used_twice_is_escaped_for_each_place():
    pattern = Pattern("p", "SELECT \"{x}\" FROM m WHERE s = '{x}'")
    assert pattern.params == ("x",)
    assert pattern.render({"x": "a'b"}) == "SELECT \"a\\'b\" FROM m WHERE s = 'a\\'b'"
    with pytest.raises(ValueError, match="not quoted"):
        Pattern("p", 'SELECT "{x}" FROM m WHERE v = {x}').render({"x": "a'b"})


def test_braces_are_written_doubled():
    pattern = Pattern("p", 'SELECT * FROM "{{{m}}}"')
    assert pattern.render({"m": "x"}) == 'SELECT * FROM "{x}"'


# -- templates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("SELECT * FROM {}", "plain names"),
        ("SELECT * FROM {0}", "plain names"),
        ("SELECT * FROM {m.__class__}", "plain names"),
        ("SELECT * FROM {m[0]}", "plain names"),
        ("SELECT * FROM {m!r}", "plain names"),
        ("SELECT * FROM {m:>9}", "plain names"),
        ("SELECT * FROM m -- {x}", "inside a line comment"),
        ("SELECT * FROM m /* {x} */", "inside a block comment"),
        ("SELECT * FROM m WHERE t =~ /{x}/", "inside a regex"),
        ("SELECT * FROM /{x}/", "inside a regex"),
        ("SELECT /{x}/ FROM m", "inside a regex"),
        ("SELECT * FROM m GROUP BY /{x}/", "inside a regex"),
        ("SELECT * FROM m WHERE s = '\\{x}'", "cannot follow a backslash"),
        ("SELECT * FROM m WHERE s = '{x}", "unterminated"),
        ('SELECT * FROM "{x}', "unterminated"),
        ("SELECT * FROM m /* x", "unterminated"),
        ("SELECT * FROM {x", "expected '}'"),
        ("SELECT * FROM x}", "Single '}'"),
    ],
)
def test_malformed_templates_are_refused_when_made(template, message):
    with pytest.raises(ValueError, match=rf"query pattern 'p'.*{message}"):
        Pattern("p", template)


def test_quotes_inside_comments_and_regexes_do_not_change_how_values_are_filled():
    # Had the lexer taken these quotes for string starts, {x} would be escaped as a string
    # but read unquoted by the server: here it is held to the unquoted rule.
    for template in [
        "SELECT * FROM m WHERE t =~ /it's/ AND v = {x}",
        "SELECT * FROM m -- it's\nWHERE v = {x}",
        "SELECT * FROM m /* it's */ WHERE v = {x}",
        "SELECT * FROM m WHERE t =~ /a\\/'/ AND v = {x}",
        'SELECT * FROM "db"."rp"./it\'s/ WHERE v = {x}',
    ]:
        pattern = Pattern("p", template)
        with pytest.raises(ValueError, match="not quoted"):
            pattern.render({"x": "1; DROP DATABASE keep"})


def test_a_division_is_not_taken_for_a_regex():
    pattern = Pattern("p", "SELECT v / {n}, \"v\" / 2 / {n}, (v) / {n} FROM m WHERE s = '{s}'")
    assert pattern.render({"n": 2, "s": "it's"}) == (
        "SELECT v / 2, \"v\" / 2 / 2, (v) / 2 FROM m WHERE s = 'it\\'s'"
    )


def test_pattern_names_must_be_identifiers():
    for name in ["", "1x", "a-b", "class", None]:
        with pytest.raises(ValueError, match="must be a Python identifier"):
            Pattern(name, "SHOW DATABASES")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a str, got bytes"):
        Pattern("p", b"SHOW DATABASES")  # type: ignore[arg-type]


# -- binding arguments ------------------------------------------------------------------

WHERE = Pattern("where", 'SELECT "{field}" FROM "{db}".."{m}" WHERE host = \'{host}\'')


def test_positional_arguments_fill_placeholders_in_order_with_db_last():
    assert WHERE.params == ("field", "m", "host", "db")
    assert WHERE.bind(["f", "cpu", "a"], {}, db="d") == {
        "field": "f",
        "m": "cpu",
        "host": "a",
        "db": "d",
    }
    assert WHERE.bind(["f", "cpu", "a", "other"], {}, db="d")["db"] == "other"


def test_keywords_and_positionals_mix():
    values = WHERE.bind(["f", "cpu"], {"host": "a", "db": "x"}, db="d")
    assert values == {"field": "f", "m": "cpu", "host": "a", "db": "x"}
    values = WHERE.bind(["f", "a"], {"m": "cpu"}, db="d")
    assert values == {"field": "f", "m": "cpu", "host": "a", "db": "d"}


def test_missing_argument_is_named():
    with pytest.raises(TypeError, match=r"where\(\) missing argument 'host'"):
        WHERE.bind(["f", "cpu"], {}, db="d")
    with pytest.raises(TypeError, match=r"missing argument 'field'"):
        WHERE.bind([], {"m": "cpu", "host": "a"}, db="d")


def test_missing_database_is_a_value_error():
    with pytest.raises(ValueError, match=r"where\(\) needs a database"):
        WHERE.bind(["f", "cpu", "a"], {}, db=None)
    with pytest.raises(ValueError, match=r"drop_measurement\(\) needs a database"):
        InfluxDBClient().drop_measurement("m")
    with pytest.raises(TypeError, match="db must be a str, got int"):
        WHERE.bind(["f", "cpu", "a", 3], {}, db=None)


def test_unknown_and_surplus_arguments_are_refused():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'hots'.*field, m, host"):
        WHERE.bind(["f", "cpu"], {"hots": "a"}, db="d")
    with pytest.raises(TypeError, match=r"takes the arguments field, m, host, db, got 5"):
        WHERE.bind(["f", "cpu", "a", "d", "e"], {}, db="d")
    with pytest.raises(TypeError, match="takes no arguments, got 1"):
        Pattern("show_databases", "SHOW DATABASES").bind(["x"], {})


# -- the built-in patterns as methods ---------------------------------------------------


def test_every_builtin_pattern_is_a_documented_method():
    client = InfluxDBClient()
    for name, pattern in PATTERNS.items():
        assert name in dir(client)
        for method in (getattr(client, name), getattr(InfluxDBClient, name)):
            assert method.__name__ == name
            assert pattern.template in method.__doc__
        assert list(inspect.signature(getattr(client, name)).parameters) == [
            *pattern.params,
            "options",
        ]
        assert list(inspect.signature(getattr(InfluxDBClient, name)).parameters) == [
            "self",
            *pattern.params,
            "options",
        ]


def test_builtin_database_arguments_come_last_and_default():
    for pattern in PATTERNS.values():
        if "db" in pattern.params:
            assert pattern.params[-1] == "db"
            assert inspect.signature(pattern_method(pattern)).parameters["db"].default is None


def pattern_method(pattern):
    return getattr(InfluxDBClient(), pattern.name)


def test_the_docs_page_lists_every_pattern_with_its_influxql():
    page = (Path(__file__).resolve().parent.parent / "docs" / "queries.rst").read_text()
    for name, pattern in PATTERNS.items():
        assert f"``{name}(" in page
        assert f"``{pattern.template}``" in page
    for name in HELPERS_09:
        plain, measured = helper_influxql(name)
        assert f"``{name}(" in page
        assert f"``{plain}``" in page
        if measured is not None:
            assert measured == plain.replace(
                " WITH KEY", ' FROM "{measurement}" WITH KEY'
            ) or measured == (plain + ' FROM "{measurement}"')


def test_a_pattern_method_must_be_named_after_its_pattern():
    def run(self, pattern, *args, **kwargs):
        return pattern.render(pattern.bind(args, kwargs))

    class Client:
        pick = PatternMethod(run, Pattern("pick", "SELECT {f} FROM m"))

    assert Client().pick("x") == "SELECT x FROM m"
    assert Client.pick(Client(), f="y") == "SELECT y FROM m"
    with pytest.raises(ValueError, match="pattern 'pick' assigned to attribute 'other'"):
        PatternMethod(run, Pattern("pick", "SHOW USERS")).__set_name__(Client, "other")


def test_user_pattern_docstring_shows_its_template():
    pattern = Pattern("p", 'SELECT * FROM "{m}"', "Read m.")
    assert pattern.doc.startswith("Read m.\n")
    assert '    SELECT * FROM "{m}"' in pattern.doc
    assert "A user-defined query pattern." in Pattern("p", "SHOW USERS").doc


# -- the helpers of aioinflux 0.9 --------------------------------------------------------

#: aioinflux 0.9.0's helpers as its client.py defines them: (positional parameters, defaults)
HELPERS_09 = {
    "create_database": ["db=None"],
    "drop_database": ["db=None"],
    "drop_measurement": ["measurement"],
    "show_databases": [],
    "show_measurements": [],
    "show_users": [],
    "show_series": ["measurement=None"],
    "show_tag_keys": ["measurement=None"],
    "show_field_keys": ["measurement=None"],
    "show_tag_values": ["key", "measurement=None"],
    "show_retention_policies": [],
    "show_continuous_queries": [],
}


def helper_influxql(name, measurement="{measurement}"):
    """The InfluxQL helper ``name`` sends, its arguments named as placeholders (``{db}``),
    without and (None if it takes none) with a measurement."""
    client = InfluxDBClient(db="{db}")
    client.query = lambda q, **options: q  # what would be sent, without sending it
    method = getattr(client, name)
    arguments = ["{key}"] if name == "show_tag_values" else []
    if name in ("create_database", "drop_database"):
        return method(), None
    if name == "drop_measurement":
        return method("{measurement}"), None
    if "measurement" not in inspect.signature(method).parameters:
        return method(*arguments), None
    return method(*arguments), method(*arguments, measurement)


def test_the_09_helpers_take_09s_positional_parameters_and_db_by_keyword():
    for name, positional in HELPERS_09.items():
        params = list(inspect.signature(getattr(InfluxDBClient, name)).parameters.values())
        assert params[0].name == "self"
        ours = [
            p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
            for p in params[1:]
            if p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        assert ours == positional, name
        assert params[-1].kind is inspect.Parameter.VAR_KEYWORD  # query()'s options
        keyword_only = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
        takes_db = 'ON "{db}"' in helper_influxql(name)[0] or name == "drop_measurement"
        assert keyword_only == (["db"] if takes_db and positional != ["db=None"] else []), name


def test_the_measurement_of_a_helper_picks_the_statement():
    assert helper_influxql("show_tag_values")[0] == 'SHOW TAG VALUES ON "{db}" WITH KEY = "{key}"'
    assert helper_influxql("show_series", "")[1] == 'SHOW SERIES ON "{db}"'  # as 0.9
    assert helper_influxql("show_tag_values", "cpu")[1] == (
        'SHOW TAG VALUES ON "{db}" FROM "cpu" WITH KEY = "{key}"'
    )
    assert helper_influxql("show_series", 'x" ; DROP DATABASE "y')[1] == (
        'SHOW SERIES ON "{db}" FROM "x\\" ; DROP DATABASE \\"y"'
    )


@pytest.mark.parametrize("name", ["show_series", "show_tag_keys", "show_field_keys"])
@pytest.mark.parametrize("measurement", ["/cpu.*/", '"cpu"'])
def test_influxql_where_09_took_it_unquoted_is_refused(name, measurement):
    # 0.9 wrote these measurements into the statement as they were: `/cpu.*/` was a regex
    with pytest.raises(ValueError, match=rf"{name}\(\): measurement .* is InfluxQL"):
        getattr(InfluxDBClient(db="d"), name)(measurement)
    # show_tag_values quoted it in 0.9 already: a measurement of that name, as before
    quoted = measurement.replace('"', '\\"')
    assert helper_influxql("show_tag_values", measurement)[1] == (
        f'SHOW TAG VALUES ON "{{db}}" FROM "{quoted}" WITH KEY = "{{key}}"'
    )


#: The signature of each 0.9 helper, as ``inspect.signature`` shows it on the class.
HELPER_SIGNATURES_09 = {
    "create_database": "(self, db: 'str | None' = None, **options: 'Any') -> 'Any'",
    "drop_database": "(self, db: 'str | None' = None, **options: 'Any') -> 'Any'",
    "drop_measurement": "(self, measurement: 'str', *, db: 'str | None' = None, **options: 'Any') -> 'Any'",
    "show_databases": "(self, **options: 'Any') -> 'Any'",
    "show_measurements": "(self, *, db: 'str | None' = None, **options: 'Any') -> 'Any'",
    "show_users": "(self, **options: 'Any') -> 'Any'",
    "show_series": "(self, measurement: 'str | None' = None, *, db: 'str | None' = None, **options: 'Any') -> 'Any'",
    "show_tag_keys": "(self, measurement: 'str | None' = None, *, db: 'str | None' = None, **options: 'Any') -> 'Any'",
    "show_field_keys": "(self, measurement: 'str | None' = None, *, db: 'str | None' = None, **options: 'Any') -> 'Any'",
    "show_tag_values": "(self, key: 'str', measurement: 'str | None' = None, *, db: 'str | None' = None, **options: 'Any') -> 'Any'",
    "show_retention_policies": "(self, *, db: 'str | None' = None, **options: 'Any') -> 'Any'",
    "show_continuous_queries": "(self, **options: 'Any') -> 'Any'",
}


def test_the_signature_of_each_09_helper_is_pinned():
    for name, signature in HELPER_SIGNATURES_09.items():
        method = getattr(InfluxDBClient, name)
        assert str(inspect.signature(method)) == signature, name
        assert method.__name__ == name
        assert method.__qualname__ == f"InfluxDBClient.{name}"
        assert method.__doc__.startswith(method.__doc__.split(":")[0])
        assert f"``{helper_influxql(name)[0].split(' ON ')[0]}" in " ".join(method.__doc__.split())


def test_a_wrong_call_of_an_09_helper_is_a_type_error_naming_it():
    client = InfluxDBClient(db="x")
    with pytest.raises(TypeError, match=r"show_tag_values\(\) missing a required argument: 'key'"):
        client.show_tag_values()
    with pytest.raises(TypeError, match=r"create_database\(\) too many positional arguments"):
        client.create_database("a", "b")
    with pytest.raises(TypeError, match=r"show_series\(\) too many positional arguments"):
        client.show_series("cpu", "x")
