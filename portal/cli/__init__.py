"""`motcua` command line (Typer)."""

from __future__ import annotations

import typer

from portal.cli import calendar, db, dev, documents, keycloak, outbox, procedures, residents, serve, worker

app = typer.Typer(help="MotCua — hệ thống một cửa điện tử (one-stop workflow engine).", no_args_is_help=True)
app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.command("residents-sim")(residents.residents_sim)
app.add_typer(db.app, name="db")
app.add_typer(procedures.app, name="procedures")
app.add_typer(calendar.app, name="calendar")
app.add_typer(dev.app, name="dev")
app.add_typer(outbox.app, name="outbox")
app.add_typer(documents.app, name="documents")
app.add_typer(keycloak.app, name="keycloak")


def main() -> None:
    """Entry point of the console script."""
    app()
