"""Corpus files that are binary, encoding-sensitive or huge, written at test time.

Committing them would be awkward (binary blobs, CRLF and Latin-1 bytes that editors and git
settings may rewrite, a 10,000-column file), so each case's files are generated here, seeded
where random. ``GENERATORS[case](directory)`` writes that case's files; the expected accounting
lives with the other cases in ``expected.toml``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
from openpyxl import Workbook


def _text(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> None:
    path.write_bytes(text.replace("\n", newline).encode(encoding))


def _xlsx(rows_by_sheet: dict[str, list[list]], merged: dict[str, list[str]] | None = None):
    book = Workbook()
    book.remove(book.active)
    for title, rows in rows_by_sheet.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cells in (merged or {}).get(title, []):
            sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def empty_file(d: Path) -> None:
    (d / "procedures_empty.csv").write_bytes(b"")


def binary_garbage(d: Path) -> None:
    rng = np.random.default_rng(3)
    (d / "procedures_garbage.csv").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())


def nul_bytes(d: Path) -> None:
    """A damaged write: NUL bytes inside two rows and one line of NULs; the rest is fine."""
    rows = [b"date,clinic_id,procedure,patient_name"]
    rows += [b"2025-03-03,north,BBL,Zelda Quixote" + bytes([48 + i]) for i in range(3)]
    rows += [b"2025-03-04,nor\x00th,BBL,Zelda Quixote", b"\x00" * 40]
    rows += [b"2025-03-05,north,Lipo\x00\x00,Zelda Quixote", b"2025-03-06,north,Lipo,Zelda Q"]
    (d / "procedures_nul.csv").write_bytes(b"\n".join(rows) + b"\n")
    utf16 = "date,clinic_id,procedure\n2025-03-03,north,BBL\n".encode("utf-16-le")
    (d / "procedures_utf16_no_bom.csv").write_bytes(utf16)  # NULs on every line: not text


def broken_xlsx(d: Path) -> None:
    whole = _xlsx({"Procedures": [["date", "clinic_id", "procedure"], ["2025-03-03", "n", "BBL"]]})
    (d / "procedures_truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    _text(d / "procedures_fake.xlsx", "date,clinic_id,procedure\n2025-03-03,north,BBL\n")


def semicolon_crlf(d: Path) -> None:
    _text(
        d / "procedures_semicolon.csv",
        "Date of Service;Clinic;Procedure Name;Status;MRN;First Name;Last Name;DOB\n"
        "03/13/2025;north;Lipo 360;Completed;Q-MRN-48213;Zelda;Quixote;04/07/1961\n"
        "03/14/2025;north;Tummy Tuck;Completed;Q-MRN-48214;Yorick;Vantablack;11/12/1958\n"
        "03/14/2025;north;Mastopexy;Scheduled;Q-MRN-48215;Zelda;Quixote;04/07/1961\n",
        newline="\r\n",
    )


def utf8_bom(d: Path) -> None:
    _text(
        d / "procedures_bom.csv",
        "Date,Clinic ID,Procedure,Qty,Patient ID\n"
        "2025-03-03,north,BBL,2,Q-MRN-48213\n"
        "2025-03-04,north,Liposuction,1,Q-MRN-48214\n",
        encoding="utf-8-sig",
    )


def latin1_names(d: Path) -> None:
    _text(
        d / "procedures_latin1.csv",
        "Date;Clinic;Procedure;Paciente\n"
        "2025-03-03;Clínica Sur;Liposucción;José Muñoz\n"
        "2025-03-04;Clínica Sur;Abdominoplastia;Åsa Öberg\n",
        encoding="latin-1",
    )


def utf16_text(d: Path) -> None:
    _text(
        d / "sessions_unicode.txt",
        "Date\tClinic\tService\tStatus\tPatient Name\n"
        "2025-03-03\tnorth\tMLD\tAttended\tZelda Quixote\n"
        "2025-03-04\tnorth\tMLD\tNo Show\tÅsa Öberg\n",
        encoding="utf-16",
    )


def xlsx_title_row(d: Path) -> None:
    rows = [
        ["Clinic export: March 2025"],
        [],
        ["Surgery Date", "Site", "Procedure Type", "Qty", "Patient Name"],
        [datetime(2025, 3, 3), "north", "Liposuction", 1, "Zelda Quixote"],
        [datetime(2025, 3, 4), "north", "BBL", -1, "Yorick Vantablack"],
        [datetime(2025, 3, 5), "north", "BBL", 2, "Zelda Quixote"],
    ]
    (d / "procedures_title.xlsx").write_bytes(_xlsx({"Export": rows}))


def xlsx_merged_header(d: Path) -> None:
    rows = [
        ["Visit", None, None, "Patient", None],
        ["Date", "Clinic", "Procedure", "Name", "DOB"],
        [datetime(2025, 3, 3), "north", "Tummy Tuck", "Zelda Quixote", datetime(1961, 4, 7)],
        [datetime(2025, 3, 4), "north", "Lipo 360", "Yorick Vantablack", datetime(1958, 11, 12)],
    ]
    data = _xlsx({"Sheet1": rows}, merged={"Sheet1": ["A1:C1", "D1:E1"]})
    (d / "procedures_merged.xlsx").write_bytes(data)


def xlsx_serial_dates_named_sheet(d: Path) -> None:
    sheets = {
        "Summary": [["Total appointments", 3]],
        "Sessions": [
            ["Date", "Clinic", "Service", "Status", "Patient ID"],
            [45719, "north", "MLD", "Attended", "Q-MRN-48213"],  # 2025-03-03
            [45720.0, "north", "MLD", "No Show", "Q-MRN-48214"],
            [45727, "north", "Lymph drainage", "Attended", "Q-MRN-48213"],  # 2025-03-11
        ],
    }
    (d / "export_march.xlsx").write_bytes(_xlsx(sheets))


def ten_thousand_column_row(d: Path) -> None:
    wide = "2025-03-04,north,BBL,1," + ",".join(["x"] * 9996)
    _text(
        d / "procedures_wide_row.csv",
        "date,clinic_id,procedure,count\n"
        f"2025-03-03,north,Liposuction,1\n{wide}\n2025-03-05,north,BBL,1\n",
    )


def ten_thousand_column_header(d: Path) -> None:
    extra = [f"extra_{i:04d}" for i in range(9995)]
    header = ",".join(["date", "clinic_id", "service", "status", "Patient Name", *extra])
    rows = [
        ",".join(["2025-03-03", "north", "MLD", "attended", "Zelda Quixote", *["0"] * 9995]),
        ",".join(["2025-03-04", "north", "MLD", "attended", "Yorick Vantablack", *[""] * 9995]),
    ]
    _text(d / "sessions_wide.csv", "\n".join([header, *rows]) + "\n")


def unsupported_files(d: Path) -> None:
    (d / "procedures_old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    (d / "notes.pdf").write_bytes(b"%PDF-1.4\n% Zelda Quixote\n")
    _text(d / "sessions_ok.csv", "date,clinic_id,service\n2025-03-03,north,MLD\n")


def csv_that_is_xlsx(d: Path) -> None:
    rows = [["date", "clinic_id", "procedure"], ["2025-03-03", "north", "BBL"]]
    (d / "procedures_mislabelled.csv").write_bytes(_xlsx({"Procedures": rows}))


def classic_mac_line_endings(d: Path) -> None:
    _text(
        d / "procedures_mac.csv",
        "date,clinic_id,procedure\n2025-03-03,north,BBL\n2025-03-04,north,BBL\n",
        newline="\r",
    )


GENERATORS: dict[str, Callable[[Path], None]] = {
    f.__name__: f
    for f in (
        empty_file, binary_garbage, nul_bytes, broken_xlsx, semicolon_crlf, utf8_bom, latin1_names,
        utf16_text, xlsx_title_row, xlsx_merged_header, xlsx_serial_dates_named_sheet,
        ten_thousand_column_row, ten_thousand_column_header, unsupported_files,
        csv_that_is_xlsx, classic_mac_line_endings,
    )
}  # fmt: skip
