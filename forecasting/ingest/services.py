"""Session service names and referral type names -> their canonical names; unknown names counted.

A session export's ``service`` cell maps to a service by, in this order: the configured
``[services.<name>] names`` (the default service ``mld`` first, then the others by name),
``ingest.mld_services`` (MLD's names: substrings, any case, as ever), then the built-in
vocabulary of the other services (``vocabulary.DEFAULT_SERVICE_SYNONYMS``). A name that maps to
a service the configuration does not have is a real service that is not staffed: its rows are
accepted and counted per service in the manifest. A name that maps to no service is unknown:
its row is quarantined with the reason. Referral types map the same way (configured
``ingest.referral_synonyms`` first, then ``vocabulary.DEFAULT_REFERRAL_SYNONYMS``).

Unknown names are written (manifest, report) only with at least ``ingest.other_name_min_rows``
rows in the file; a rarer one may be a patient's name typed into the wrong column, so it is only
counted (``named_rows``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.config import DEFAULT_SERVICE, Config, IngestConfig
from forecasting.ingest.fields import squash
from forecasting.ingest.parse import match_names, name_needles
from forecasting.ingest.vocabulary import DEFAULT_REFERRAL_SYNONYMS, DEFAULT_SERVICE_SYNONYMS

__all__ = [
    "ServiceNames",
    "configured_services",
    "named_rows",
    "referral_needles",
    "service_names",
]

ONLY_DEFAULT: dict[str, list[str]] = {DEFAULT_SERVICE: []}  # no [services] tables: MLD alone


@dataclass(frozen=True)
class ServiceNames:
    """How one configuration maps session service names.

    Attributes:
        configured: The services the configuration has (staffed), ``mld`` first.
        needles: (service, needles) in the order they are checked.
    """

    configured: tuple[str, ...]
    needles: tuple[tuple[str, tuple[str, ...]], ...]

    def map(self, values: pd.Series) -> pd.Series:
        """The service per row (object dtype); None where no name matches (unknown)."""
        # several entries may name one service (configured names, then the built-in ones):
        # match_names takes a dict, so each entry gets a key of its own, mapped back after
        keyed = {f"{i}:{service}": needles for i, (service, needles) in enumerate(self.needles)}
        codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=False)
        matched = match_names(pd.Series(uniques, dtype=object), keyed)
        services = np.array(
            [None, *(k.split(":", 1)[1] if isinstance(k, str) else None for k in matched)],
            dtype=object,
        )
        return pd.Series(services[codes + 1], index=values.index, dtype=object)


def service_names(
    config: IngestConfig, services: Mapping[str, Sequence[str]] | None = None
) -> ServiceNames:
    """The service vocabulary of ``config`` and the configured ``services``.

    Args:
        config: Ingest settings (``mld_services``: MLD's names).
        services: Configured service -> its ``names`` (``configured_services``); None: ``mld``
            alone, as a configuration without ``[services]`` tables.
    """
    services = dict(ONLY_DEFAULT if services is None else services)
    order = [DEFAULT_SERVICE, *sorted(s for s in services if s != DEFAULT_SERVICE)]
    entries = [(s, name_needles(services.get(s, ()))) for s in order if services.get(s)]
    # MLD's names are substrings whatever their length (as the setting has always read them)
    entries.append((DEFAULT_SERVICE, tuple(k for n in config.mld_services if (k := squash(n)))))
    entries += [(s, needles) for s, needles in DEFAULT_SERVICE_SYNONYMS.items()]
    return ServiceNames(configured=tuple(order), needles=tuple(entries))


def configured_services(config: Config) -> dict[str, list[str]]:
    """Every service ``config`` has (``mld`` first) -> the names its table gives it."""
    return {name: list(service.names) for name, service in config.service_settings.items()}


def referral_needles(extra: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Needles per referral type: configured ones first (they win), then the built-in ones."""
    merged = {t: name_needles(extra.get(t, ())) + v for t, v in DEFAULT_REFERRAL_SYNONYMS.items()}
    configured = [t for t in extra if extra[t]]
    return {t: merged[t] for t in [*configured, *(t for t in merged if t not in configured)]}


def named_rows(names: pd.Series, min_rows: int) -> tuple[dict[str, int], int]:
    """Rows per name for the names seen in at least ``min_rows`` rows, and how many rarer
    names there were (counted, never written)."""
    counts = names.astype(str).value_counts()
    named = counts >= min_rows
    listed = {str(n): int(r) for n, r in sorted(counts[named].items())}
    return listed, int((~named).sum())
