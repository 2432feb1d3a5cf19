"""statistics counters kept by triggers: per day and month × agency × procedure × channel; steps per holder

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06 11:00:00

- `dossier.processing_days`: working days from receipt to result (paused time left out), set with status 9.
- `dossier_stat` (per local day) and `dossier_stat_month` (per month) hold the counters of docs/domain.md §6;
  triggers on `dossier`, `dossier_upload` and `document` append rows to `dossier_stat_delta`, which the
  worker folds into both (engine/stats/counters.py). Appending instead of updating a shared row: concurrent
  filings never wait on each other and never deadlock.
- `dossier_stat_open`: the open dossiers now per agency, procedure and channel (the levels folded), so that
  the open dossiers at the start of a period are read from the period's rows, not from the whole history.
- `step_stat`: steps of the hand-over log finished per local day, agency and holder (early / on time / late,
  hours late), kept by a trigger on `handover`.
- Existing dossiers and steps are counted in once, here.

Written out as they are today (a migration is a snapshot): local time is UTC+7 (Asia/Ho_Chi_Minh, no daylight
saving), open statuses 2, 4, 5, 6 of a received dossier, finished 9 and 10, closed 3, 7 and 8.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEASURES = (
    "received",
    "early",
    "on_time",
    "late",
    "withdrawn",
    "refused",
    "stopped",
    "processing_days",
    "digitised_papers",
    "digitised_results",
    "paid_online",
    "reused_papers",
    "open_on_track",
    "open_near_due",
    "open_overdue",
    "open_paused",
)
KEYS = ("agency_code", "procedure_code", "channel")
OPEN_STATES = {"near_due": "open_near_due", "overdue": "open_overdue", "paused": "open_paused"}


def _day(expr: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"(({expr}) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"
    return f"date({expr}, '+7 hours')"


def _is_open(r: str) -> str:
    return f"({r}.received_at IS NOT NULL AND {r}.status IN (2, 4, 5, 6))"


def _same_cell() -> str:
    return (
        "(NEW.agency_code = OLD.agency_code AND NEW.procedure_code = OLD.procedure_code "
        "AND NEW.channel = OLD.channel AND NEW.deadline_state = OLD.deadline_state)"
    )


def _insert(day: str, r: str, values: dict[str, str]) -> str:
    columns = ["day", *KEYS, *values]
    exprs = [day, *(f"{r}.{k}" for k in KEYS), *values.values()]
    return f"INSERT INTO dossier_stat_delta ({', '.join(columns)}) VALUES ({', '.join(exprs)});"


def _open_values(r: str, sign: int) -> dict[str, str]:
    values = {
        column: f"CASE WHEN {r}.deadline_state = '{state}' THEN {sign} ELSE 0 END"
        for state, column in OPEN_STATES.items()
    }
    others = ", ".join(f"'{s}'" for s in OPEN_STATES)
    values["open_on_track"] = f"CASE WHEN {r}.deadline_state IN ({others}) THEN 0 ELSE {sign} END"
    return values


def _finished_values(r: str, sign: int) -> dict[str, str]:
    return {
        "early": f"CASE WHEN {r}.timeliness = 'early' THEN {sign} ELSE 0 END",
        "late": f"CASE WHEN {r}.timeliness = 'late' THEN {sign} ELSE 0 END",
        "on_time": f"CASE WHEN {r}.timeliness IN ('early', 'late') THEN 0 ELSE {sign} END",
        "processing_days": f"{sign} * COALESCE({r}.processing_days, 0)",
    }


def _closed_values(r: str, sign: int) -> dict[str, str]:
    received = f"{r}.received_at IS NOT NULL"
    return {
        "refused": f"CASE WHEN {r}.status = 3 THEN {sign} ELSE 0 END",
        "withdrawn": f"CASE WHEN {r}.status = 7 AND {received} THEN {sign} ELSE 0 END",
        "stopped": f"CASE WHEN {r}.status = 8 AND {received} THEN {sign} ELSE 0 END",
    }


def _closed_counts(r: str) -> str:
    return f"({r}.status = 3 OR ({r}.status IN (7, 8) AND {r}.received_at IS NOT NULL))"


def _rules(dialect: str) -> list[tuple[str, str, str]]:
    """(event, condition, statement): what each change of a dossier appends."""
    day = lambda expr: _day(expr, dialect)  # noqa: E731
    finished = "(NEW.status IN (9, 10))"
    was_finished = "(OLD.status IN (9, 10))"
    return [
        # A dossier that is filed already received (or already finished, by an import).
        ("INSERT", _is_open("NEW"), _insert(day("NEW.updated_at"), "NEW", _open_values("NEW", 1))),
        ("INSERT", "NEW.received_at IS NOT NULL", _insert(day("NEW.received_at"), "NEW", {"received": "1"})),
        ("INSERT", finished, _insert(day("NEW.finished_at"), "NEW", _finished_values("NEW", 1))),
        ("INSERT", _closed_counts("NEW"), _insert(day("NEW.closed_at"), "NEW", _closed_values("NEW", 1))),
        # An update moves the dossier between open cells, receives it, finishes it or closes it.
        (
            "UPDATE",
            f"{_is_open('OLD')} AND NOT ({_is_open('NEW')} AND {_same_cell()})",
            _insert(day("NEW.updated_at"), "OLD", _open_values("OLD", -1)),
        ),
        (
            "UPDATE",
            f"{_is_open('NEW')} AND NOT ({_is_open('OLD')} AND {_same_cell()})",
            _insert(day("NEW.updated_at"), "NEW", _open_values("NEW", 1)),
        ),
        (
            "UPDATE",
            "OLD.received_at IS NULL AND NEW.received_at IS NOT NULL",
            _insert(day("NEW.received_at"), "NEW", {"received": "1"}),
        ),
        (
            "UPDATE",
            f"{finished} AND NOT {was_finished}",
            _insert(day("NEW.finished_at"), "NEW", _finished_values("NEW", 1)),
        ),
        (
            "UPDATE",
            f"NEW.status <> OLD.status AND {_closed_counts('NEW')}",
            _insert(day("NEW.closed_at"), "NEW", _closed_values("NEW", 1)),
        ),
        # Deleting a dossier (an import undone, a test's cleanup) takes back all it counted.
        ("DELETE", _is_open("OLD"), _insert(day("OLD.updated_at"), "OLD", _open_values("OLD", -1))),
        ("DELETE", "OLD.received_at IS NOT NULL", _insert(day("OLD.received_at"), "OLD", {"received": "-1"})),
        (
            "DELETE",
            "(OLD.status IN (9, 10))",
            _insert(day("OLD.finished_at"), "OLD", _finished_values("OLD", -1)),
        ),
        ("DELETE", _closed_counts("OLD"), _insert(day("OLD.closed_at"), "OLD", _closed_values("OLD", -1))),
    ]


WATCHED = "status, deadline_state, agency_code, procedure_code, channel, received_at, timeliness"


def _dossier_of(dialect: str, r: str, moment: str, column: str) -> str:
    """Append one to `column` for the dossier a `dossier_upload` or `document` row belongs to."""
    return (
        f"INSERT INTO dossier_stat_delta (day, agency_code, procedure_code, channel, {column}) "
        f"SELECT {_day(moment, dialect)}, d.agency_code, d.procedure_code, d.channel, 1 "
        f"FROM dossier d WHERE d.id = {r}.dossier_id;"
    )


def _step_upsert(dialect: str) -> str:
    hours = (
        "EXTRACT(EPOCH FROM (NEW.finished_at - NEW.due_at)) / 3600.0"
        if dialect == "postgresql"
        else "(julianday(NEW.finished_at) - julianday(NEW.due_at)) * 24.0"
    )
    late = "NEW.timeliness = 'late'"
    return (
        "INSERT INTO step_stat (day, agency_code, holder, steps, early, on_time, late, late_hours) VALUES ("
        f"{_day('NEW.finished_at', dialect)}, NEW.agency_code, COALESCE(NEW.finished_by, NEW.receiver), 1, "
        "CASE WHEN NEW.timeliness = 'early' THEN 1 ELSE 0 END, "
        "CASE WHEN NEW.timeliness = 'on_time' THEN 1 ELSE 0 END, "
        f"CASE WHEN {late} THEN 1 ELSE 0 END, "
        f"CASE WHEN {late} AND NEW.due_at IS NOT NULL THEN {hours} ELSE 0 END) "
        "ON CONFLICT (day, agency_code, holder) DO UPDATE SET steps = step_stat.steps + excluded.steps, "
        "early = step_stat.early + excluded.early, on_time = step_stat.on_time + excluded.on_time, "
        "late = step_stat.late + excluded.late, late_hours = step_stat.late_hours + excluded.late_hours;"
    )


def _sqlite_triggers() -> list[str]:
    statements = []
    for n, (event, condition, body) in enumerate(_rules("sqlite")):
        of = f" OF {WATCHED}" if event == "UPDATE" else ""
        statements.append(
            f"CREATE TRIGGER dossier_stat_{n} AFTER {event}{of} ON dossier WHEN {condition} BEGIN {body} END"
        )
    statements.append(
        "CREATE TRIGGER dossier_stat_upload AFTER INSERT ON dossier_upload BEGIN "
        + _dossier_of(
            "sqlite", "NEW", "(SELECT updated_at FROM dossier WHERE id = NEW.dossier_id)", "digitised_papers"
        )
        + " END"
    )
    statements.append(
        "CREATE TRIGGER dossier_stat_result AFTER INSERT ON document WHEN NEW.kind = 'result' "
        "AND NEW.dossier_id IS NOT NULL BEGIN "
        + _dossier_of("sqlite", "NEW", "NEW.issued_at", "digitised_results")
        + " END"
    )
    statements.append(
        "CREATE TRIGGER step_stat_finish AFTER UPDATE OF finished_at ON handover "
        f"WHEN OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL BEGIN {_step_upsert('sqlite')} END"
    )
    statements.append(
        "CREATE TRIGGER step_stat_insert AFTER INSERT ON handover "
        f"WHEN NEW.finished_at IS NOT NULL BEGIN {_step_upsert('sqlite')} END"
    )
    return statements


def _postgres_statements() -> list[str]:
    blocks = []
    for event, condition, body in _rules("postgresql"):
        blocks.append(f"  IF TG_OP = '{event}' THEN IF {condition} THEN {body} END IF; END IF;")
    function = (
        "CREATE FUNCTION motcua_dossier_stat() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        + "\n".join(blocks)
        + "\n  RETURN NULL;\nEND\n$$"
    )
    upload = (
        "CREATE FUNCTION motcua_dossier_stat_upload() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        + _dossier_of(
            "postgresql",
            "NEW",
            "(SELECT updated_at FROM dossier WHERE id = NEW.dossier_id)",
            "digitised_papers",
        )
        + "\n  RETURN NULL;\nEND\n$$"
    )
    result = (
        "CREATE FUNCTION motcua_dossier_stat_result() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  IF NEW.kind = 'result' AND NEW.dossier_id IS NOT NULL THEN "
        + _dossier_of("postgresql", "NEW", "NEW.issued_at", "digitised_results")
        + " END IF;\n  RETURN NULL;\nEND\n$$"
    )
    step = (
        "CREATE FUNCTION motcua_step_stat() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  IF NEW.finished_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.finished_at IS NULL) THEN "
        + _step_upsert("postgresql")
        + " END IF;\n  RETURN NULL;\nEND\n$$"
    )
    return [
        function,
        f"CREATE TRIGGER dossier_stat AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON dossier "
        "FOR EACH ROW EXECUTE FUNCTION motcua_dossier_stat()",
        upload,
        "CREATE TRIGGER dossier_stat_upload AFTER INSERT ON dossier_upload "
        "FOR EACH ROW EXECUTE FUNCTION motcua_dossier_stat_upload()",
        result,
        "CREATE TRIGGER dossier_stat_result AFTER INSERT ON document "
        "FOR EACH ROW EXECUTE FUNCTION motcua_dossier_stat_result()",
        step,
        "CREATE TRIGGER step_stat AFTER INSERT OR UPDATE OF finished_at ON handover "
        "FOR EACH ROW EXECUTE FUNCTION motcua_step_stat()",
    ]


def _measure_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(
            name,
            sa.Float() if name == "processing_days" else sa.Integer(),
            server_default="0",
            nullable=False,
        )
        for name in MEASURES
    ]


def _key_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column("procedure_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processing_days", sa.Float(), nullable=True))
    op.create_table(
        "dossier_stat",
        sa.Column("day", sa.Date(), nullable=False),
        *_key_columns(),
        *_measure_columns(),
        sa.PrimaryKeyConstraint("day", *KEYS),
    )
    op.create_table(
        "dossier_stat_month",
        sa.Column("month", sa.Date(), nullable=False),
        *_key_columns(),
        *_measure_columns(),
        sa.PrimaryKeyConstraint("month", *KEYS),
    )
    op.create_index("ix_dossier_stat_cell", "dossier_stat", ["agency_code", "procedure_code", "day"])
    op.create_index(
        "ix_dossier_stat_month_cell", "dossier_stat_month", ["agency_code", "procedure_code", "month"]
    )
    op.create_index("ix_dossier_stat_procedure", "dossier_stat", ["procedure_code", "day"])
    op.create_index("ix_dossier_stat_month_procedure", "dossier_stat_month", ["procedure_code", "month"])
    op.create_table(
        "dossier_stat_open",
        *_key_columns(),
        *(
            sa.Column(name, sa.Integer(), server_default="0", nullable=False)
            for name in MEASURES
            if name.startswith("open_")
        ),
        sa.PrimaryKeyConstraint(*KEYS),
    )
    op.create_table(
        "dossier_stat_delta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_key_columns(),
        *_measure_columns(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "step_stat",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        *(
            sa.Column(n, sa.Integer(), server_default="0", nullable=False)
            for n in ("steps", "early", "on_time", "late")
        ),
        sa.Column("late_hours", sa.Float(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("day", "agency_code", "holder"),
    )
    if dialect == "postgresql":
        for statement in _postgres_statements():
            op.execute(statement)
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)
    _backfill(dialect)


def _backfill(dialect: str) -> None:
    """Count what exists once: the insert rules applied to every dossier, and every finished step."""
    for event, condition, body in _rules(dialect):
        if event != "INSERT":
            continue
        select = body.replace("INSERT INTO dossier_stat_delta", "").split(" VALUES (", 1)
        columns, values = select[0], select[1].rstrip(";").removesuffix(")")
        op.execute(
            f"INSERT INTO dossier_stat_delta {columns} SELECT {values} FROM dossier NEW WHERE {condition}"
        )
    op.execute(
        "INSERT INTO dossier_stat_delta (day, agency_code, procedure_code, channel, digitised_papers) "
        f"SELECT {_day('d.updated_at', dialect)}, d.agency_code, d.procedure_code, d.channel, 1 "
        "FROM dossier_upload u JOIN dossier d ON d.id = u.dossier_id"
    )
    op.execute(
        "INSERT INTO dossier_stat_delta (day, agency_code, procedure_code, channel, digitised_results) "
        f"SELECT {_day('r.issued_at', dialect)}, d.agency_code, d.procedure_code, d.channel, 1 "
        "FROM document r JOIN dossier d ON d.id = r.dossier_id WHERE r.kind = 'result'"
    )
    hours = (
        "EXTRACT(EPOCH FROM (h.finished_at - h.due_at)) / 3600.0"
        if dialect == "postgresql"
        else "(julianday(h.finished_at) - julianday(h.due_at)) * 24.0"
    )
    op.execute(
        "INSERT INTO step_stat (day, agency_code, holder, steps, early, on_time, late, late_hours) "
        f"SELECT {_day('h.finished_at', dialect)}, h.agency_code, COALESCE(h.finished_by, h.receiver), COUNT(*), "
        "SUM(CASE WHEN h.timeliness = 'early' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN h.timeliness = 'on_time' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN h.timeliness = 'late' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN h.timeliness = 'late' AND h.due_at IS NOT NULL THEN {hours} ELSE 0 END) "
        "FROM handover h WHERE h.finished_at IS NOT NULL "
        f"GROUP BY {_day('h.finished_at', dialect)}, h.agency_code, COALESCE(h.finished_by, h.receiver)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS dossier_stat ON dossier")
        op.execute("DROP TRIGGER IF EXISTS dossier_stat_upload ON dossier_upload")
        op.execute("DROP TRIGGER IF EXISTS dossier_stat_result ON document")
        op.execute("DROP TRIGGER IF EXISTS step_stat ON handover")
        for name in ("dossier_stat", "dossier_stat_upload", "dossier_stat_result", "step_stat"):
            op.execute(f"DROP FUNCTION IF EXISTS motcua_{name}()")
    else:
        for n in range(len(_rules("sqlite"))):
            op.execute(f"DROP TRIGGER IF EXISTS dossier_stat_{n}")
        for name in ("dossier_stat_upload", "dossier_stat_result", "step_stat_finish", "step_stat_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("step_stat")
    op.drop_table("dossier_stat_delta")
    op.drop_table("dossier_stat_open")
    op.drop_table("dossier_stat_month")
    op.drop_table("dossier_stat")
    op.drop_column("dossier", "processing_days")  # native on SQLite ≥ 3.35: no rebuild under the foreign keys
