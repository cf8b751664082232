# The AegisMatrix Airflow image: Airflow 3.3.2 (Python 3.11) + the aegis wheel with its package
# data (the GX suites of the top-level expectations/ as aegis.expectations, the snapshot schema,
# the NSE holiday file),
# the DAGs and the plugin. Self-contained: a KubernetesExecutor pod or a container without the
# compose bind mount finds everything it needs in the image.
#
#   docker build -t aegismatrix-airflow:3.3.2-0.1.0 .      (docker compose build does the same)
FROM apache/airflow:3.3.2-python3.11

USER root
RUN apt-get update && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
USER airflow

COPY --chown=airflow:root pyproject.toml constraints.txt README.md /opt/aegis-build/
COPY --chown=airflow:root aegis /opt/aegis-build/aegis
COPY --chown=airflow:root expectations /opt/aegis-build/expectations
# a wheel, not the source tree: what is not package data is not in the image; bytecode is
# compiled at install (pip's default) so no task process compiles its imports again
RUN pip install --no-cache-dir -c /opt/aegis-build/constraints.txt /opt/aegis-build \
    && rm -rf /opt/aegis-build/aegis /opt/aegis-build/expectations

COPY --chown=airflow:root dags /opt/aegis/dags
COPY --chown=airflow:root plugins /opt/aegis/plugins
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/aegis/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/aegis/plugins
