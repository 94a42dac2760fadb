"""Everything that talks to the outside world: kind, helm, kubectl, the Kubernetes API."""
