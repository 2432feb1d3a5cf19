"""`motcua residents-sim`: the population-database simulator as a process of its own."""

from __future__ import annotations

import signal
from types import FrameType

import typer


def residents_sim(
    host: str = typer.Option("127.0.0.1", help="Địa chỉ lắng nghe"),
    port: int = typer.Option(8100, help="Cổng (0: một cổng trống bất kỳ)"),
    size: int | None = typer.Option(None, help="Số người (bội của 4; mặc định MOTCUA_RESIDENTS_SIM_SIZE)"),
    seed: int | None = typer.Option(None, help="Hạt giống sinh dữ liệu (mặc định MOTCUA_RESIDENTS_SIM_SEED)"),
    token: str | None = typer.Option(
        None, help="Mã truy cập (Bearer) bắt buộc; mặc định MOTCUA_RESIDENTS_TOKEN, không có thì không hỏi"
    ),
    fault: list[str] = typer.Option(
        [], help="Lỗi giả lập cho mọi yêu cầu: latency=<ms> | error | busy | hang | malformed (lặp được)"
    ),
    show: int = typer.Option(3, help="In vài người mẫu để thử (0: không in)"),
) -> None:
    """Serve the synthetic population over HTTP until Ctrl-C (faults also settable with PUT /_sim/faults)."""
    from integrations.residents.population import Population
    from integrations.residents.simulator import FaultRule, Simulator
    from integrations.residents.wire import LOOKUP_PATH
    from portal.logs import configure as configure_logging
    from portal.settings import get_settings

    configure_logging()
    settings = get_settings().residents
    try:
        rules = [FaultRule.parse(f) for f in fault]
        population = Population(size or settings.sim_size, settings.sim_seed if seed is None else seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    secret = token or (settings.token.get_secret_value() if settings.token else None)
    sim = Simulator(population, token=secret, host=host, port=port, faults=rules)
    typer.echo(sim.url)  # what MOTCUA_RESIDENTS_URL takes
    typer.echo(
        f"Giả lập CSDL dân cư tại {sim.url}{LOOKUP_PATH}: {len(population):,} người "
        f"(hạt giống {population.seed})"
        + (f", lỗi giả lập: {', '.join(fault)}" if fault else "")
        + (", yêu cầu mã truy cập" if secret else ", không yêu cầu mã truy cập"),
        err=True,
    )
    for person in population.people(0, show):
        typer.echo(
            f"  {person.identity_number}  {person.full_name}, {person.date_of_birth:%d/%m/%Y}", err=True
        )

    def _stop(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        typer.echo("Đã dừng.", err=True)
