from pathlib import Path

import pytest

from forecasting.config import Config, from_dict, load_config
from forecasting.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_toml_equals_defaults():
    """Every setting the shipped file writes is the default; only its example scenarios (which
    name no clinic, so they apply to any network) and the demo's two services besides MLD
    (deep tissue after immobilisation, post-injury massage) are extra."""
    shipped = load_config(ROOT / "lymphcast.toml")
    services = shipped.service_settings
    assert list(services) == ["mld", "deep_tissue", "post_injury"]
    assert services["deep_tissue"].drivers == ["fracture_immobilisation"]
    assert services["post_injury"].drivers == ["injury"]
    assert shipped.services["deep_tissue"].session_minutes == 45
    assert shipped.services["post_injury"].session_minutes == 30
    skills = {**Config().ingest.skill_synonyms, "deep_tissue": [], "post_injury": []}
    assert shipped.ingest.skill_synonyms == skills  # each service's skill is a roster skill
    without = shipped.model_copy(
        update={
            "scenarios": {},
            "services": {},
            "ingest": shipped.ingest.model_copy(
                update={"skill_synonyms": Config().ingest.skill_synonyms}
            ),
        }
    )
    assert without == Config()
    assert list(shipped.scenarios) == ["lipo-campaign", "shorter-sessions"]
    assert all(s.at == "network" for sc in shipped.scenarios.values() for s in sc.scale)
    assert not any(sc.open or sc.leaves or sc.joins for sc in shipped.scenarios.values())


def test_none_gives_defaults():
    cfg = load_config(None)
    assert cfg.staffing.service_level == 0.8
    assert set(cfg.pathways) == {
        "liposuction",
        "abdominoplasty",
        "bbl",
        "breast_reduction",
        "other",
    }


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"staffing": {"service_level": 1.5}}, "staffing.service_level"),
        ({"pathways": {"liposuction": {"uptake": 1.2, "sessions_by_week": [1]}}}, "uptake"),
        ({"pathways": {"bbl": {"uptake": 0.5, "sessions_by_week": [1, -2]}}}, "sessions_by_week"),
        ({"pathways": {"facelift": {"uptake": 0.5, "sessions_by_week": [1]}}}, "pathways"),
        ({"horizon_weeks": 0}, "horizon_weeks"),
        ({"staffing": {"cost_short": 2.0}}, "staffing"),
        ({"unknown_key": 1}, "unknown_key"),
    ],
)
def test_bad_values_name_their_key(data, key):
    with pytest.raises(ConfigError, match=key):
        from_dict(data)


def test_partial_pathways_keep_other_defaults():
    cfg = from_dict({"pathways": {"bbl": {"uptake": 0.9, "sessions_by_week": [2, 2]}}})
    assert cfg.pathways["bbl"].weights == [1.8, 1.8]
    assert cfg.pathways["liposuction"] == Config().pathways["liposuction"]


def test_newsvendor_quantile():
    cfg = from_dict({"staffing": {"cost_short": 3.0, "cost_idle": 1.0}})
    assert cfg.staffing.target_quantile == pytest.approx(0.75)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_a_bad_choice_names_the_setting_and_every_allowed_value() -> None:
    with pytest.raises(ConfigError) as err:
        from_dict({"model": {"name": "prophett"}})
    message = str(err.value)
    assert "setting 'model.name' is invalid (got 'prophett')" in message
    assert "literal" not in message  # no pydantic internals
    for name in ("prophet", "ets", "seasonal_naive", "auto", "ensemble"):
        assert name in message
