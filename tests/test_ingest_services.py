"""Session services and referrals exports: names to services and referral types, unknown and rare
names, quarantine reasons, identifiers dropped, the re-export rule, the new processed files."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from forecasting.config import Config, IngestConfig, from_dict
from forecasting.errors import ConfigError
from forecasting.ingest import (
    configured_services,
    ingest,
    ingest_exports,
    load_referrals,
    load_service_sessions,
    read_file,
    write_processed,
)
from forecasting.ingest.services import service_names
from forecasting.layout import DataLayout
from forecasting.report.ingest_text import files_sentence

TODAY = date(2025, 6, 30)
THREE = from_dict(
    {
        "services": {
            "deep_tissue": {"drivers": ["fracture_immobilisation"], "session_minutes": 45},
            "post_injury": {"drivers": ["injury"], "session_minutes": 30},
        }
    }
)
# service as written -> the service it is (None: no service knows it)
NAMES = {
    "MLD": "mld",
    "Manual lymph drainage": "mld",
    "Lymphatic drainage": "mld",
    "Lymphatic Drainage Massage": "mld",
    "Deep tissue": "deep_tissue",
    "Deep tissue massage": "deep_tissue",
    "Myofascial release": "deep_tissue",
    "MFR 45 min": "deep_tissue",
    "Scar massage": "scar",
    "Scar tissue massage": "scar",
    "Sports massage": "post_injury",
    "Post-injury massage": "post_injury",
    "Swedish Massage": "wellness",
    "Hot stone massage": "wellness",
    "Cupping": None,
    "Jane Smith": None,
}


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _sessions(rows: list[tuple[str, str, str]]) -> str:
    body = "".join(f"{d},a,{name},{status},P{i}\n" for i, (d, name, status) in enumerate(rows))
    return "date,clinic_id,service,status,patient_id\n" + body


@pytest.mark.parametrize(("written", "service"), list(NAMES.items()))
def test_built_in_service_names(written, service):
    names = service_names(IngestConfig(), configured_services(THREE))
    assert names.configured == ("mld", "deep_tissue", "post_injury")
    assert names.map(pd.Series([written])).iloc[0] == service


def test_configured_names_come_first_and_add_services():
    config = from_dict(
        {
            "services": {
                "deep_tissue": {"names": ["DTM"]},
                "hand_therapy": {"names": ["hand therapy"], "skill": "hand"},
                "mld": {"names": ["Vodder"]},
            }
        }
    )
    names = service_names(config.ingest, configured_services(config))
    written = pd.Series(["DTM 60", "ADTM", "Hand therapy (post-op)", "Vodder method", "Sports"])
    want = ["deep_tissue", None, "hand_therapy", "mld", "post_injury"]
    assert names.map(written).tolist() == want
    assert names.configured == ("mld", "deep_tissue", "hand_therapy")


def test_sessions_by_service_unknown_and_rare_names(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [("2025-03-03", name, "attended") for name in NAMES if name not in ("Cupping",)]
    rows += [("2025-03-04", "Cupping", "attended")] * 6  # listed: 6 rows
    rows += [("2025-03-04", "Deep tissue", "no_show"), ("2025-03-05", "Deep tissue", "cancelled")]
    rows += [("2025-03-11", "MLD", "attended"), ("2025-03-11", "", "attended")]
    _write(raw / "sessions_a.csv", _sessions(rows))
    result = ingest(raw, THREE.ingest, TODAY, services=configured_services(THREE))
    (entry,) = result.manifest.records()
    assert entry["services_unknown"] == {"Cupping": 6}
    assert entry["service_names_withheld"] == 1  # Jane Smith: counted, never written
    assert entry["services_not_configured"] == {"scar": 2, "wellness": 2}
    assert entry["rows_quarantined"] == 6 + 1 + 1  # Cupping, Jane Smith, the empty service
    reasons = result.files[0].quarantined.set_index("line")["reason"]
    assert reasons.value_counts().to_dict() == {
        "service names no known service (add the name to [services.<name>] names in "
        "lymphcast.toml)": 7,
        "service is empty": 1,
    }
    # rows_not_counted: scar, wellness (4) and the cancelled deep tissue row
    assert entry["rows_not_counted"] == 5
    weekly = result.service_sessions_weekly.set_index(["service", "week"])["sessions"]
    monday, next_monday = pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-10")
    assert weekly.to_dict() == {
        ("deep_tissue", monday): 4 + 1,  # four names, and a no-show holds the hour too
        ("mld", monday): 4,
        ("mld", next_monday): 1,
        ("post_injury", monday): 2,
    }
    mld = result.sessions_weekly.set_index("week")["sessions"].to_dict()
    assert mld == {monday: 4, next_monday: 1}
    text = json.dumps(result.manifest.records())
    assert "Jane Smith" not in text and "Cupping" in text
    sentence = files_sentence(result.manifest.records())
    assert '"Cupping" (6 rows) and 1 rarer name (not shown)' in sentence
    assert "scar (2 rows), wellness (2 rows)" in sentence
    assert "Jane Smith" not in sentence


def test_mld_only_config_counts_other_services_without_staffing_them(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [("2025-03-03", n, "attended") for n in ("MLD", "Deep Tissue Massage", "Sports massage")]
    _write(raw / "sessions_a.csv", _sessions(rows))
    result = ingest(raw, IngestConfig(), TODAY)
    (entry,) = result.manifest.records()
    assert entry["services_not_configured"] == {"deep_tissue": 1, "post_injury": 1}
    assert entry["rows_quarantined"] == 0 and entry["rows_not_counted"] == 2
    assert result.service_sessions_weekly["service"].tolist() == ["mld"]
    pd.testing.assert_frame_equal(
        result.service_sessions_weekly.drop(columns="service"), result.sessions_weekly
    )


def test_a_sessions_export_without_a_service_column_is_mld(tmp_path):
    path = _write(tmp_path / "sessions_b.csv", "date,clinic_id\n2025-03-03,b\n2025-03-04,b\n")
    result = read_file(path, IngestConfig(), TODAY, configured_services(THREE))
    assert result.rows_accepted == 2 and result.notes["rows_not_counted"] == 0
    assert set(result.accepted["service"]) == {"mld"}


REFERRALS = (
    "Referral Date,Clinic,Reason,Cast Removal,Start After,Qty,Patient Name,MRN\n"
    "2025-03-03,a,Distal radius fracture,2025-04-14,,1,Ann Poe,M1\n"  # driver: cast removal
    "04-Mar-2025,a,Cast removal,,,2,Bo Roe,M2\n"  # driver: the referral date
    "2025-03-05,a,Immobilisation (brace),2025-07-21,,1,Cy Doe,M3\n"  # still ahead: scheduled
    "2025-03-05,a,Ankle sprain,,2025-03-10,1,Di Loe,M4\n"  # driver: start_after
    "2025-03-06,a,Whiplash,,,1,Ed Moe,M5\n"
    "2025-03-06,a,Sports injury,,,1,Fe Noe,M6\n"
    "2025-03-07,a,Post-surgical scar,,2025-03-24,1,Gu Koe,M7\n"
    "2025-03-07,a,Scar,,,1,Ha Joe,M8\n"
    "2025-03-07,a,Knitting elbow,,,1,Io Hoe,M9\n"  # rare unknown: counted, not written
    "2025-07-01,a,Fracture,,,1,Jo Goe,M10\n"  # referral dated after today
    "2025-03-07,a,Fracture,soon,,1,Ka Foe,M11\n"  # unreadable cast removal date
    "2025-03-07,a,,,,1,La Eoe,M12\n"  # no referral type
    "2025-03-07,a,Fracture,2031-01-05,,1,Mo Doe,M13\n"  # cast removal years ahead
    "2025-03-07,a,Fracture,2025-04-14,,1,Ann Poe,M1\n"
    "2025-03-07,a,Fracture,2025-04-14,,1,Ann Poe,M1\n"  # the same row again: quarantined
)


def test_referrals_export(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw / "referrals_a.csv", REFERRALS)
    result = ingest(raw, IngestConfig(), TODAY)
    (entry,) = result.manifest.records()
    assert entry["kind"] == "referrals" and entry["identifier_columns_dropped"] == 2
    assert (entry["rows_read"], entry["rows_accepted"], entry["rows_quarantined"]) == (15, 9, 6)
    assert entry["referral_types_unknown"] == {} and entry["referral_type_names_withheld"] == 1
    reasons = result.files[0].quarantined.set_index("line")["reason"].to_dict()
    assert reasons == {
        10: "referral_type names no known referral type (fracture_immobilisation, injury, "
        "post_surgical_scar; add the name under [ingest.referral_synonyms])",
        11: "referral dated after today (date is the day of the referral; a later cast "
        "removal goes in immobilisation_end)",
        12: "immobilisation_end is not a date",
        13: "referral_type is empty",
        14: "immobilisation_end or start_after is more than 730 days after today "
        "(ingest.max_days_ahead)",
        16: "repeats an earlier row exactly (same patient)",
    }
    weekly = result.referrals_weekly.set_index(["referral_type", "week"])
    weekly = weekly[["referrals", "scheduled"]]
    got = {(t, str(w.date())): (r, s) for (t, w), (r, s) in weekly.iterrows()}
    # scheduled: the driver date is after the export's last referral (7 March): still ahead
    assert got == {
        ("fracture_immobilisation", "2025-03-03"): (2, 0),  # cast removal: the referral day
        ("fracture_immobilisation", "2025-04-14"): (0, 2),
        ("fracture_immobilisation", "2025-07-21"): (0, 1),
        ("injury", "2025-03-03"): (2, 0),
        ("injury", "2025-03-10"): (0, 1),  # start_after
        ("post_surgical_scar", "2025-03-03"): (1, 0),
        ("post_surgical_scar", "2025-03-24"): (0, 1),
    }
    processed = tmp_path / "processed"
    write_processed(result, processed)
    quarantine = (processed / "quarantine" / "referrals_a.csv").read_text()
    manifest = (processed / "ingest_manifest.json").read_text()
    for planted in ("Ann Poe", "Bo Roe", "M11"):  # patient identifiers: dropped at read
        assert planted not in quarantine + manifest
    assert "Knitting elbow" in quarantine and "Knitting" not in manifest  # a rare name
    pd.testing.assert_frame_equal(load_referrals(processed), result.referrals_weekly)


def test_referral_reexports_are_not_double_counted(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    head = "date,clinic_id,referral_type,count\n"
    _write(raw / "referrals_jan.csv", head + "2025-01-06,a,fracture,1\n2025-01-20,a,injury,1\n")
    _write(raw / "referrals_feb.csv", head + "2025-01-20,a,injury,2\n2025-02-03,a,scar,1\n")
    result = ingest(raw, IngestConfig(), TODAY)
    totals = result.referrals_weekly.groupby("referral_type")["referrals"].sum().to_dict()
    assert totals == {"fracture_immobilisation": 1, "injury": 2, "post_surgical_scar": 1}
    superseded = {f.name: f.notes.get("rows_superseded") for f in result.files}
    assert superseded == {"referrals_feb.csv": 0, "referrals_jan.csv": 1}


def test_referral_kind_from_columns_and_configured_synonyms(tmp_path):
    path = _write(
        tmp_path / "export_2025.csv",
        "referral_date,site,diagnosis,earliest_start\n2025-03-03,a,Frozen shoulder,2025-03-05\n",
    )
    config = IngestConfig(referral_synonyms={"injury": ["frozen shoulder"]})
    result = read_file(path, config, TODAY)
    assert result.kind == "referrals" and result.rows_accepted == 1
    assert result.accepted["referral_type"].tolist() == ["injury"]
    assert read_file(path, IngestConfig(), TODAY).rows_quarantined == 1
    with pytest.raises(ConfigError, match="ingest.referral_synonyms"):
        from_dict({"ingest": {"referral_synonyms": {"burns": ["burn"]}}})


def test_ingest_exports_uses_the_configured_services(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw / "sessions_a.csv", _sessions([("2025-03-03", "Deep tissue", "attended")] * 3))
    layout = DataLayout(raw=raw, processed=tmp_path / "p")
    ingest_exports(layout, THREE, TODAY)
    assert load_service_sessions(layout.processed)["service"].tolist() == ["deep_tissue"]
    assert pd.read_parquet(layout.sessions).empty  # no MLD session
    ingest_exports(layout, Config(), TODAY)
    assert load_service_sessions(layout.processed).empty  # deep tissue is not configured
    empty = load_referrals(layout.processed)
    assert empty.empty and list(empty.columns) == [
        "clinic_id", "referral_type", "week", "referrals", "scheduled",
    ]  # fmt: skip
