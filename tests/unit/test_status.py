"""The dossier status table (docs/domain.md §2): each allowed edge; every other pair refused in Vietnamese."""

from __future__ import annotations

from itertools import product

import pytest

from engine.dossier.status import LABELS, TRANSITIONS, Status, can_transition, check_transition
from engine.errors import Conflict

S = Status

# docs/domain.md §2 written out by hand: 1→2|3|5|7; 2→4; 4→4|5|6|8|9; 5→4|8; 6→4; 9→10; any non-final → 7.
# "Non-final" means no result exists yet, so 9 (result ready) may not be withdrawn.
DOMAIN_EDGES: frozenset[tuple[Status, Status]] = frozenset(
    {
        (S.NEW, S.RECEIVED),
        (S.NEW, S.NOT_RECEIVED),
        (S.NEW, S.SUPPLEMENT),
        (S.NEW, S.WITHDRAWN),
        (S.RECEIVED, S.PROCESSING),
        (S.RECEIVED, S.WITHDRAWN),
        (S.PROCESSING, S.PROCESSING),
        (S.PROCESSING, S.SUPPLEMENT),
        (S.PROCESSING, S.PAYMENT),
        (S.PROCESSING, S.STOPPED),
        (S.PROCESSING, S.DONE),
        (S.PROCESSING, S.WITHDRAWN),
        (S.SUPPLEMENT, S.PROCESSING),
        (S.SUPPLEMENT, S.STOPPED),
        (S.SUPPLEMENT, S.WITHDRAWN),
        (S.PAYMENT, S.PROCESSING),
        (S.PAYMENT, S.WITHDRAWN),
        (S.DONE, S.RETURNED),
    }
)

DECLARED_EDGES = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
REFUSED_PAIRS = sorted(pair for pair in product(Status, Status) if pair not in set(DECLARED_EDGES))


def edge_id(pair: tuple[Status, Status]) -> str:
    """Readable test id, e.g. `4-PROCESSING->9-DONE`."""
    a, b = pair
    return f"{a.value}-{a.name}->{b.value}-{b.name}"


def test_the_declared_table_is_exactly_the_domain_table() -> None:
    declared = set(DECLARED_EDGES)
    assert declared - DOMAIN_EDGES == set(), "edges in the table but not in docs/domain.md §2"
    assert DOMAIN_EDGES - declared == set(), "edges in docs/domain.md §2 missing from the table"


def test_every_status_has_a_row_and_a_catalogue_name() -> None:
    assert set(TRANSITIONS) == set(Status)
    assert set(LABELS) == set(Status)
    assert [s.value for s in Status] == list(range(1, 11))
    assert S.NEW.label == "Mới đăng ký"
    assert S.RETURNED.label == "Đã trả kết quả"


@pytest.mark.parametrize("edge", DECLARED_EDGES, ids=edge_id)
def test_allowed_edge(edge: tuple[Status, Status]) -> None:
    current, target = edge
    assert can_transition(current, target)
    check_transition(current, target)  # does not raise


@pytest.mark.parametrize("pair", REFUSED_PAIRS, ids=edge_id)
def test_other_pairs_are_refused_with_both_statuses_named(pair: tuple[Status, Status]) -> None:
    current, target = pair
    assert not can_transition(current, target)
    with pytest.raises(Conflict) as caught:
        check_transition(current, target)
    error = caught.value
    assert error.code == "StatusTransitionRefused"
    assert error.message == (f"Không thể chuyển hồ sơ từ trạng thái «{current.label}» sang «{target.label}».")
    assert current.label_en in error.message_en
    assert target.label_en in error.message_en
    assert error.as_dict()["error"] == "StatusTransitionRefused"


@pytest.mark.parametrize("final", [S.NOT_RECEIVED, S.WITHDRAWN, S.STOPPED, S.RETURNED], ids=lambda s: s.name)
def test_final_statuses_have_no_way_out(final: Status) -> None:
    assert final.is_final
    assert TRANSITIONS[final] == frozenset()
    for target in Status:
        with pytest.raises(Conflict) as caught:
            check_transition(final, target)
        assert caught.value.message.startswith(f"Không thể chuyển hồ sơ từ trạng thái «{final.label}»")


def test_only_the_four_closing_statuses_are_final() -> None:
    assert {s for s in Status if s.is_final} == {S.NOT_RECEIVED, S.WITHDRAWN, S.STOPPED, S.RETURNED}


def test_a_citizen_cannot_withdraw_once_the_result_exists() -> None:
    with pytest.raises(Conflict) as caught:
        check_transition(S.DONE, S.WITHDRAWN)
    assert caught.value.message == (
        "Không thể chuyển hồ sơ từ trạng thái «Đã xử lý xong» sang «Công dân yêu cầu rút hồ sơ»."
    )


def test_a_received_dossier_must_go_through_processing_before_a_result() -> None:
    assert not can_transition(S.RECEIVED, S.DONE)
    assert not can_transition(S.NEW, S.PROCESSING)
    assert not can_transition(S.SUPPLEMENT, S.DONE)
    assert not can_transition(S.PAYMENT, S.DONE)
