"""Sub-commands of the ``aegis`` CLI. Keep module-level imports light (typer, stdlib)."""
