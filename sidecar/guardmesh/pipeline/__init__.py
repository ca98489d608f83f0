"""Run the guards of a bundle over one message: priority order, timeouts, failure modes, first deny wins."""

from guardmesh.pipeline.run import BoundGuard, Evaluation, Outcome, Pipeline

__all__ = ["BoundGuard", "Evaluation", "Outcome", "Pipeline"]
