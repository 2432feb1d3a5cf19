"""The rendering round behind the engine's port: leases, failures and retries, signatures (fake renderer)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine.clock import FixedClock
from engine.document.kinds import RenderSource, Signature
from engine.document.rendering import RenderPolicy, claim, render_pending
from engine.store.models import DocumentRow
from integrations.pdf.fake import FakeRenderer
from integrations.pdf.signing import KeyDirSigner, write_key
from portal.app import create_app
from portal.wiring import Container
from tests.builders import AN, OFFICER, Api, error, ok
from tests.integration.test_documents import the, walk_to_result


@pytest.fixture
def fake(container: Container) -> FakeRenderer:
    """The container renders with the fake (the real one is tested in test_documents and the unit tests)."""
    renderer = FakeRenderer()
    container.renderer = renderer
    return renderer


def stored(container: Container, document_id: int) -> DocumentRow:
    """The document row as the database holds it."""
    with container.transaction() as uow:
        row = uow.session.get(DocumentRow, document_id)
        assert row is not None
        return row


class TestRound:
    def test_a_leased_document_is_not_taken_twice_until_its_lease_ends(
        self, api: Api, container: Container, clock: FixedClock
    ) -> None:
        code = api.received()
        receipt = the(api, code, "mau-01")
        policy = RenderPolicy(lease_seconds=60)

        assert claim(container.transaction, clock.now(), policy) == [receipt["id"]]
        assert claim(container.transaction, clock.now(), policy) == []
        assert claim(container.transaction, clock.now() + timedelta(seconds=61), policy) == [receipt["id"]]

    def test_a_failing_render_is_retried_then_given_up_and_a_download_still_renders_it(
        self, api: Api, container: Container, clock: FixedClock, fake: FakeRenderer
    ) -> None:
        code = api.received()
        receipt = the(api, code, "mau-01")
        policy = RenderPolicy(max_attempts=2)
        fake.fail_next(2)

        assert render_pending(container.transaction, fake, clock, policy=policy) == 0
        first = stored(container, receipt["id"])
        assert (first.status, first.attempts, first.last_error) == (
            "pending",
            1,
            "RuntimeError: told to fail",
        )
        assert render_pending(container.transaction, fake, clock, policy=policy) == 0
        assert stored(container, receipt["id"]).status == "failed"
        assert render_pending(container.transaction, fake, clock, policy=policy) == 0  # given up

        pdf = api.client.get(receipt["href"], headers=api.auth(AN))

        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF-fake")
        after = stored(container, receipt["id"])
        assert (after.status, after.last_error, after.sha256) == (
            "rendered",
            None,
            the(api, code, "mau-01")["sha256"],
        )


class TestSignatures:
    def test_results_are_signed_with_the_agencys_key_and_the_verification_checks_it(
        self, api: Api, container: Container, fake: FakeRenderer, tmp_path: Path
    ) -> None:
        write_key(tmp_path, "H29.12.3")
        signer = KeyDirSigner(tmp_path)
        container.signer = signer
        code = walk_to_result(api)
        result = the(api, code, "result", AN)
        pdf = api.client.get(result["href"], headers=api.auth(AN)).content
        receipt = the(api, code, "mau-01")
        api.client.get(receipt["href"], headers=api.auth(AN))

        view = ok(api.get("/verify", None, ma=code, h=result["content_hash"]))

        assert view["signature"]["valid"] is True
        assert view["signature"]["algorithm"] == "ed25519"
        assert ok(api.get("/verify", None, ma=code, h=receipt["content_hash"]))["signature"] is None
        # Anyone can check it offline with the published key.
        pem = api.client.get("/api/v1/agencies/H29.12.3/signing-key")
        assert pem.status_code == 200
        public = serialization.load_pem_public_key(pem.content)
        assert isinstance(public, Ed25519PublicKey)
        public.verify(base64.b64decode(view["signature"]["value"]), hashlib.sha256(pdf).digest())
        page = api.client.get(f"/xac-minh?ma={code}&h={result['content_hash']}")
        assert "Chữ ký số của cơ quan" in page.text
        assert "Hợp lệ" in page.text

    def test_an_agency_without_a_key_publishes_none(
        self, api: Api, container: Container, tmp_path: Path
    ) -> None:
        container.signer = KeyDirSigner(tmp_path)

        error(api.get("/agencies/H29.12.5/signing-key", None), 404, "SigningKeyNotFound")


class TestKeyDirSigner:
    def test_a_signature_holds_only_for_its_digest_and_key(self, tmp_path: Path) -> None:
        write_key(tmp_path, "H29.12.3")
        write_key(tmp_path, "H29.12.5")
        signer = KeyDirSigner(tmp_path)
        digest = "ab" * 32

        signature = signer.sign("H29.12.3", digest)

        assert signature is not None
        assert signer.verify("H29.12.3", digest, signature)
        assert not signer.verify("H29.12.3", "cd" * 32, signature)
        assert not signer.verify("H29.12.5", digest, signature)
        forged = Signature(signature.algorithm, signature.key_id, base64.b64encode(b"\0" * 64).decode())
        assert not signer.verify("H29.12.3", digest, forged)
        assert signer.sign("H99.1", digest) is None

    def test_an_existing_key_is_never_overwritten(self, tmp_path: Path) -> None:
        write_key(tmp_path, "H29.12.3")

        with pytest.raises(FileExistsError):
            write_key(tmp_path, "H29.12.3")


def test_officers_download_what_the_fake_renders(api: Api, fake: FakeRenderer) -> None:
    code = api.received()

    response = api.client.get(the(api, code, "mau-01")["href"], headers=api.auth(OFFICER))

    assert response.content.startswith(b"%PDF-fake\nmau-01.html\n")
    assert [s.kind.value for s in fake.rendered] == ["mau-01"]


class BlockingRenderer(FakeRenderer):
    """Holds every render until released: shows whether anything else runs meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()

    def render(self, source: RenderSource) -> bytes:
        """Signal the start, wait to be released (10 s at most), then render like the fake."""
        self.started.set()
        self.release.wait(10)
        return super().render(source)


def test_a_download_renders_off_the_event_loop(api: Api, container: Container) -> None:
    code = api.received()
    href = the(api, code, "mau-01")["href"]
    renderer = BlockingRenderer()
    container.renderer = renderer
    app = create_app(container.settings, container)

    async def scenario() -> tuple[int, bool, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            download = asyncio.create_task(client.get(href, headers=api.auth(AN)))
            assert await asyncio.to_thread(renderer.started.wait, 10)
            health = await client.get("/api/v1/health")  # answered while the PDF is still being rendered
            rendering = not download.done()
            renderer.release.set()
            return health.status_code, rendering, (await download).status_code

    assert asyncio.run(scenario()) == (200, True, 200)
