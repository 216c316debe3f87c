"""Reading CSV and Parquet: only the needed columns, typed, and precise errors on bad data."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops_ci.config.model import ColumnSpec
from mlops_ci.data.reader import raise_for_bad_values, read_header, read_table
from mlops_ci.errors import InputProblems, UserError
from tests.data.helpers import write_csv

HOSTILE = "<img src=x onerror=alert(1)>|`x`*_[a](b)"


def test_reads_only_the_requested_columns_with_their_dtypes(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", "a,b,c,d\n1,x,2.5,true\n2,y,3.5,false\n")
    specs = {"a": ColumnSpec("a", "float"), "b": ColumnSpec("b", "category")}
    table = read_table(read_header(path), ["b", "a"], specs)
    assert table.arrow.column_names == ["a", "b"] or set(table.arrow.column_names) == {"a", "b"}
    assert table.column("a").type == pa.float64()
    assert pa.types.is_dictionary(table.column("b").type)
    assert table.rows == 2


def test_an_empty_file_is_a_user_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "empty.csv", "")
    with pytest.raises(UserError, match=r"empty\.csv: the file is empty \(0 bytes\)"):
        read_header(path)


def test_a_blank_header_line_is_a_user_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "blank.csv", "\n1,2\n")
    with pytest.raises(UserError, match=r"blank\.csv:1: the header line is empty"):
        read_header(path)


def test_a_missing_column_names_the_file_and_the_column(tmp_path: Path) -> None:
    header = read_header(write_csv(tmp_path / "d.csv", "a,b\n1,2\n"))
    with pytest.raises(InputProblems) as caught:
        read_table(header, ["a", "churned"])
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(header.path), 1, "churned")
    assert problem.message == "requested column 'churned' is not in the file"
    assert "'a', 'b'" in (problem.hint or "")


def test_unparseable_values_are_listed_with_their_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", "id,age\n1,30\n2,abc\n3,\n4,x1\n5,40\n")
    table = read_table(read_header(path), ["id", "age"], {"age": ColumnSpec("age", "int")})
    (bad,) = table.bad_values
    assert (bad.column, bad.count, bad.examples, bad.lines) == ("age", 2, ("abc", "x1"), (3, 5))
    assert table.column("age").to_pylist() == [30, None, None, None, 40]
    with pytest.raises(InputProblems) as caught:
        raise_for_bad_values(table)
    (problem,) = caught.value.problems
    assert problem.format() == (
        f"{path}:3:2: age: 2 values are not int: 'abc' (line 3), 'x1' (line 5)"
    )


def test_unparseable_floats_and_bools(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", "f,b\n1.5,true\n1e3,maybe\n1,2\ninf,0\n")
    specs = {"f": ColumnSpec("f", "float"), "b": ColumnSpec("b", "bool")}
    table = read_table(read_header(path), ["f", "b"], specs)
    assert [(b.column, b.examples, b.lines) for b in table.bad_values] == [
        ("b", ("maybe", "2"), (3, 4))
    ]
    assert table.column("f").to_pylist() == [1.5, 1000.0, 1.0, float("inf")]


def test_a_utf8_byte_order_mark_is_accepted_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfage,plan\n1,basic\n")
    header = read_header(path)
    assert header.columns == ("age", "plan")
    assert header.bom
    assert read_table(header, ["age"]).column("age").to_pylist() == [1]


def test_a_utf16_file_is_reported_as_such(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("a,b\n1,2\n".encode("utf-16"))
    with pytest.raises(UserError, match=r"u16\.csv: the file is UTF-16 encoded"):
        read_header(path)


def test_invalid_utf8_names_the_line_byte_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"a,b\n1,x\n2,caf\xe9\n")  # 0xE9 at offset 13: line 3, 6th byte
    with pytest.raises(UserError) as caught:
        read_table(read_header(path), ["a", "b"])
    assert caught.value.message == (
        f"{path}:3:6: the file is not valid UTF-8: byte 0xE9 at offset 13 "
        "(line 3, byte 6 of the line)"
    )


def test_invalid_utf8_after_a_character_split_across_scan_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    head = b"a,b\n"
    filler = b"1,x\n" * ((1 << 20) // 4 - 1) + b"1,"  # ends 2 bytes before the 1 MiB mark
    body = head + filler + "\u00e9".encode() * 3 + b"\n2,\xff\n"
    path.write_bytes(body)
    with pytest.raises(UserError) as caught:
        read_table(read_header(path), ["a", "b"])
    lines = body.count(b"\n") - 1 + 1  # the last newline ends line N, 0xFF is on line N
    assert f"offset {len(body) - 2}" in caught.value.message
    assert f"line {lines}, byte 3 of the line" in caught.value.message


def test_invalid_utf8_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b"na\xefve,b\n1,2\n")
    with pytest.raises(UserError, match=r"h\.csv:1:3: .*byte 0xEF at offset 2"):
        read_header(path)


def test_duplicate_header_names_are_reported_with_their_fields(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", "a,b,a\n1,2,3\n")
    with pytest.raises(InputProblems) as caught:
        read_header(path)
    assert caught.value.problems[0].message == (
        "column 'a' appears twice in the header (fields 1 and 3)"
    )


def test_a_row_with_too_many_fields_names_its_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", "a,b\n1,2\n3,4\n5,6,7\n")
    with pytest.raises(UserError, match=r"d\.csv:4: expected 2 fields as in the header, found 3"):
        read_table(read_header(path), ["a", "b"])


def test_a_hostile_column_name_is_kept_as_data(tmp_path: Path) -> None:
    quoted = HOSTILE.replace('"', '""')
    path = write_csv(tmp_path / "d.csv", f'"{quoted}",b\n1,2\n')
    header = read_header(path)
    assert header.columns == (HOSTILE, "b")
    assert read_table(header, [HOSTILE]).column(HOSTILE).to_pylist() == [1]


def test_parquet_reads_only_requested_columns_and_checks_types(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"age": ["12", "x", None, "7"], "other": [1, 2, 3, 4]}), path)
    header = read_header(path)
    assert header.columns == ("age", "other")
    table = read_table(header, ["age"], {"age": ColumnSpec("age", "int")})
    assert table.arrow.column_names == ["age"]
    (bad,) = table.bad_values
    assert (bad.count, bad.examples, bad.lines) == (1, ("x",), (2,))


def test_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fake.parquet", "a,b\n1,2\n")
    with pytest.raises(UserError, match=r"fake\.parquet: not a readable Parquet file"):
        read_header(path)


def test_an_unknown_extension_asks_for_a_format(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot tell the data format"):
        read_header(write_csv(tmp_path / "d.txt", "a\n1\n"))


def test_columns_not_requested_are_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"a,junk\n1,caf\xe9\n2,\xff\xfe\n")
    table = read_table(read_header(path), ["a"], {"a": ColumnSpec("a", "int")})
    assert table.arrow.column_names == ["a"] and table.bad_values == ()


def test_integers_too_large_for_int64_are_bad_values_with_their_lines(tmp_path: Path) -> None:
    biggest, smallest = str(2**63 - 1), str(-(2**63))
    path = write_csv(
        tmp_path / "d.csv",
        f"id\n1\n{'9' * 30}\n{biggest}\n{2**63}\n{smallest}\n-{'0' * 30}7\n{'9' * 5000}\n",
    )
    table = read_table(read_header(path), ["id"], {"id": ColumnSpec("id", "int")})
    (bad,) = table.bad_values
    assert (bad.count, bad.lines) == (3, (3, 5, 8))
    assert bad.examples[:2] == ("9" * 30, str(2**63))
    assert table.column("id").to_pylist() == [1, None, 2**63 - 1, None, -(2**63), -7, None]


def test_a_folder_named_like_a_data_file_is_named_as_a_folder(tmp_path: Path) -> None:
    (tmp_path / "train.csv").mkdir()
    with pytest.raises(UserError, match=r"train\.csv: a folder, not a data file"):
        read_header(tmp_path / "train.csv")


def test_an_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    rows = "".join(f"{n},x,y\n" for n in range(30_000))  # past the 128 KiB a field may hold
    path = write_csv(tmp_path / "d.csv", f'a,b,c\n1,x,y\n2,"open,y\n{rows}')
    with pytest.raises(UserError) as caught:
        read_table(read_header(path), ["a", "b", "c"])
    assert caught.value.message.startswith(f"{path}:3: not valid CSV")
    assert "the record starting on line 3 runs on" in (caught.value.hint or "")
