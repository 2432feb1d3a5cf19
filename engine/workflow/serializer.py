"""Instance-only JSON for SpiffWorkflow workflows: the spec is referenced by content hash, never embedded.

The stock serializer writes the whole parsed spec into every document (docs/architecture.md, trap 1). Here
the top-level workflow converter leaves out `spec` and `subprocess_specs`; on load the caller hands back the
cached specs.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

FORMAT = "motcua-instance/1"


class InstanceWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Top-level workflow converter that omits the specs and restores onto specs given by the caller."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        """Everything the stock converter writes except `spec` and `subprocess_specs`."""
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self,
        dct: dict[str, Any],
        spec: Any = None,
        subprocess_specs: dict[str, Any] | None = None,
        script_engine: Any = None,
    ) -> Any:
        """Rebuild the workflow on the given (cached) specs."""
        if spec is None:
            raise ValueError("an instance document needs the spec it was created from")
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(
            spec, subprocess_specs or {}, script_engine=script_engine, deserializing=True
        )
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class InstanceSerializer:
    """Dump and load workflow instances as JSON documents that name their spec by hash."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = InstanceWorkflowConverter
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))

    @property
    def registry(self) -> Any:
        """The library's converter registry (the spec diff of a version migration compares specs with it)."""
        return self._serializer.registry

    def dumps(self, workflow: Any, spec_hash: str) -> str:
        """Serialize one instance; the document carries the spec hash and the library's format version."""
        registry = self._serializer.registry
        registry._encoder_mode = True
        try:
            dct: dict[str, Any] = registry.convert(workflow)
            dct["format"] = FORMAT
            dct["spec_hash"] = spec_hash
            dct[BpmnWorkflowSerializer.VERSION_KEY] = SPIFF_SERIALIZER_VERSION
            encoder = self._serializer._encoder_cls
            return json.dumps(dct, cls=encoder, ensure_ascii=False, separators=(",", ":"))
        finally:
            registry._encoder_mode = False

    @staticmethod
    def read_header(state: str) -> tuple[dict[str, Any], str | None]:
        """Parse the JSON and return it with the spec hash it names (None for foreign documents)."""
        dct = json.loads(state)
        if not isinstance(dct, dict) or dct.get("format") != FORMAT:
            raise ValueError("not a MotCua workflow instance document")
        version = dct.get(BpmnWorkflowSerializer.VERSION_KEY)
        if version != SPIFF_SERIALIZER_VERSION:
            # Library migrations rewrite embedded specs; ours has none, so upgrades need their own step.
            raise ValueError(
                f"instance written by SpiffWorkflow serializer {version}, "
                f"this engine reads {SPIFF_SERIALIZER_VERSION}"
            )
        spec_hash = dct.get("spec_hash")
        return dct, spec_hash if isinstance(spec_hash, str) else None

    def restore(
        self, dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any], script_engine: Any
    ) -> Any:
        """Rebuild the workflow from a parsed document onto its specs."""
        for key in ("format", "spec_hash", BpmnWorkflowSerializer.VERSION_KEY):
            dct.pop(key, None)
        return self._serializer.registry.restore(
            dct, spec=spec, subprocess_specs=subprocess_specs, script_engine=script_engine
        )
