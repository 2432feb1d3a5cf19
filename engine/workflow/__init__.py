"""BPMN execution. Only `engine/workflow/` imports SpiffWorkflow."""
