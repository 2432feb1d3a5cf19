"""`motcua documents keygen|render`: an agency's signing key; render what is still pending now."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Văn bản in: mẫu 01–06, thông báo, kết quả (printed documents).", no_args_is_help=True)


@app.command("keygen")
def keygen(
    agency: str = typer.Option(..., help="Mã định danh cơ quan, ví dụ H29.12.3"),
    folder: Path | None = typer.Option(None, help="Thư mục khóa (mặc định MOTCUA_PDF_SIGNING_KEYS_DIR)"),
) -> None:
    """Create the Ed25519 key that signs the agency's result documents (never overwrites one)."""
    from engine.dossier.code import is_agency_id
    from integrations.pdf.signing import key_id, public_pem, write_key
    from portal.settings import get_settings

    if not is_agency_id(agency):
        raise typer.BadParameter(
            "Mã định danh cơ quan không hợp lệ (up to 35 of [0-9A-Z.]).", param_hint="--agency"
        )
    target = folder or get_settings().pdf.signing_keys_dir
    if target is None:
        raise typer.BadParameter(
            "Đặt MOTCUA_PDF_SIGNING_KEYS_DIR hoặc truyền --folder (where the keys live).",
            param_hint="--folder",
        )
    try:
        public = write_key(target, agency)
    except FileExistsError as exc:
        typer.secho(
            f"Cơ quan {agency} đã có khóa {target / (agency + '.pem')}; không ghi đè.", fg="red", err=True
        )
        raise typer.Exit(1) from exc
    typer.echo(f"Khóa ký số {key_id(public)} của {agency}: {target / (agency + '.pem')}")
    typer.echo(public_pem(public), nl=False)


@app.command("render")
def render() -> None:
    """Render every pending document now (what the worker does each cycle), with a progress bar."""
    from engine.document.rendering import render_pending
    from portal.settings import get_settings
    from portal.wiring import build

    container = build(get_settings())
    policy = container.render_policy()
    total = 0
    with typer.progressbar(length=0, label="Đang tạo tệp PDF") as bar:
        while True:
            done = render_pending(
                container.transaction,
                container.document_renderer(),
                container.services.clock,
                container.document_signer(),
                policy,
            )
            if not done:
                break
            total += done
            bar.update(done)
    typer.echo(f"Đã tạo {total} tệp PDF (rendered {total} documents).")
