"""The Great Expectations suites of AegisMatrix, one JSON file per dataset (GX 1.x form).

This folder is the suites' single home. It is installed as the package ``aegis.expectations``
(pyproject's ``package-dir`` mapping), so an installed wheel, the Docker image and the editable
dev install all find the same files through ``importlib.resources``; ``aegis.validation.suites``
reads them from there.
"""
