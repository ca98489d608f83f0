"""GuardMesh operator: CRDs, reconciliation into sidecar bundles, and the admission webhooks."""
