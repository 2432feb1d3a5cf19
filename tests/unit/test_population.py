"""The simulator's synthetic population: large, deterministic, structurally valid, in families, invertible."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from engine.residents.identity import identity_problem, parse
from integrations.residents.draws import Permutation
from integrations.residents.places import PROVINCE_BY_CODE, PROVINCES, PROVINCES_BEFORE_2025
from integrations.residents.population import HOUSEHOLD, Population, demo_residents

TODAY = date(2026, 3, 2)
STRIDE = 97  # about 1,200 people across the whole index range, households of every shape


@pytest.fixture(scope="module")
def population() -> Population:
    return Population()


class TestSize:
    def test_at_least_a_hundred_thousand_people(self, population: Population) -> None:
        assert len(population) >= 100_000
        assert population.person(population.size - 1).identity_number

    def test_an_index_outside_the_population_is_nobody(self, population: Population) -> None:
        with pytest.raises(IndexError):
            population.person(population.size)

    @pytest.mark.parametrize("size", [0, 6, 900_004])
    def test_sizes_must_be_whole_households_within_the_serial_space(self, size: int) -> None:
        with pytest.raises(ValueError, match="multiple of 4"):
            Population(size)


class TestDeterminism:
    def test_the_same_seed_gives_the_same_people(self, population: Population) -> None:
        again = Population()

        assert [again.person(i) for i in range(0, 4000, 401)] == [
            population.person(i) for i in range(0, 4000, 401)
        ]

    def test_another_seed_gives_other_numbers(self, population: Population) -> None:
        other = Population(seed=7)

        assert other.person(12).identity_number != population.person(12).identity_number


class TestNumbers:
    def test_every_number_is_valid_and_agrees_with_birth_date_and_sex(self, population: Population) -> None:
        for index in range(0, population.size, STRIDE):
            person = population.person(index)
            assert (
                identity_problem(
                    person.identity_number, today=TODAY, born=person.date_of_birth, sex=person.sex
                )
                is None
            ), person
            parsed = parse(person.identity_number)
            assert parsed is not None
            assert parsed.province_code[1:] in PROVINCES_BEFORE_2025

    def test_numbers_invert_to_their_person_without_a_table(self, population: Population) -> None:
        for index in range(0, population.size, STRIDE):
            person = population.person(index)
            assert population.find(person.identity_number) == person
            if person.legacy_id_number:
                assert len(person.legacy_id_number) == 9
                assert population.find(person.legacy_id_number) == person

    def test_consecutive_people_do_not_get_consecutive_serials(self, population: Population) -> None:
        serials = [int(population.serial(i)) for i in range(50)]

        assert len({b - a for a, b in zip(serials, serials[1:], strict=False)}) > 40

    def test_a_well_formed_number_nobody_holds_is_not_found(self, population: Population) -> None:
        person = population.person(4242)
        forged = (
            person.identity_number[:3]
            + ("1" if person.identity_number[3] == "0" else "0")
            + person.identity_number[4:]
        )

        assert population.find(forged) is None
        assert population.find("001088999999") is None
        assert population.find("not-a-number") is None

    def test_the_scramble_is_a_bijection(self) -> None:
        small = Permutation(100, 9_000, key=2025)

        images = [small.apply(x) for x in range(9_000)]

        assert sorted(images) == list(range(9_000))
        assert all(small.invert(y) == x for x, y in enumerate(images))


class TestFamilies:
    def test_a_household_shares_address_and_head_and_children_name_their_parents(
        self, population: Population
    ) -> None:
        for household in range(0, population.size // HOUSEHOLD, 1009):
            head, spouse, *children = population.people(household * HOUSEHOLD, HOUSEHOLD)
            assert (head.relation_to_head, head.sex, spouse.relation_to_head, spouse.sex) == (
                "Chủ hộ",
                "Nam",
                "Vợ",
                "Nữ",
            )
            assert head.spouse is not None
            assert head.spouse.identity_number == spouse.identity_number
            assert spouse.spouse is not None
            assert spouse.spouse.identity_number == head.identity_number
            for child in children:
                assert child.relation_to_head == "Con"
                assert child.father is not None
                assert child.father.identity_number == head.identity_number
                assert child.mother is not None
                assert child.mother.full_name == spouse.full_name
                assert child.full_name.split()[0] == head.full_name.split()[0]  # the father's family name
                assert child.date_of_birth.year >= spouse.date_of_birth.year + 18
            members = [head, spouse, *children]
            assert {m.permanent_address for m in members} == {head.permanent_address}
            assert {m.household_head.identity_number for m in members if m.household_head} == {
                head.identity_number
            }

    def test_addresses_carry_real_province_codes_and_names(self, population: Population) -> None:
        seen = set()
        for index in range(0, population.size, STRIDE * 4):
            address = population.person(index).permanent_address
            assert address.province_name == PROVINCE_BY_CODE[address.province_code].name
            assert len(address.commune_code) == 5
            assert address.commune_code.isdigit()
            seen.add(address.province_code)
        assert len(seen) > len(PROVINCES) // 2
        assert {"01", "79"} <= seen

    def test_names_are_vietnamese_with_diacritics(self, population: Population) -> None:
        names = [population.person(i).full_name for i in range(0, 2000, 7)]

        assert all(len(n.split()) == 3 for n in names)
        assert all(unicodedata.is_normalized("NFC", n) for n in names)
        assert sum(any(ord(c) > 127 for c in n) for n in names) > len(names) * 0.9


class TestDemoResidents:
    def test_the_readme_s_citizens_are_in_the_registry(self, population: Population) -> None:
        an = population.find("001088012345")

        assert an is not None
        assert (an.full_name, an.date_of_birth, an.sex) == ("Nguyễn Văn An", date(1988, 5, 14), "Nam")
        assert an.father is not None
        assert an.father.full_name == "Nguyễn Văn Bình"
        assert population.find("013456789") == an  # his old CMND

    def test_every_demo_number_agrees_with_its_person(self) -> None:
        for person in demo_residents():
            assert (
                identity_problem(
                    person.identity_number, today=TODAY, born=person.date_of_birth, sex=person.sex
                )
                is None
            )
