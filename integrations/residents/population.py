"""A deterministic synthetic population for the registry simulator: each person derived from their index.

Households of four (head, spouse, two children) share an address and a household head; children carry
their parents as father and mother. The person's index is encoded in the six serial digits of their identity
number through a keyed Feistel permutation (so numbers look random), which lets a lookup find the person
without a table: read the serial, undo the permutation, rebuild person `index`, and check the whole number
matches. Older people also carry a 9-digit CMND that inverts the same way. Synthetic serials start with 1–9;
the few named residents of the demo (README, test fixtures) have serials starting with 0, so the two never
collide.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from engine.residents.identity import compose
from engine.residents.registry import Address, Relative, Resident
from integrations.residents.draws import Draw, Permutation
from integrations.residents.names import (
    ETHNICITIES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MIDDLE_FEMALE,
    MIDDLE_MALE,
    RELIGIONS,
    SURNAMES,
)
from integrations.residents.places import (
    COMMUNE_NAMES,
    PROVINCES,
    PROVINCES_BEFORE_2025,
    STREETS,
    commune_code,
)

HOUSEHOLD = 4
DEFAULT_SIZE = 120_000
DEFAULT_SEED = 2025
SERIAL_BASE, SERIAL_SPAN = 100_000, 900_000  # synthetic serials 100000 … 999999
LEGACY_BASE, LEGACY_SPAN = 100_000_000, 900_000_000  # synthetic CMND 100000000 … 999999999
LEGACY_UNTIL_YEAR = 2000  # people born by then were issued a 9-digit CMND in this data set
_SURNAMES, _SURNAME_WEIGHTS = zip(*SURNAMES, strict=True)
_ETHNICITIES, _ETHNICITY_WEIGHTS = zip(*ETHNICITIES, strict=True)
_RELIGIONS, _RELIGION_WEIGHTS = zip(*RELIGIONS, strict=True)
_PROVINCE_WEIGHTS = [p.weight for p in PROVINCES]

_Member = tuple[Relative, str, date, str]  # name and number, sex, birth date, birth-registration province


@dataclass(frozen=True)
class _Household:
    address: Address
    head: _Member
    spouse: _Member
    children: tuple[tuple[date, str], tuple[date, str]]  # birth date and birth-registration province
    father_surname: str
    home_town: str
    ethnicity: str
    religion: str


def _name(draw: Draw, surname: str, sex: str) -> str:
    middle, given = (MIDDLE_MALE, GIVEN_MALE) if sex == "Nam" else (MIDDLE_FEMALE, GIVEN_FEMALE)
    first = draw.pick(middle)
    last = draw.pick(given)
    return f"{surname} {first} {last if last != first else draw.pick(given)}"


class Population:
    """`size` people (a multiple of four) derived from `seed`; `find(number)` inverts without a table."""

    def __init__(self, size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> None:
        if size <= 0 or size % HOUSEHOLD or size > SERIAL_SPAN:
            raise ValueError(f"size must be a positive multiple of {HOUSEHOLD} up to {SERIAL_SPAN}")
        self.size = size
        self.seed = seed
        self._serials = Permutation(1000, SERIAL_SPAN, seed)
        self._legacies = Permutation(30_000, LEGACY_SPAN, seed + 1)
        self._household = lru_cache(maxsize=8192)(self._build_household)
        self._demo = {r.identity_number: r for r in demo_residents()}
        self._demo.update({r.legacy_id_number: r for r in demo_residents() if r.legacy_id_number})

    def __len__(self) -> int:
        return self.size + len(demo_residents())

    # --- numbers ------------------------------------------------------------------------------------

    def serial(self, index: int) -> str:
        """The six serial digits of person `index`."""
        return f"{SERIAL_BASE + self._serials.apply(index)}"

    def _legacy(self, index: int) -> str:
        return f"{LEGACY_BASE + self._legacies.apply(index)}"

    def _index_of(self, number: str, base: int, permutation: Permutation) -> int | None:
        value = int(number) - base
        if value < 0:
            return None
        index = permutation.invert(value)
        return index if index < self.size else None

    # --- people -------------------------------------------------------------------------------------

    def find(self, number: str) -> Resident | None:
        """The person holding a 12-digit number or a 9-digit CMND; None when nobody does."""
        demo = self._demo.get(number)
        if demo is not None or not number.isdigit():
            return demo
        if len(number) == 12:
            index = self._index_of(number[6:], SERIAL_BASE, self._serials)
            person = self.person(index) if index is not None else None
            return person if person is not None and person.identity_number == number else None
        if len(number) == 9:
            index = self._index_of(number, LEGACY_BASE, self._legacies)
            person = self.person(index) if index is not None else None
            return person if person is not None and person.legacy_id_number == number else None
        return None

    def person(self, index: int) -> Resident:
        """Person `index` (0 ≤ index < size), the same every time for the same seed."""
        if not 0 <= index < self.size:
            raise IndexError(index)
        household, slot = divmod(index, HOUSEHOLD)
        home = self._household(household)
        if slot == 0:
            return self._adult(index, home, home.head, home.spouse, "Chủ hộ")
        if slot == 1:
            return self._adult(index, home, home.spouse, home.head, "Vợ")
        draw = Draw(self.seed, "child", index)
        sex = "Nam" if draw.chance(0.51) else "Nữ"
        born, origin = home.children[slot - 2]
        number = compose("0" + origin, sex, born, self.serial(index))
        me = (Relative(_name(draw, home.father_surname, sex), number), sex, born, origin)
        return self._resident(index, home, me, "Con", (home.head[0], home.spouse[0], None, home.head[0]))

    def people(self, start: int = 0, count: int | None = None) -> Iterator[Resident]:
        """People `start` … `start + count - 1` in index order."""
        stop = self.size if count is None else min(self.size, start + count)
        for index in range(start, stop):
            yield self.person(index)

    def _build_household(self, household: int) -> _Household:
        draw = Draw(self.seed, "household", household)
        province = draw.weighted(PROVINCES, _PROVINCE_WEIGHTS)
        commune = draw.below(len(COMMUNE_NAMES))
        commune_name = COMMUNE_NAMES[commune]
        if commune_name.startswith("Xã"):
            detail = f"Thôn {draw.between(1, 12)}, số nhà {draw.between(1, 250)}"
        else:
            detail = f"Số {draw.between(1, 199)}, ngõ {draw.between(1, 120)} đường {draw.pick(STREETS)}"
        address = Address(
            province.code, province.name, commune_code(province.code, commune), commune_name, detail
        )
        father_year = draw.between(1950, 1990)
        mother_year = min(father_year + draw.between(-2, 6), 1994)
        first_child = draw.between(mother_year + 20, min(mother_year + 32, 2024))
        second_child = draw.between(first_child + 1, min(first_child + 10, 2025))
        origin = (
            draw.pick(list(PROVINCES_BEFORE_2025)) if draw.chance(0.2) else draw.pick(province.formed_from)
        )
        mother_origin = draw.pick(province.formed_from)
        father_surname = draw.weighted(_SURNAMES, _SURNAME_WEIGHTS)
        mother_surname = draw.weighted(_SURNAMES, _SURNAME_WEIGHTS)
        base = household * HOUSEHOLD
        father_born, mother_born = draw.day_in(father_year), draw.day_in(mother_year)
        head = (
            Relative(
                _name(draw, father_surname, "Nam"),
                compose("0" + origin, "Nam", father_born, self.serial(base)),
            ),
            *("Nam", father_born, origin),
        )
        spouse_number = compose("0" + mother_origin, "Nữ", mother_born, self.serial(base + 1))
        spouse = (
            Relative(_name(draw, mother_surname, "Nữ"), spouse_number),
            "Nữ",
            mother_born,
            mother_origin,
        )
        here = province.formed_from[0]
        return _Household(
            address=address,
            head=head,
            spouse=spouse,
            children=((draw.day_in(first_child), here), (draw.day_in(second_child), here)),
            father_surname=father_surname,
            home_town=f"{draw.pick(COMMUNE_NAMES)}, {PROVINCES_BEFORE_2025[origin]}",
            ethnicity=draw.weighted(_ETHNICITIES, _ETHNICITY_WEIGHTS),
            religion=draw.weighted(_RELIGIONS, _RELIGION_WEIGHTS),
        )

    def _resident(
        self,
        index: int,
        home: _Household,
        me: _Member,
        relation: str,
        family: tuple[Relative | None, Relative | None, Relative | None, Relative],
    ) -> Resident:
        relative, sex, born, origin = me
        father, mother, spouse, head = family
        assert relative.identity_number is not None
        return Resident(
            identity_number=relative.identity_number,
            legacy_id_number=self._legacy(index) if born.year <= LEGACY_UNTIL_YEAR else None,
            full_name=relative.full_name,
            sex=sex,
            date_of_birth=born,
            ethnicity=home.ethnicity,
            religion=home.religion,
            nationality="Việt Nam",
            marital_status="Chưa kết hôn" if relation == "Con" else "Đã kết hôn",
            birth_registration_place=PROVINCES_BEFORE_2025[origin],
            home_town=home.home_town if relation != "Vợ" else PROVINCES_BEFORE_2025[origin],
            permanent_address=home.address,
            current_address=home.address,
            relation_to_head=relation,
            father=father,
            mother=mother,
            spouse=spouse,
            household_head=head,
        )

    def _adult(self, index: int, home: _Household, me: _Member, spouse: _Member, relation: str) -> Resident:
        draw = Draw(self.seed, "parents", index)
        surname = me[0].full_name.split(" ")[0]
        father = Relative(_name(draw, surname, "Nam"))
        mother = Relative(_name(draw, draw.weighted(_SURNAMES, _SURNAME_WEIGHTS), "Nữ"))
        return self._resident(index, home, me, relation, (father, mother, spouse[0], home.head[0]))


_HA_NOI = "Thành phố Hà Nội"


def _ha_noi(commune_code: str, commune: str, detail: str) -> Address:
    return Address("01", _HA_NOI, commune_code, commune, detail)


@lru_cache(maxsize=1)
def demo_residents() -> tuple[Resident, ...]:
    """The named residents of the README and the test fixtures: the families of An, Huy, and Bình."""
    doi_can = _ha_noi("00004", "Phường Ba Đình", "Số 12, ngõ 34 phố Đội Cấn")
    kim_lien = _ha_noi("00232", "Phường Kim Liên", "Số 8, ngõ 102 phố Trường Chinh")
    chua_lang = _ha_noi("00229", "Phường Láng", "Số 8 ngõ 15 phố Chùa Láng")
    hoang_mai = _ha_noi("00331", "Phường Hoàng Mai", "Số 21 ngõ 4 phố Tân Mai")
    binh = Relative("Nguyễn Văn Bình", "001060004321")
    hanh = Relative("Đỗ Thị Hạnh", "001162009876")
    an = Relative("Nguyễn Văn An", "001088012345")
    mai = Relative("Trần Thị Mai", "001190023456")
    huy = Relative("Lê Quang Huy", "001092034519")
    ha = Relative("Phạm Thu Hà", "001194012876")
    khang = Relative("Nguyễn Minh Khang", "001216004567")
    return (
        _demo(binh, "Nam", date(1960, 10, 3), "010234567", home=doi_can, relation="Chủ hộ", spouse=hanh),
        _demo(
            hanh, "Nữ", date(1962, 4, 17), "011223344", home=doi_can, relation="Vợ", spouse=binh, head=binh
        ),
        _demo(
            an,
            "Nam",
            date(1988, 5, 14),
            "013456789",
            home=kim_lien,
            relation="Chủ hộ",
            father=binh,
            mother=hanh,
            spouse=mai,
        ),
        _demo(mai, "Nữ", date(1990, 9, 2), "013557799", home=kim_lien, relation="Vợ", spouse=an, head=an),
        _demo(
            khang,
            "Nam",
            date(2016, 3, 21),
            None,
            home=kim_lien,
            relation="Con",
            father=an,
            mother=mai,
            head=an,
        ),
        _demo(
            Relative("Trần Thị Bình", "001192004567"),
            "Nữ",
            date(1992, 8, 25),
            "013998877",
            home=hoang_mai,
            relation="Chủ hộ",
        ),
        _demo(huy, "Nam", date(1992, 2, 11), "013579246", home=chua_lang, relation="Chủ hộ", spouse=ha),
        _demo(ha, "Nữ", date(1994, 7, 19), "013664422", home=chua_lang, relation="Vợ", spouse=huy, head=huy),
    )


def _demo(
    me: Relative,
    sex: str,
    born: date,
    legacy: str | None,
    *,
    home: Address,
    relation: str,
    father: Relative | None = None,
    mother: Relative | None = None,
    spouse: Relative | None = None,
    head: Relative | None = None,
) -> Resident:
    assert me.identity_number is not None
    return Resident(
        identity_number=me.identity_number,
        legacy_id_number=legacy,
        full_name=me.full_name,
        sex=sex,
        date_of_birth=born,
        ethnicity="Kinh",
        religion="Không",
        nationality="Việt Nam",
        marital_status="Đã kết hôn" if spouse else "Chưa kết hôn",
        birth_registration_place=_HA_NOI,
        home_town=f"Phường Ba Đình, {_HA_NOI}",
        permanent_address=home,
        current_address=home,
        relation_to_head=relation,
        father=father,
        mother=mother,
        spouse=spouse,
        household_head=head or me,
    )
